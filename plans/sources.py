"""The text of a plan document as users bring it: pasted, a .txt/.md file, or a Word .docx."""

import io
import zipfile

from django.utils.translation import gettext as _

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")


class UnreadableDocument(ValueError):
    pass


def document_text(name: str, data: bytes) -> str:
    """The text of an uploaded document, or UnreadableDocument with the reason."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise UnreadableDocument(_("The file is larger than 10 MB."))
    if "\x00" in data[:4096].decode("latin-1") and not data.startswith(b"PK"):
        raise UnreadableDocument(_("This is not a text or Word document."))
    if name.lower().endswith(".docx") or data.startswith(b"PK\x03\x04"):
        return _docx_text(data)
    if not name.lower().endswith(TEXT_SUFFIXES):
        raise UnreadableDocument(_("Give a .txt, .md or .docx file."))
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese Windows saves plain text as GBK
        try:
            return data.decode(encoding).replace("\x00", "")
        except UnicodeDecodeError:
            continue
    raise UnreadableDocument(_("The text is neither UTF-8 nor GBK."))


def _docx_text(data: bytes) -> str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise UnreadableDocument(_("This Word document cannot be read (is it .docx, not .doc?).")) from error
    return "\n".join(paragraph.text for paragraph in document.paragraphs)
