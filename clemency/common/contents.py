"""What is inside an uploaded file, checked before it is kept: nothing that runs, nothing hidden
inside, nothing that unpacks to far more than it weighs.

``check(file, content_type, head=...)`` reads the plaintext through ``file`` (a read-only,
seekable view that decrypts as it reads: clemency/security/storage.py ``open_upload``; the
plaintext is never written anywhere) and raises ``Refused`` with a reason whose ``message``
tells the applicant or the staff member what to do instead. The checks, by type:

- every type: no web-page markup (``<html``, ``<script``, ...) in the first bytes that browsers
  look at to guess a type (a PDF/HTML "polyglot" opens as a web page wherever it is saved as
  .html; downloads are also always named after the type found, clemency/common/filetypes.py).
- PDF: parsed with pypdf (a file that does not parse is refused), then every object, reachable
  or not, is looked at: JavaScript (``/JS``, ``/JavaScript``, and so any ``/OpenAction`` or
  ``/AA`` that runs it), ``/Launch``, ``/ImportData``, ``/Rendition`` and ``/RichMediaExecute``
  actions, embedded files (``/EmbeddedFile(s)``, ``/EF``, file-attachment annotations,
  ``/GoToE``), ``/RichMedia``, 3D and screen annotations, and XFA forms are refused, as are
  PDFs that open only with a password.
- Word (DOCX, a ZIP): the central directory is read first: at most ``DOCX_MAX_ENTRIES`` entries,
  ``DOCX_MAX_UNPACKED`` bytes unpacked in all, ``DOCX_MAX_RATIO`` times its packed size for a
  large entry, only stored or deflated entries, no encrypted or duplicate entries, a
  ``word/document.xml``; no macros (``vbaProject.bin``, a macro-enabled content type), no
  archives or OLE objects inside (by name and by their first bytes). Then every entry is
  unpacked as a stream, counting: a directory that lies about sizes fails its CRC or the count.
- Pictures: PNG (IHDR) and JPEG (SOF) dimensions are read without decoding; more than
  ``MAX_IMAGE_PIXELS`` is refused (a decompression bomb for whoever opens it). HEIC is not
  checked: its dimensions sit deep in nested boxes, and phones write it at their camera's size.
"""

import logging
import re
import struct
import zipfile
from typing import BinaryIO

from django.utils.translation import gettext_lazy as _

from clemency.common import filetypes

# pypdf's warnings can quote the file they are about; nothing of a document may reach a log.
_pypdf_log = logging.getLogger("pypdf")
_pypdf_log.setLevel(logging.CRITICAL + 1)
_pypdf_log.propagate = False

# What browsers look at to guess a type (WHATWG MIME Sniffing: 1445 bytes).
SNIFFED_BYTES = 1445
_MARKUP = re.compile(
    rb"<\s*(?:!doctype|html|head|body|script|iframe|frameset|frame|object|embed|svg|img|"
    rb"link|meta|style|title|base|form|applet|math|!--)[\s/>!-]",
    re.IGNORECASE,
)

PDF_MAX_OBJECTS = 500_000  # objects (direct ones included) walked; a 2,000-page report has ~50k

DOCX_MAX_ENTRIES = 1_000  # a long report with many pictures has ~200
DOCX_MAX_UNPACKED = 50 * 1024 * 1024  # the text and pictures of a very long document
DOCX_MAX_RATIO = 100  # XML packs 5-30 times; a bomb packs 1,000 times
_RATIO_FROM = 1024 * 1024  # small entries (mostly repeated XML) may pack better
_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ARCHIVE_NAMES = re.compile(
    r"\.(zip|zipx|jar|docx|docm|dotx|dotm|xlsx|xlsm|xlsb|pptx|pptm|odt|ods|odp|rar|7z|gz|tgz|"
    r"bz2|xz|tar|cab|iso|bin|exe|dll|msi|ole|doc|xls|ppt)$",
    re.IGNORECASE,
)
_ARCHIVE_MAGIC = (
    b"PK\x03\x04",  # ZIP (and every Office Open XML file)
    b"PK\x05\x06",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE2: macros, embedded objects, old Office files
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\xfd7zXZ\x00",
    b"MSCF",  # cabinet
)

MAX_IMAGE_PIXELS = 120_000_000  # a 108-megapixel phone photo passes; a bomb has billions
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_MAX_SEGMENTS = 2_000


