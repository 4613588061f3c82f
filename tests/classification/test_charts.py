from decimal import Decimal
from xml.etree import ElementTree

from classification import charts

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return [element.text for element in root.iter(f"{SVG}text")]


def assert_no_style_or_script(svg: str) -> None:
    assert "style=" not in svg and "<script" not in svg and "<style" not in svg


def test_horizontal_bars_show_streets_values_and_targets():
    svg = charts.horizontal_bar_chart(
        title="各街道覆盖率",
        bars=[("城东街道", Decimal("75.00")), ("东湖街道", Decimal("100.00")), ("新街道", None)],
        targets=[("组织实施 09-30", Decimal("100"))],
        maximum=100,
    )
    labels = texts(svg)
    assert {"各街道覆盖率", "城东街道", "东湖街道", "75.00%", "100.00%", "—", "组织实施 09-30 100%"} <= set(labels)
    root = ElementTree.fromstring(svg)
    assert root.get("aria-label") == "各街道覆盖率"
    assert len(root.findall(f"{SVG}rect")) == 2  # no bar where there is no value
    assert [line.get("stroke-dasharray") for line in root.iter(f"{SVG}line")].count("4 3") == 1
    assert_no_style_or_script(svg)


def test_bar_length_is_proportional_to_the_value():
    svg = charts.horizontal_bar_chart(title="t", bars=[("甲", 25), ("乙", 50)], maximum=100)
    widths = [float(rect.get("width")) for rect in ElementTree.fromstring(svg).iter(f"{SVG}rect")]
    assert widths[1] == 2 * widths[0]


def test_text_is_escaped():
    svg = charts.bar_chart(title='A & B <"x">', bars=[("<script>alert(1)</script>", 3)])
    assert "<script>" not in svg
    assert 'A & B <"x">' in texts(svg)
    assert "<script>alert(1)</script>" in texts(svg)


def test_line_chart_has_a_point_per_month_and_a_gap_for_missing_ones():
    svg = charts.line_chart(
        title="分出率",
        points=[("2026-01", Decimal("20.00")), ("2026-02", Decimal("25.50")), ("2026-03", None), ("2026-04", 30)],
        target=Decimal("35"),
    )
    root = ElementTree.fromstring(svg)
    assert len(root.findall(f"{SVG}circle")) == 3
    assert len(root.findall(f"{SVG}polyline")) == 1  # April stands alone after the gap
    assert {"2026-01", "2026-04", "20.00", "25.50", "30", "35%"} <= set(texts(svg))
    assert_no_style_or_script(svg)


def test_composition_shows_each_category_with_its_share():
    svg = charts.stacked_bar_chart(
        title="四分类构成",
        parts=[
            ("可回收物", Decimal("2")),
            ("有害垃圾", Decimal("0.5")),
            ("厨余垃圾", Decimal("3")),
            ("其他垃圾", Decimal("4.5")),
        ],
        colours=charts.CATEGORY_COLOURS,
    )
    assert "厨余垃圾 3 t (30.00%)" in texts(svg)
    assert "可回收物 2 t (20.00%)" in texts(svg)
    fills = [rect.get("fill") for rect in ElementTree.fromstring(svg).iter(f"{SVG}rect")]
    assert set(charts.CATEGORY_COLOURS) <= set(fills)


def test_empty_charts_are_still_well_formed():
    for svg in (
        charts.horizontal_bar_chart(title="空", bars=[]),
        charts.line_chart(title="空", points=[]),
        charts.stacked_bar_chart(title="空", parts=[("厨余垃圾", 0)]),
        charts.bar_chart(title="空", bars=[], target=("要求", 3)),
    ):
        assert texts(svg)[0] == "空"


def test_simple_bars_show_values_and_target():
    svg = charts.bar_chart(title="示范点", bars=[("城东街道", 3), ("东湖街道", 1)], target=("要求", 3))
    assert {"城东街道", "东湖街道", "3", "1", "要求 3"} <= set(texts(svg))
