import pytest
from django.core.exceptions import ImproperlyConfigured

from clemency.env import NAMES, env_bool, env_int, env_list, env_str


def test_value_from_environment(monkeypatch):
    monkeypatch.setenv("SAMPLE_VALUE", "abc")
    assert env_str("SAMPLE_VALUE") == "abc"
    assert "SAMPLE_VALUE" in NAMES


def test_value_from_file_without_trailing_newline(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret value\n")
    monkeypatch.setenv("SAMPLE_SECRET_FILE", str(secret))
    assert env_str("SAMPLE_SECRET") == "s3cret value"


def test_both_value_and_file_is_an_error(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("x")
    monkeypatch.setenv("SAMPLE_SECRET", "y")
    monkeypatch.setenv("SAMPLE_SECRET_FILE", str(secret))
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env_str("SAMPLE_SECRET")


def test_unreadable_file_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SAMPLE_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot read"):
        env_str("SAMPLE_SECRET")


def test_required_value_missing(monkeypatch):
    monkeypatch.delenv("SAMPLE_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="SAMPLE_REQUIRED is required"):
        env_str("SAMPLE_REQUIRED")
    assert env_str("SAMPLE_REQUIRED", None) is None


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)]
)
def test_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("SAMPLE_FLAG", raw)
    assert env_bool("SAMPLE_FLAG", default=not expected) is expected


def test_bad_boolean_and_int(monkeypatch):
    monkeypatch.setenv("SAMPLE_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="boolean"):
        env_bool("SAMPLE_FLAG", False)
    monkeypatch.setenv("SAMPLE_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("SAMPLE_INT", 1)


def test_lists(monkeypatch):
    monkeypatch.setenv("SAMPLE_LIST", " a.example, ,b.example ")
    assert env_list("SAMPLE_LIST") == ["a.example", "b.example"]
    monkeypatch.setenv("SAMPLE_LIST", "")
    assert env_list("SAMPLE_LIST", ["x"]) == ["x"]


def test_empty_boolean_keeps_the_default(monkeypatch):
    monkeypatch.setenv("SAMPLE_FLAG", "")
    assert env_bool("SAMPLE_FLAG", True) is True