_AGAIN = _(
    "Print it to PDF again (choose “Print”, then “Save as PDF”), or take a photo of each "
    "page, and send that."
)
MESSAGES = {
    "damaged": _(
        "This file seems damaged, or is not the kind of file it looks like. Open it and save "
        "it again (a PDF: print it to PDF again), or take a photo of each page, and send that."
    ),
    "markup": _(
        "This file contains web page code, which we do not accept. Print it to PDF again, or "
        "take a photo of each page, and send that."
    ),
    "pdf_active": _("This PDF contains a program or an action that opens other files."),
    "pdf_embedded": _("This PDF has other files or media inside it."),
    "pdf_form": _("This PDF is a kind of fillable form that we cannot accept."),
    "pdf_password": _("This PDF is protected with a password."),
    "pdf_complex": _("This PDF is too complex for us to check."),
    "docx_unpacked": _(
        "This Word file unpacks to much more than its size, which we do not accept. Save it "
        "as a PDF and send that."
    ),
    "docx_macros": _(
        "This Word file contains macros (small programs), which we do not accept. Save it as "
        "a PDF, or as a Word document without macros, and send that."
    ),
    "docx_nested": _(
        "This Word file has other files or objects inside it, which we do not accept. Save it "
        "as a PDF and send that."
    ),
    "image_pixels": _(
        "This picture is too large (more than %(megapixels)s million pixels). Take the photo "
        "again at the normal size, or make it smaller, and send that."
    ),
}
_PDF_REASONS = {"pdf_active", "pdf_embedded", "pdf_form", "pdf_password", "pdf_complex"}


class Refused(Exception):
    """The file's contents are not accepted; ``message`` says why and what to do instead. The
    exception's own text is only the reason code (never anything from the file)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        if self.reason in _PDF_REASONS:
            return f"{MESSAGES[self.reason]} {_AGAIN}"
        if self.reason == "image_pixels":
            return MESSAGES[self.reason] % {"megapixels": MAX_IMAGE_PIXELS // 1_000_000}
        return str(MESSAGES[self.reason])


def check(file: BinaryIO, content_type: str, *, head: bytes) -> None:
    """Refuse (``Refused``) a file of this sniffed type whose contents are not acceptable."""
    if content_type != filetypes.DOCX and _MARKUP.search(head[:SNIFFED_BYTES]):
        raise Refused("markup")
    if content_type == filetypes.PDF:
        _check_pdf(file)
    elif content_type == filetypes.DOCX:
        _check_docx(file)
    elif content_type == filetypes.PNG:
        _check_png(head)
    elif content_type == filetypes.JPEG:
        _check_jpeg(file)


# --- PDF ------------------------------------------------------------------------------------------

# Keys whose presence alone refuses the file.
_PDF_KEYS = {
    "/JS": "pdf_active",
    "/JavaScript": "pdf_active",
    "/EmbeddedFiles": "pdf_embedded",
    "/EmbeddedFile": "pdf_embedded",
    "/EF": "pdf_embedded",
    "/RichMediaContent": "pdf_embedded",
    "/RichMediaSettings": "pdf_embedded",
    "/XFA": "pdf_form",
}
# Action types (/S) and object types (/Type, /Subtype) that refuse the file.
_PDF_ACTIONS = {
    "/JavaScript": "pdf_active",
    "/Launch": "pdf_active",
    "/ImportData": "pdf_active",
    "/Rendition": "pdf_active",
    "/RichMediaExecute": "pdf_active",
    "/GoToE": "pdf_embedded",
}
_PDF_TYPES = {
    "/EmbeddedFile": "pdf_embedded",
    "/FileAttachment": "pdf_embedded",
    "/RichMedia": "pdf_embedded",
    "/3D": "pdf_embedded",
    "/Screen": "pdf_embedded",
    "/Movie": "pdf_embedded",
    "/Sound": "pdf_embedded",
}


def _check_pdf(file: BinaryIO) -> None:
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    try:
        file.seek(0)
        reader = PdfReader(file, strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # many PDFs carry an empty "open" password
            except Exception:
                opened = 0
            if not opened:
                raise Refused("pdf_password")
        starts = [reader.trailer]
        for generation, numbers in reader.xref.items():
            starts += [IndirectObject(number, generation, reader) for number in numbers]
        starts += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
        _walk_pdf(starts)
        if len(reader.pages) == 0:
            raise Refused("damaged")
    except Refused:
        raise
    except Exception:  # whatever a hostile file makes the parser raise
        raise Refused("damaged") from None


def _walk_pdf(starts: list) -> None:
    """Look at every object once, following references; refuse what _PDF_* name."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack = list(starts)
    visited = 0
    while stack:
        item = stack.pop()
        visited += 1
        if visited > PDF_MAX_OBJECTS:
            raise Refused("pdf_complex")
        if isinstance(item, IndirectObject):
            identity = (item.idnum, item.generation)
            if identity in seen:
                continue
            seen.add(identity)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in _PDF_KEYS:
                    raise Refused(_PDF_KEYS[key])
                if key in ("/S", "/Type", "/Subtype"):
                    name = value.get_object() if isinstance(value, IndirectObject) else value
                    if isinstance(name, str):
                        table = _PDF_ACTIONS if key == "/S" else _PDF_TYPES
                        if name in table:
                            raise Refused(table[name])
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)


