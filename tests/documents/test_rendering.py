import io
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from PIL import Image

from sanitation.documents.content import CircularContent
from sanitation.documents.fonts import missing_characters
from sanitation.documents.rendering import TITLE_CHARS_PER_LINE, renderer, title_lines
from sanitation.documents.text_format import parse_document

SEEDS = [
    "association-2022-key-work.txt",
    "district-center-2025-work-points.txt",
    "sorting-full-coverage-speech.txt",
    "sorting-work-summary.txt",
]
ASSOCIATION_TITLE = "关于印发《2022年中国城市环境卫生协会重点工作》的通知"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50"><text x="10" y="30">图表文字</text></svg>'


def poppler(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def squeezed(text: str) -> str:
    """pdftotext puts line breaks and spaces inside Chinese text; compare without them."""
    return re.sub(r"\s+", "", text)


def page_count(pdf: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)$", poppler("pdfinfo", str(pdf)), re.MULTILINE).group(1))


def is_red(r: int, g: int, b: int) -> bool:
    return r > 150 and r - g > 80 and r - b > 80


def render_to(content: CircularContent, path: Path) -> Path:
    path.write_bytes(renderer().render(content).data)
    return path


@pytest.fixture(scope="module")
def association_pdf(tmp_path_factory):
    output = tmp_path_factory.mktemp("render") / "association.pdf"
    stdout = io.StringIO()
    call_command("render_circular", str(Path(settings.SEEDS_DIR) / SEEDS[0]), "-o", str(output), stdout=stdout)
    assert str(output) in stdout.getvalue()
    return output


def test_association_text_in_reading_order(association_pdf):
    text = squeezed(poppler("pdftotext", str(association_pdf), "-"))
    expected = [
        "中国城市环境卫生协会文件",
        "中环卫〔2022〕03号",
        ASSOCIATION_TITLE,
        "各会员单位、各分支机构：",
        "一、推进党建工作",
        "十、加强组织建设",
        "抄送：",
        "中国城市环境卫生协会秘书处",
        "2022年2月28日印发",
    ]
    position = 0
    for words in expected:
        found = text.find(words, position)
        assert found >= 0, f"{words!r} missing after position {position}"
        position = found + len(words)


def test_every_page_is_numbered(association_pdf):
    pages = page_count(association_pdf)
    assert pages >= 2
    for number in range(1, pages + 1):
        page_text = squeezed(poppler("pdftotext", "-f", str(number), "-l", str(number), str(association_pdf), "-"))
        assert f"—{number}—" in page_text


def test_every_font_is_embedded_as_a_subset(association_pdf):
    rows = poppler("pdffonts", str(association_pdf)).splitlines()[2:]
    assert rows
    for row in rows:
        emb, sub = row.split()[-5:-3]
        assert (emb, sub) == ("yes", "yes"), row


def test_pdf_is_small_a4(association_pdf):
    assert association_pdf.stat().st_size < 400 * 1024
    width, height = map(
        float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", poppler("pdfinfo", str(association_pdf))).groups()
    )
    assert 595 <= width < 596 and 841 <= height < 842


def test_red_mark_and_rule_at_the_top_of_page_one(association_pdf, tmp_path):
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(association_pdf), str(tmp_path / "p")], check=True
    )
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    width, height = image.size
    pixels = image.load()
    red_per_row = [sum(1 for x in range(width) if is_red(*pixels[x, y])) for y in range(height)]
    red_rows = [y for y, count in enumerate(red_per_row) if count]
    assert red_rows, "no red on page 1"
    assert max(red_rows) < height * 0.45  # the banner only, nothing red further down
    # The rule spans the text block: 156 mm of a 210 mm page.
    assert max(red_per_row) > width * 156 / 210 * 0.9


@pytest.mark.parametrize("name", SEEDS)
def test_seed_glyphs_are_covered_and_render(name):
    text = (Path(settings.SEEDS_DIR) / name).read_text(encoding="utf-8")
    assert missing_characters(text) == []
    result = renderer().render(parse_document(text))
    assert result.data.startswith(b"%PDF")
    assert result.pages >= 1


def test_seeds_list_is_complete():
    assert sorted(path.name for path in Path(settings.SEEDS_DIR).glob("*.txt")) == SEEDS


