"""The monthly dispatch (月调度): plan progress by unit, indicators, rates, inspections and ranking,
what is overdue, and the numbered 调度通报 it ends in."""

import datetime
import json
import re
import subprocess
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from classification.models import CollectionRecord
from plans.models import Chapter, Indicator, Item, Plan, ProgressReport
from sanitation.documents.content import CircularContent
from sanitation.documents.models import DocumentIssuer
from sanitation.documents.rendering import renderer
from sanitation.organisations.models import Unit
from supervision.cycle import monthly
from supervision.cycle.base import in_document_language
from supervision.models import Inspection, Problem, Rectification, RectificationState, Severity
from supervision.scores import previous_period
from tests.factories import SiteFactory

START = datetime.date(2026, 10, 1)
END = datetime.date(2026, 10, 31)


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def plan_make(issuer, *, year=2026, title=None) -> Plan:
    plan = Plan.objects.create(issuer=issuer, year=year, title=title or f"{issuer.name}{year}年工作要点")
    Chapter.objects.create(plan=plan, number=1, title="重点工作")
    return plan


def item_make(plan, number, title, *, leads, deadline, percent=0, completed_on=None) -> Item:
    item = Item.objects.create(
        plan=plan,
        chapter=plan.chapters.get(),
        number=number,
        position=number,
        title=title,
        text=title,
        deadline=deadline,
        percent=percent,
        completed_on=completed_on,
    )
    item.lead_units.set(leads)
    return item


def inspect(site, when, percent, *, scheme, by, problems=()) -> Inspection:
    inspection = Inspection.objects.create(
        site=site,
        street=site.street,
        scheme=scheme,
        inspected_at=when,
        recorded_by=by,
        percent=Decimal(percent),
        score=Decimal(percent),
        max_score=100,
        problem_count=len(problems),
    )
    for problem_type in problems:
        Problem.objects.create(inspection=inspection, problem_type=problem_type, severity=Severity.GENERAL)
    return inspection


def rectify(problem, *, deadline, state=RectificationState.PENDING, closed_at=None) -> Rectification:
    return Rectification.objects.create(
        problem=problem,
        unit=problem.inspection.site.street,
        site=problem.inspection.site,
        responsible_party=problem.inspection.site.property_company,
        state=state,
        deadline=deadline,
        opened_at=problem.inspection.inspected_at,
        closed_at=closed_at,
    )


