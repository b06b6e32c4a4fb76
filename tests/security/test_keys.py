import base64
import stat

import pytest

from clemency.security.errors import KeyConfigurationError, KeyNotAvailable
from clemency.security.keys import (
    IntakePrivateKey,
    IntakeSuite,
    add_intake_key,
    add_kek,
    add_missing,
    init_directory,
    intake_key_path,
    kek_path,
    load_directory,
    load_environment,
    load_public_key,
    publish_public_key,
    random_key,
    remove_intake_key,
    remove_kek,
)


def test_init_writes_private_files_and_loads(tmp_path):
    directory = tmp_path / "keys"
    written = init_directory(directory)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in written:
        public = path.name == "intake.pub"  # not secret; the intake site reads only this
        assert stat.S_IMODE(path.stat().st_mode) == (0o644 if public else 0o600), path
    assert intake_key_path(directory, 1) in written
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


def test_a_published_key_whose_private_key_is_missing_is_refused(tmp_path):
    """The staff side must be able to open whatever the intake seals: never publish first."""
    init_directory(tmp_path)
    publish_public_key(IntakePrivateKey.generate(version=2).public_key(), tmp_path / "intake.pub")
    with pytest.raises(KeyConfigurationError, match="version 2, but its private key"):
        load_directory(tmp_path)


def test_intake_key_rotation_keeps_the_published_key_until_it_is_replaced(tmp_path):
    init_directory(tmp_path)
    new = add_intake_key(tmp_path)
    assert new.version == 2
    provider = load_directory(tmp_path)
    assert provider.intake_private_versions() == [1, 2]
    assert provider.intake_public_key().version == 1  # added, not yet sealed to
    with pytest.raises(KeyConfigurationError, match="published intake key"):
        remove_intake_key(tmp_path, 1)
    publish_public_key(new.public_key(), tmp_path / "intake.pub")
    assert load_directory(tmp_path).intake_public_key() == new.public_key()
    remove_intake_key(tmp_path, 1)
    provider = load_directory(tmp_path)
    assert provider.intake_private_versions() == [2]
    with pytest.raises(KeyNotAvailable, match="version 1"):
        provider.intake_private_key(1)
    assert not list(tmp_path.glob(".intake.pub.*"))  # no temporary file left behind


def test_an_older_key_set_is_brought_into_the_versioned_layout(tmp_path):
    init_directory(tmp_path)
    private = load_directory(tmp_path).intake_private_key()
    # What an earlier release wrote: one intake.key, a public key without a version.
    intake_key_path(tmp_path, 1).rename(tmp_path / "intake.key")
    (tmp_path / "intake.pub").write_text(private.public_key().dumps().split(":", 1)[1])
    assert load_directory(tmp_path).intake_private_key(1) == private  # still read as is
    written = add_missing(tmp_path)
    assert intake_key_path(tmp_path, 1) in written
    assert not (tmp_path / "intake.key").exists()
    assert (tmp_path / "intake.pub").read_text().startswith("1:")
    assert load_public_key(tmp_path / "intake.pub") == private.public_key()
    assert add_missing(tmp_path) == []


def test_environment_intake_keys_of_several_versions(monkeypatch):
    one, two = IntakePrivateKey.generate(version=1), IntakePrivateKey.generate(version=2)
    monkeypatch.delenv("KEKS", raising=False)
    monkeypatch.setenv("INTAKE_PRIVATE_KEY", f"1:{one.dumps()},2:{two.dumps()}")
    monkeypatch.setenv("INTAKE_PUBLIC_KEY", one.public_key().dumps())
    provider = load_environment()
    assert provider.intake_private_versions() == [1, 2]
    assert provider.intake_public_key() == one.public_key()
    assert provider.intake_private_key(2) == two


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


def test_the_first_start_makes_the_key_set_without_django(tmp_path):
    """What docker-compose's migrate job runs before anything can start."""
    from clemency.security.init_keys import ensure_key_set

    export = tmp_path / "public" / "intake.pub"
    done = ensure_key_set(tmp_path / "keys", str(export))
    assert done[0].startswith("Created 5 key files")
    assert done[1] == "Published intake public key 1 to " + str(export) + "."
    assert load_public_key(export) == load_directory(tmp_path / "keys").intake_public_key()
    assert ensure_key_set(tmp_path / "keys", str(export)) == []  # the second start: nothing
    export.unlink()
    assert ensure_key_set(tmp_path / "keys", str(export))[0].startswith("Published")
