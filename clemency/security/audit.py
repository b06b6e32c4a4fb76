"""The audit chain's seal: HMAC-SHA256 under the audit key, which is never in the database.

A chain of plain hashes proves order and completeness only against someone who cannot write the
table: whoever can (a database administrator, a stolen backup restored and edited) can change an
event and recompute every hash after it. Keyed, the chain cannot be recomputed without the audit
key, which lives with the other keys (clemency/security/keys.py), outside the database.
"""

import hashlib
import hmac

from clemency.security.provider import get_provider

_CONTEXT = b"clemency/audit-chain/v1|"


def chain_mac(content: bytes) -> str:
    """The hex HMAC of one event's canonical content (which includes the previous MAC)."""
    key = get_provider().audit_key()
    return hmac.new(key, _CONTEXT + content, hashlib.sha256).hexdigest()


def same(first: str, second: str) -> bool:
    return hmac.compare_digest(first.encode(), second.encode())
