"""Staff side only: open a submitted draft's sealed data key with the intake private key.

The public intake never imports this module (a test checks); a deployment with SITE_ROLE=intake
does not even hold the private key.
"""

from uuid import UUID

from clemency.security.provider import get_provider
from clemency.security.sealing import unseal_key


def unseal_draft_key(sealed: bytes, *, draft_id: UUID) -> bytes:
    return unseal_key(sealed, get_provider().intake_private_key(), context=draft_id.bytes)
