import datetime
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from sanitation.documents.body import Attachment, Heading, parse_body
from sanitation.documents.text_format import parse_document

SYNTHETIC = """城东区环卫事务中心文件
城东环卫〔2025〕7号
关于开展春节环境卫生大检查的通知
各街道、各环卫所：
一、总体要求
各单位要高度重视，认真组织自查。
附件：1. 检查评分表
2. 责任单位名单
城东区环卫事务中心
2025年1月10日
（此件公开发布）
抄送：区政府办公室，区城管局。
城东区环卫事务中心办公室 2025年1月12日印发
"""


@pytest.fixture(scope="module")
def association():
    return parse_document((Path(settings.SEEDS_DIR) / "association-2022-key-work.txt").read_text(encoding="utf-8"))


def test_association_header(association):
    assert association.mark == "中国城市环境卫生协会文件"
    assert association.number == "中环卫〔2022〕03号"
    assert association.title == "关于印发《2022年中国城市环境卫生协会重点工作》的通知"
    assert association.recipients == "各会员单位、各分支机构"


def test_association_imprint(association):
    assert association.copy_to.startswith("中央和国家机关")
    assert association.copy_to.endswith("各会员单位")
    assert association.printed_by == "中国城市环境卫生协会秘书处"
    assert association.printed_on == datetime.date(2022, 2, 28)


def test_association_has_no_closing_parts(association):
    assert (association.signature, association.written_on, association.note, association.attachments) == (
        "",
        None,
        "",
        [],
    )


def test_association_body_headings(association):
    blocks = parse_body(association.body)
    levels = Counter(block.level for block in blocks if isinstance(block, Heading))
    assert levels == {1: 10, 2: 32}
    first_levels = [block for block in blocks if isinstance(block, Heading) and block.level == 1]
    assert (first_levels[0].title, first_levels[-1].title) == (
        "推进党建工作，强化党建引领",
        "加强组织建设，提升服务能力",
    )
    assert [block for block in blocks if isinstance(block, Attachment)] == [
        Attachment(1, "2022年中国城市环境卫生协会重点工作")
    ]


def test_association_body_leaves_out_header_and_imprint(association):
    assert association.body.startswith("经会长办公会同意")
    assert "抄送" not in association.body
    assert "中国城市环境卫生协会秘书处" not in association.body
    assert "印发" not in association.body.splitlines()[-1]
    assert "此页无内容" not in association.body


def test_synthetic_document_with_every_part():
    content = parse_document(SYNTHETIC)
    assert content.mark == "城东区环卫事务中心文件"
    assert content.number == "城东环卫〔2025〕7号"
    assert content.title == "关于开展春节环境卫生大检查的通知"
    assert content.recipients == "各街道、各环卫所"
    assert content.attachments == ["检查评分表", "责任单位名单"]
    assert content.signature == "城东区环卫事务中心"
    assert content.written_on == datetime.date(2025, 1, 10)
    assert content.note == "此件公开发布"
    assert content.copy_to == "区政府办公室，区城管局"
    assert content.printed_by == "城东区环卫事务中心办公室"
    assert content.printed_on == datetime.date(2025, 1, 12)
    assert content.body == "一、总体要求\n各单位要高度重视，认真组织自查。"


def test_sentence_before_the_date_is_not_a_signature():
    content = parse_document("关于检查的通知\n请各单位认真落实。\n2025年1月10日")
    assert content.written_on == datetime.date(2025, 1, 10)
    assert content.signature == ""
    assert content.body == "请各单位认真落实。"


def test_document_without_header_is_title_and_body():
    content = parse_document("关于开展检查的通知\n一、总体要求\n请各单位认真落实。")
    assert content.title == "关于开展检查的通知"
    assert (content.mark, content.number, content.recipients) == ("", "", "")
    assert (content.copy_to, content.printed_by, content.printed_on) == ("", "", None)
    assert content.body == "一、总体要求\n请各单位认真落实。"


def test_empty_document_has_no_title():
    assert parse_document("\n---\n\n").title == ""


def test_printed_line_without_printing_office_keeps_copy_to():
    content = parse_document("关于检查的通知\n正文。\n抄送：区政府办公室。\n2025年3月2日印发")
    assert content.copy_to == "区政府办公室"
    assert content.printed_by == ""
