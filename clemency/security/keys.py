"""Key providers: versioned key-encryption keys (KEKs), the blind-index key, the intake key pair.

The KEK interface is by operation (``wrap_key`` / ``unwrap_key``), not by handing out key bytes,
so that a provider backed by Vault transit or a cloud KMS, where the KEK never leaves the service,
fits the same interface. The local provider keeps keys in memory, loaded from a key directory
(files of mode 0600 in a directory of mode 0700) or from the environment (``*_FILE`` secrets).

Key directory layout (``manage.py keys init`` writes it)::

    kek/0001.key     base64 of 32 random bytes; the highest version encrypts, every file decrypts
    index.key        base64 of 32 random bytes, the blind-index HMAC key
    audit.key        base64 of 32 random bytes, the audit chain's HMAC key (security/audit.py)
    intake/0001.key  "<suite>:<base64>" an intake private key (staff side only); one per version
    intake.pub       "<version>:<suite>:<base64>" the public key the intake seals to (enough for a
                     public-only intake; it may lag behind the newest private key, never lead it)

An older key set's single ``intake.key`` is version 1 (``add_missing`` moves it into place), and a
public key written without a version is version 1.

Environment: ``KEKS`` ("1:<base64>,2:<base64>"), ``BLIND_INDEX_KEY``, ``AUDIT_KEY``,
``INTAKE_PRIVATE_KEY`` ("<suite>:<base64>" for version 1, or "1:<suite>:<base64>,2:..."),
``INTAKE_PUBLIC_KEY`` ("<version>:<suite>:<base64>"), each also as ``NAME_FILE``.
"""

import base64
import binascii
import os
import secrets
import stat
import struct
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clemency.security.errors import DecryptionError, KeyConfigurationError, KeyNotAvailable

KEY_BYTES = 32
NONCE_BYTES = 12
_MLKEM_SEED_BYTES = 64
_MLKEM_PUBLIC_BYTES = 1184
_X25519_BYTES = 32


def random_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigurationError(f"{what} is not valid base64.") from None


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _symmetric(data: bytes, what: str) -> bytes:
    if len(data) != KEY_BYTES:
        raise KeyConfigurationError(f"{what} must be {KEY_BYTES} bytes.")
    return data


# --- The intake key pair ------------------------------------------------------------------------


class IntakeSuite(StrEnum):
    """The HPKE KEM used to seal submissions; recorded in every sealed blob."""

    MLKEM768_X25519 = "mlkem768-x25519"
    X25519 = "x25519"

    @classmethod
    def best_available(cls) -> "IntakeSuite":
        from cryptography.hazmat.backends.openssl.backend import backend

        return cls.MLKEM768_X25519 if backend.mlkem_supported() else cls.X25519


@dataclass(frozen=True)
class IntakePublicKey:
    suite: IntakeSuite
    raw: bytes = field(repr=False)
    version: int = 1

    def hpke_key(self):
        if self.suite is IntakeSuite.X25519:
            return x25519.X25519PublicKey.from_public_bytes(self.raw)
        mlkem_part, x_part = self.raw[:_MLKEM_PUBLIC_BYTES], self.raw[_MLKEM_PUBLIC_BYTES:]
        return hpke.MLKEM768X25519PublicKey(
            mlkem.MLKEM768PublicKey.from_public_bytes(mlkem_part),
            x25519.X25519PublicKey.from_public_bytes(x_part),
        )

    def dumps(self) -> str:
        return f"{self.version}:{self.suite.value}:{_b64encode(self.raw)}"


