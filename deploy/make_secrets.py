"""Write the secret files docker-compose.yml reads, once, consistently.

    .venv/bin/python deploy/make_secrets.py [DIRECTORY]     # default ./secrets

It needs only Python's standard library. The encryption keys are not here: the migrate job
makes them in the `keys` volume (docker-compose.yml).

Existing files are kept, so running it again is harmless. The directory is private to its owner
(0700); the files are 0644 inside it because the containers read them as their own users.
"""

import json
import secrets
import sys
from pathlib import Path


def _write(directory: Path, name: str, value: str) -> None:
    path = directory / name
    if not path.exists():
        path.write_text(value + "\n", encoding="utf-8")
        path.chmod(0o644)
        print(f"wrote {path}")


def _read(directory: Path, name: str) -> str:
    return (directory / name).read_text(encoding="utf-8").strip()


def make_secrets(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    _write(directory, "django_secret_key", secrets.token_urlsafe(64))
    _write(directory, "intake_secret_key", secrets.token_urlsafe(64))
    # Three database roles (SECURITY.md): the owner runs migrations; the staff site and the
    # worker connect as pardon_app; the public intake as pardon_intake.
    _write(directory, "postgres_password", secrets.token_urlsafe(32))
    _write(directory, "app_db_password", secrets.token_urlsafe(32))
    _write(directory, "intake_db_password", secrets.token_urlsafe(32))
    for name, role, password_file in (
        ("owner_database_url", "pardon", "postgres_password"),
        ("database_url", "pardon_app", "app_db_password"),
        ("intake_database_url", "pardon_intake", "intake_db_password"),
    ):
        password = _read(directory, password_file)
        _write(directory, name, f"postgres://{role}:{password}@db:5432/pardon")
    _write(directory, "s3_access_key_id", "pardon" + secrets.token_hex(8))
    _write(directory, "s3_secret_access_key", secrets.token_urlsafe(32))
    access_key = _read(directory, "s3_access_key_id")
    secret_key = _read(directory, "s3_secret_access_key")
    config = {
        "identities": [
            {
                "name": "pardon-app",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Read", "Write", "List", "Tagging", "Admin"],
            }
        ]
    }
    _write(directory, "seaweedfs_s3_config", json.dumps(config, indent=2))
    # Empty until an SMTP password is needed; the settings treat empty as none.
    _write(directory, "email_host_password", "")
    # No encryption keys here: the migrate job makes them in the `keys` volume and the scheduler
    # rotates them (docker-compose.yml, ADR 0015); backups carry them (ADR 0016).


if __name__ == "__main__":
    make_secrets(Path(sys.argv[1] if len(sys.argv) > 1 else "secrets"))
