import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from plans.models import Item, Plan
from plans.plan_text import chinese_number, chinese_numeral, parse_plan
from plans.services import PlanImportError, plan_import, plan_preview
from sanitation.organisations import demo as organisations_demo
from sanitation.organisations.models import Unit

SEEDS = Path(settings.SEEDS_DIR)
ASSOCIATION = SEEDS / "association-2022-key-work.txt"
DISTRICT = SEEDS / "district-center-2025-work-points.txt"


@pytest.fixture
def demo_units(db):
    organisations_demo.seed()


def test_numerals_round_trip():
    for number in (1, 9, 10, 11, 15, 20, 32, 99):
        assert chinese_number(chinese_numeral(number)) == number
    assert chinese_numeral(12) == "十二"


def test_association_plan_structure():
    plan = parse_plan(ASSOCIATION.read_text())
    assert plan.title == "2022年中国城市环境卫生协会重点工作" and plan.year == 2022
    assert [len(chapter.items) for chapter in plan.chapters] == [4, 3, 3, 3, 4, 4, 3, 3, 3, 2]
    assert plan.chapters[3].title == "大力发展会员，加强政府合作"  # bold marks gone
    assert not plan.gaps
    broken = plan.chapters[3].items[2]  # a paragraph the page broke in two
    assert broken.text.endswith("服务政府，助力推动环卫行业资源整合。")
    assert "抄送" not in plan.items[-1].text  # the 版记 is not part of the plan


def test_district_plan_gap_units_and_sub_points():
    plan = parse_plan(DISTRICT.read_text())
    assert plan.title == "区环卫事务中心2025年工作要点" and plan.year == 2025
    assert [item.number for item in plan.items] == [1, 2, *range(6, 16)]
    assert plan.gaps == [{"chapter": 2, "after": "2.", "missing": [3, 4, 5]}]
    first = plan.items[0]
    assert first.title == "深入实施铸魂培根"
    assert first.lead_names == ["办公室"] and first.assisting_names == ["各股室", "各单位"]
    assert len(first.sub_points) == 2 and first.sub_points[1].startswith("二是")
    assert "牵头单位" not in first.text
    item_10 = plan.items[6]
    assert item_10.lead_names == ["环境卫生股"] and item_10.assisting_names == ["各环卫所"]
    assert plan.items[1].truncated and plan.items[-1].truncated  # ……略…… and the preview's end
    assert plan.items[-1].indicators == [{"name": "厨余垃圾分出率", "target": "100", "unit": "%"}]


@pytest.mark.parametrize(
    "clause",
    [
        "（牵头单位：办公室；协助单位：各股室）",
        "(责任单位:办公室;配合单位:各股室)",
        "（牵头部门: 办公室 ，协助单位：各股室）。",
    ],
)
def test_unit_clause_variants(clause):
    plan = parse_plan(f"一、党建\n1.加强学习。一是学习。{clause}")
    assert plan.items[0].lead_names == ["办公室"] and plan.items[0].assisting_names == ["各股室"]


def test_text_without_structure_is_refused_and_nothing_written(demo_units):
    preview = plan_preview("这是一段没有任何章节编号的文字。", issuer=Unit.objects.get(code="CD-HWZX"), year=2025)
    with pytest.raises(PlanImportError):
        plan_import(preview)
    assert not Plan.objects.exists()


def test_district_plan_imports_with_every_unit_resolved(demo_units):
    center = Unit.objects.get(code="CD-HWZX")
    preview = plan_preview(DISTRICT.read_text(), issuer=center)
    assert preview.unknown_names == [] and preview.problems() == []
    plan = plan_import(preview)
    assert plan.year == 2025 and plan.chapters.count() == 4 and plan.items.count() == 12
    item_10 = plan.items.get(number=10)
    assert [unit.code for unit in item_10.lead_units.all()] == ["CD-HWZX-HWG"]
    stations = set(Unit.objects.filter(parent=center, kind="station").values_list("code", flat=True))
    assert set(item_10.assisting_units.values_list("code", flat=True)) == stations
    assert item_10.category.name == "环境卫生服务"
    assert plan.items.get(number=1).category.name == "党建"
    assert plan.items.get(number=15).indicators.get().target_value == 100


def test_association_plan_imports_with_categories(demo_units):
    preview = plan_preview(ASSOCIATION.read_text(), issuer=Unit.objects.get(code="CUEA"))
    plan = plan_import(preview)
    assert plan.items.count() == 32 and plan.chapters.count() == 10
    categories = list(plan.chapters.order_by("number").values_list("category__name", flat=True))
    assert categories[:6] == ["党建", "登记评估", "政府合作", "会员发展", "分支机构", "专项工作"]
    assert Item.objects.get(plan=plan, chapter__number=6, number=1).category.name == "设施评价"
    assert Item.objects.get(plan=plan, chapter__number=6, number=2).category.name == "信用评价"
    assert not Item.objects.filter(plan=plan, category__isnull=True).exists()