@dataclass(frozen=True)
class IntakePrivateKey:
    suite: IntakeSuite
    raw: bytes = field(repr=False)
    version: int = 1

    @classmethod
    def generate(cls, suite: IntakeSuite | None = None, *, version: int = 1) -> "IntakePrivateKey":
        suite = suite or IntakeSuite.best_available()
        x_raw = x25519.X25519PrivateKey.generate().private_bytes_raw()
        if suite is IntakeSuite.X25519:
            return cls(suite, x_raw, version)
        seed = mlkem.MLKEM768PrivateKey.generate().private_bytes_raw()
        return cls(suite, seed + x_raw, version)

    def _parts(self):
        if self.suite is IntakeSuite.X25519:
            return None, x25519.X25519PrivateKey.from_private_bytes(self.raw)
        seed, x_raw = self.raw[:_MLKEM_SEED_BYTES], self.raw[_MLKEM_SEED_BYTES:]
        return (
            mlkem.MLKEM768PrivateKey.from_seed_bytes(seed),
            x25519.X25519PrivateKey.from_private_bytes(x_raw),
        )

    def hpke_key(self):
        mlkem_key, x_key = self._parts()
        if mlkem_key is None:
            return x_key
        return hpke.MLKEM768X25519PrivateKey(mlkem_key, x_key)

    def public_key(self) -> IntakePublicKey:
        mlkem_key, x_key = self._parts()
        x_public = x_key.public_key().public_bytes_raw()
        if mlkem_key is None:
            return IntakePublicKey(self.suite, x_public, self.version)
        return IntakePublicKey(
            self.suite, mlkem_key.public_key().public_bytes_raw() + x_public, self.version
        )

    def dumps(self) -> str:
        """Without the version: a key file's name carries it."""
        return f"{self.suite.value}:{_b64encode(self.raw)}"


def _load_intake(text: str, what: str, cls, *, version: int | None = None):
    """Parse "[<version>:]<suite>:<base64>"; no version in the text means ``version`` or 1."""
    text = text.strip()
    head, sep, rest = text.partition(":")
    if sep and head.isdigit():
        version, text = int(head), rest
    version = 1 if version is None else version
    if not 0 < version < 2**32:
        raise KeyConfigurationError(f"{what}: intake key versions are whole numbers from 1.")
    suite_name, sep, encoded = text.partition(":")
    if not sep:
        raise KeyConfigurationError(f"{what} must look like '<version>:<suite>:<base64>'.")
    try:
        suite = IntakeSuite(suite_name)
    except ValueError:
        raise KeyConfigurationError(f"{what} names an unknown suite.") from None
    raw = _b64decode(encoded, what)
    expected = {
        (IntakePrivateKey, IntakeSuite.X25519): _X25519_BYTES,
        (IntakePrivateKey, IntakeSuite.MLKEM768_X25519): _MLKEM_SEED_BYTES + _X25519_BYTES,
        (IntakePublicKey, IntakeSuite.X25519): _X25519_BYTES,
        (IntakePublicKey, IntakeSuite.MLKEM768_X25519): _MLKEM_PUBLIC_BYTES + _X25519_BYTES,
    }[cls, suite]
    if len(raw) != expected:
        raise KeyConfigurationError(f"{what} has the wrong length for {suite.value}.")
    return cls(suite, raw, version)


# --- Providers ----------------------------------------------------------------------------------


class KeyProvider:
    """What the rest of clemency.security needs from a key store."""

    def current_kek_version(self) -> int:
        raise NotImplementedError

    def kek_versions(self) -> list[int]:
        raise NotImplementedError

    def wrap_key(self, key: bytes, *, associated_data: bytes, version: int | None = None) -> bytes:
        """Encrypt ``key`` under the KEK ``version`` (default: the current one)."""
        raise NotImplementedError

    def unwrap_key(self, wrapped: bytes, *, associated_data: bytes, version: int) -> bytes:
        raise NotImplementedError

    def index_key(self) -> bytes:
        raise NotImplementedError

    def audit_key(self) -> bytes:
        raise NotImplementedError

    def intake_public_key(self) -> IntakePublicKey:
        """The public key the intake seals new submissions to."""
        raise NotImplementedError

    def intake_private_versions(self) -> list[int]:
        raise NotImplementedError

    def intake_private_key(self, version: int | None = None) -> IntakePrivateKey:
        """The intake private key ``version`` (default: the newest)."""
        raise NotImplementedError


