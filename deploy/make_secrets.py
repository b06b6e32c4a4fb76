"""Write the secret files docker-compose.yml reads, once, consistently. Standard library only.

    python3 deploy/make_secrets.py [DIRECTORY]     # default ./secrets

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
    _write(directory, "postgres_password", secrets.token_urlsafe(32))
    password = _read(directory, "postgres_password")
    _write(directory, "database_url", f"postgres://pardon:{password}@db:5432/pardon")
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


if __name__ == "__main__":
    make_secrets(Path(sys.argv[1] if len(sys.argv) > 1 else "secrets"))
