"""Hostile files for tests/test_bad_input.py, built at test time: spreadsheets, documents and
images that are broken, lie about what they are, or would cost minutes and gigabytes to read.

Each is small to build and to hold: a “1 GB” sheet is a 1 MB deflate stream of repeated
blocks, a “100 MB” upload streams from a generator, a “50,000 × 50,000” PNG is its header."""

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from functools import cache
from xml.sax.saxutils import escape

import openpyxl
from PIL import Image

MEGABYTE = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)

# Spreadsheets -------------------------------------------------------------------------------


def workbook(headers: Iterable, rows: Iterable[Iterable] = ()) -> bytes:
    """An honest .xlsx: the headers, then the rows."""
    book = openpyxl.Workbook()
    book.active.append(list(headers))
    for row in rows:
        book.active.append(list(row))
    return saved(book)


def saved(book) -> bytes:
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def text_named_xlsx() -> bytes:
    return "名称,类型\n某公司,单位会员\n".encode()


def old_xls() -> bytes:
    """The first bytes of an Excel 97–2003 (OLE compound) file."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def zip_not_xlsx() -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("readme.txt", "这不是表格")
    return stream.getvalue()


def truncated_xlsx(headers: Iterable) -> bytes:
    """A real workbook cut in half, as an interrupted download leaves it."""
    content = workbook(headers, [["x"] * len(list(headers))])
    return content[: len(content) // 2]


def inline_row(number: int, values: Iterable) -> bytes:
    """A <row> of inline strings (numbers stay numbers), as the hostile sheets below write them."""
    cells = []
    for column, value in enumerate(values, start=1):
        ref = f"{openpyxl.utils.get_column_letter(column)}{number}"
        if isinstance(value, int | float):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'.encode()


def sheet_xml(rows: bytes, *, dimension: str = "", before_data: bytes = b"") -> bytes:
    dimension_tag = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return SHEET_HEAD + dimension_tag + before_data + b"<sheetData>" + rows + b"</sheetData></worksheet>"


def with_parts(parts: dict[str, bytes | tuple]) -> bytes:
    """An openpyxl workbook with some parts replaced. A part given as (raw deflate stream, crc,
    size) is stored as it is: that is how a part that inflates to a gigabyte stays small."""
    base = zipfile.ZipFile(io.BytesIO(workbook(["x"])))
    members = {info.filename: base.read(info.filename) for info in base.infolist()}
    return zip_of({**members, **parts})


def zip_of(members: dict[str, bytes | tuple]) -> bytes:
    """A zip file, written by hand so that a member can be a ready deflate stream."""
    out = io.BytesIO()
    central = []
    for name, content in members.items():
        if isinstance(content, tuple):
            deflated, crc, size = content
        else:
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            deflated = compressor.compress(content) + compressor.flush()
            crc, size = zlib.crc32(content), len(content)
        encoded = name.encode()
        offset = out.tell()
        # local file header: version 20, no flags, deflate, no time, crc, sizes, name
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(deflated), size, len(encoded), 0))
        out.write(encoded)
        out.write(deflated)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(deflated),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


@cache
def deflated_zeros(megabytes: int) -> tuple[bytes, int, int]:
    """(raw deflate stream, crc32, size) of `megabytes` MB of zero bytes, about 1 KB per MB.
    After a full flush the compressor starts afresh, so a block repeats byte for byte."""
    block = bytes(MEGABYTE)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = first + repeated * (megabytes - 1) + compressor.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    return stream, crc, megabytes * MEGABYTE


def zip_bomb_xlsx(megabytes: int = 1024) -> bytes:
    """A 1 MB .xlsx whose sheet inflates to a gigabyte, and says so."""
    return with_parts({SHEET: deflated_zeros(megabytes)})


def lying_zip_bomb_xlsx(megabytes: int = 1024) -> bytes:
    """The same sheet, its header claiming 10 KB: only inflating would show the lie."""
    stream, crc, _size = deflated_zeros(megabytes)
    return with_parts({SHEET: (stream, crc, 10_000)})


def sheet_with(headers: Iterable, rows: bytes, **options) -> bytes:
    """A workbook whose first sheet has the headers in row 1, then `rows` (raw <row> XML)."""
    return with_parts({SHEET: sheet_xml(inline_row(1, headers) + rows, **options)})


def million_rows_declared(headers: Iterable) -> bytes:
    """Two rows that claim to span A1:XFD1048576."""
    return sheet_with(headers, b"", dimension="A1:XFD1048576")


def far_row(headers: Iterable) -> bytes:
    """One cell in the last row Excel has: a reader that pads the gap makes a million rows."""
    return sheet_with(headers, b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>')


def million_empty_rows(headers: Iterable) -> bytes:
    """A million <row/> elements: 6 MB of XML, a few kilobytes zipped."""
    return sheet_with(headers, b"<row/>" * 1_000_000)


def row_of_million_cells(headers: Iterable) -> bytes:
    """One row of three million empty cells: a reader that builds the row holds gigabytes."""
    return sheet_with(headers, b'<row r="2">' + b"<c/>" * 3_000_000 + b"</row>")


def far_columns(headers: Iterable) -> bytes:
    """Rows with one cell in column XFD: padded, each is 16,384 cells wide."""
    rows = b"".join(b'<row r="%d"><c r="XFD%d"><v>1</v></c></row>' % (n, n) for n in range(2, 1500))
    return sheet_with(headers, rows)


def million_shared_strings(headers: Iterable) -> bytes:
    """A shared-string table of a million entries that no cell uses."""
    table = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" count="1000000" uniqueCount="1000000">'
        + b"<si><t>a</t></si>" * 1_000_000
        + b"</sst>"
    )
    content = sheet_with(headers, b"")
    archive = zipfile.ZipFile(io.BytesIO(content))
    members = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    types = members["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/></Types>',
    )
    return zip_of({**members, "[Content_Types].xml": types, "xl/sharedStrings.xml": table})


def entity_bomb(headers: Iterable) -> bytes:
    """“Billion laughs”: ten levels of entities, each ten of the one below, in the sheet's XML."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{"".join(f"&lol{n - 1};" for _ in range(10))}">' for n in range(1, 10)
    ]
    doctype = f"<!DOCTYPE worksheet [{''.join(levels)}]>".encode()
    xml = sheet_xml(inline_row(1, headers) + b'<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>')
    head, body = xml.split(b"\n", 1)
    return with_parts({SHEET: head + b"\n" + doctype + body})


