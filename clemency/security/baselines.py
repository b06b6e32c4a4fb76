"""Reference points for `make bench` only: what field encryption is compared against.

- bare AES-256-GCM with no header or associated data: the lower limit of any AEAD field format;
- Fernet (AES-128-CBC + HMAC-SHA256, base64): what the common Django field-encryption packages
  use.
Not used by the application.
"""

import secrets

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class BareAESGCM:
    def __init__(self) -> None:
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))

    def encrypt(self, data: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + self._aead.encrypt(nonce, data, None)

    def decrypt(self, blob: bytes) -> bytes:
        return self._aead.decrypt(blob[:12], blob[12:], None)


class FernetBaseline:
    def __init__(self) -> None:
        self._fernet = Fernet(Fernet.generate_key())

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, blob: bytes) -> bytes:
        return self._fernet.decrypt(blob)
