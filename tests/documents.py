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