def raw_nul_in_xml(headers: Iterable) -> bytes:
    """A NUL byte in the sheet's XML itself, which no XML parser accepts."""
    return sheet_with(headers, b'<row r="2"><c r="A2" t="inlineStr"><is><t>a\x00b</t></is></c></row>')


def cells_replaced(content: bytes, cells: dict[tuple[int, str], object], *, keep_rows: int | None = None) -> bytes:
    """A workbook (an export, say) with cells set, (Excel row, header) → value; a value that is
    (“formula”, text) is written as a formula. With keep_rows, rows past it are deleted."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    if keep_rows is not None and sheet.max_row > keep_rows:
        sheet.delete_rows(keep_rows + 1, sheet.max_row - keep_rows)
    formulas = {}
    for (row, header), value in cells.items():
        cell = sheet.cell(row, headers.index(header) + 1)
        if isinstance(value, tuple):
            formulas[cell.coordinate] = value[1]
            cell.value = "0"  # set below, raw, so that openpyxl's checks do not refuse it
        else:
            cell.value = value
    content = saved(book)
    if formulas:
        content = _formulas_written(content, formulas)
    return content


def _formulas_written(content: bytes, formulas: dict[str, str]) -> bytes:
    """The cells given rewritten as formula cells (<c><f>…</f></c>) with no cached value."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    members = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    xml = members[SHEET].decode()
    for ref, formula in formulas.items():
        start = xml.index(f'<c r="{ref}"')
        end = xml.index("</c>", start) + len("</c>")
        xml = xml[:start] + f'<c r="{ref}"><f>{escape(formula.removeprefix("="))}</f></c>' + xml[end:]
    return zip_of({**members, SHEET: xml.encode()})


