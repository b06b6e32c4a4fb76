"""Typed access to the process environment for settings.

Every helper accepts ``NAME`` or ``NAME_FILE`` (a path whose contents are the value, as Docker
and Kubernetes secrets provide). A helper called without a default makes the variable required:
a missing value stops start-up with ImproperlyConfigured instead of running with an unsafe
fallback.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

__all__ = ["NAMES", "env_bool", "env_int", "env_list", "env_str"]


class _Missing:
    def __repr__(self) -> str:
        return "<required>"


REQUIRED = _Missing()

# Every variable name the settings asked for; the docker-compose test compares against it.
NAMES: set[str] = set()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    NAMES.add(name)
    path = os.environ.get(f"{name}_FILE")
    if path:
        if name in os.environ:
            raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
        try:
            return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE: cannot read {path} ({exc.strerror})."
            ) from exc
    return os.environ.get(name)


def _missing(name: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name} is required: set {name} or {name}_FILE.")


def env_str[T](name: str, default: str | T | _Missing = REQUIRED) -> str | T:
    value = _raw(name)
    if value is not None and value != "":
        return value
    if isinstance(default, _Missing):
        raise _missing(name)
    return default


def env_bool(name: str, default: bool | _Missing = REQUIRED) -> bool:
    """An empty value counts as unset, so that `${VAR:-}` in compose keeps the safe default."""
    value = _raw(name)
    if value is None or value.strip() == "":
        if isinstance(default, _Missing):
            raise _missing(name)
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no, on/off).")


def env_int(name: str, default: int | _Missing = REQUIRED) -> int:
    value = _raw(name)
    if value is None or value == "":
        if isinstance(default, _Missing):
            raise _missing(name)
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from None


def env_list(name: str, default: list[str] | _Missing = REQUIRED) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    value = _raw(name)
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    if items:
        return items
    if isinstance(default, _Missing):
        raise _missing(name)
    return list(default)
