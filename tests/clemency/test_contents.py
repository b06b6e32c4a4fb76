"""The checks of what is inside an uploaded file (clemency/common/contents.py), on real files
built in tests/documents.py."""

import io
import logging
import struct
import zipfile

import pytest
from pypdf.generic import NameObject, NumberObject

from clemency.common import contents, filetypes
from tests import documents


def reason(data: bytes) -> str | None:
    """Why the file is refused, or None; as an upload is checked (sniffed type, first bytes)."""
    content_type = filetypes.sniff(data[:2048])
    assert content_type is not None
    try:
        contents.check(io.BytesIO(data), content_type, head=data[:2048])
    except contents.Refused as refused:
        found = refused
    else:
        return None
    assert found.message  # a sentence saying what to do, never empty
    return found.reason


@pytest.mark.parametrize(
    "build",
    [
        documents.pdf,
        lambda: documents.pdf("x" * 60, lines=20_000),
        lambda: documents.pdf_with_password(""),  # an empty "open" password: readable
        documents.docx,
        lambda: documents.docx({"word/media/image1.png": documents.png(800, 600)}),
        documents.png,
        documents.jpeg,
        lambda: documents.jpeg(4032, 3024, app_padding=40_000),  # the size well past the head
    ],
)
def test_ordinary_files_pass(build):
    assert reason(build()) is None


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: documents.POLYGLOT, "markup"),
        (documents.pdf_polyglot, "markup"),
        (documents.pdf_with_javascript, "pdf_active"),
        (documents.pdf_with_open_action_javascript, "pdf_active"),
        (documents.pdf_with_page_action_javascript, "pdf_active"),
        (documents.pdf_with_launch, "pdf_active"),
        (documents.pdf_with_attachment, "pdf_embedded"),
        (documents.pdf_with_rich_media, "pdf_embedded"),
        (documents.pdf_with_xfa, "pdf_form"),
        (lambda: documents.pdf_with_password("secret"), "pdf_password"),
        (lambda: b"%PDF-1.7\n" + b"petition text\n" * 100, "damaged"),
        (lambda: documents.pdf()[:300], "damaged"),
    ],
)
def test_hostile_or_broken_pdfs_are_refused(build, expected):
    assert reason(build()) == expected


def test_a_word_bomb_of_a_few_kilobytes_is_refused():
    bomb = documents.docx(document=b"<w:document>" + b" " * (60 * 1024 * 1024) + b"</w:document>")
    assert len(bomb) < 100 * 1024
    assert reason(bomb) == "docx_unpacked"


def test_an_entry_that_packs_too_well_is_refused():
    assert reason(documents.docx({"word/media/blank.xml": bytes(5 * 1024 * 1024)})) == (
        "docx_unpacked"
    )


def test_too_many_entries_are_refused():
    extra = {f"word/media/{number}.xml": b"<a/>" for number in range(1_001)}
    assert reason(documents.docx(extra)) == "docx_unpacked"


def _lie_about_size(data: bytes, name: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size of ``name`` in the central directory (and local header)."""
    data = bytearray(data)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_length]) == name:
            struct.pack_into("<I", data, central + 24, size)
            local = struct.unpack_from("<I", data, central + 42)[0]
            struct.pack_into("<I", data, local + 22, size)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def test_a_directory_that_lies_about_sizes_is_refused():
    big = documents.docx(document=b"<w:document>" + b" " * (40 * 1024 * 1024) + b"</w:document>")
    lying = _lie_about_size(big, b"word/document.xml", 1_000)
    with zipfile.ZipFile(io.BytesIO(lying)) as archive:  # it looks small...
        assert archive.getinfo("word/document.xml").file_size == 1_000
    assert reason(lying) == "damaged"  # ...but does not unpack to what it says


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"word/vbaProject.bin": documents.OLE2}, "docx_macros"),
        ({"word/vbaData.xml": b"<a/>"}, "docx_macros"),
        ({"word/embeddings/oleObject1.bin": documents.OLE2}, "docx_nested"),
        ({"word/media/inner.zip": documents.docx()}, "docx_nested"),
        ({"word/media/image1.png": documents.docx()}, "docx_nested"),  # an archive by its bytes
        ({"word/media/image2.png": documents.OLE2}, "docx_nested"),
    ],
)
def test_macros_and_files_inside_word_files_are_refused(extra, expected):
    assert reason(documents.docx(extra)) == expected


def test_a_macro_enabled_content_type_is_refused():
    data = documents.docx()
    macro = documents.CONTENT_TYPES.replace(b"document.main+xml", b"document.macroEnabled.main+xml")
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            body = macro if info.filename == "[Content_Types].xml" else source.read(info)
            target.writestr(info.filename, body)
    assert reason(buffer.getvalue()) == "docx_macros"


def test_word_files_packed_otherwise_or_without_a_document_are_refused():
    assert reason(documents.docx(compression=zipfile.ZIP_BZIP2)) == "damaged"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", documents.CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", b"<workbook/>")
    assert reason(buffer.getvalue()) == "damaged"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (documents.png(100_000, 100_000), "image_pixels"),
        (documents.png(12_000, 10_001), "image_pixels"),
        (documents.png(12_000, 10_000), None),  # 120 million pixels: the limit itself
        (documents.png(0, 10), "damaged"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000, "damaged"),
        (documents.jpeg(60_000, 60_000, app_padding=5_000), "image_pixels"),
        (documents.jpeg(0, 480), "damaged"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "damaged"),
    ],
)
def test_pictures_larger_than_the_pixel_limit_are_refused(data, expected):
    assert reason(data) == expected


def test_the_message_names_the_limit():
    message = contents.Refused("image_pixels").message
    assert "120 million pixels" in message


def test_nothing_of_a_file_reaches_the_logs(caplog):
    # A key defined twice: pypdf warns, quoting the key's name from the file.
    writer = documents.pdf_writer()
    writer._root_object[NameObject("/Marker-Rosa-QuispeA")] = NumberObject(1)
    writer._root_object[NameObject("/Marker-Rosa-QuispeB")] = NumberObject(2)
    twice = documents.pdf_bytes(writer).replace(b"QuispeB", b"QuispeA")
    with caplog.at_level(logging.DEBUG):
        assert reason(twice) is None
    assert "Marker-Rosa-Quispe" not in caplog.text