@pytest.fixture
def world(district, streets, sites, scheme, clerk, problem_types, other_district):
    """District A in October 2026: two plans that give it work, indicators, collection, inspections
    of every street, and rectifications on both sides of their deadline."""
    jd1, jd2, _jd3 = streets
    hwg, s1 = unit("A-ZX-HWG"), unit("A-ZX-S1")

    plan = plan_make(unit("A-ZX"))
    on_time = item_make(
        plan,
        1,
        "建设分类屋",
        leads=[hwg],
        deadline=datetime.date(2026, 9, 30),
        percent=100,
        completed_on=datetime.date(2026, 9, 20),
    )
    item_make(
        plan,
        2,
        "更新分类桶",
        leads=[hwg],
        deadline=datetime.date(2026, 9, 30),
        percent=100,
        completed_on=datetime.date(2026, 10, 15),
    )
    late = item_make(plan, 3, "清运车辆改装", leads=[hwg, s1], deadline=datetime.date(2026, 10, 20), percent=50)
    reported = item_make(plan, 4, "分类宣传进小区", leads=[s1], deadline=datetime.date(2026, 12, 31))
    ProgressReport.objects.create(item=reported, unit=s1, month=datetime.date(2026, 10, 1), text="启动", percent=0)
    unstarted = item_make(plan, 5, "中转站提升", leads=[s1], deadline=datetime.date(2026, 12, 31))
    # Reported only in November: not started as of 31 October.
    ProgressReport.objects.create(item=unstarted, unit=s1, month=datetime.date(2026, 11, 1), text="启动", percent=0)
    # Completed in November: still in progress as of 31 October.
    item_make(
        plan,
        6,
        "督导员培训",
        leads=[s1],
        deadline=datetime.date(2026, 12, 31),
        percent=100,
        completed_on=datetime.date(2026, 11, 5),
    )
    item_make(plan, 7, "街道示范片区", leads=[jd1], deadline=END)  # due on the last day: not late yet
    last_year = plan_make(unit("A-ZX"), year=2025)
    item_make(last_year, 1, "去年的事项", leads=[hwg], deadline=datetime.date(2025, 6, 30))

    # Another district's plan hands street A-JD2 an item (shared with its own street).
    foreign = plan_make(other_district, title="B区2026年工作要点")
    item_make(foreign, 1, "跨区协同清运", leads=[jd2, unit("B-JD1")], deadline=datetime.date(2026, 8, 31), percent=20)
    item_make(foreign, 2, "B区自己的事项", leads=[unit("B-JD1")], deadline=datetime.date(2026, 8, 31))

    Indicator.objects.create(
        item=on_time, name="新建分类屋", target_value=10, unit="个", due_on=datetime.date(2026, 9, 30), actual_value=12
    )
    Indicator.objects.create(item=late, name="改装车辆", target_value=20, unit="辆")
    coverage = Indicator.objects.create(
        item=reported, name="分类覆盖率", target_value=100, unit="%", provider="classification.coverage_rate"
    )
    separation = Indicator.objects.create(
        item=unstarted, name="厨余垃圾分出率", target_value=30, unit="%", provider="classification.separation_rate"
    )

    # Coverage on 31 October: 6 of the 9 sites (one more only from November).
    for site in sites[:6]:
        site.covered_since = datetime.date(2026, 5, 1)
        site.save()
    sites[6].covered_since = datetime.date(2026, 11, 10)
    sites[6].save()
    # October: 3 t kitchen of 10 t (30 %); September: 1 t of 10 t, so the year so far is 20 %.
    CollectionRecord.objects.create(street=jd1, collected_on=datetime.date(2026, 10, 12), kitchen_t=3, other_t=7)
    CollectionRecord.objects.create(street=jd2, collected_on=datetime.date(2026, 9, 12), kitchen_t=1, other_t=9)

    estate1, school1, _restaurant1, estate2, _school2, _restaurant2, _estate3, school3, restaurant3 = sites
    mixed, overflowing, damaged = (
        problem_types["mixed-disposal"],
        problem_types["overflowing"],
        problem_types["damaged-bins"],
    )
    first = inspect(
        estate1,
        at(datetime.date(2026, 10, 5)),
        80,
        scheme=scheme,
        by=clerk,
        problems=[mixed, mixed, overflowing, overflowing],
    )
    inspect(estate1, at(datetime.date(2026, 10, 20)), 100, scheme=scheme, by=clerk)
    school = inspect(school1, at(datetime.date(2026, 10, 6)), 70, scheme=scheme, by=clerk, problems=[damaged])
    inspect(estate2, at(datetime.date(2026, 10, 7)), 95, scheme=scheme, by=clerk)
    third = inspect(restaurant3, at(datetime.date(2026, 10, 8)), 50, scheme=scheme, by=clerk, problems=[mixed])
    # Outside October on both sides (local time).
    inspect(school3, at(datetime.date(2026, 9, 30), 23, 59), 10, scheme=scheme, by=clerk, problems=[damaged])
    inspect(school3, at(datetime.date(2026, 11, 1), 0, 0), 10, scheme=scheme, by=clerk)

    p1, p2, p3, p4 = first.problems.order_by("pk")
    rectify(p1, deadline=datetime.date(2026, 10, 12), state=RectificationState.OVERDUE)
    rectify(
        p2,
        deadline=datetime.date(2026, 10, 20),
        state=RectificationState.CLOSED,
        closed_at=at(datetime.date(2026, 11, 3)),
    )
    rectify(
        p3,
        deadline=datetime.date(2026, 10, 15),
        state=RectificationState.CLOSED,
        closed_at=at(datetime.date(2026, 10, 14)),
    )
    rectify(p4, deadline=END)  # due on the last day: not overdue yet
    rectify(school.problems.get(), deadline=datetime.date(2026, 10, 25), state=RectificationState.AWAITING_REVIEW)
    rectify(third.problems.get(), deadline=datetime.date(2026, 10, 10))
    return {"district": district, "coverage": coverage, "separation": separation, "scheme": scheme, "clerk": clerk}


def test_plan_items_by_lead_unit_as_of_the_month_end(world):
    data = monthly.collect(district=world["district"], start=START, end=END)

    assert data["items"] == {
        "total": 8,
        "done": 2,
        "done_on_time": 1,
        "late": 2,
        "in_progress": 2,
        "not_started": 2,
    }
    assert [
        (
            row["unit"],
            row["total"],
            row["done"],
            row["done_on_time"],
            row["late"],
            row["in_progress"],
            row["not_started"],
        )
        for row in data["units"]
    ] == [
        ("A第1街道", 1, 0, 0, 0, 0, 1),
        ("A第2街道", 1, 0, 0, 1, 0, 0),  # B's own street is not A's business
        ("环境卫生股", 3, 2, 1, 1, 0, 0),
        ("第一环卫所", 4, 0, 0, 1, 2, 1),
    ]
    assert [plan["title"] for plan in data["plans"]] == ["A区环卫中心2026年工作要点", "B区2026年工作要点"]
    assert [
        (row["label"], row["title"], row["lead_units"], row["deadline"], row["days_late"], row["percent"])
        for row in data["overdue_items"]
    ] == [
        ("1.", "跨区协同清运", ["A第2街道", "B第1街道"], "2026-08-31", 61, 20),
        ("3.", "清运车辆改装", ["环境卫生股", "第一环卫所"], "2026-10-20", 11, 50),
    ]
    json.dumps(data)  # the engine stores it in a JSONField


