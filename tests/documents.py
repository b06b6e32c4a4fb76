"""Real files for upload tests, built here: PDFs (with pypdf), Word files (with zipfile), PNG and
JPEG headers, harmless or hostile."""

import contextlib
import io
import struct
import uuid
import zipfile
import zlib

from django.core.files.uploadhandler import StopFutureHandlers
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from clemency.security.storage import EncryptedUploadedFile, EncryptingUploadHandler


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_writer(text: str = "Certificate of disposition", *, lines: int = 1) -> PdfWriter:
    """A one-page PDF whose (uncompressed) content stream writes ``text`` ``lines`` times."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 72 712 Td ({_escape(text)}) Tj ET\n".encode() * lines)
    page[NameObject("/Contents")] = writer._add_object(stream)
    return writer


def pdf_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf(text: str = "Certificate of disposition", *, lines: int = 1) -> bytes:
    return pdf_bytes(pdf_writer(text, lines=lines))


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action")})
    action[NameObject("/S")] = NameObject(kind)
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value
    return action


def pdf_with_javascript() -> bytes:
    """Document-level JavaScript (the /Names /JavaScript tree)."""
    writer = pdf_writer()
    writer.add_open_action(JavaScript("app.alert('hello');"))
    return pdf_bytes(writer)


def pdf_with_open_action_javascript() -> bytes:
    writer = pdf_writer()
    action = _action("/JavaScript", JS=TextStringObject("app.launchURL('https://x.example');"))
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return pdf_bytes(writer)


def pdf_with_launch() -> bytes:
    writer = pdf_writer()
    action = _action("/Launch", F=TextStringObject("cmd.exe"))
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return pdf_bytes(writer)


def pdf_with_page_action_javascript() -> bytes:
    """JavaScript on a link annotation's page-open additional action, out of the way."""
    writer = pdf_writer()
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
            NameObject("/AA"): DictionaryObject(
                {NameObject("/PO"): _action("/JavaScript", JS=TextStringObject("1;"))}
            ),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return pdf_bytes(writer)


def pdf_with_attachment() -> bytes:
    writer = pdf_writer()
    writer.add_attachment("payload.exe", b"MZ\x90\x00 a program")
    return pdf_bytes(writer)


def pdf_with_xfa() -> bytes:
    writer = pdf_writer()
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {
            NameObject("/Fields"): ArrayObject(),
            NameObject("/XFA"): ArrayObject([TextStringObject("template")]),
        }
    )
    return pdf_bytes(writer)


def pdf_with_rich_media() -> bytes:
    writer = pdf_writer()
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/RichMedia"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return pdf_bytes(writer)


def pdf_with_password(user_password: str) -> bytes:
    writer = pdf_writer()
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    return pdf_bytes(writer)


def pdf_with_action(action: DictionaryObject, *, on_page: bool = False) -> bytes:
    """A PDF that runs ``action`` when it opens (or when its page opens)."""
    writer = pdf_writer()
    if on_page:
        writer.pages[0][NameObject("/AA")] = DictionaryObject(
            {NameObject("/O"): writer._add_object(action)}
        )
    else:
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return pdf_bytes(writer)


def pdf_with_link(address: str) -> bytes:
    """A link annotation that opens ``address`` (a /URI action) when clicked."""
    writer = pdf_writer()
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
            NameObject("/A"): _action("/URI", URI=TextStringObject(address)),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return pdf_bytes(writer)


def pdf_with_image(data: bytes, image_filter: str, *, width: int, height: int, **entries) -> bytes:
    """A page that draws one picture XObject, its stream ``data`` as given (already encoded
    with ``image_filter``), with more ``entries`` in its dictionary."""
    writer = pdf_writer()
    image = DecodedStreamObject()
    image.set_data(data)
    for key, value in {
        "Type": NameObject("/XObject"),
        "Subtype": NameObject("/Image"),
        "Width": NumberObject(width),
        "Height": NumberObject(height),
        "ColorSpace": NameObject("/DeviceRGB"),
        "BitsPerComponent": NumberObject(8),
        "Filter": NameObject(image_filter),
        **entries,
    }.items():
        image[NameObject(f"/{key}")] = value
    writer.pages[0][NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im1"): writer._add_object(image)})}
    )
    return pdf_bytes(writer)


# PDFs written byte by byte: what pypdf's writer cannot make (object streams, cross-reference
# streams, damaged cross-references).

_CATALOG = {
    1: b"<< /Type /Catalog /Pages 2 0 R >>",
    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
}