def test_missing_characters_finds_undrawable_ones():
    assert missing_characters("正文\U000f0000 ok") == ["\U000f0000"]


def test_long_title_breaks_into_balanced_lines():
    for title in [
        ASSOCIATION_TITLE,
        "关于进一步加强城东区生活垃圾分类工作和环境卫生精细化管理的通知",
        "城东区环卫事务中心关于2025年春节期间环境卫生保障和生活垃圾分类督导检查工作安排的通知",
    ]:
        lines = title_lines(title)
        assert len(lines) > 1
        assert "".join(lines) == title
        assert all(len(line) <= TITLE_CHARS_PER_LINE for line in lines), lines
        assert max(map(len, lines)) - min(map(len, lines)) <= 8, lines


def test_association_title_splits_into_two_equal_lines():
    assert title_lines(ASSOCIATION_TITLE) == ["关于印发《2022年中国城市", "环境卫生协会重点工作》的通知"]


def test_a_title_is_not_cut_inside_a_number():
    lines = title_lines("生活垃圾分类工作周报（2026年第47周，11月16日至11月22日）")
    assert len(lines) == 2
    assert not (lines[0][-1].isdigit() and lines[1][0].isdigit()), lines


def test_short_title_stays_one_line():
    assert title_lines("关于开展检查的通知") == ["关于开展检查的通知"]
    assert title_lines("环" * TITLE_CHARS_PER_LINE) == ["环" * TITLE_CHARS_PER_LINE]


def test_title_line_never_exceeds_the_line_length():
    lines = title_lines("一" * 23 + "的" + "二" * 16)
    assert all(len(line) <= TITLE_CHARS_PER_LINE for line in lines), [len(line) for line in lines]


def test_full_line_holds_28_characters(tmp_path):
    pdf = render_to(CircularContent(title="测试", body="环" * 84), tmp_path / "grid.pdf")
    layout = poppler("pdftotext", "-layout", str(pdf), "-")
    # The first line is indented by two characters (text-indent: 2em).
    assert [line.count("环") for line in layout.splitlines() if "环" in line] == [26, 28, 28, 2]


def test_figure_is_drawn_and_unknown_figure_is_printed_literally(tmp_path):
    content = CircularContent(title="测试", body="[[figure:chart]]\n[[figure:nope]]", figures={"chart": SVG})
    text = poppler("pdftotext", str(render_to(content, tmp_path / "figure.pdf")), "-")
    assert "图表文字" in text
    assert "[[figure:nope]]" in text
    assert "[[figure:chart]]" not in text


def test_one_pass_font_subsetting_writes_the_same_bytes_as_weasyprint():
    from weasyprint.pdf import fonts as weasyprint_fonts

    from sanitation.documents import pdf_writing

    content = parse_document((Path(settings.SEEDS_DIR) / "association-2022-key-work.txt").read_text())
    document = renderer().layout(content)
    assert weasyprint_fonts.Font._harfbuzz_subset is pdf_writing.subset_in_one_pass
    ours = document.write_pdf()
    try:
        weasyprint_fonts.Font._harfbuzz_subset = pdf_writing.STOCK_SUBSET
        stock = renderer().layout(content).write_pdf()
    finally:
        weasyprint_fonts.Font._harfbuzz_subset = pdf_writing.subset_in_one_pass
    assert len(ours) > 100_000
    assert ours == stock


def test_faster_pdf_writing_reads_back_like_weasyprints_own(tmp_path):
    from sanitation.documents import pdf_writing

    content = parse_document((Path(settings.SEEDS_DIR) / "association-2022-key-work.txt").read_text())
    ours = render_to(content, tmp_path / "ours.pdf")
    pdf_writing.uninstall()
    try:
        stock = render_to(content, tmp_path / "stock.pdf")
    finally:
        assert pdf_writing.install()
    assert poppler("pdftotext", "-layout", str(ours), "-") == poppler("pdftotext", "-layout", str(stock), "-")
    assert poppler("pdffonts", str(ours)).count(" yes yes yes ") == 4
    first_page = ["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-gray"]
    assert poppler(*first_page, str(ours), str(tmp_path / "ours")) == poppler(
        *first_page, str(stock), str(tmp_path / "s")
    )
    assert (tmp_path / "ours-1.pgm").read_bytes() == (tmp_path / "s-1.pgm").read_bytes()