def test_indicators_are_computed_for_the_month_end_without_being_saved(world):
    data = monthly.collect(district=world["district"], start=START, end=END)

    assert [
        (row["name"], row["target"], row["actual"], row["unit"], row["due"], row["computed"], row["met"])
        for row in data["indicators"]
    ] == [
        ("新建分类屋", "10.00", "12.00", "个", "2026-09-30", False, True),
        ("改装车辆", "20.00", None, "辆", None, False, None),
        ("分类覆盖率", "100.00", "66.67", "%", None, True, False),
        # The provider's rate is the plan year's so far (4 t of 20 t), not the month's.
        ("厨余垃圾分出率", "30.00", "20.00", "%", None, True, False),
    ]
    world["coverage"].refresh_from_db()
    world["separation"].refresh_from_db()
    assert world["coverage"].actual_value is None and world["separation"].actual_value is None
    assert data["rates"] == {"coverage": "66.67", "separation": "30.00", "kitchen_t": "3.000", "total_t": "10.000"}


def test_inspections_ranking_and_overdue_rectifications_of_the_month(world):
    data = monthly.collect(district=world["district"], start=START, end=END)

    assert data["inspections"] == {"count": 5, "sites": 4, "average": "79.00", "problems": 6}
    assert data["problems_by_type"] == [
        {"type": "混投", "count": 3},
        {"type": "满溢", "count": 2},
        {"type": "桶点破损", "count": 1},
    ]
    assert [
        (row["rank"], row["street"], row["total"], row["inspections"], row["sites"], row["listing"])
        for row in data["ranking"]
    ] == [
        (1, "A第2街道", "95.00", 1, 1, "red"),
        (2, "A第1街道", "80.00", 3, 2, ""),
        (3, "A第3街道", "50.00", 1, 1, "black"),
    ]
    assert (data["red_list"], data["black_list"]) == (["A第2街道"], ["A第3街道"])
    assert [
        (row["street"], row["site"], row["problem"], row["unit"], row["deadline"], row["days_late"])
        for row in data["overdue_rectifications"]
    ] == [
        ("A第3街道", "A第3街道酒家", "混投", "A第3街道", "2026-10-10", 21),
        ("A第1街道", "A第1街道花园", "混投", "A第1街道", "2026-10-12", 19),
        # Closed only in November: still open at the end of October.
        ("A第1街道", "A第1街道花园", "混投", "A第1街道", "2026-10-20", 11),
    ]
    assert data["overdue_rectifications"][1]["responsible_party"] == "花园物业"


def _grow(world, *, n: int) -> None:
    """n more items (each with an entered and a computed indicator), inspections with a problem, and
    overdue rectifications."""
    plan = Plan.objects.get(title="A区环卫中心2026年工作要点")
    hwg = unit("A-ZX-HWG")
    sites = [SiteFactory(street=street) for street in Unit.objects.filter(code__in=["A-JD1", "A-JD2"])]
    problem_type = Problem.objects.first().problem_type
    for index in range(n):
        item = item_make(plan, 100 + index, f"新增事项{index}", leads=[hwg], deadline=datetime.date(2026, 10, 1))
        Indicator.objects.create(item=item, name=f"指标{index}", target_value=1, actual_value=index)
        Indicator.objects.create(
            item=item, name=f"覆盖率{index}", target_value=100, provider="classification.coverage_rate"
        )
        site = sites[index % 2]
        inspection = inspect(
            site,
            at(datetime.date(2026, 10, 3 + index % 20)),
            90,
            scheme=world["scheme"],
            by=world["clerk"],
            problems=[problem_type],
        )
        rectify(inspection.problems.get(), deadline=datetime.date(2026, 10, 28))


def _queries(district) -> int:
    with CaptureQueriesContext(connection) as queries:
        data = monthly.collect(district=district, start=START, end=END)
        with in_document_language():
            monthly.document(issuer=None, district=district, start=START, end=END, data=data)
    return len(queries.captured_queries)


def test_constant_queries_however_many_items_and_inspections(world):
    _grow(world, n=2)
    small = _queries(world["district"])
    _grow(world, n=12)
    large = _queries(world["district"])

    assert small == large
    data = monthly.collect(district=world["district"], start=START, end=END)
    assert data["items"]["total"] == 8 + 14 and len(data["indicators"]) == 4 + 28