def raw_pdf(objects: dict[int, bytes] | None = None, *, broken_xref: bool = False) -> bytes:
    """A PDF of these objects (number: body) over a one-page catalog, with a classic
    cross-reference table; ``broken_xref`` points startxref at the wrong place, so that readers
    rebuild it by scanning the file."""
    objects = {**_CATALOG, **(objects or {})}
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        if number in offsets:
            out += b"%010d 00000 n \n" % offsets[number]
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % size
    out += b"startxref\n%d\n%%%%EOF\n" % (xref + 9 if broken_xref else xref)
    return bytes(out)


def _stream(data: bytes, entries: bytes = b"") -> bytes:
    packed = zlib.compress(data, 9)
    return b"<< %s /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (
        entries,
        len(packed),
        packed,
    )


def pdf_with_object_streams(
    streams: list[dict[int, bytes] | list[tuple[int, bytes]]],
    objects: dict[int, bytes] | None = None,
    *,
    listed: dict[int, tuple[int, int]] | None = None,
) -> bytes:
    """A PDF whose objects are packed in object streams (each: number -> body, or pairs), with a
    cross-reference stream; ``objects`` are written outside them. The cross-reference says
    each packed object is where it is, or where ``listed`` says (number -> stream, index)."""
    objects = {**_CATALOG, **(objects or {})}
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets, packed = {}, dict(listed or {})
    stream_number = 1000
    for members in streams:
        index, bodies = b"", b""
        pairs = members.items() if isinstance(members, dict) else members
        for position, (number, body) in enumerate(pairs):
            index += b"%d %d " % (number, len(bodies))
            bodies += body + b"\n"
            packed.setdefault(number, (stream_number, position))
        objects[stream_number] = _stream(
            index + bodies, b"/Type /ObjStm /N %d /First %d" % (len(members), len(index))
        )
        stream_number += 1
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref_number = max([*offsets, *packed]) + 1
    offsets[xref_number] = len(out)
    entries = b""
    for number in range(xref_number + 1):
        if number in packed:
            stream, position = packed[number]
            entries += struct.pack(">BIH", 2, stream, position)
        elif number in offsets:
            entries += struct.pack(">BIH", 1, offsets[number], 0)
        else:
            entries += struct.pack(">BIH", 0, 0, 65535)
    out += b"%d 0 obj\n%s\nendobj\n" % (
        xref_number,
        _stream(entries, b"/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R" % (xref_number + 1)),
    )
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)


def pdf_with_xref_entries(count: int) -> bytes:
    """A few kilobytes whose cross-reference stream declares ``count`` objects
    (``/Index [0 count]``), all at one place."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for number, body in _CATALOG.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    entries = struct.pack(">BHB", 0, 0, 255)
    entries += b"".join(struct.pack(">BHB", 1, offsets[number], 0) for number in (1, 2, 3))
    entries += struct.pack(">BHB", 1, offsets[3], 0) * (count - 4)
    xref = len(out)
    out += b"%d 0 obj\n%s\nendobj\n" % (
        count,
        _stream(
            entries, b"/Type /XRef /Size %d /Index [0 %d] /W [1 2 1] /Root 1 0 R" % (count, count)
        ),
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def pdf_with_object_stream_bomb(size: int = 70 * 1024 * 1024, *, streams: int = 1) -> bytes:
    """Tens of kilobytes: object streams that each inflate to ``size`` bytes (one string)."""
    body = b"<< /Pad (" + b"A" * size + b") >>"
    return pdf_with_object_streams([{100 + n: body} for n in range(streams)])


POLYGLOT = b"%PDF-1.4 <html><script>document.location='https://x.example/'</script></html>"


def pdf_polyglot() -> bytes:
    """A real PDF with a web page in a comment right after its header."""
    body = pdf()
    first_line, rest = body.split(b"\n", 1)
    return first_line + b"\n%<html><body><script>alert(1)</script></body></html>\n" + rest


# --- Word -----------------------------------------------------------------------------------------

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def document_xml(text: str = "A letter of support") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    ).encode()


def docx(
    extra: dict[str, bytes] | None = None,
    *,
    text: str = "A letter of support",
    document: bytes | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("word/document.xml", document or document_xml(text))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504

RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def relationships(*relations: tuple[str, str, str]) -> bytes:
    """A .rels part of (type, target, target mode) relationships; a type without "/" is one of
    the Office types (RELATIONSHIP + type)."""
    items = "".join(
        f'<Relationship Id="rId{number}" Type="{kind if "/" in kind else RELATIONSHIP + kind}" '
        f'Target="{target}" TargetMode="{mode}"/>'
        for number, (kind, target, mode) in enumerate(relations, 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{items}</Relationships>"
    ).encode()


def docx_linking(kind: str, target: str, mode: str = "External", **parts: bytes) -> bytes:
    """A Word file whose document has one relationship (and these other parts, by name)."""
    return docx({"word/_rels/document.xml.rels": relationships((kind, target, mode)), **parts})


def word_body(runs: str) -> bytes:
    """A document.xml whose one paragraph holds these runs (WordprocessingML, w: prefix)."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p>{runs}</w:p></w:body></w:document>"
    ).encode()


