"""Run Python in a fresh process with a chosen environment, to test settings as they load."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = {
    "DJANGO_ENV",
    "DJANGO_DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "KEY_DIR",
    "KEY_SOURCE",
}


def clean_environ() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OURS and not k.endswith("_FILE")}
    env["DJANGO_SETTINGS_MODULE"] = "clemency.settings"
    return env


def production_environ(tmp_path: Path, **overrides: str) -> dict[str, str]:
    from clemency.security.keys import init_directory

    keys = tmp_path / "keys"
    if not keys.exists():
        init_directory(keys)
    env = clean_environ()
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="p" * 60 + "-not-a-real-secret-but-long-and-random-enough-9f8e7d",
        ALLOWED_HOSTS="pardon.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        KEY_DIR=str(keys),
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run(["-c", code], env)