class LocalKeyProvider(KeyProvider):
    """Keys held in process memory; KEK operations are AES-256-GCM."""

    def __init__(
        self,
        *,
        keks: dict[int, bytes],
        index_key: bytes | None = None,
        audit_key: bytes | None = None,
        intake_private: IntakePrivateKey | list[IntakePrivateKey] | None = None,
        intake_public: IntakePublicKey | None = None,
    ) -> None:
        for version, key in keks.items():
            if not 0 < version < 2**32:
                raise KeyConfigurationError("KEK versions are whole numbers from 1.")
            _symmetric(key, f"KEK {version}")
        if index_key is not None:
            _symmetric(index_key, "The blind-index key")
        if audit_key is not None:
            _symmetric(audit_key, "The audit key")
        if isinstance(intake_private, IntakePrivateKey):
            intake_private = [intake_private]
        privates = {key.version: key for key in intake_private or ()}
        if len(privates) != len(intake_private or ()):
            raise KeyConfigurationError("Two intake private keys have the same version.")
        if privates and intake_public:
            # The staff side must be able to open whatever is sealed to the published key.
            matching = privates.get(intake_public.version)
            if matching is None:
                raise KeyConfigurationError(
                    f"The intake public key is version {intake_public.version}, but its private "
                    "key is not here."
                )
            if matching.public_key() != intake_public:
                raise KeyConfigurationError("The intake public key does not match the private key.")
        self._keks = dict(keks)
        self._index_key = index_key
        self._audit_key = audit_key
        self._intake_private = privates
        self._intake_public = intake_public or (
            privates[max(privates)].public_key() if privates else None
        )

    def __repr__(self) -> str:
        return f"<LocalKeyProvider KEK versions {self.kek_versions()}>"

    def kek_versions(self) -> list[int]:
        return sorted(self._keks)

    def current_kek_version(self) -> int:
        if not self._keks:
            raise KeyNotAvailable("No key-encryption key is configured.")
        return max(self._keks)

    def _kek(self, version: int) -> AESGCM:
        try:
            return AESGCM(self._keks[version])
        except KeyError:
            raise KeyNotAvailable(f"KEK version {version} is not available.") from None

    def wrap_key(self, key: bytes, *, associated_data: bytes, version: int | None = None) -> bytes:
        version = self.current_kek_version() if version is None else version
        nonce = secrets.token_bytes(NONCE_BYTES)
        ad = associated_data + struct.pack(">I", version)
        return nonce + self._kek(version).encrypt(nonce, key, ad)

    def unwrap_key(self, wrapped: bytes, *, associated_data: bytes, version: int) -> bytes:
        nonce, ciphertext = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
        ad = associated_data + struct.pack(">I", version)
        try:
            return self._kek(version).decrypt(nonce, ciphertext, ad)
        except InvalidTag:
            raise DecryptionError("A wrapped key failed to decrypt.") from None

    def index_key(self) -> bytes:
        if self._index_key is None:
            raise KeyNotAvailable("No blind-index key is configured.")
        return self._index_key

    def audit_key(self) -> bytes:
        if self._audit_key is None:
            raise KeyNotAvailable("No audit key is configured.")
        return self._audit_key

    def intake_public_key(self) -> IntakePublicKey:
        if self._intake_public is None:
            raise KeyNotAvailable("No intake public key is configured.")
        return self._intake_public

    def intake_private_versions(self) -> list[int]:
        return sorted(self._intake_private)

    def intake_private_key(self, version: int | None = None) -> IntakePrivateKey:
        if not self._intake_private:
            raise KeyNotAvailable("No intake private key is configured here.")
        version = max(self._intake_private) if version is None else version
        try:
            return self._intake_private[version]
        except KeyError:
            raise KeyNotAvailable(
                f"Intake private key version {version} is not available."
            ) from None


# --- The key directory --------------------------------------------------------------------------

_KEK_DIR = "kek"


