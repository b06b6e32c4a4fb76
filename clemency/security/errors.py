class SecurityError(Exception):
    """Base class. Messages never contain key material or plaintext."""


class DecryptionError(SecurityError):
    """Ciphertext was tampered with, moved, truncated, or the key is wrong."""


class KeyNotAvailable(SecurityError):
    """A key the operation needs is not configured (or has been retired)."""


class KeyConfigurationError(SecurityError):
    """Key material is present but malformed or inconsistent."""
