"""The year-end comprehensive assessment (年终综合评定): four quarters and plan completion combined
into each street's annual score (80 % / 20 %, renormalised to the parts that exist), the plan
completion of the other lead units, and the numbered circular."""

import datetime
import json
import re
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from plans.models import Chapter, Item, Plan
from sanitation.documents.body import Heading, Table, parse_body
from sanitation.documents.models import DocumentIssuer
from sanitation.organisations.models import Unit, UnitKind
from supervision.cycle import annual, base
from supervision.models import Inspection, ScoreSource, SourceKind, StreetSourceScore
from tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 12, 31)
QUARTERS = annual.quarters_of(2026)


def third_party(scheme, street, quarter: int, score):
    start, end = QUARTERS[quarter - 1]
    StreetSourceScore.objects.create(
        source=ScoreSource.objects.get(scheme=scheme, kind=SourceKind.THIRD_PARTY),
        street=street,
        period_start=start,
        period_end=end,
        score=Decimal(score),
    )


def item(plan, number, *, leads, deadline=None, percent=0, completed_on=None) -> Item:
    chapter, _ = Chapter.objects.get_or_create(plan=plan, number=1, defaults={"title": "垃圾分类"})
    made = Item.objects.create(
        plan=plan,
        chapter=chapter,
        number=number,
        position=number,
        title=f"事项{number}",
        text=f"事项{number}的内容",
        deadline=deadline,
        percent=percent,
        completed_on=completed_on,
    )
    made.lead_units.set(leads)
    return made


@pytest.fixture
def issuer(district):
    return DocumentIssuer.objects.create(
        unit=Unit.objects.get(code="A-FLB"),
        prefix="A分类办",
        mark="A区分类办文件",
        signature="A区生活垃圾分类工作领导小组办公室",
        printed_by="A区分类办",
    )


@pytest.fixture
def fourth_street(district):
    return UnitFactory(code="A-JD4", name="A第4街道", kind=UnitKind.STREET, parent=district)


@pytest.fixture
def year(district, other_district, scheme, streets, fourth_street, clerk):
    """Quarter totals (third party alone, or inspections alone, is the total):

    JD1: 90, 80, 85, 95 → mean 87.50; plan items 2 of 4 on time (50 %) → 0.8 × 87.50 + 0.2 × 50 = 80.00.
    JD2: 70, —, 80, 60 (inspection) → mean 70.00; 1 of 2 (50 %) → 66.00.
    JD3: no quarter; 1 of 1 through its community (100 %) → 100.00 on the plan part alone.
    JD4: 77 in Q1 only, no item → 77.00 on the quarters alone.
    Units: 环境卫生股 1 of 2 (50 %); 环卫中心 with its section 1 of 3 (33.33 %).
    """
    one, two, three = streets
    for quarter, score in enumerate(["90", "80", "85", "95"], start=1):
        third_party(scheme, one, quarter, score)
    third_party(scheme, two, 1, "70")
    third_party(scheme, two, 3, "80")
    Inspection.objects.create(
        site=SiteFactory(street=two),
        street=two,
        scheme=scheme,
        inspected_at=timezone.make_aware(datetime.datetime(2026, 11, 3, 9)),
        recorded_by=clerk,
        percent=Decimal(60),
        max_score=100,
    )
    third_party(scheme, fourth_street, 1, "77")

    center = Unit.objects.get(code="A-ZX")
    section = Unit.objects.get(code="A-ZX-HWG")
    station = Unit.objects.get(code="A-ZX-S1")
    community = {code: Unit.objects.get(code=code) for code in ("A-JD1-SQ1", "A-JD3-SQ2")}
    plan = Plan.objects.create(issuer=center, year=2026, title="A区2026年生活垃圾分类工作要点")
    day = datetime.date
    item(plan, 1, leads=[one], deadline=day(2026, 6, 30), percent=100, completed_on=day(2026, 6, 20))
    item(plan, 2, leads=[one], deadline=day(2026, 9, 30), percent=100, completed_on=day(2026, 10, 10))  # late
    item(plan, 3, leads=[community["A-JD1-SQ1"]], deadline=END, percent=100, completed_on=day(2026, 12, 1))
    item(plan, 4, leads=[one, section], deadline=day(2026, 11, 30), percent=50)
    item(plan, 5, leads=[two], percent=100, completed_on=day(2026, 12, 20))  # no deadline: by the year's end
    item(plan, 6, leads=[two], deadline=END, percent=100, completed_on=day(2027, 1, 5))  # after the year
    item(plan, 7, leads=[community["A-JD3-SQ2"]], deadline=day(2026, 5, 31), percent=100, completed_on=day(2026, 5, 30))
    item(plan, 8, leads=[section], deadline=day(2026, 3, 31), percent=100, completed_on=day(2026, 3, 31))
    item(plan, 9, leads=[center], deadline=END, percent=0)
    item(plan, 10, leads=[station], deadline=day(2027, 3, 31), percent=0)  # not due in the year
    # Another year's plan and another district's plan do not count.
    old = Plan.objects.create(issuer=center, year=2025, title="A区2025年生活垃圾分类工作要点")
    item(old, 1, leads=[three], deadline=day(2025, 6, 30), percent=0)
    elsewhere = Plan.objects.create(issuer=Unit.objects.get(code="B-ZX"), year=2026, title="B区2026年工作要点")
    item(elsewhere, 1, leads=[one, section], deadline=day(2026, 6, 30), percent=0)
    return plan


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_annual_score_weighs_quarters_80_and_plans_20_over_the_parts_that_exist():
    assert annual.annual_score(mean=Decimal("87.50"), completion=Decimal("50.00")) == Decimal("80.00")
    assert annual.annual_score(mean=None, completion=Decimal("100.00")) == Decimal("100.00")
    assert annual.annual_score(mean=Decimal("77.00"), completion=None) == Decimal("77.00")
    assert annual.annual_score(mean=None, completion=None) is None
    # 0.8 × 91.23 + 0.2 × 33.33 = 72.984 + 6.666 = 79.65
    assert annual.annual_score(mean=Decimal("91.23"), completion=Decimal("33.33")) == Decimal("79.65")