def _read_secret_file(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyConfigurationError(f"{path} is readable by others: chmod 600 it.")
    return path.read_text(encoding="ascii")


def _write_secret_file(path: Path, text: str) -> None:
    """A new key file, on disk for certain before anything is stored under it: a crash must not
    leave case keys wrapped under a KEK whose file is empty."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def kek_path(directory: Path, version: int) -> Path:
    return directory / _KEK_DIR / f"{version:04d}.key"


_INTAKE_DIR = "intake"
_LEGACY_INTAKE_KEY = "intake.key"
PUBLIC_KEY_FILE = "intake.pub"


def intake_key_path(directory: Path, version: int) -> Path:
    return Path(directory) / _INTAKE_DIR / f"{version:04d}.key"


def _intake_key_paths(directory: Path) -> dict[int, Path]:
    paths = {}
    legacy = directory / _LEGACY_INTAKE_KEY
    if legacy.exists():
        paths[1] = legacy
    for path in sorted((directory / _INTAKE_DIR).glob("*.key")):
        try:
            version = int(path.stem)
        except ValueError:
            raise KeyConfigurationError(
                f"{path.name}: intake key files are named NNNN.key."
            ) from None
        if version in paths:
            raise KeyConfigurationError(
                f"Intake key version {version} is both {_LEGACY_INTAKE_KEY} and {path}: keep one."
            )
        paths[version] = path
    return paths


def load_public_key(path: Path) -> IntakePublicKey:
    return _load_intake(Path(path).read_text(encoding="ascii"), Path(path).name, IntakePublicKey)


def load_directory(directory: Path) -> LocalKeyProvider:
    directory = Path(directory)
    if not directory.is_dir():
        raise KeyNotAvailable(
            f"Key directory {directory} does not exist: run `manage.py keys init`."
        )
    keks = {}
    for path in sorted((directory / _KEK_DIR).glob("*.key")):
        try:
            version = int(path.stem)
        except ValueError:
            raise KeyConfigurationError(f"{path.name}: KEK files are named NNNN.key.") from None
        keks[version] = _symmetric(_b64decode(_read_secret_file(path), path.name), path.name)
    index = directory / "index.key"
    audit = directory / "audit.key"
    public = directory / PUBLIC_KEY_FILE
    return LocalKeyProvider(
        keks=keks,
        index_key=_symmetric(_b64decode(_read_secret_file(index), "index.key"), "index.key")
        if index.exists()
        else None,
        audit_key=_symmetric(_b64decode(_read_secret_file(audit), "audit.key"), "audit.key")
        if audit.exists()
        else None,
        intake_private=[
            _load_intake(_read_secret_file(path), path.name, IntakePrivateKey, version=version)
            for version, path in _intake_key_paths(directory).items()
        ],
        intake_public=load_public_key(public) if public.exists() else None,
    )


def init_directory(directory: Path, *, suite: IntakeSuite | None = None) -> list[Path]:
    """Create a complete key set; refuse to overwrite anything. Returns the files written."""
    directory = Path(directory)
    if (directory / _KEK_DIR).exists() or (directory / "index.key").exists():
        raise KeyConfigurationError(f"{directory} already holds keys.")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    private = IntakePrivateKey.generate(suite)
    files = {
        kek_path(directory, 1): _b64encode(random_key()),
        directory / "index.key": _b64encode(random_key()),
        directory / "audit.key": _b64encode(random_key()),
        intake_key_path(directory, 1): private.dumps(),
    }
    for path, text in files.items():
        _write_secret_file(path, text)
    return [*files, publish_public_key(private.public_key(), directory / PUBLIC_KEY_FILE)]


def kek_created(directory: Path, version: int) -> float:
    """When KEK `version` was added to the key directory (its file's modification time)."""
    return kek_path(Path(directory), version).stat().st_mtime


def intake_key_created(directory: Path, version: int) -> float:
    """When intake key pair `version` was made (its private key file's modification time)."""
    return _intake_key_paths(Path(directory))[version].stat().st_mtime


@dataclass(frozen=True)
class KeyAge:
    """One KEK or intake private key in the directory: when it was made, and whether it is the
    newest of its kind (the one in use) or an older one waiting to be retired."""

    kind: str  # "kek" or "intake"
    version: int
    made: float  # its file's modification time (copy key directories with cp -a)
    newest: bool


def key_ages(directory: Path) -> list[KeyAge]:
    directory = Path(directory)
    provider = load_directory(directory)
    ages = []
    for kind, versions, made in (
        ("kek", provider.kek_versions(), kek_created),
        ("intake", provider.intake_private_versions(), intake_key_created),
    ):
        for version in versions:
            ages.append(KeyAge(kind, version, made(directory, version), version == max(versions)))
    return ages


def add_missing(directory: Path) -> list[Path]:
    """Bring a key set made by an older release up to date: add the audit key, move the single
    intake private key into the versioned layout, write the public key with its version.
    Returns the files written."""
    directory = Path(directory)
    written = []
    audit = directory / "audit.key"
    if not audit.exists():
        _write_secret_file(audit, _b64encode(random_key()))
        written.append(audit)
    legacy = directory / _LEGACY_INTAKE_KEY
    if legacy.exists() and not intake_key_path(directory, 1).exists():
        target = intake_key_path(directory, 1)
        target.parent.mkdir(mode=0o700, exist_ok=True)
        os.replace(legacy, target)  # same file system: a rename, the key is never copied
        written.append(target)
    public = directory / PUBLIC_KEY_FILE
    if public.exists() and not public.read_text(encoding="ascii").split(":", 1)[0].isdigit():
        written.append(publish_public_key(load_public_key(public), public))
    return written


def add_kek(directory: Path) -> int:
    """Add a new KEK, one version above the highest; it becomes the current one."""
    versions = load_directory(directory).kek_versions()
    version = (max(versions) if versions else 0) + 1
    _write_secret_file(kek_path(Path(directory), version), _b64encode(random_key()))
    return version


def remove_kek(directory: Path, version: int) -> None:
    """Delete a retired KEK file. The caller checks that nothing is wrapped under it."""
    provider = load_directory(directory)
    if version not in provider.kek_versions():
        raise KeyNotAvailable(f"KEK version {version} is not in {directory}.")
    if version == provider.current_kek_version():
        raise KeyConfigurationError("The current KEK cannot be retired; rotate first.")
    kek_path(Path(directory), version).unlink()


def publish_public_key(public: IntakePublicKey, path: Path) -> Path:
    """Replace the public key file at ``path`` in one step (a reader sees the old file or the
    new one, never half of either). It is not secret: mode 0644."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(public.dumps() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_directory(path.parent)
    return path


def write_secret_text(text: str, path: Path) -> None:
    """Write a new file of mode 0600 (FileExistsError if one is there)."""
    _write_secret_file(Path(path), text)


def read_secret_text(path: Path) -> str:
    """Read a file that must be private to its owner (mode 0600)."""
    return _read_secret_file(Path(path))


def parse_private_key(text: str, what: str = "The private key") -> IntakePrivateKey:
    return _load_intake(text, what, IntakePrivateKey)


def export_public_key(public: IntakePublicKey, path: Path) -> bool:
    """Publish ``public`` at ``path`` unless it is there already; True if it was written."""
    try:
        if load_public_key(path) == public:
            return False
    except (OSError, KeyConfigurationError):
        pass
    publish_public_key(public, path)
    return True


def add_intake_key(directory: Path) -> IntakePrivateKey:
    """Make intake key pair version N+1 and keep its private key. It is not published (sealed
    to) until ``publish_public_key``: the private key is always in place first."""
    versions = list(_intake_key_paths(Path(directory)))
    private = IntakePrivateKey.generate(version=(max(versions) if versions else 0) + 1)
    _write_secret_file(intake_key_path(directory, private.version), private.dumps())
    return private


def remove_intake_key(directory: Path, version: int) -> None:
    """Delete a retired intake private key. The caller checks that no unopened submission is
    sealed to it and that no intake process still seals to it."""
    provider = load_directory(directory)
    if version not in provider.intake_private_versions():
        raise KeyNotAvailable(f"Intake key version {version} is not in {directory}.")
    if version == provider.intake_public_key().version:
        raise KeyConfigurationError("The published intake key cannot be retired; rotate first.")
    _intake_key_paths(Path(directory))[version].unlink()


def load_environment() -> LocalKeyProvider:
    from clemency.env import env_str

    keks = {}
    for item in env_str("KEKS", "").split(","):
        if not item.strip():
            continue
        version, sep, encoded = item.strip().partition(":")
        if not sep or not version.isdigit():
            raise KeyConfigurationError("KEKS must look like '1:<base64>,2:<base64>'.")
        keks[int(version)] = _b64decode(encoded, f"KEK {version}")
    index = env_str("BLIND_INDEX_KEY", None)
    audit = env_str("AUDIT_KEY", None)
    private = env_str("INTAKE_PRIVATE_KEY", "")
    public = env_str("INTAKE_PUBLIC_KEY", None)
    return LocalKeyProvider(
        keks=keks,
        index_key=_b64decode(index, "BLIND_INDEX_KEY") if index else None,
        audit_key=_b64decode(audit, "AUDIT_KEY") if audit else None,
        intake_private=[
            _load_intake(item, "INTAKE_PRIVATE_KEY", IntakePrivateKey)
            for item in private.split(",")
            if item.strip()
        ],
        intake_public=_load_intake(public, "INTAKE_PUBLIC_KEY", IntakePublicKey)
        if public
        else None,
    )
