import base64
import stat

import pytest

from clemency.security.errors import KeyConfigurationError, KeyNotAvailable
from clemency.security.keys import (
    IntakePrivateKey,
    IntakeSuite,
    add_kek,
    init_directory,
    kek_path,
    load_directory,
    load_environment,
    random_key,
    remove_kek,
)


def test_init_writes_private_files_and_loads(tmp_path):
    directory = tmp_path / "keys"
    written = init_directory(directory)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    provider = load_directory(directory)
    assert provider.kek_versions() == [1]
    assert len(provider.index_key()) == 32
    assert provider.intake_private_key().public_key() == provider.intake_public_key()
    assert provider.intake_public_key().suite is IntakeSuite.best_available()


def test_init_refuses_to_overwrite(tmp_path):
    init_directory(tmp_path)
    with pytest.raises(KeyConfigurationError, match="already holds keys"):
        init_directory(tmp_path)


def test_group_readable_key_is_refused(tmp_path):
    init_directory(tmp_path)
    kek_path(tmp_path, 1).chmod(0o644)
    with pytest.raises(KeyConfigurationError, match="chmod 600"):
        load_directory(tmp_path)


def test_missing_directory_says_how_to_fix(tmp_path):
    with pytest.raises(KeyNotAvailable, match="keys init"):
        load_directory(tmp_path / "none")


def test_public_only_directory_can_seal_but_not_open(tmp_path):
    init_directory(tmp_path)
    public_only = tmp_path / "public"
    public_only.mkdir()
    (public_only / "intake.pub").write_text((tmp_path / "intake.pub").read_text())
    provider = load_directory(public_only)
    assert provider.intake_public_key() == load_directory(tmp_path).intake_public_key()
    with pytest.raises(KeyNotAvailable):
        provider.intake_private_key()
    with pytest.raises(KeyNotAvailable):
        provider.current_kek_version()


def test_add_and_remove_kek(tmp_path):
    init_directory(tmp_path)
    assert add_kek(tmp_path) == 2
    assert load_directory(tmp_path).current_kek_version() == 2
    with pytest.raises(KeyConfigurationError, match="current KEK"):
        remove_kek(tmp_path, 2)
    remove_kek(tmp_path, 1)
    assert load_directory(tmp_path).kek_versions() == [2]


def test_mismatched_intake_pair_is_refused(tmp_path):
    init_directory(tmp_path)
    (tmp_path / "intake.pub").write_text(IntakePrivateKey.generate().public_key().dumps())
    with pytest.raises(KeyConfigurationError, match="does not match"):
        load_directory(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [("not base64!!", "base64"), (base64.b64encode(b"short").decode(), "32 bytes")],
)
def test_malformed_kek_is_refused(tmp_path, content, message):
    init_directory(tmp_path)
    kek_path(tmp_path, 1).write_text(content)
    with pytest.raises(KeyConfigurationError, match=message):
        load_directory(tmp_path)


def test_environment_provider_with_file_secrets(monkeypatch, tmp_path):
    private = IntakePrivateKey.generate()
    keks = tmp_path / "keks"
    keks.write_text(
        f"1:{base64.b64encode(random_key()).decode()},3:{base64.b64encode(random_key()).decode()}\n"
    )
    monkeypatch.setenv("KEKS_FILE", str(keks))
    monkeypatch.setenv("BLIND_INDEX_KEY", base64.b64encode(random_key()).decode())
    monkeypatch.setenv("INTAKE_PRIVATE_KEY", private.dumps())
    monkeypatch.delenv("INTAKE_PUBLIC_KEY", raising=False)
    provider = load_environment()
    assert provider.kek_versions() == [1, 3]
    assert provider.current_kek_version() == 3
    assert provider.intake_public_key() == private.public_key()


def test_provider_repr_shows_no_key_material(tmp_path):
    init_directory(tmp_path)
    provider = load_directory(tmp_path)
    text = repr(provider) + repr(provider.intake_private_key()) + repr(provider.intake_public_key())
    assert base64.b64encode(provider.index_key()).decode() not in text
    assert provider.intake_private_key().dumps().split(":")[1][:20] not in text
