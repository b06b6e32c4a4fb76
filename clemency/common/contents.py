"""What is inside an uploaded file, checked before it is kept: nothing that runs, nothing hidden
inside, nothing that reaches outside the file, nothing that unpacks to far more than it weighs.

``check(file, content_type, head=...)`` reads the plaintext through ``file`` (a read-only,
seekable view that decrypts as it reads: clemency/security/storage.py ``open_upload``; the
plaintext is never written anywhere) and raises ``Refused`` with a reason whose ``message``
tells the applicant or the staff member what to do instead. The checks, by type:

- every type: no web-page markup (``<html``, ``<script``, ...) in the first bytes that browsers
  look at to guess a type (a PDF/HTML "polyglot" opens as a web page wherever it is saved as
  .html; downloads are also always named after the type found, clemency/common/filetypes.py).
- PDF: parsed with pypdf (a file that does not parse is refused), then every object, reachable
  or not, is looked at: JavaScript (``/JS``, ``/JavaScript``, and so any ``/OpenAction`` or
  ``/AA`` that runs it), ``/Launch``, ``/ImportData``, ``/Rendition``, ``/RichMediaExecute``,
  ``/SubmitForm``, ``/Hide`` and ``/GoToR`` actions, ``/Thread`` actions into another file,
  ``/URI`` actions to anything but a web or e-mail address, streams whose data is in another
  file (``/F``) and URL file specifications (``/FS /URL``), embedded files
  (``/EmbeddedFile(s)``, ``/EF``, file-attachment annotations, ``/GoToE``), ``/RichMedia``, 3D
  and screen annotations, and XFA forms are refused, as are PDFs that open only with a
  password. Reading is bounded: pypdf decodes only cross-reference and object streams (never a
  page's pictures or text), each to at most ``PDF_MAX_STREAM`` bytes, the object streams
  together to ``PDF_MAX_DECODED``; at most ``PDF_MAX_OBJECTS`` cross-reference entries, values
  parsed out of object streams, and objects walked; and all of it within ``CHECK_SECONDS``.
- Word (DOCX, a ZIP): the central directory is read first: at most ``DOCX_MAX_ENTRIES`` entries,
  ``DOCX_MAX_UNPACKED`` bytes unpacked in all, ``DOCX_MAX_RATIO`` times its packed size for a
  large entry, only stored or deflated entries, no encrypted or duplicate entries, a
  ``word/document.xml``; no macros (``vbaProject.bin``, a macro-enabled content type), no
  archives, OLE objects or web pages inside (by name and by their first bytes). Then every
  entry's packed bytes are inflated here, counting what really comes out: an entry must end
  where the directory says, at the size and CRC it declares. Relationships (``*.rels``) may not
  point outside the file (``TargetMode="External"``) except a hyperlink to a web or e-mail
  address, nor pull in another document (altChunk); the document's parts may not have fields
  that run programs or fetch files (``DDE``, ``DDEAUTO``, ``INCLUDETEXT``, ...). No part may
  have a document type declaration. All of it within ``CHECK_SECONDS``.
- Pictures: PNG (IHDR) and JPEG (SOF) dimensions are read without decoding; more than
  ``MAX_IMAGE_PIXELS`` is refused (a decompression bomb for whoever opens it). HEIC is not
  checked: its dimensions sit deep in nested boxes, and phones write it at their camera's size.
"""

import io
import logging
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO
from xml.parsers import expat

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

CHECK_SECONDS = 5  # one file's check, wall clock; a 2,000-page report takes about one

# Objects walked, cross-reference entries, and values parsed out of object streams, each; a
# 2,000-page report has ~50k objects.
PDF_MAX_OBJECTS = 500_000
# What one stream may decode to. Only cross-reference and object streams are decoded (a
# 500,000-entry cross-reference stream is 3.5 MB; object streams are written ~100 objects to a
# stream); the pictures of a scan are never decoded, whatever their size.
PDF_MAX_STREAM = 4 * 1024 * 1024
PDF_MAX_DECODED = 32 * 1024 * 1024  # all the object streams of a file together
# Arrays and dictionaries inside one another in one object. pypdf parses them recursively and,
# at a few hundred, repairs the rest away: what is deeper would go unseen.
PDF_MAX_NESTING = 100