# --- Word -----------------------------------------------------------------------------------------


def _check_docx(file: BinaryIO) -> None:
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            _check_directory(archive, entries)
            _unpack_counting(archive, entries)
    except Refused:
        raise
    except Exception:  # BadZipFile, a CRC mismatch, a truncated stream, ...
        raise Refused("damaged") from None


def _check_directory(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > DOCX_MAX_ENTRIES:
        raise Refused("docx_unpacked")
    names = [entry.filename for entry in entries]
    if len(set(names)) != len(names) or "word/document.xml" not in names:
        raise Refused("damaged")
    unpacked = 0
    for entry in entries:
        if entry.flag_bits & 0x1 or entry.compress_type not in _ZIP_METHODS:
            raise Refused("damaged")  # Word neither encrypts entries nor packs them otherwise
        unpacked += entry.file_size
        if unpacked > DOCX_MAX_UNPACKED:
            raise Refused("docx_unpacked")
        if entry.file_size > _RATIO_FROM and entry.file_size > DOCX_MAX_RATIO * max(
            entry.compress_size, 1
        ):
            raise Refused("docx_unpacked")
        base = entry.filename.rsplit("/", 1)[-1].lower()
        if base in ("vbaproject.bin", "vbadata.xml") or "/vbaproject" in entry.filename.lower():
            raise Refused("docx_macros")
        if _ARCHIVE_NAMES.search(entry.filename) or "/embeddings/" in entry.filename.lower():
            raise Refused("docx_nested")
    with archive.open("[Content_Types].xml") as types:
        if b"macroenabled" in types.read(DOCX_MAX_UNPACKED).lower():
            raise Refused("docx_macros")


def _unpack_counting(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """Unpack every entry as a stream (CRC checked), counting what comes out."""
    unpacked = 0
    for entry in entries:
        if entry.is_dir():
            continue
        with archive.open(entry) as stream:
            first = stream.read(16)
            if first.startswith(_ARCHIVE_MAGIC):
                raise Refused("docx_nested")
            unpacked += len(first)
            while chunk := stream.read(64 * 1024):
                unpacked += len(chunk)
                if unpacked > DOCX_MAX_UNPACKED:
                    raise Refused("docx_unpacked")


# --- Pictures -------------------------------------------------------------------------------------


def _check_pixels(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise Refused("damaged")
    if width * height > MAX_IMAGE_PIXELS:
        raise Refused("image_pixels")


def _check_png(head: bytes) -> None:
    # Signature (8), then the first chunk must be IHDR: length 13, type, width, height.
    if len(head) < 24 or head[8:16] != b"\x00\x00\x00\x0dIHDR":
        raise Refused("damaged")
    width, height = struct.unpack(">II", head[16:24])
    _check_pixels(width, height)


def _check_jpeg(file: BinaryIO) -> None:
    """Walk the JPEG's marker segments up to the frame header (SOF), which holds the size."""
    file.seek(2)
    for _segment in range(_JPEG_MAX_SEGMENTS):
        byte = file.read(1)
        if byte != b"\xff":
            raise Refused("damaged")
        marker = file.read(1)
        while marker == b"\xff":  # fill bytes
            marker = file.read(1)
        if not marker:
            raise Refused("damaged")
        code = marker[0]
        if code == 0x01 or 0xD0 <= code <= 0xD7:  # no length
            continue
        if code in (0xD9, 0xDA):  # end of image, or the image data, before any frame header
            raise Refused("damaged")
        length_bytes = file.read(2)
        if len(length_bytes) < 2:
            raise Refused("damaged")
        (length,) = struct.unpack(">H", length_bytes)
        if length < 2:
            raise Refused("damaged")
        if code in _JPEG_SOF:
            frame = file.read(5)
            if len(frame) < 5:
                raise Refused("damaged")
            _precision, height, width = struct.unpack(">BHH", frame)
            _check_pixels(width, height)
            return
        file.seek(length - 2, 1)
    raise Refused("damaged")
