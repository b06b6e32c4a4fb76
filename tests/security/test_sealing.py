import uuid

import pytest

from clemency.security.errors import DecryptionError
from clemency.security.keys import IntakePrivateKey, IntakeSuite, random_key
from clemency.security.sealing import (
    Argon2Parameters,
    seal_key,
    sealed_suite,
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
    assert sealed_suite(blob) is suite
    assert unseal_key(blob, private, context=DRAFT) == key


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
