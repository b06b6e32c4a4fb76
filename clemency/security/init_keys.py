"""Make the key set if there is none: python -m clemency.security.init_keys

A production process refuses to start without the keys its role needs (apps.py), so the very
first start of a deployment cannot make them through Django: this runs without settings, from
the environment alone. KEY_DIR (required): the key directory; INTAKE_PUBLIC_KEY_EXPORT
(optional): where the public intake reads the intake public key. Idempotent: an existing key
set is only brought up to date (``add_missing``) and the public key exported again if stale.
`manage.py keys init --if-missing` does the same.
"""

import os
import sys
from pathlib import Path

from clemency.security import keys
from clemency.security.errors import SecurityError


def ensure_key_set(directory: Path, export: str | None = None) -> list[str]:
    """Create or complete the key set; returns what was done, one line each."""
    directory = Path(directory)
    done = []
    if (directory / "index.key").exists():
        added = keys.add_missing(directory)
        if added:
            done.append(f"Updated the key set in {directory}: {', '.join(p.name for p in added)}.")
    else:
        written = keys.init_directory(directory)
        done.append(f"Created {len(written)} key files in {directory} (mode 0600).")
    if export:
        public = keys.load_directory(directory).intake_public_key()
        if keys.export_public_key(public, export):
            done.append(f"Published intake public key {public.version} to {export}.")
    return done


def main() -> int:
    directory = os.environ.get("KEY_DIR")
    if not directory:
        print("KEY_DIR is required.", file=sys.stderr)
        return 2
    try:
        done = ensure_key_set(Path(directory), os.environ.get("INTAKE_PUBLIC_KEY_EXPORT") or None)
    except SecurityError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print("\n".join(done) or f"The key set in {directory} is complete.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
