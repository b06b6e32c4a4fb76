"""Case keys as the models see them: issue, adopt, unwrap (cached per request), re-wrap, shred.

A case-like object has ``pk`` (UUID), ``kek_version``, ``wrapped_key`` (bytes, or None once
shredded) and ``data_key_version``. Unwrapped keys are cached only inside ``key_scope()``: one
per request (CaseKeyScopeMiddleware) or per command/task, and emptied when the scope ends.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from uuid import UUID

from clemency.security.envelope import (
    WrappedKey,
    derive_field_key,
    rewrap_case_key,
    unwrap_case_key,
    wrap_case_key,
)
from clemency.security.errors import KeyNotAvailable
from clemency.security.keys import random_key
from clemency.security.provider import get_provider, reload_provider


class CaseKeyShredded(KeyNotAvailable):
    """The case's key was deleted: its encrypted data is gone for good."""


@dataclass(frozen=True)
class CaseKey:
    key: bytes = field(repr=False)
    version: int
    field_key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_key", derive_field_key(self.key))


_scope: ContextVar[dict[UUID, CaseKey] | None] = ContextVar("case_keys", default=None)


@contextmanager
def key_scope() -> Iterator[None]:
    cache: dict[UUID, CaseKey] = {}
    token = _scope.set(cache)
    try:
        yield
    finally:
        cache.clear()
        _scope.reset(token)


def _remember(case_id: UUID, key: CaseKey) -> CaseKey:
    cache = _scope.get()
    if cache is not None:
        cache[case_id] = key
    return key


def adopt_case_key(case, key: bytes) -> None:
    """Make ``key`` the case's data key (a submitted draft's key becomes its case's key)."""
    wrapped = wrap_case_key(key, case_id=case.pk, provider=get_provider())
    case.kek_version, case.wrapped_key, case.data_key_version = (
        wrapped.kek_version,
        wrapped.ciphertext,
        1,
    )
    _remember(case.pk, CaseKey(key, 1))


def issue_case_key(case) -> None:
    """Give a new case a fresh random data key."""
    adopt_case_key(case, random_key())


def case_key(case) -> CaseKey:
    cache = _scope.get()
    if cache is not None and case.pk in cache:
        return cache[case.pk]
    if case.wrapped_key is None:
        raise CaseKeyShredded("This case has been shredded.")
    wrapped = WrappedKey(case.kek_version, bytes(case.wrapped_key))
    provider = get_provider()
    if case.kek_version not in provider.kek_versions():
        provider = reload_provider()  # re-wrapped elsewhere under a KEK this process lacks
    key = unwrap_case_key(wrapped, case_id=case.pk, provider=provider)
    return _remember(case.pk, CaseKey(key, case.data_key_version))


def rewrap(case) -> bool:
    """Re-wrap under the current KEK; False if it already was (or the case is shredded)."""
    provider = get_provider()
    if case.wrapped_key is None or case.kek_version == provider.current_kek_version():
        return False
    wrapped = rewrap_case_key(
        WrappedKey(case.kek_version, bytes(case.wrapped_key)), case_id=case.pk, provider=provider
    )
    case.kek_version, case.wrapped_key = wrapped.kek_version, wrapped.ciphertext
    return True


def shred(case) -> None:
    """Delete the wrapped key from the object (the caller saves it) and from this scope."""
    case.wrapped_key = None
    cache = _scope.get()
    if cache is not None:
        cache.pop(case.pk, None)
