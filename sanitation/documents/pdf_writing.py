"""Four changes to how WeasyPrint writes a PDF, for speed. They are tied to the pinned
versions (weasyprint 70, pydyf 0.13): on any other version the stock behaviour stays and
the render is only slower.

- pydyf compresses every stream at zlib level 9: on subset CJK fonts that costs a quarter
  of the PDF-writing time for under 1% of the size. Level 6 is zlib's default.
- WeasyPrint subsets each font twice with HarfBuzz: once keeping glyph ids, once more to
  drop the empty glyphs after the last one used and the hinting. One pass with both
  flags gives the same bytes (tests/documents/test_rendering.py compares them) in half
  the time, which on four CJK fonts is about 15 ms a circular.
- The fonts are subset and compressed one after the other, though each is independent
  and HarfBuzz and zlib release the GIL: they now run side by side in a small thread
  pool before WeasyPrint builds the font dictionary, which then finds them done.
- Each font WeasyPrint meets while drawing copies its whole font program (2-5 MB for a
  CJK face) into Python, though a subset font never reads it: it subsets from the face.
  The copy is now made only if something reads ``Font.file_content`` before the subset
  replaces it (variable, colour or unsubset fonts).
"""

import os
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

import pydyf
import weasyprint
from weasyprint import pdf as weasyprint_pdf
from weasyprint.pdf import fonts as pdf_fonts
from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
from weasyprint.text.fonts import get_hb_object_data

PINNED = {"weasyprint": "70.0", "pydyf": "0.13.0"}
DROPPED_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")
STOCK_SUBSET = pdf_fonts.Font._harfbuzz_subset
STOCK_BUILD_FONTS = weasyprint_pdf.build_fonts_dictionary
STOCK_FONT_INIT = pdf_fonts.Font.__init__
ZLIB_LEVEL = 6
FONT_ZLIB_LEVEL = 1  # font programs: a third of the time of level 6 for 3% more bytes
_pools: dict[int, ThreadPoolExecutor] = {}  # by process: a forked child cannot use its parent's threads
# Font programs compressed ahead by the pool, taken by pydyf when it writes their stream.
_compressed_ahead: dict[bytes, bytes] = {}


class _Compressor:
    def __init__(self):
        self._compressor = None

    def compress(self, data: bytes) -> bytes:
        ready = _compressed_ahead.pop(data, None)
        if ready is not None:
            return ready
        self._compressor = zlib.compressobj(level=ZLIB_LEVEL)
        return self._compressor.compress(data)

    def flush(self) -> bytes:
        return self._compressor.flush() if self._compressor else b""


class ZlibForPydyf:
    """Stands in for the zlib module inside pydyf (which only calls compressobj)."""

    @staticmethod
    def compressobj(level=9):
        return _Compressor()


def _hb_set(values) -> tuple:
    values = sorted(values)
    return ffi.new(f"hb_codepoint_t[{len(values)}]", values), len(values)


def subset_in_one_pass(font, to_unicode, hinting):
    """Font._harfbuzz_subset with the two passes folded into one."""
    subset_input = ffi.gc(harfbuzz_subset.hb_subset_input_create_or_fail(), harfbuzz_subset.hb_subset_input_destroy)
    glyphs, count = _hb_set(to_unicode)
    harfbuzz.hb_set_add_sorted_array(harfbuzz_subset.hb_subset_input_glyph_set(subset_input), glyphs, count)
    flags = (
        harfbuzz_subset.HB_SUBSET_FLAGS_RETAIN_GIDS
        | harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
        | harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE
    )
    if not hinting:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING
    if font.missing:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
    harfbuzz_subset.hb_subset_input_set_flags(subset_input, flags)
    tags, count = _hb_set(harfbuzz.hb_tag_from_string(name, -1) for name in DROPPED_TABLES)
    drop_set = harfbuzz_subset.hb_subset_input_set(subset_input, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG)
    harfbuzz.hb_set_add_sorted_array(drop_set, tags, count)
    face = ffi.gc(harfbuzz_subset.hb_subset_or_fail(font.hb_face, subset_input), harfbuzz.hb_face_destroy)
    data = get_hb_object_data(face) if face else None
    if data:
        font.file_content = data
    else:  # let WeasyPrint try its own way and log why it failed
        STOCK_SUBSET(font, to_unicode, hinting)


