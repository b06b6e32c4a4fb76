import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clemency.security.envelope import (
    WrappedKey,
    decrypt_value,
    encrypt_value,
    new_case_key,
    rewrap_case_key,
    unwrap_case_key,
    value_key_version,
)
from clemency.security.errors import DecryptionError, KeyNotAvailable
from clemency.security.keys import LocalKeyProvider, random_key

KEY = random_key()
ROW, CASE = uuid.uuid4(), uuid.uuid4()
LABEL = "cases.Applicant.legal_name"


def enc(value: bytes, **kw) -> bytes:
    args = {"key": KEY, "key_version": 1, "label": LABEL, "row_id": ROW, "case_id": CASE} | kw
    return encrypt_value(value, **args)


def dec(blob: bytes, **kw) -> bytes:
    args = {"key": KEY, "key_version": 1, "label": LABEL, "row_id": ROW, "case_id": CASE} | kw
    return decrypt_value(blob, **args)


@given(st.binary(max_size=5000))
def test_value_round_trip(value):
    blob = enc(value)
    assert dec(blob) == value
    assert value_key_version(blob) == 1
    assert len(blob) == 1 + 4 + 12 + len(value) + 16


def test_same_value_encrypts_differently_each_time():
    assert enc(b"same") != enc(b"same")


@pytest.mark.parametrize(
    "moved",
    [
        {"row_id": uuid.uuid4()},
        {"case_id": uuid.uuid4()},
        {"label": "cases.Applicant.a_number"},
        {"key": random_key()},
    ],
    ids=["other row", "other case", "other field", "wrong key"],
)
def test_a_value_moved_elsewhere_does_not_decrypt(moved):
    with pytest.raises(DecryptionError):
        dec(enc(b"Maria"), **moved)


def test_a_flipped_bit_fails():
    blob = bytearray(enc(b"Maria"))
    for position in (0, 3, 7, len(blob) - 1):
        damaged = bytearray(blob)
        damaged[position] ^= 0x10
        with pytest.raises(DecryptionError):
            dec(bytes(damaged))


def test_a_relabelled_key_version_fails():
    blob = bytearray(enc(b"Maria", key_version=2))
    blob[1:5] = (1).to_bytes(4, "big")
    with pytest.raises(DecryptionError):
        dec(bytes(blob), key_version=1)


def test_short_or_foreign_blobs_fail():
    for blob in (b"", b"\x01", b"Maria plain text", b"\x02" + bytes(40)):
        with pytest.raises(DecryptionError):
            dec(blob)


def test_case_key_round_trip_and_binding(provider):
    key, wrapped = new_case_key(case_id=CASE, provider=provider)
    assert unwrap_case_key(wrapped, case_id=CASE, provider=provider) == key
    with pytest.raises(DecryptionError):
        unwrap_case_key(wrapped, case_id=uuid.uuid4(), provider=provider)
    with pytest.raises(KeyNotAvailable):
        unwrap_case_key(WrappedKey(9, wrapped.ciphertext), case_id=CASE, provider=provider)


def test_a_wrong_kek_fails():
    one = LocalKeyProvider(keks={1: random_key()})
    other = LocalKeyProvider(keks={1: random_key()})
    _key, wrapped = new_case_key(case_id=CASE, provider=one)
    with pytest.raises(DecryptionError):
        unwrap_case_key(wrapped, case_id=CASE, provider=other)


def test_rotation_rewraps_without_changing_the_case_key():
    old_kek, new_kek = random_key(), random_key()
    before = LocalKeyProvider(keks={1: old_kek})
    key, wrapped = new_case_key(case_id=CASE, provider=before)
    after = LocalKeyProvider(keks={1: old_kek, 2: new_kek})
    rewrapped = rewrap_case_key(wrapped, case_id=CASE, provider=after)
    assert rewrapped.kek_version == 2
    retired = LocalKeyProvider(keks={2: new_kek})
    assert unwrap_case_key(rewrapped, case_id=CASE, provider=retired) == key
    with pytest.raises(KeyNotAvailable):
        unwrap_case_key(wrapped, case_id=CASE, provider=retired)


def test_version_label_is_bound_to_the_wrapped_key():
    kek = random_key()
    provider = LocalKeyProvider(keks={1: kek, 2: kek})  # same bytes under two versions
    _key, wrapped = new_case_key(case_id=CASE, provider=provider)
    with pytest.raises(DecryptionError):
        unwrap_case_key(WrappedKey(1, wrapped.ciphertext), case_id=CASE, provider=provider)
