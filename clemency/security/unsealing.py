"""Staff side only: open a sealed data key with the intake private key (format: sealing.py).

The public intake never imports this module (tests/security/test_isolation.py checks); a
deployment with SITE_ROLE=intake does not even hold the private key.
"""

from uuid import UUID

from cryptography.exceptions import InvalidTag

from clemency.security.errors import DecryptionError
from clemency.security.keys import KEY_BYTES, IntakePrivateKey
from clemency.security.provider import get_provider
from clemency.security.sealing import SEAL_HEADER_SIZE, hpke_suite, seal_info, sealed_suite


def unseal_key(blob: bytes, private_key: IntakePrivateKey, *, context: bytes) -> bytes:
    suite = sealed_suite(blob)
    if suite is not private_key.suite:
        raise DecryptionError("A sealed key was sealed to a different kind of intake key.")
    header, sealed = blob[:SEAL_HEADER_SIZE], blob[SEAL_HEADER_SIZE:]
    try:
        key = hpke_suite(suite).decrypt(
            sealed, private_key.hpke_key(), info=seal_info(header, context)
        )
    except (InvalidTag, ValueError):
        raise DecryptionError("A sealed key failed to open.") from None
    if len(key) != KEY_BYTES:
        raise DecryptionError("A sealed key has the wrong length.")
    return key


def unseal_draft_key(sealed: bytes, *, draft_id: UUID) -> bytes:
    return unseal_key(sealed, get_provider().intake_private_key(), context=draft_id.bytes)