def field(*instructions: str, nested: str = "") -> str:
    """The runs of a complex field: begin, its instruction (in as many runs as given, with a
    whole ``nested`` field after the first), separate, a result, end."""

    def run(inner: str) -> str:
        return f"<w:r>{inner}</w:r>"

    text = [run(f'<w:instrText xml:space="preserve">{part}</w:instrText>') for part in instructions]
    return (
        run('<w:fldChar w:fldCharType="begin"/>')
        + "".join(text[:1])
        + nested
        + "".join(text[1:])
        + run('<w:fldChar w:fldCharType="separate"/>')
        + run("<w:t>1</w:t>")
        + run('<w:fldChar w:fldCharType="end"/>')
    )


def _zip_entry(name: str, data: bytes, *, declared: int | None = None, cut: int = 0):
    """A deflated entry's local header and packed bytes, and its central directory record,
    less the offset (added by _zip). ``declared`` lies about its size (with the CRC of that many
    bytes); ``cut`` drops the last bytes of the packed stream."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(data) + packer.flush()
    packed = packed[: len(packed) - cut]
    size = len(data) if declared is None else declared
    crc = zlib.crc32(data[:size])
    encoded = name.encode()
    fields = struct.pack("<HHHHIIIH", 0, 8, 0, 0x21, crc, len(packed), size, len(encoded))
    local = b"PK\x03\x04\x14\x00" + fields + b"\x00\x00" + encoded + packed
    central = b"PK\x01\x02\x14\x00\x14\x00" + fields + b"\x00" * 12
    return local, central, encoded


def zip_by_hand(entries: list[tuple[bytes, bytes, bytes]]) -> bytes:
    body, directory = b"", b""
    for local, central, encoded in entries:
        directory += central + struct.pack("<I", len(body)) + encoded
        body += local
    count = len(entries)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(body), 0)
    return body + directory + end


def docx_lying_about_size(real: bytes, *, declared: int = 1_000, cut: int = 0) -> bytes:
    """A Word file whose document.xml's directory record declares ``declared`` bytes (with the
    CRC of that many) over a deflate stream of ``real``: zipfile reads only the declared bytes,
    and their CRC is right."""
    return zip_by_hand(
        [
            _zip_entry("[Content_Types].xml", CONTENT_TYPES),
            _zip_entry("_rels/.rels", RELS),
            _zip_entry("word/document.xml", real, declared=declared, cut=cut),
        ]
    )


# --- Pictures -------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int = 4, height: int = 3) -> bytes:
    """A real grey PNG; for large sizes only the header is right (the data is a few rows)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _row in range(min(height, 16)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def jpeg(width: int = 640, height: int = 480, *, app_padding: int = 0) -> bytes:
    """A JPEG's markers up to its frame header (all this site reads of one), then the end; an
    APP1 segment of ``app_padding`` bytes can push the frame header past the first bytes."""
    jfif = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    app1 = b""
    if app_padding:
        app1 = b"\xff\xe1" + struct.pack(">H", app_padding + 2) + b"\x00" * app_padding
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + jfif + app1 + sof + b"\xff\xd9"


# --- Uploads as the encrypting handler leaves them ------------------------------------------------


def encrypted_upload(
    content: bytes, *, name: str, key: bytes, case_id: uuid.UUID, key_version: int = 1
) -> EncryptedUploadedFile:
    """A file as the upload handler hands it to a view, encrypted for this draft or case (its
    name as given: no multipart parser has sanitised it)."""
    handler = EncryptingUploadHandler(
        None, key=key, case_id=case_id, key_version=key_version, max_size=len(content) + 1
    )
    with contextlib.suppress(StopFutureHandlers):  # it is the only handler, by design
        handler.new_file("file", name, "application/octet-stream", None)
    for start in range(0, len(content), 64 * 1024):
        handler.receive_data_chunk(content[start : start + 64 * 1024], start)
    return handler.file_complete(len(content))
