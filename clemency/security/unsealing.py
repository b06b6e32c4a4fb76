"""Staff side only: open a sealed data key with the intake private key (format: sealing.py).

The public intake never imports this module (tests/security/test_isolation.py checks); a
deployment with SITE_ROLE=intake does not even hold the private key.
"""

from uuid import UUID

from cryptography.exceptions import InvalidTag

from clemency.security.drafts import reply_seal_context
from clemency.security.errors import DecryptionError
from clemency.security.keys import KEY_BYTES, IntakePrivateKey
from clemency.security.provider import get_provider
from clemency.security.sealing import hpke_suite, seal_info, sealed_header


def unseal_key(blob: bytes, private_key: IntakePrivateKey, *, context: bytes) -> bytes:
    header = sealed_header(blob)
    if header.suite is not private_key.suite or header.key_version != private_key.version:
        raise DecryptionError("A sealed key was sealed to a different intake key.")
    try:
        key = hpke_suite(header.suite).decrypt(
            blob[header.size :],
            private_key.hpke_key(),
            info=seal_info(blob[: header.size], context),
        )
    except (InvalidTag, ValueError):
        raise DecryptionError("A sealed key failed to open.") from None
    if len(key) != KEY_BYTES:
        raise DecryptionError("A sealed key has the wrong length.")
    return key


def unseal_draft_key(sealed: bytes, *, draft_id: UUID) -> bytes:
    """Open a submission's data key with the intake private key it was sealed to."""
    private_key = get_provider().intake_private_key(sealed_header(sealed).key_version)
    return unseal_key(sealed, private_key, context=draft_id.bytes)


def unseal_reply_key(sealed: bytes, *, reply_id: UUID, draft_id: UUID) -> bytes:
    """Open the data key of an applicant's reply (sent from the status page)."""
    private_key = get_provider().intake_private_key(sealed_header(sealed).key_version)
    context = reply_seal_context(reply_id=reply_id, draft_id=draft_id)
    return unseal_key(sealed, private_key, context=context)
