import uuid

import pytest

from clemency.security.errors import DecryptionError
from clemency.security.keys import IntakePrivateKey, IntakeSuite, random_key
from clemency.security.sealing import (
    SEAL_MAGIC,
    Argon2Parameters,
    hpke_suite,
    seal_info,
    seal_key,
    sealed_header,
    unwrap_with_code,
    wrap_with_code,
)
from clemency.security.unsealing import unseal_key

DRAFT = uuid.uuid4().bytes
FAST = Argon2Parameters(iterations=1, lanes=1, memory_kib=1024)


@pytest.mark.parametrize("suite", list(IntakeSuite))
def test_seal_and_unseal(suite):
    private = IntakePrivateKey.generate(suite)
    key = random_key()
    blob = seal_key(key, private.public_key(), context=DRAFT)
    assert sealed_header(blob).suite is suite
    assert unseal_key(blob, private, context=DRAFT) == key


def test_a_sealed_key_names_the_intake_key_version_it_needs():
    private = IntakePrivateKey.generate(version=7)
    blob = seal_key(random_key(), private.public_key(), context=DRAFT)
    assert sealed_header(blob).key_version == 7
    same_bytes_other_version = IntakePrivateKey(private.suite, private.raw, version=8)
    with pytest.raises(DecryptionError):
        unseal_key(blob, same_bytes_other_version, context=DRAFT)


def test_the_key_version_in_the_header_is_bound_to_the_ciphertext():
    """Relabelling a blob for another key version (to keep a retired key's blobs looking
    current, say) breaks it, even for a private key with the same bytes."""
    private = IntakePrivateKey.generate(version=1)
    blob = bytearray(seal_key(random_key(), private.public_key(), context=DRAFT))
    blob[9:13] = (2).to_bytes(4, "big")
    relabelled = IntakePrivateKey(private.suite, private.raw, version=2)
    assert sealed_header(bytes(blob)).key_version == 2
    with pytest.raises(DecryptionError):
        unseal_key(bytes(blob), relabelled, context=DRAFT)


def test_format_1_blobs_without_a_key_version_open_with_intake_key_1(intake_private_key):
    """What earlier releases wrote is still read."""
    key = random_key()
    header = SEAL_MAGIC + bytes([1, 1 if intake_private_key.suite.value != "x25519" else 2])
    sealed = hpke_suite(intake_private_key.suite).encrypt(
        key, intake_private_key.public_key().hpke_key(), info=seal_info(header, DRAFT)
    )
    blob = header + sealed
    assert sealed_header(blob).key_version == 1
    assert unseal_key(blob, intake_private_key, context=DRAFT) == key


def test_hybrid_post_quantum_suite_is_used_when_available():
    assert IntakeSuite.best_available() is IntakeSuite.MLKEM768_X25519


def test_sealed_key_moved_to_another_draft_fails(intake_private_key):
    blob = seal_key(random_key(), intake_private_key.public_key(), context=DRAFT)
    with pytest.raises(DecryptionError):
        unseal_key(blob, intake_private_key, context=uuid.uuid4().bytes)


def test_another_private_key_cannot_unseal(intake_private_key):
    blob = seal_key(random_key(), intake_private_key.public_key(), context=DRAFT)
    with pytest.raises(DecryptionError):
        unseal_key(blob, IntakePrivateKey.generate(), context=DRAFT)


def test_tampered_sealed_key_fails(intake_private_key):
    blob = bytearray(seal_key(random_key(), intake_private_key.public_key(), context=DRAFT))
    for position in (8, 20, len(blob) - 1):
        damaged = bytearray(blob)
        damaged[position] ^= 0x01
        with pytest.raises(DecryptionError):
            unseal_key(bytes(damaged), intake_private_key, context=DRAFT)


def test_downgraded_suite_byte_fails(intake_private_key):
    blob = bytearray(seal_key(random_key(), intake_private_key.public_key(), context=DRAFT))
    blob[8] = 2  # claim X25519
    with pytest.raises(DecryptionError):
        unseal_key(bytes(blob), intake_private_key, context=DRAFT)