def escaped_control_character(content: bytes, row: int, header: str) -> bytes:
    """A cell holding _x0000_, Excel's escape for a NUL character in a shared string."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    headers = [cell.value for cell in book.active[1]]
    book.active.cell(row, headers.index(header) + 1).value = "MARKER-NUL"
    content = saved(book)
    archive = zipfile.ZipFile(io.BytesIO(content))
    members = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    for name in ("xl/sharedStrings.xml", SHEET):
        if name in members and b"MARKER-NUL" in members[name]:
            members[name] = members[name].replace(b"MARKER-NUL", b"a_x0000_b")
    return zip_of(members)


# A 100 MB upload, streamed -------------------------------------------------------------------


class StreamedMultipart(io.RawIOBase):
    """A multipart/form-data body with one file field of `size` zero bytes and other fields,
    produced as it is read: the test client's own encoder would hold it all in memory."""

    boundary = "BadInputBoundary7MA4YWxkTrZu0gW"

    def __init__(self, *, field: str, filename: str, size: int, fields: dict[str, str] | None = None):
        head = "".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in (fields or {}).items()
        )
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.length = len(head.encode()) + size + len(tail)
        self.parts = self._parts(head.encode(), size, tail)
        self.buffer = b""
        self.sent = 0  # bytes read from the body so far

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @staticmethod
    def _parts(head: bytes, size: int, tail: bytes) -> Iterator[bytes]:
        yield head
        chunk = bytes(MEGABYTE)
        left = size
        while left:
            yield chunk[: min(left, MEGABYTE)]
            left -= min(left, MEGABYTE)
        yield tail

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self.buffer:
            self.buffer = next(self.parts, b"")
            if not self.buffer:
                return 0
        size = min(len(target), len(self.buffer))
        target[:size] = self.buffer[:size]
        self.buffer = self.buffer[size:]
        self.sent += size
        return size


def streamed_post(client, url: str, body: StreamedMultipart):
    """POST the streamed body through the whole stack (middleware, CSRF, the view)."""
    stream = io.BufferedReader(body, MEGABYTE)
    return client.generic(
        "POST", url, CONTENT_TYPE=body.content_type, CONTENT_LENGTH=str(body.length), **{"wsgi.input": stream}
    )


# Documents ---------------------------------------------------------------------------------------


def binary_garbage(size: int = 4096) -> bytes:
    """Bytes of a compiled program: NULs among them, not text in any encoding."""
    return bytes((n * 7919 + 13) % 256 for n in range(size))


def docx_not_a_zip() -> bytes:
    return "这是一段文字，不是 Word 文档。".encode()


def zip_not_docx() -> bytes:
    return zip_not_xlsx()


def docx_bomb(megabytes: int = 1024) -> bytes:
    """A .docx whose document.xml inflates to a gigabyte."""
    types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
    )
    return zip_of({"[Content_Types].xml": types, "word/document.xml": deflated_zeros(megabytes)})


# Images ------------------------------------------------------------------------------------------


def image_bytes(format: str, size=(40, 30), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "green").save(out, format=format)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares width × height grey pixels; its data is a few rows of zeros."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(bytes(width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def png_header_then_garbage() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + binary_garbage(2048)


def svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


def heic() -> bytes:
    """The first box of an HEIC file (what iPhones save), which Pillow does not read."""
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic" + bytes(64)


def truncated_jpeg() -> bytes:
    content = image_bytes("JPEG", size=(400, 300))
    return content[: len(content) // 2]