def test_unknown_unit_is_listed_and_nothing_is_saved(demo_units):
    text = "2025年工作要点\n一、党建\n1.加强学习。（牵头单位：宣传科；协助单位：各股室）"
    preview = plan_preview(text, issuer=Unit.objects.get(code="CD-HWZX"))
    assert preview.unknown_names == ["宣传科"]
    with pytest.raises(PlanImportError) as error:
        plan_import(preview)
    assert "宣传科" in error.value.problems[0]
    assert not Plan.objects.exists()
    mapped = plan_preview(text, issuer=preview.issuer, mapping={"宣传科": Unit.objects.get(code="CD-HWZX-BGS")})
    assert plan_import(mapped).items.get().lead_units.get().code == "CD-HWZX-BGS"


def test_import_plan_command_json_and_dry_run(demo_units):
    out = StringIO()
    call_command("import_plan", str(DISTRICT), "--issuer", "CD-HWZX", "--dry-run", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert sum(len(chapter["items"]) for chapter in data["chapters"]) == 12
    assert data["gaps"][0]["missing"] == [3, 4, 5] and data["unresolved"] == []
    item_10 = data["chapters"][2]["items"][0]
    assert item_10["label"] == "10." and item_10["lead_units"] == ["环境卫生股"]
    assert len(item_10["assisting_units"]) == 4
    assert not Plan.objects.exists()  # a dry run writes nothing

    call_command("import_plan", str(DISTRICT), "--issuer", "CD-HWZX", stdout=StringIO())
    assert Plan.objects.get().items.count() == 12
    with pytest.raises(CommandError):  # the same plan twice
        call_command("import_plan", str(DISTRICT), "--issuer", "CD-HWZX", stdout=StringIO())
    assert Plan.objects.count() == 1


def test_coverage_provider_computes_an_indicator(demo_units):
    from datetime import date

    from classification.models import Site, SiteKind
    from plans import indicators
    from plans.models import Indicator

    assert "classification.coverage_rate" in dict(indicators.provider_choices())
    preview = plan_preview(DISTRICT.read_text(), issuer=Unit.objects.get(code="CD-HWZX"))
    item = plan_import(preview).items.get(number=15)
    street = Unit.objects.filter(code__startswith="CD", kind="street").first()
    for number, since in enumerate([date(2025, 3, 1), date(2025, 8, 1), None, None]):
        Site.objects.create(street=street, name=f"小区{number}", kind=SiteKind.MANAGED_ESTATE, covered_since=since)
    indicator = Indicator.objects.create(
        item=item, name="覆盖率", target_value=100, unit="%", provider="classification.coverage_rate"
    )
    assert indicators.indicator_refresh(indicator, date(2025, 6, 30)).actual_value == 25
    assert indicators.indicator_refresh(indicator, date(2025, 9, 30)).actual_value == 50
    entered = item.indicators.get(provider="")
    assert indicators.indicator_refresh(entered).actual_value is None  # typed in, not computed
    assert indicators.indicator_enter(entered, 87).actual_value == 87


def test_item_changes_are_kept_in_history(demo_units):
    from datetime import date

    from plans.services import item_update
    from sanitation.core.history import history_of

    from ..factories import UserFactory

    plan = plan_import(plan_preview(DISTRICT.read_text(), issuer=Unit.objects.get(code="CD-HWZX")))
    item = plan.items.get(number=10)
    editor = UserFactory(display_name="王编辑")
    office = Unit.objects.get(code="CD-HWZX-BGS")
    changes = item_update(item, user=editor, deadline=date(2025, 9, 30), lead_units=[office], title=item.title)
    assert {change.field for change in changes} == {"deadline", "lead_units"}
    history = {change.field: change for change in history_of(item) if change.field}
    assert history["deadline"].old == "2025-12-31" and history["deadline"].new == "2025-09-30"
    assert history["lead_units"].old == "环境卫生股" and history["lead_units"].new == "中心办公室"
    assert history["deadline"].user == editor
    with pytest.raises(ValueError):
        item_update(item, percent=100)  # progress moves by reports, not edits


def test_word_document_imports_like_its_text(demo_units, tmp_path):
    import docx

    document = docx.Document()
    for line in DISTRICT.read_text().splitlines():
        document.add_paragraph(line)
    path = tmp_path / "工作要点.docx"
    document.save(path)
    out = StringIO()
    call_command("import_plan", str(path), "--issuer", "CD-HWZX", "--json", "--dry-run", stdout=out)
    data = json.loads(out.getvalue())
    assert [len(chapter["items"]) for chapter in data["chapters"]] == [2, 4, 4, 2]


def test_markdown_headings_bold_and_half_width_punctuation():
    text = "# 2024年工作要点\n## **一、党的建设**\n1、加强学习。(牵头单位:办公室;协助单位:各股室)\n2. 抓好宣传。\n"
    plan = parse_plan(text)
    assert plan.year == 2024 and plan.chapters[0].title == "党的建设"
    assert [item.number for item in plan.items] == [1, 2]
    assert plan.items[0].lead_names == ["办公室"] and plan.items[1].lead_names == []


def test_unreadable_files_are_refused(demo_units, tmp_path):
    binary = tmp_path / "plan.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    fake_docx = tmp_path / "plan.docx"
    fake_docx.write_bytes(b"PK\x03\x04 not really a zip")
    for path in (binary, fake_docx):
        with pytest.raises(CommandError):
            call_command("import_plan", str(path), "--issuer", "CD-HWZX", stdout=StringIO())
    assert not Plan.objects.exists()
