"""What an uploaded file is, judged by its first bytes, never by its name; and the name it is
downloaded under, whose extension always says what the file really is."""

from clemency.common.text import DEFAULT_FILE_NAME, clean_file_name

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
HEIC = "image/heic"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}

# The extension each accepted type is downloaded with.
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", HEIC: ".heic", DOCX: ".docx"}
UNKNOWN_EXTENSION = ".bin"  # a stored type that is not (or no longer) one of the above

# Extensions taken off the end of an uploaded name before the real one is put on: those of
# documents, pictures, archives, web pages, scripts and programs. A fixed list, so that the
# result does not depend on the server's /etc/mime.types.
_KNOWN = (
    "pdf fdf xfdf ps eps xps oxps djvu",
    "jpg jpeg jpe jfif pjpeg pjp png apng heic heif avif gif bmp dib tif tiff webp ico svg svgz",
    "doc docx docm dot dotx dotm rtf odt ott txt text md csv tsv json xml xsl xslt",
    "xls xlsx xlsm xlsb xlt xltm ods ppt pptx pptm pps ppsx ppsm odp pub one",
    "htm html xhtml xht shtml mht mhtml hta htc url webloc website",
    "js mjs cjs jse vbs vbe wsf wsh wsc sct ps1 psm1 psd1 ps1xml bat cmd com scr pif cpl",
    "exe msi msp mst msc dll ocx sys drv lnk inf reg scf chm hlp gadget application appref-ms",
    "jar class py pyc pyw pl rb php phtml asp aspx jsp cgi sh bash zsh csh ksh command tool",
    "app apk ipa deb rpm dmg pkg iso img vhd vhdx bin run elf so dylib swf xap",
    "zip zipx rar 7z gz tgz bz2 tbz2 xz txz lz lzma z zst tar cab arj lzh ace cpio",
    "eml msg ics vcf",
)
KNOWN_EXTENSIONS = frozenset(word for line in _KNOWN for word in line.split())


def sniff(head: bytes) -> str | None:
    """The type of an allowed file from its first bytes, or None for anything else."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    if head.startswith(b"PK\x03\x04") and (b"[Content_Types].xml" in head or b"word/" in head):
        return DOCX
    return None


def download_name(name: str, content_type: str) -> str:
    """The name a stored document is downloaded under: the uploaded name's visible part, without
    the extension(s) it came with, and the extension of the type its content was found to be.

    "polyglot.html" found to be a PDF downloads as "polyglot.pdf", "invoice.pdf.exe" as
    "invoice.pdf" (a PDF) and "scan.html.jpg" as "scan.jpg". The old extension is taken off
    rather than kept in front ("polyglot.html.pdf"): systems that hide known extensions would
    show that as "polyglot.html", and a name must not say one type while being another.
    """
    stem = clean_file_name(name, default="")
    while True:
        stem = stem.rstrip(" .")
        base, dot, extension = stem.rpartition(".")
        if not (dot and extension.lower() in KNOWN_EXTENSIONS):
            break
        stem = base
    stem = stem.lstrip(" .") or DEFAULT_FILE_NAME
    return stem + EXTENSIONS.get(content_type, UNKNOWN_EXTENSION)
