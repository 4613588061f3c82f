"""The text of a plan document as users bring it: pasted, a .txt/.md file, or a Word .docx."""

import io
import zipfile

from django.utils.translation import gettext as _

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# A plan is a few thousand characters; a hundred thousand is fifty pages. More is not one plan,
# and it would only make the preview (a row per item) a page no browser shows in time.
MAX_DOCUMENT_CHARS = 100_000
# What a .docx may unpack to: python-docx inflates its parts whole, so the zip's declared sizes
# (which Python's zipfile never inflates past) are checked first.
MAX_DOCX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_DOCX_PARTS = 1000
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")  # Notepad's “Unicode”


class UnreadableDocument(ValueError):
    pass


def too_long_message(length: int) -> str:
    return _("The text has %(length)d characters; a plan has at most %(limit)d.") % {
        "length": length,
        "limit": MAX_DOCUMENT_CHARS,
    }


def document_text(name: str, data: bytes) -> str:
    """The text of an uploaded document, or UnreadableDocument with the reason."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise UnreadableDocument(_("The file is larger than 10 MB."))
    if name.lower().endswith(".docx") or data.startswith(b"PK\x03\x04"):
        text = _docx_text(data)
    elif not name.lower().endswith(TEXT_SUFFIXES):
        raise UnreadableDocument(_("Give a .txt, .md or .docx file."))
    else:
        text = _plain_text(data)
    if len(text) > MAX_DOCUMENT_CHARS:
        raise UnreadableDocument(too_long_message(len(text)))
    return text


def _plain_text(data: bytes) -> str:
    if data.startswith(UTF16_MARKS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif "\x00" not in data[:4096].decode("latin-1"):
        for encoding in ("utf-8-sig", "gb18030"):  # Chinese Windows saves plain text as GBK
            try:
                return data.decode(encoding).replace("\x00", "")
            except UnicodeDecodeError:
                continue
        raise UnreadableDocument(_("The text is neither UTF-8 nor GBK."))
    raise UnreadableDocument(_("This is not a text or Word document."))


def _docx_text(data: bytes) -> str:
    import docx

    unreadable = UnreadableDocument(_("This Word document cannot be read (is it .docx, not .doc?)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile as error:
        raise unreadable from error
    if len(parts) > MAX_DOCX_PARTS or sum(part.file_size for part in parts) > MAX_DOCX_UNPACKED_BYTES:
        raise UnreadableDocument(_("This Word document unpacks to more than 50 MB: is it really a plan?"))
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises zip, XML, key and package errors for a damaged file
        raise unreadable from error
    return "\n".join(paragraph.text for paragraph in document.paragraphs)