def test_collect_combines_the_quarters_and_the_plan_completion(district, year):
    data = annual.collect(district=district, start=START, end=END)

    assert (data["year"], data["start"], data["end"]) == (2026, "2026-01-01", "2026-12-31")
    assert data["scheme"] == {"title": "A区2026年生活垃圾分类工作考核办法", "version": 1}
    assert data["quarters"][2] == {"start": "2026-07-01", "end": "2026-09-30"}
    assert data["weights"] == {"quarters": "80", "plans": "20"}
    assert data["plans"] == ["A区2026年生活垃圾分类工作要点"]
    assert [
        (s["rank"], s["name"], s["quarters"], s["mean"], s["items"], s["done"], s["completion"], s["score"])
        for s in data["streets"]
    ] == [
        (1, "A第3街道", [None, None, None, None], None, 1, 1, "100.00", "100.00"),
        (2, "A第1街道", ["90.00", "80.00", "85.00", "95.00"], "87.50", 4, 2, "50.00", "80.00"),
        (3, "A第4街道", ["77.00", None, None, None], "77.00", 0, 0, None, "77.00"),
        (4, "A第2街道", ["70.00", None, "80.00", "60.00"], "70.00", 2, 1, "50.00", "66.00"),
    ]
    assert [(u["rank"], u["name"], u["items"], u["done"], u["completion"]) for u in data["units"]] == [
        (1, "环境卫生股", 2, 1, "50.00"),
        (2, "A区环卫中心", 3, 1, "33.33"),
    ]
    assert data["units_total"] == {"items": 3, "done": 1}
    assert json.loads(json.dumps(data)) == data


def test_tied_scores_share_a_rank_and_streets_with_nothing_are_unranked(district, scheme, streets):
    one, two, _three = streets
    for quarter in (1, 2):
        third_party(scheme, one, quarter, "88")
        third_party(scheme, two, quarter, "88")

    data = annual.collect(district=district, start=START, end=END)

    assert [(s["name"], s["rank"], s["score"]) for s in data["streets"]] == [
        ("A第1街道", 1, "88.00"),
        ("A第2街道", 1, "88.00"),
        ("A第3街道", None, None),
    ]
    assert data["units"] == [] and data["plans"] == []


