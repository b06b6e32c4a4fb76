"""Encryption at rest (DESIGN.md §4, §5, §8; SECURITY.md).

The only package in the project that imports ``cryptography`` or handles key material. Everything
else asks it to encrypt or decrypt and never sees a key.

- keys.py         key providers: versioned KEKs, the blind-index key, the intake key pair
- envelope.py     per-case data keys wrapped under a KEK; field values under a data key
- streaming.py    segmented streaming encryption for documents
- storage.py      encrypted documents over any Django storage (disk, S3); the upload handler
- fields.py       encrypted model fields; casekeys.py the per-request case-key cache
- sealing.py      sealing a draft's key to the intake public key (HPKE); resume-code wrapping;
                  all the public intake may use
- unsealing.py    opening a sealed key with the intake private key (staff side only)
- blind_index.py  truncated HMACs for possible-duplicate lookups
"""