def flat(text: str) -> str:
    """Text without the spaces and breaks a PDF or a table puts between words."""
    return re.sub(r"\s+", "", text)


def test_document_is_a_numbered_bulletin_with_units_numbers_and_ranking(world):
    district = world["district"]
    data = monthly.collect(district=district, start=START, end=END)
    with in_document_language():
        doc = monthly.document(issuer=None, district=district, start=START, end=END, data=data)
        title = str(
            gettext("Bulletin on the dispatch of household waste sorting and key work in month %(month)s of %(year)s")
            % {"year": 2026, "month": 10}
        )

    assert doc.numbered is True
    assert doc.title == title
    assert doc.recipients and doc.copy_to
    lines = doc.body.splitlines()
    headings = [line[:2] for line in lines if re.match(r"^[一二三四五六]、", line)]
    assert headings == ["一、", "二、", "三、", "四、", "五、", "六、"]
    # The table by unit, the indicators, the ranking with its lists, the overdue rows.
    assert any(line.startswith("| 环境卫生股 | 3 | 2 | 1 | 0 | 0 | 1 | 66.67% |") for line in lines)
    assert any(line.startswith("| 第一环卫所 | 4 | 0 | 0 | 2 | 1 | 1 | 0.00% |") for line in lines)
    assert any("| 分类覆盖率 | 100.00% | 66.67% |" in line for line in lines)
    assert "| 1 | A第2街道 | 1 | 1 | 95.00 | 95.00 |" in doc.body
    assert "| 3 | A第3街道 | 1 | 1 | 50.00 | 50.00 |" in doc.body
    assert "| A第3街道 | A第3街道酒家 | 混投 | A第3街道 |" in doc.body
    assert "清运车辆改装" in doc.body and "跨区协同清运" in doc.body
    assert "66.67%" in lines[1] and "30.00%" in lines[1] and "79.00%" in lines[1]
    assert set(doc.figures) == {"item_states", "unit_completion", "street_scores"}
    for name in doc.figures:
        assert f"[[figure:{name}]]" in lines
    assert "A第2街道" in doc.figures["street_scores"] and "<script" not in doc.figures["street_scores"]


def test_document_follows_the_document_language(world, english):
    data = monthly.collect(district=world["district"], start=START, end=END)
    doc = monthly.document(issuer=None, district=world["district"], start=START, end=END, data=data)
    assert "Red list of the month: A第2街道." in doc.body
    assert "Black list of the month: A第3街道." in doc.body
    assert "8 key work items led by 4 units: 2 done (1 on time)" in doc.body


@pytest.fixture
def issuer(district):
    return DocumentIssuer.objects.create(
        unit=unit("A-FLB"), prefix="A分类办", mark="A区生活垃圾分类工作领导小组办公室文件", signature="A区分类办"
    )


def test_pdf_as_a_circular_shows_title_units_and_scores(world, issuer):
    data = monthly.collect(district=world["district"], start=START, end=END)
    with in_document_language():
        doc = monthly.document(issuer=issuer, district=world["district"], start=START, end=END, data=data)
    content = CircularContent(
        title=doc.title,
        body=doc.body,
        mark=issuer.mark,
        number=issuer.format_number(2026, 7),
        recipients=doc.recipients,
        signature=issuer.signature,
        written_on=datetime.date(2026, 11, 1),
        copy_to=doc.copy_to,
        printed_by=issuer.signature,
        printed_on=datetime.date(2026, 11, 1),
        figures=doc.figures,
    )
    pdf = renderer().render(content).data
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()

    assert flat(doc.title) in flat(text)
    assert "A分类办〔2026〕7号" in flat(text)
    assert "环境卫生股" in text and "第一环卫所" in text
    assert "A第2街道" in text and "95.00" in text
    assert "A第3街道酒家" in flat(text)


def test_the_demo_district_previous_month(db):
    call_command("seed_demo", verbosity=0)
    district = Unit.objects.get(code="CD")
    start, end = previous_period("month", timezone.localdate())

    data = monthly.collect(district=district, start=start, end=end)
    with in_document_language():
        doc = monthly.document(issuer=None, district=district, start=start, end=end, data=data)

    streets = list(Unit.objects.filter(parent=district, kind="street").values_list("name", flat=True))
    assert len(streets) == 8
    assert data["inspections"]["count"] > 0 and len(data["ranking"]) == 8
    assert data["rates"]["coverage"] is not None and data["rates"]["separation"] is not None
    for name in streets:
        assert name in doc.body
    assert doc.figures["street_scores"] and doc.numbered
    json.dumps(data)
    with translation.override("en"):
        assert monthly.document(issuer=None, district=district, start=start, end=end, data=data).body
