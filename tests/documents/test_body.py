import pytest

from sanitation.documents.body import (
    RUN_IN_LIMIT,
    Attachment,
    Figure,
    Heading,
    Paragraph,
    Table,
    clean_line,
    heading_of,
    parse_body,
    plain_text,
)

LONG_ITEM = (
    "（一）贯彻落实中央和国家机关工委、中央和国家机关行业协会商会党委及第一联合党委党建工作要求，"
    "按照《中央和国家机关行业协会商会党建工作质量攻坚三年行动方案》部署党建工作。"
)


@pytest.mark.parametrize(
    ("text", "level", "label", "title"),
    [
        ("一、推进党建工作，强化党建引领", 1, "一、", "推进党建工作，强化党建引领"),
        ("十二、其他工作", 1, "十二、", "其他工作"),
        ("（二）完善登记管理", 2, "（二）", "完善登记管理"),
        ("(三)配合政府部门", 2, "(三)", "配合政府部门"),
        ("1.深入实施铸魂培根", 3, "1.", "深入实施铸魂培根"),
        ("15、严格落实组织制度", 3, "15、", "严格落实组织制度"),
        ("2．抓好队伍培训", 3, "2．", "抓好队伍培训"),
        ("（1）每月检查一次", 4, "（1）", "每月检查一次"),
        ("(2)每季度通报", 4, "(2)", "每季度通报"),
    ],
)
def test_heading_levels(text, level, label, title):
    assert heading_of(text) == Heading(level, label, title)


@pytest.mark.parametrize("text", ["1.5吨生活垃圾", "2022年工作总结", "12.5%的社区", "一是加强领导", "（注）见附表"])
def test_numbers_and_plain_sentences_are_not_headings(text):
    assert heading_of(text) is None
    assert parse_body(text) == [Paragraph(text)]


def test_markdown_heading_marks_and_bold_are_dropped():
    assert parse_body("## **二、完善登记管理，参与等级评估**") == [Heading(1, "二、", "完善登记管理，参与等级评估")]
    assert parse_body("### （三）加强培训") == [Heading(2, "（三）", "加强培训")]


def test_long_item_without_short_first_sentence_is_label_only():
    heading = heading_of(LONG_ITEM)
    assert heading == Heading(2, "（一）", "", LONG_ITEM.removeprefix("（一）"))


def test_long_item_with_short_first_sentence_takes_it_as_heading():
    text = "（二）加强组织领导。各街道要成立工作专班，明确责任分工，定期调度推进，确保各项任务按时完成，取得实效。"
    assert len(text) > RUN_IN_LIMIT
    heading = heading_of(text)
    assert heading.title == "加强组织领导。"
    assert heading.rest == "各街道要成立工作专班，明确责任分工，定期调度推进，确保各项任务按时完成，取得实效。"


def test_heading_up_to_the_run_in_limit_stays_whole():
    text = "（一）" + "环" * (RUN_IN_LIMIT - 4) + "。"
    assert len(text) == RUN_IN_LIMIT
    assert heading_of(text) == Heading(2, "（一）", text.removeprefix("（一）"))
    longer = heading_of(text + "另")
    assert (longer.title, longer.rest) == (text.removeprefix("（一）"), "另")


def test_single_hash_title_starts_numbered_attachments():
    blocks = parse_body("正文。\n# 2022 年重点工作\n一、党建\n# 检查表\n内容")
    assert blocks == [
        Paragraph("正文。"),
        Attachment(1, "2022年重点工作"),
        Heading(1, "一、", "党建"),
        Attachment(2, "检查表"),
        Paragraph("内容"),
    ]


def test_single_hash_numbered_heading_is_a_heading_not_an_attachment():
    assert parse_body("# 一、总体要求") == [Heading(1, "一、", "总体要求")]


def test_pipe_table_with_header_rule():
    blocks = parse_body("| 街道 | 2022 年 |\n|---|:---:|\n| 城东 | 12 |\n| 城西 | 8 |\n后文")
    assert blocks == [Table(header=["街道", "2022年"], rows=[["城东", "12"], ["城西", "8"]]), Paragraph("后文")]


def test_pipe_table_without_header_rule_has_only_rows():
    assert parse_body("| a | b |\n| c | d |") == [Table(header=[], rows=[["a", "b"], ["c", "d"]])]


def test_blank_line_ends_a_table():
    blocks = parse_body("| a | b |\n\n| c | d |")
    assert blocks == [Table(header=[], rows=[["a", "b"]]), Table(header=[], rows=[["c", "d"]])]


def test_lone_table_rule_does_not_crash():
    assert parse_body("|---|---|") == []


def test_figure_placeholder():
    assert parse_body("[[figure:chart-1]]\n[[figure:two words]]") == [
        Figure("chart-1"),
        Paragraph("[[figure:two words]]"),
    ]


def test_page_furniture_is_dropped():
    text = "---\n***\n___\n(此页无内容)\n（此页无内容）\n\n   \n正文"
    assert parse_body(text) == [Paragraph("正文")]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("2022 年", "2022年"),
        ("协会 重点工作", "协会重点工作"),
        ("以协会 2021—2022 年年会", "以协会2021—2022年年会"),
        ("成立 30 周年", "成立30周年"),
        ("\u3000\u3000经会长办公会同意", "经会长办公会同意"),
        ("hello world 2022", "hello world 2022"),
        ("## **二、完善登记管理**", "二、完善登记管理"),
    ],
)
def test_clean_line(raw, clean):
    assert clean_line(raw) == clean


def test_plain_text_keeps_the_words_in_reading_order():
    blocks = parse_body(
        "一、总体要求\n（一）加强领导。" + "环" * 40 + "\n| 甲 | 乙 |\n|---|---|\n| 1 | 2 |\n# 附表\n[[figure:x]]"
    )
    assert plain_text(blocks) == "\n".join(["一、总体要求", "（一）加强领导。" + "环" * 40, "甲乙", "12", "附表"])
