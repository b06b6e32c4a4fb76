import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clemency.security.errors import DecryptionError
from clemency.security.keys import random_key
from clemency.security.streaming import (
    HEADER_SIZE,
    SEGMENT_SIZE,
    TAG_SIZE,
    DocumentHeader,
    decrypt_stream,
    encrypt_stream,
    plaintext_size,
)

KEY = random_key()
CASE, DOCUMENT = uuid.uuid4(), uuid.uuid4()
CIPHER_SEGMENT = SEGMENT_SIZE + TAG_SIZE


def encrypt(data: bytes, chunk: int = 10_000, **ids) -> bytes:
    ids = {"case_id": CASE, "document_id": DOCUMENT} | ids
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    return b"".join(encrypt_stream(chunks, KEY, key_version=1, **ids))


def decrypt(blob: bytes, chunk: int = 7_000, key: bytes = KEY, **ids) -> bytes:
    ids = {"case_id": CASE, "document_id": DOCUMENT} | ids
    chunks = [blob[i : i + chunk] for i in range(0, len(blob), chunk)]
    return b"".join(decrypt_stream(chunks, key, **ids))


SIZES = st.one_of(
    st.sampled_from([0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE]),
    st.integers(min_value=0, max_value=4 * SEGMENT_SIZE + 17),
)


@settings(max_examples=60, deadline=None)
@given(size=SIZES, write_chunk=st.integers(1, 200_000), read_chunk=st.integers(1, 200_000))
def test_round_trip_any_size_any_chunking(size, write_chunk, read_chunk):
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    blob = encrypt(data, write_chunk)
    assert decrypt(blob, read_chunk) == data
    assert plaintext_size(len(blob)) == size
    segments = max(1, -(-size // SEGMENT_SIZE))
    assert len(blob) == HEADER_SIZE + size + segments * TAG_SIZE


def test_header_records_what_it_belongs_to():
    header = DocumentHeader.parse(encrypt(b"x"))
    assert (header.case_id, header.document_id, header.key_version) == (CASE, DOCUMENT, 1)


def test_ciphertext_hides_the_plaintext():
    marker = b"Maria Marker A123456789 " * 5000
    assert b"Marker" not in encrypt(marker)


DATA = bytes(range(256)) * (3 * SEGMENT_SIZE // 256 + 10)  # three full segments and a tail


@pytest.fixture(scope="module")
def blob():
    return encrypt(DATA)


def _segment(blob: bytes, index: int) -> slice:
    start = HEADER_SIZE + index * CIPHER_SEGMENT
    return slice(start, start + CIPHER_SEGMENT)


@pytest.mark.parametrize(
    "position", [0, 10, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + 70_000, -1]
)
def test_a_flipped_bit_anywhere_fails(blob, position):
    damaged = bytearray(blob)
    damaged[position] ^= 0x01
    with pytest.raises(DecryptionError):
        decrypt(bytes(damaged))


@pytest.mark.parametrize("cut", [1, TAG_SIZE, 1000, CIPHER_SEGMENT])
def test_a_truncated_file_fails(blob, cut):
    with pytest.raises(DecryptionError):
        decrypt(blob[:-cut])


def test_truncation_at_a_segment_boundary_fails(blob):
    with pytest.raises(DecryptionError):
        decrypt(blob[: HEADER_SIZE + 2 * CIPHER_SEGMENT])


def test_a_dropped_last_segment_fails():
    whole = encrypt(bytes(3 * SEGMENT_SIZE))  # exactly three segments
    with pytest.raises(DecryptionError):
        decrypt(whole[: HEADER_SIZE + 2 * CIPHER_SEGMENT])


def test_reordered_segments_fail(blob):
    first, second = blob[_segment(blob, 0)], blob[_segment(blob, 1)]
    swapped = blob[:HEADER_SIZE] + second + first + blob[HEADER_SIZE + 2 * CIPHER_SEGMENT :]
    with pytest.raises(DecryptionError):
        decrypt(swapped)


def test_a_duplicated_segment_fails(blob):
    first = blob[_segment(blob, 0)]
    with pytest.raises(DecryptionError):
        decrypt(blob[:HEADER_SIZE] + first + blob[HEADER_SIZE:])


def test_segments_spliced_from_another_file_fail(blob):
    other = encrypt(DATA)
    spliced = (
        blob[: _segment(blob, 1).start]
        + other[_segment(other, 1)]
        + blob[_segment(blob, 2).start :]
    )
    with pytest.raises(DecryptionError):
        decrypt(spliced)


def test_another_documents_identity_fails(blob):
    with pytest.raises(DecryptionError, match="another case"):
        decrypt(blob, document_id=uuid.uuid4())
    with pytest.raises(DecryptionError, match="another case"):
        decrypt(blob, case_id=uuid.uuid4())


def test_a_rewritten_header_fails(blob):
    header = DocumentHeader.parse(blob)
    forged = bytearray(blob)
    forged[7:23] = uuid.uuid4().bytes  # claim another case, then ask for that case
    with pytest.raises(DecryptionError):
        decrypt(bytes(forged), case_id=uuid.UUID(bytes=bytes(forged[7:23])))
    assert header.case_id == CASE


def test_a_wrong_key_fails(blob):
    with pytest.raises(DecryptionError):
        decrypt(blob, key=random_key())


def test_nothing_is_yielded_from_a_damaged_segment(blob):
    damaged = bytearray(blob)
    damaged[_segment(blob, 1).start + 5] ^= 0xFF
    chunks = [bytes(damaged[i : i + 8192]) for i in range(0, len(damaged), 8192)]
    received = []
    stream = decrypt_stream(chunks, KEY, case_id=CASE, document_id=DOCUMENT)
    with pytest.raises(DecryptionError):
        received.extend(stream)
    # The intact first segment may be delivered; nothing of the damaged one or after it is.
    assert b"".join(received) == DATA[:SEGMENT_SIZE]


def test_garbage_is_not_a_document():
    with pytest.raises(DecryptionError):
        decrypt(b"%PDF-1.7 plain file" + bytes(200))
    with pytest.raises(DecryptionError):
        decrypt(b"")
