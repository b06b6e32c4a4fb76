"""The configured key provider, and the keys each kind of process must hold.

The provider is reloaded every KEY_RELOAD_SECONDS, and at once when a case key names a KEK this
process has not loaded: after `keys rotate` (in another process), every running process starts
wrapping under the new KEK within that time and can read what others re-wrapped immediately.
"""

import threading
import time

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from clemency.security.errors import SecurityError
from clemency.security.keys import KeyProvider, load_directory, load_environment

ROLES = {"all", "intake", "staff"}


_lock = threading.Lock()
_loaded: tuple[float, KeyProvider] | None = None


def _load() -> KeyProvider:
    if settings.KEY_SOURCE == "environment":
        return load_environment()
    if settings.KEY_SOURCE == "directory":
        return load_directory(settings.KEY_DIR)
    raise SecurityError("KEY_SOURCE must be 'directory' or 'environment'.")


def get_provider() -> KeyProvider:
    global _loaded
    with _lock:
        if _loaded is None or time.monotonic() - _loaded[0] >= settings.KEY_RELOAD_SECONDS:
            _loaded = (time.monotonic(), _load())
        return _loaded[1]


def reload_provider() -> KeyProvider:
    forget_provider()
    return get_provider()


def forget_provider() -> None:
    global _loaded
    with _lock:
        _loaded = None


@receiver(setting_changed)
def _forget_provider(*, setting: str, **kwargs) -> None:
    if setting in {"KEY_SOURCE", "KEY_DIR", "KEY_RELOAD_SECONDS"}:
        forget_provider()


def check_keys() -> list[str]:
    """What is missing for this process's SITE_ROLE; an empty list when all is in place."""
    role = settings.SITE_ROLE
    if role not in ROLES:
        return [f"SITE_ROLE must be one of {sorted(ROLES)}."]
    forget_provider()
    try:
        provider = get_provider()
    except SecurityError as exc:
        return [str(exc)]
    needed = {"intake public key": provider.intake_public_key}
    if role in {"all", "staff"}:
        needed |= {
            "key-encryption key": provider.current_kek_version,
            "blind-index key": provider.index_key,
            "audit key": provider.audit_key,
            "intake private key": provider.intake_private_key,
        }
    problems = []
    for name, get in needed.items():
        try:
            get()
        except SecurityError:
            problems.append(f"no {name} is configured.")
    if role == "intake":
        # The internet-facing process must hold nothing that decrypts: a flaw in it then
        # exposes no case and no sent application.
        forbidden = {
            "a key-encryption key": provider.current_kek_version,
            "the blind-index key": provider.index_key,
            "the audit key": provider.audit_key,
            "the intake private key": provider.intake_private_key,
        }
        for name, get in forbidden.items():
            try:
                get()
            except SecurityError:
                continue
            problems.append(
                f"the public intake (SITE_ROLE=intake) can read {name}; give it only the "
                "intake public key."
            )
    return problems