def test_code_wrapping_round_trip():
    key = random_key()
    blob = wrap_with_code(key, "K7QM-4XPD-93TF", context=DRAFT, params=FAST)
    assert unwrap_with_code(blob, "K7QM-4XPD-93TF", context=DRAFT) == key


@pytest.mark.parametrize(
    ("code", "context"),
    [("K7QM-4XPD-93TG", DRAFT), ("K7QM-4XPD-93TF", uuid.uuid4().bytes)],
    ids=["wrong code", "other draft"],
)
def test_code_wrapping_refuses(code, context):
    blob = wrap_with_code(random_key(), "K7QM-4XPD-93TF", context=DRAFT, params=FAST)
    with pytest.raises(DecryptionError):
        unwrap_with_code(blob, code, context=context)


def test_code_wrapping_refuses_raised_costs_from_a_forged_blob():
    blob = bytearray(wrap_with_code(random_key(), "code", context=DRAFT, params=FAST))
    blob[16:20] = (16 * 1024 * 1024).to_bytes(4, "big")  # 16 GiB of memory
    with pytest.raises(DecryptionError, match="unreasonable"):
        unwrap_with_code(bytes(blob), "code", context=DRAFT)


def test_default_argon2_cost_is_strong():
    params = Argon2Parameters()
    assert params.memory_kib >= 19 * 1024
    assert params.iterations >= 2


def test_code_wrapping_is_argon2id_by_the_reference_implementation():
    """Version 2: the wrapping key is plain Argon2id (RFC 9106) of the code; cryptography's
    independent implementation, run alone in one thread, derives the same key."""
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    from clemency.security import sealing

    salt = b"s" * 16
    ours = sealing._code_key("ABCD-EFGH", salt, FAST, DRAFT, version=2)
    theirs = Argon2id(salt=salt, length=32, iterations=1, lanes=1, memory_cost=1024).derive(
        b"ABCD-EFGH"
    )
    assert ours == theirs


def test_keys_wrapped_in_version_1_still_open():
    """Drafts started before version 2 (Argon2 with the context as associated data) resume."""
    import secrets

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from clemency.security import sealing

    key, salt, nonce = random_key(), secrets.token_bytes(16), secrets.token_bytes(12)
    header = sealing._CODE_HEADER.pack(sealing.CODE_MAGIC, 1, 1, 1, 1024, salt)
    wrapping = sealing._code_key("CODE", salt, FAST, DRAFT, version=1)
    blob = header + nonce + AESGCM(wrapping).encrypt(nonce, key, header + DRAFT)
    assert unwrap_with_code(blob, "CODE", context=DRAFT) == key
    with pytest.raises(DecryptionError):
        unwrap_with_code(blob, "CODF", context=DRAFT)
    assert wrap_with_code(key, "CODE", context=DRAFT, params=FAST)[7] == 2


def test_many_threads_with_the_full_cost_all_finish_and_take_turns(settings, monkeypatch):
    """Eight threads deriving at once with the production cost (64 MiB, 4 lanes) all finish
    (OpenSSL's Argon2 deadlocks here), and no more than ARGON2_MAX_PARALLEL run together."""
    import threading

    from clemency.security import sealing

    settings.ARGON2_MAX_PARALLEL = 2
    sealing._turns.cache_clear()
    running, most, guard = 0, 0, threading.Lock()
    real = sealing.hash_secret_raw

    def counting(*args, **kwargs):
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        try:
            return real(*args, **kwargs)
        finally:
            with guard:
                running -= 1

    monkeypatch.setattr(sealing, "hash_secret_raw", counting)
    key = random_key()
    blob = wrap_with_code(key, "RIGHT", context=DRAFT)
    results: list[object] = []

    def attempt(code):
        try:
            results.append(unwrap_with_code(blob, code, context=DRAFT))
        except DecryptionError as exc:
            results.append(exc)

    threads = [threading.Thread(target=attempt, args=(c,)) for c in ["RIGHT", "WRONG"] * 4]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
        assert results.count(key) == 4
        assert sum(isinstance(r, DecryptionError) for r in results) == 4
        assert most == 2
    finally:
        sealing._turns.cache_clear()