def test_document_explains_the_weighting_and_tables_the_results(district, year, issuer):
    data = json.loads(json.dumps(annual.collect(district=district, start=START, end=END)))

    document = annual.document(issuer=issuer, district=district, start=START, end=END, data=data)

    with translation.override("zh-hans"):
        assert document.title == str(annual.TITLE % {"year": 2026})
        weighting = str(annual.WEIGHTING % {"quarters": "80", "plans": "20"})
        plan_title = str(annual.PLAN_TITLE % {"title": "A区2026年生活垃圾分类工作要点"})
    assert document.numbered is True and document.attachments == ""
    blocks = parse_body(document.body)
    assert [b.label for b in blocks if isinstance(b, Heading) and b.level == 1] == ["一、", "二、", "三、", "四、"]
    assert weighting in document.body
    assert "A区2026年生活垃圾分类工作考核办法" in blocks[0].text and plan_title in blocks[0].text
    streets, units = (b for b in blocks if isinstance(b, Table))
    assert streets.rows == [
        ["1", "A第3街道", "—", "—", "—", "—", "—", "100.00%", "100.00"],
        ["2", "A第1街道", "90.00", "80.00", "85.00", "95.00", "87.50", "50.00%", "80.00"],
        ["3", "A第4街道", "77.00", "—", "—", "—", "77.00", "—", "77.00"],
        ["4", "A第2街道", "70.00", "—", "80.00", "60.00", "70.00", "50.00%", "66.00"],
    ]
    assert units.rows == [["1", "环境卫生股", "2", "1", "50.00%"], ["2", "A区环卫中心", "3", "1", "33.33%"]]
    with translation.override("zh-hans"):
        assert str(annual.UNIT_SUMMARY % {"items": 3, "done": 1, "rate": "33.33%"}) in document.body
    assert set(document.figures) == {"scores", "units"}
    assert "[[figure:scores]]" in document.body and "[[figure:units]]" in document.body
    assert "A第1街道" in document.figures["scores"] and "80.00" in document.figures["scores"]


def test_pdf_shows_the_title_streets_and_annual_scores(district, year, issuer, tmp_path):
    data = annual.collect(district=district, start=START, end=END)
    document = annual.document(issuer=issuer, district=district, start=START, end=END, data=data)

    pdf, _pages = base.report_pdf(document=document, issuer=issuer, written_on=datetime.date(2027, 1, 4))

    path = tmp_path / "annual.pdf"
    path.write_bytes(pdf)
    text = squeezed(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)
    assert squeezed(document.title) in text
    for name, score in (("A第1街道", "80.00"), ("A第2街道", "66.00"), ("A第3街道", "100.00"), ("A第4街道", "77.00")):
        assert name in text and score in text
    assert "87.50" in text and "环境卫生股" in text and "33.33%" in text
    assert "2027年1月4日" in text


def test_collect_takes_the_same_queries_for_more_streets_and_items(district, year, scheme, clerk):
    with CaptureQueriesContext(connection) as small:
        annual.collect(district=district, start=START, end=END)

    center = Unit.objects.get(code="A-ZX")
    for number in range(5, 13):
        street = UnitFactory(code=f"A-JD{number}", name=f"A第{number}街道", kind=UnitKind.STREET, parent=district)
        unit = UnitFactory(code=f"A-ZX-X{number}", name=f"第{number}股", kind=UnitKind.SECTION, parent=center)
        for quarter in (1, 2, 3):
            third_party(scheme, street, quarter, 70 + number)
        Inspection.objects.create(
            site=SiteFactory(street=street),
            street=street,
            scheme=scheme,
            inspected_at=timezone.make_aware(datetime.datetime(2026, 11, 3, 9)),
            recorded_by=clerk,
            percent=Decimal(80),
            max_score=100,
        )
        item(year, 100 + number, leads=[street], deadline=END, percent=100, completed_on=datetime.date(2026, 12, 1))
        item(year, 200 + number, leads=[unit, street], deadline=END, percent=20)
    with CaptureQueriesContext(connection) as large:
        data = annual.collect(district=district, start=START, end=END)

    assert len(data["streets"]) == 12 and len(data["units"]) == 10
    assert len(large) == len(small)