DOCX_MAX_ENTRIES = 1_000  # a long report with many pictures has ~200
DOCX_MAX_UNPACKED = 50 * 1024 * 1024  # the text and pictures of a very long document
DOCX_MAX_RATIO = 100  # XML packs 5-30 times; a bomb packs 1,000 times
_RATIO_FROM = 1024 * 1024  # small entries (mostly repeated XML) may pack better
_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ARCHIVE_NAMES = re.compile(
    r"\.(zip|zipx|jar|docx|docm|dotx|dotm|xlsx|xlsm|xlsb|pptx|pptm|odt|ods|odp|rar|7z|gz|tgz|"
    r"bz2|xz|tar|cab|iso|bin|exe|dll|msi|ole|doc|xls|ppt|"
    r"mht|mhtml|htm|html|xhtml|rtf)$",  # the pages an altChunk pulls in
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

# Where a link may lead (PDF /URI actions, Word hyperlinks).
_WEB_SCHEMES = ("http", "https", "mailto")


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


def _web_address(target: str | bytes) -> bool:
    """Whether a link leads to a web page or an e-mail address (not a file, a share, a script).
    Spaces and control characters are dropped first, as viewers and browsers drop them."""
    if isinstance(target, bytes):
        target = target.decode("latin-1")
    target = "".join(char for char in target if char > " " and char != "\x7f")
    scheme, colon, _rest = target.partition(":")
    return bool(colon) and scheme.lower() in _WEB_SCHEMES


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
    "/GoToR": "pdf_active",  # opens another file, a share (\\host\share) or a web address
    "/SubmitForm": "pdf_active",  # sends the form's fields to an address
    "/Hide": "pdf_active",  # hides or shows parts of a page: a page that changes as it is read
    "/GoToE": "pdf_embedded",
    "/Sound": "pdf_embedded",
    "/Movie": "pdf_embedded",
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
# A stream's data in another file (PDF 2.0, 7.3.8.2).
_PDF_EXTERNAL_STREAM = ("/F", "/FFilter", "/FDecodeParms")
# An upper bound of the objects pypdf makes of an object stream, counted before it parses them:
# the runs of regular characters (numbers, names, keywords, words of strings) and the openings
# of arrays, dictionaries and strings. Counted with bytes.translate and bytes.count: a regular
# expression would hold a piece for each of a million values.
_PDF_SHAPE = bytes(32 if byte in b"\x00\t\n\x0c\r ()<>[]{}/%" else 97 for byte in range(256))
_PDF_SPACE = re.compile(rb"[\x00\t\n\x0c\r ]*")
_PDF_TOKENS = re.compile(rb"[^\x00\t\n\x0c\r ]+")
_PDF_COMMENT = re.compile(rb"%[^\r\n]*")


class _OutOfTime(BaseException):
    """The check took longer than CHECK_SECONDS. A BaseException, so that a parser's recovery
    code (pypdf catches Exception wherever it can repair a file) lets it through."""


class _TimedFile:
    """The upload as pypdf reads it: every read and seek past the deadline raises _OutOfTime.
    pypdf reads the file all through parsing, so no step that reads it can run on."""

    def __init__(self, file: BinaryIO, deadline: float) -> None:
        self._file = file
        self._deadline = deadline

    def _in_time(self) -> None:
        if time.monotonic() > self._deadline:
            raise _OutOfTime

    def read(self, size: int = -1) -> bytes:
        self._in_time()
        return self._file.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._in_time()
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()


def _pdf_limits():
    """pypdf's limits while a file is checked. They are set for the check only (pypdf keeps its
    configuration in a context variable); pypdf 7 refuses to read any PDF once its old
    module-level limits (pypdf.filters.ZLIB_MAX_OUTPUT_LENGTH, ...) have been changed."""
    from pypdf import Configuration

    return Configuration(
        zlib_maximum_output_length=PDF_MAX_STREAM,
        lzw_maximum_output_length=PDF_MAX_STREAM,
        run_length_maximum_output_length=PDF_MAX_STREAM,
        brotli_maximum_output_length=PDF_MAX_STREAM,
        jbig2_maximum_output_length=PDF_MAX_STREAM,
        array_based_stream_maximum_output_length=PDF_MAX_STREAM,
        image_maximum_buffer_size=PDF_MAX_STREAM,
        xmp_maximum_input_length=PDF_MAX_STREAM,
        stream_decoding_work_maximum_length=4 * PDF_MAX_STREAM,
        # A damaged zlib stream is retried a byte at a time, in Python.
        zlib_maximum_recovery_input_length=PDF_MAX_STREAM // 4,
        jbig2dec_binary=None,  # never start a program to decode what a file asks for
    )


def _check_pdf(file: BinaryIO) -> None:
    from pypdf import PdfReader, apply_configuration

    deadline = time.monotonic() + CHECK_SECONDS
    try:
        with apply_configuration(_pdf_limits()):
            file.seek(0)
            reader = PdfReader(
                _TimedFile(file, deadline),
                strict=False,
                xref_stream_maximum_entries=PDF_MAX_OBJECTS,
            )
            if reader.is_encrypted:
                try:
                    opened = reader.decrypt("")  # many PDFs carry an empty "open" password
                except Exception:
                    opened = 0
                if not opened:
                    raise Refused("pdf_password")
            _walk_pdf(reader, deadline)
            if len(reader.pages) == 0:
                raise Refused("damaged")
    except Refused:
        raise
    except _OutOfTime:
        raise Refused("pdf_complex") from None
    except Exception as error:  # whatever a hostile file makes the parser raise
        raise Refused("pdf_complex" if _limit_reached(error) else "damaged") from None


def _limit_reached(error: BaseException | None) -> bool:
    """Whether pypdf stopped at one of its limits (possibly wrapped in another error)."""
    from pypdf.errors import LimitReachedError

    for _depth in range(10):
        if error is None:
            return False
        if isinstance(error, LimitReachedError):
            return True
        error = error.__cause__ or error.__context__
    return False


def _walk_pdf(reader, deadline: float) -> None:
    """Look at every object once, following references; refuse what _PDF_* name."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    entries = sum(len(numbers) for numbers in reader.xref.values()) + len(reader.xref_objStm)
    size = reader.trailer.get("/Size")
    if entries > PDF_MAX_OBJECTS or (isinstance(size, int) and size > PDF_MAX_OBJECTS):
        raise Refused("pdf_complex")
    # What is left to look at, each with how deep it sits in the object that holds it.
    stack: list = [(reader.trailer, 0)]
    for generation, numbers in reader.xref.items():
        stack += [(IndirectObject(number, generation, reader), 0) for number in numbers]
    stack += [(IndirectObject(number, 0, reader), 0) for number in reader.xref_objStm]

    object_streams = _ObjectStreams(reader)
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        item, depth = stack.pop()
        visited += 1
        if visited > PDF_MAX_OBJECTS or depth > PDF_MAX_NESTING or time.monotonic() > deadline:
            raise Refused("pdf_complex")
        if isinstance(item, IndirectObject):
            identity = (item.idnum, item.generation)
            if identity in seen:
                continue
            seen.add(identity)
            if item.generation == 0 and item.idnum in reader.xref_objStm:
                number = reader.xref_objStm[item.idnum][0]
                stream = IndirectObject(number, 0, reader).get_object()
                stack += [(unkept, 0) for unkept in object_streams.load((number, 0), stream)]
            item, depth = item.get_object(), 0
            if item is None:  # referred to, but in no cross-reference section pypdf could read
                raise Refused("damaged")
            if isinstance(item, StreamObject) and item.get("/Type") == "/ObjStm":
                stack += [(unkept, 0) for unkept in object_streams.load(identity, item)]
        if isinstance(item, DictionaryObject):
            _check_pdf_dictionary(item)
            if isinstance(item, StreamObject) and any(k in item for k in _PDF_EXTERNAL_STREAM):
                raise Refused("pdf_active")
            stack += [(value, depth + 1) for value in item.values()]
        elif isinstance(item, ArrayObject):
            stack += [(value, depth + 1) for value in item]


def _direct(value):
    """A value, or what it refers to."""
    from pypdf.generic import IndirectObject

    return value.get_object() if isinstance(value, IndirectObject) else value


def _check_pdf_dictionary(item) -> None:
    for key, value in item.items():
        if key in _PDF_KEYS:
            raise Refused(_PDF_KEYS[key])
        if key not in ("/S", "/Type", "/Subtype", "/FS", "/URI", "/Base"):
            continue
        value = _direct(value)
        if key in ("/URI", "/Base"):
            # A /URI action's address, or the base of relative ones (the catalog's /URI /Base).
            if isinstance(value, (str, bytes)) and not _web_address(value):
                raise Refused("pdf_active")
        elif not isinstance(value, str):
            continue
        elif key == "/S":
            if value in _PDF_ACTIONS:
                raise Refused(_PDF_ACTIONS[value])
            if value == "/Thread" and "/F" in item:  # an article in another file
                raise Refused("pdf_active")
        elif key == "/FS":
            if value == "/URL":  # a file specification that is a web address
                raise Refused("pdf_active")
        elif value in _PDF_TYPES:
            raise Refused(_PDF_TYPES[value])


class _ObjectStreams:
    """The object streams of a PDF, decoded and counted here before pypdf parses the objects
    in them (all at once, which nothing can interrupt). Every object in one is walked, also
    those pypdf parses but does not keep (an object stream's index says which object is
    where, and viewers differ in how they read it)."""

    def __init__(self, reader) -> None:
        self.reader = reader
        self.loaded: set[tuple[int, int]] = set()
        self.decoded = 0
        self.values = 0
        self.members: dict[int, set[int]] = {}  # stream -> objects the cross-reference puts in it
        for number, (stream, _index) in reader.xref_objStm.items():
            self.members.setdefault(stream, set()).add(number)

    def load(self, identity: tuple[int, int], stream) -> list:
        """Decode one object stream; what in it pypdf would not keep, to be walked too."""
        from pypdf.generic import StreamObject, read_object

        if identity in self.loaded:
            return []
        self.loaded.add(identity)
        if not isinstance(stream, StreamObject) or stream.get("/Type") != "/ObjStm":
            raise Refused("damaged")
        data = stream.get_data()  # decoded within PDF_MAX_STREAM; pypdf keeps it
        self.decoded += len(data)
        self.values += (b" " + data.translate(_PDF_SHAPE)).count(b" a") + sum(
            data.count(opening) for opening in (b"(", b"<", b"[")
        )
        if self.decoded > PDF_MAX_DECODED or self.values > PDF_MAX_OBJECTS:
            raise Refused("pdf_complex")
        count, first = (_direct(stream.get(key)) for key in ("/N", "/First"))
        if not isinstance(count, int) or not isinstance(first, int) or not 0 <= first <= len(data):
            raise Refused("damaged")
        header = _PDF_TOKENS.findall(_PDF_COMMENT.sub(b" ", data[:first]))
        if len(header) != 2 * count or not all(token.isdigit() for token in header):
            raise Refused("damaged")
        index = [(int(header[at]), int(header[at + 1])) for at in range(0, len(header), 2)]
        members = self.members.get(identity[0], set()) if identity[1] == 0 else set()
        if not members <= {number for number, _offset in index}:
            raise Refused("damaged")  # the cross-reference puts objects here that are not here
        unkept, kept = [], set()
        body = io.BytesIO(data)
        for number, offset in index:
            if number in members and number not in kept:
                kept.add(number)  # pypdf keeps it (the first of its number) and it is walked
                continue
            if first + offset < len(data):
                body.seek(_PDF_SPACE.match(data, first + offset).end())
                unkept.append(read_object(body, self.reader))
        return unkept


# --- Word -----------------------------------------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<4s2sHH4s4s4s4sHH")  # a ZIP entry's local header, 30 bytes
_CHUNK = 64 * 1024
# Fields that run a program or bring in another file's contents when the document is opened.
_WORD_FIELDS = {"DDE", "DDEAUTO", "INCLUDE", "INCLUDETEXT", "INCLUDEPICTURE", "IMPORT", "LINK"}
_FIELD_NAME = re.compile(r"[\s\"']*([A-Za-z]+)")


def _check_docx(file: BinaryIO) -> None:
    deadline = time.monotonic() + CHECK_SECONDS
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
        _check_directory(entries)
        _unpack_counting(file, entries, deadline)
    except Refused:
        raise
    except Exception:  # BadZipFile, an XML error, a truncated stream, ...
        raise Refused("damaged") from None


def _check_directory(entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > DOCX_MAX_ENTRIES:
        raise Refused("docx_unpacked")
    names = [entry.filename for entry in entries]
    if len(set(names)) != len(names) or not {"word/document.xml", "[Content_Types].xml"} <= set(
        names
    ):
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


def _unpack_counting(file: BinaryIO, entries: list[zipfile.ZipInfo], deadline: float) -> None:
    """Inflate every entry from its packed bytes, counting what really comes out, and read the
    parts that say what the document links to and runs."""
    for entry in entries:
        if entry.is_dir():
            continue
        reader = _part_reader(entry.filename)
        first = b""
        for chunk in _unpacked(file, entry):
            if time.monotonic() > deadline:
                raise Refused("docx_unpacked")
            if len(first) < 16:
                first += chunk[: 16 - len(first)]
                if len(first) == 16 and first.startswith(_ARCHIVE_MAGIC):
                    raise Refused("docx_nested")
            if reader is not None:
                reader.feed(chunk)
        if first.startswith(_ARCHIVE_MAGIC):
            raise Refused("docx_nested")
        if reader is not None:
            reader.close()


def _unpacked(file: BinaryIO, entry: zipfile.ZipInfo) -> Iterator[bytes]:
    """An entry's bytes, inflated here from what is packed after its local header (zipfile
    stops at the size the directory declares, so a directory that declares 1 KB over a stream
    of 200 MB passes it): the stream must end, at the size and CRC the directory declares."""
    file.seek(entry.header_offset)
    header = file.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise Refused("damaged")
    signature, _version, flags, method, *_fields, name_length, extra_length = _LOCAL_HEADER.unpack(
        header
    )
    name = file.read(name_length).decode("utf-8" if flags & 0x800 else "cp437")
    if signature != b"PK\x03\x04" or method != entry.compress_type or flags & 0x1:
        raise Refused("damaged")
    if name != entry.orig_filename:  # two names for one entry: readers would disagree
        raise Refused("damaged")
    file.seek(extra_length, io.SEEK_CUR)
    packed = _packed(file, entry.compress_size)
    if method == zipfile.ZIP_DEFLATED and entry.compress_size:
        packed = _inflated(packed)
    size = crc = 0
    for data in packed:
        size += len(data)
        if size > entry.file_size:  # more than declared: the directory lies
            raise Refused("damaged")
        crc = zlib.crc32(data, crc)
        yield data
    if size != entry.file_size or crc != entry.CRC:
        raise Refused("damaged")


def _packed(file: BinaryIO, size: int) -> Iterator[bytes]:
    while size:
        chunk = file.read(min(_CHUNK, size))
        if not chunk:
            raise Refused("damaged")
        size -= len(chunk)
        yield chunk


def _inflated(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Raw deflate, _CHUNK bytes out at a time at most; it must reach its end."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    for chunk in chunks:
        while True:
            data = inflater.decompress(chunk, _CHUNK)
            if data:
                yield data
            chunk = inflater.unconsumed_tail
            if inflater.eof or (not chunk and len(data) < _CHUNK):
                break
        if inflater.eof:
            return
    raise Refused("damaged")  # the packed bytes stop before the stream's end


def _part_reader(name: str) -> "_XmlPart | None":
    """The parser for a part this check reads, by its name; None for the others."""
    if name == "[Content_Types].xml":
        return _XmlPart(_content_type)
    if name.lower().endswith(".rels"):
        return _XmlPart(_relationship)
    if name.startswith("word/") and name.lower().endswith(".xml"):
        return _Fields()
    return None


class _XmlPart:
    """An XML part, parsed as it is inflated; ``element(local_name, attributes)`` sees every
    element. A document type declaration (which could declare entities) is refused: Office
    never writes one (ECMA-376 part 2 forbids it)."""

    def __init__(self, element=None) -> None:
        self._parser = expat.ParserCreate(namespace_separator=" ")
        self._parser.StartDoctypeDeclHandler = self._doctype
        self._parser.StartElementHandler = self._start
        self._element = element

    @staticmethod
    def _doctype(*_args) -> None:
        raise Refused("damaged")

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        self._element(name.rpartition(" ")[2], attributes)

    def feed(self, data: bytes) -> None:
        self._parser.Parse(data, False)

    def close(self) -> None:
        self._parser.Parse(b"", True)


def _content_type(name: str, attributes: dict[str, str]) -> None:
    kind = _attribute(attributes, "ContentType").lower()
    if name in ("Default", "Override") and "macroenabled" in kind:
        raise Refused("docx_macros")


def _relationship(name: str, attributes: dict[str, str]) -> None:
    if name != "Relationship":
        return
    kind = _attribute(attributes, "Type").strip().rstrip("/").lower()
    if kind.endswith("/afchunk"):  # "altChunk": another document (web page, RTF, ...) pulled in
        raise Refused("docx_nested")
    # Outside the file: a template, an OLE object, a picture from a share or a web page, fetched
    # as the document opens. Only a hyperlink to a web or e-mail address stays.
    outside = (_attribute(attributes, "TargetMode").strip() or "Internal") != "Internal"
    if outside and not (
        kind.endswith("/hyperlink") and _web_address(_attribute(attributes, "Target"))
    ):
        raise Refused("docx_nested")


class _Fields(_XmlPart):
    """A part of the document, checked for fields that run programs or bring in other files:
    ``<w:fldSimple w:instr="...">``, and the instruction text of a complex field (which Word
    splits across runs, between ``<w:fldChar w:fldCharType="begin">`` and "separate" or "end").
    A field whose name would come from a field nested in it (``{ {QUOTE 68 68 69} ... }``) is
    refused too: what it is is only known once Word has computed it."""

    def __init__(self) -> None:
        super().__init__()
        self._parser.EndElementHandler = self._end
        # The fields begun and not ended: their instruction so far, or None once it was read.
        self._fields: list[list[str] | None] = []
        self._text: list[str] = []

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        if local == "fldSimple":
            _check_field(_attribute(attributes, "instr"))
        elif local == "fldChar":
            kind = _attribute(attributes, "fldCharType")
            collecting = self._fields and self._fields[-1] is not None
            if kind == "begin":
                if collecting and not "".join(self._fields[-1]).strip():
                    raise Refused("docx_nested")
                self._fields.append([])
            elif kind in ("separate", "end") and self._fields:
                if collecting:
                    _check_field("".join(self._fields[-1]))
                    self._fields[-1] = None
                if kind == "end":
                    self._fields.pop()
        elif local in ("instrText", "delInstrText"):
            self._text = []
            self._parser.CharacterDataHandler = self._text.append

    def _end(self, name: str) -> None:
        if name.rpartition(" ")[2] in ("instrText", "delInstrText"):
            self._parser.CharacterDataHandler = None
            text = "".join(self._text)
            if self._fields and self._fields[-1] is not None:
                self._fields[-1].append(text)
            else:  # instruction text outside a field: read it all the same
                _check_field(text)

    def close(self) -> None:
        super().close()
        for instruction in self._fields:
            if instruction is not None:
                _check_field("".join(instruction))


def _attribute(attributes: dict[str, str], local: str) -> str:
    """An attribute by its local name, whatever its namespace."""
    for name, value in attributes.items():
        if name.rpartition(" ")[2] == local:
            return value
    return ""


def _check_field(instruction: str) -> None:
    name = _FIELD_NAME.match(instruction)
    if name and name.group(1).upper() in _WORD_FIELDS:
        raise Refused("docx_nested")


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