_UNREAD = object()
_in_font_init = threading.local()


def _font_data(hb_object):
    """weasyprint.pdf.fonts.get_hb_object_data: the copy deferred while a Font is made."""
    return _UNREAD if getattr(_in_font_init, "active", False) else get_hb_object_data(hb_object)


def _font_init(font, *args, **kwargs):
    _in_font_init.active = True
    try:
        STOCK_FONT_INIT(font, *args, **kwargs)
    finally:
        _in_font_init.active = False


class _FontProgram:
    """Font.file_content, copied from the face the first time it is read."""

    def __get__(self, font, owner=None):
        if font is None:
            return self
        data = font.__dict__.get("file_content", _UNREAD)
        if data is _UNREAD:
            data = font.__dict__["file_content"] = get_hb_object_data(font.hb_face)
        return data

    def __set__(self, font, value):
        font.__dict__["file_content"] = value


def _done(*args) -> None:
    """Font.clean of a font the pool has already cleaned."""


def _clean_and_compress(font, to_unicode, hinting, compress) -> None:
    font.clean(to_unicode, hinting)
    font.clean = _done
    if compress:
        _compressed_ahead[font.file_content] = zlib.compress(font.file_content, FONT_ZLIB_LEVEL)


def _font_pool() -> ThreadPoolExecutor:
    pid = os.getpid()
    if pid not in _pools:
        _pools.clear()
        _pools[pid] = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="pdf-fonts")
    return _pools[pid]


def build_fonts_dictionary(pdf, fonts, compress, subset, options):
    """WeasyPrint's build_fonts_dictionary with the fonts cleaned and compressed in parallel."""
    _compressed_ahead.clear()  # what a failed write left behind
    by_description = {}
    for font in fonts.values():
        by_description.setdefault(font.hash, []).append(font)
    jobs = []
    for same in by_description.values():
        font = same[0]
        if subset and not font.bitmap and not any(each.used_in_forms for each in same):
            to_unicode = {key: value for each in same for key, value in each.to_unicode.items()}
            jobs.append(_font_pool().submit(_clean_and_compress, font, to_unicode, options["hinting"], compress))
    for job in jobs:
        job.result()
    return STOCK_BUILD_FONTS(pdf, fonts, compress, subset, options)


def install() -> bool:
    """Switch the changes on; False (and nothing changed) on unpinned versions."""
    if weasyprint.__version__ != PINNED["weasyprint"] or pydyf.__version__ != PINNED["pydyf"]:
        return False
    pydyf.zlib = ZlibForPydyf
    pdf_fonts.Font._harfbuzz_subset = subset_in_one_pass
    weasyprint_pdf.build_fonts_dictionary = build_fonts_dictionary
    pdf_fonts.get_hb_object_data = _font_data
    pdf_fonts.Font.__init__ = _font_init
    pdf_fonts.Font.file_content = _FontProgram()
    return True


def uninstall() -> None:
    """WeasyPrint as it comes (the naive side of make bench, and the tests' comparison)."""
    pydyf.zlib = zlib
    pdf_fonts.Font._harfbuzz_subset = STOCK_SUBSET
    weasyprint_pdf.build_fonts_dictionary = STOCK_BUILD_FONTS
    pdf_fonts.get_hb_object_data = get_hb_object_data
    pdf_fonts.Font.__init__ = STOCK_FONT_INIT
    if isinstance(pdf_fonts.Font.__dict__.get("file_content"), _FontProgram):
        del pdf_fonts.Font.file_content
