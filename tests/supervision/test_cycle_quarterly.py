"""The quarterly review (季讲评): scores under the scheme, ranking, 红黑榜, the subsidy allocation with
its working, the main problems and rectifications, and the numbered 讲评通报 with its attachment."""

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

from classification.models import SiteKind
from sanitation.documents.body import Attachment, Heading, Table, parse_body
from sanitation.documents.models import DocumentIssuer
from sanitation.organisations.models import Unit, UnitKind
from supervision import scores
from supervision.cycle import base, quarterly
from supervision.models import (
    Inspection,
    Problem,
    RankAward,
    Rectification,
    RectificationState,
    ScoreSource,
    Severity,
    SourceKind,
    StreetSourceScore,
    SubsidyRule,
)
from supervision.subsidies import BLACK_LIST_DEDUCTION, POOL_SHARE, money
from tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 7, 1)
END = datetime.date(2026, 9, 30)


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def inspect(*, site, scheme, clerk, day, percent, problems=()):
    inspection = Inspection.objects.create(
        site=site,
        street=site.street,
        scheme=scheme,
        inspected_at=at(day),
        recorded_by=clerk,
        percent=Decimal(percent),
        score=Decimal(percent),
        max_score=100,
        problem_count=len(problems),
    )
    made = [
        Problem.objects.create(inspection=inspection, problem_type=problem_type, severity=Severity.GENERAL)
        for problem_type in problems
    ]
    return inspection, made


def source_score(scheme, kind, street, score, start=START, end=END):
    StreetSourceScore.objects.create(
        source=ScoreSource.objects.get(scheme=scheme, kind=kind),
        street=street,
        period_start=start,
        period_end=end,
        score=Decimal(score),
    )


def rectify(problem, *, opened, deadline, state=RectificationState.PENDING, closed=None):
    inspection = problem.inspection
    return Rectification.objects.create(
        problem=problem,
        unit=inspection.street,
        site=inspection.site,
        deadline=deadline,
        opened_at=at(opened),
        state=state,
        closed_at=at(closed, 15) if closed else None,
    )


@pytest.fixture
def rule(district):
    rule = SubsidyRule.objects.create(
        district=district,
        year=2026,
        title="A区2026年生活垃圾分类以奖代补资金分配办法",
        pool=Decimal(100000),
        pool_min_score=Decimal(60),
        black_list_deduction=Decimal(5000),
    )
    RankAward.objects.create(rule=rule, rank=1, amount=Decimal(20000))
    RankAward.objects.create(rule=rule, rank=1, from_bottom=True, amount=Decimal(-10000))
    return rule


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
def quarter(scheme, streets, sites, clerk, problem_types, rule):
    """Three streets scored on inspections (60 %), third party (30 %) and public opinion (10 %):

    JD1: sites 95 (90, 100) and 85 → 90.00; third party 95, public 90 → total 91.50, 1st, red.
    JD2: 80; third party 85, no public score → (60×80 + 30×85) / 90 = 81.67, 2nd (below 90: not red).
    JD3: one site 65 (70, 60); third party 55, public 60 → 61.50, last, black.
    """
    site = {(s.street.code, s.kind): s for s in sites}
    estate, school = SiteKind.MANAGED_ESTATE, SiteKind.SCHOOL
    types = problem_types
    inspect(site=site["A-JD1", estate], scheme=scheme, clerk=clerk, day=datetime.date(2026, 7, 10), percent=90)
    inspect(site=site["A-JD1", estate], scheme=scheme, clerk=clerk, day=datetime.date(2026, 8, 10), percent=100)
    _, jd1_problems = inspect(
        site=site["A-JD1", school],
        scheme=scheme,
        clerk=clerk,
        day=datetime.date(2026, 7, 10),
        percent=85,
        problems=[types["mixed-disposal"]],
    )
    _, jd2_problems = inspect(
        site=site["A-JD2", estate],
        scheme=scheme,
        clerk=clerk,
        day=datetime.date(2026, 8, 1),
        percent=80,
        problems=[types["overflowing"]],
    )
    _, jd3_first = inspect(
        site=site["A-JD3", estate],
        scheme=scheme,
        clerk=clerk,
        day=datetime.date(2026, 9, 20),
        percent=70,
        problems=[types["mixed-disposal"], types["overflowing"]],
    )
    _, jd3_second = inspect(
        site=site["A-JD3", estate],
        scheme=scheme,
        clerk=clerk,
        day=datetime.date(2026, 9, 28),
        percent=60,
        problems=[types["mixed-disposal"], types["missing-signs"]],
    )
    # June: another quarter; its problem is not counted, but its rectification closed in July is.
    _, june = inspect(
        site=site["A-JD3", school],
        scheme=scheme,
        clerk=clerk,
        day=datetime.date(2026, 6, 1),
        percent=50,
        problems=[types["mixed-disposal"]],
    )
    for kind, values in (
        (SourceKind.THIRD_PARTY, ["95", "85", "55"]),
        (SourceKind.PUBLIC_OPINION, ["90", None, "60"]),
    ):
        for street, value in zip(streets, values, strict=True):
            if value is not None:
                source_score(scheme, kind, street, value)

    # Rectifications: closed on time, closed late, overdue at the quarter's end, due after it,
    # and June's closed late in July.
    rectify(
        jd1_problems[0],
        opened=datetime.date(2026, 7, 10),
        deadline=datetime.date(2026, 7, 17),
        state=RectificationState.CLOSED,
        closed=datetime.date(2026, 7, 15),
    )
    rectify(
        jd2_problems[0],
        opened=datetime.date(2026, 8, 1),
        deadline=datetime.date(2026, 8, 8),
        state=RectificationState.CLOSED,
        closed=datetime.date(2026, 8, 20),
    )
    rectify(
        jd3_first[0],
        opened=datetime.date(2026, 9, 20),
        deadline=datetime.date(2026, 9, 27),
        state=RectificationState.OVERDUE,
    )
    rectify(jd3_second[0], opened=datetime.date(2026, 9, 28), deadline=datetime.date(2026, 10, 5))
    rectify(
        june[0],
        opened=datetime.date(2026, 6, 1),
        deadline=datetime.date(2026, 6, 8),
        state=RectificationState.CLOSED,
        closed=datetime.date(2026, 7, 3),
    )
    return streets


def squeezed(text: str) -> str:
    """pdftotext breaks lines and puts spaces inside Chinese text; compare without them."""
    return re.sub(r"\s+", "", text)


def in_chinese(message, values=None) -> str:
    with translation.override("zh-hans"):
        return str(message % values if values is not None else message)


def test_collect_scores_ranks_lists_and_allocates_the_subsidy(district, quarter):
    data = quarterly.collect(district=district, start=START, end=END)

    assert (data["year"], data["quarter"], data["start"], data["end"]) == (2026, 3, "2026-07-01", "2026-09-30")
    assert data["scheme"] == {
        "title": "A区2026年生活垃圾分类工作考核办法",
        "version": 1,
        "sources": [
            {"name": "日常督查", "kind": "inspection", "weight": "60.00"},
            {"name": "第三方测评", "kind": "third_party", "weight": "30.00"},
            {"name": "群众评议", "kind": "public_opinion", "weight": "10.00"},
        ],
        "red_top": 3,
        "red_min_score": "90.00",
        "black_bottom": 1,
        "black_max_score": "60.00",
    }
    assert [
        (s["rank"], s["name"], s["inspections"], s["sites_inspected"], s["sources"], s["total"], s["listing"])
        for s in data["streets"]
    ] == [
        (1, "A第1街道", 3, 2, ["90.00", "95.00", "90.00"], "91.50", "red"),
        (2, "A第2街道", 1, 1, ["80.00", "85.00", None], "81.67", ""),
        (3, "A第3街道", 2, 1, ["65.00", "55.00", "60.00"], "61.50", "black"),
    ]
    assert (data["inspections"], data["sites_inspected"]) == (6, 4)
    assert (data["red"], data["black"]) == (["A第1街道"], ["A第3街道"])

    subsidy = data["subsidy"]
    assert (subsidy["rule"], subsidy["pool"], subsidy["pool_min_score"], subsidy["black_list_deduction"]) == (
        "A区2026年生活垃圾分类以奖代补资金分配办法",
        "100000.00",
        "60.00",
        "5000.00",
    )
    # Σ totals = 91.50 + 81.67 + 61.50 = 234.67; rank 1 +20,000; last −10,000 and black list −5,000.
    assert [
        (line["name"], line["rank"], line["pool_share"], line["award"], line["deduction"], line["total"])
        for line in subsidy["lines"]
    ] == [
        ("A第1街道", 1, "38990.92", "20000.00", "0.00", "58990.92"),
        ("A第2街道", 2, "34802.06", "0.00", "0.00", "34802.06"),
        ("A第3街道", 3, "26207.01", "0.00", "15000.00", "11207.01"),
    ]
    assert subsidy["total"] == "104999.99"
    # The working is written in the document's language, whatever the worker's.
    assert subsidy["lines"][0]["working"][0] == in_chinese(
        POOL_SHARE, {"pool": "100,000.00", "score": "91.50", "sum": "234.67", "share": "38,990.92"}
    )
    assert in_chinese(BLACK_LIST_DEDUCTION, {"amount": "5,000.00"}) in subsidy["lines"][2]["working"]
    # What the engine stores is plain JSON.
    assert json.loads(json.dumps(data)) == data


def test_collect_counts_the_quarters_problems_and_rectifications(district, quarter):
    data = quarterly.collect(district=district, start=START, end=END)

    # June's problem is another quarter's.
    assert data["problems"] == {
        "total": 6,
        "types": [
            {"name": "混投", "count": 3},
            {"name": "满溢", "count": 2},
            {"name": "标识缺失", "count": 1},
        ],
        "streets": [
            {"code": "A-JD3", "name": "A第3街道", "count": 4},
            {"code": "A-JD1", "name": "A第1街道", "count": 1},
            {"code": "A-JD2", "name": "A第2街道", "count": 1},
        ],
    }
    # Opened in the quarter: 4. Closed in it: July's on time, August's late, June's late.
    # Past the deadline and open on 30 September: the one due on the 27th (not the one due 5 October).
    assert data["rectifications"] == {
        "opened": 4,
        "closed": 3,
        "closed_on_time": 1,
        "overdue_at_end": 1,
        "overdue_now": 1,
    }


def test_document_is_a_numbered_review_circular_with_the_subsidy_working_attached(district, quarter, issuer):
    data = json.loads(json.dumps(quarterly.collect(district=district, start=START, end=END)))

    document = quarterly.document(issuer=issuer, district=district, start=START, end=END, data=data)

    with translation.override("zh-hans"):
        title = str(quarterly.TITLE % {"year": 2026, "quarter": quarterly.QUARTERS[3]})
        attachment_title = str(quarterly.SUBSIDY_ATTACHMENT)
        recipients, copy_to = str(quarterly.RECIPIENTS), str(quarterly.COPY_TO)
    assert (document.title, document.recipients, document.copy_to, document.numbered) == (
        title,
        recipients,
        copy_to,
        True,
    )
    assert document.attachments == attachment_title

    blocks = parse_body(document.body)
    assert [b.label for b in blocks if isinstance(b, Heading) and b.level == 1] == [
        "一、",
        "二、",
        "三、",
        "四、",
        "五、",
    ]
    assert [b.title for b in blocks if isinstance(b, Attachment)] == [attachment_title]
    results, subsidy, working = (b for b in blocks if isinstance(b, Table))
    assert results.rows == [
        ["1", "A第1街道", "90.00", "95.00", "90.00", "91.50"],
        ["2", "A第2街道", "80.00", "85.00", "—", "81.67"],
        ["3", "A第3街道", "65.00", "55.00", "60.00", "61.50"],
    ]
    assert len(results.header) == 6
    assert subsidy.rows[0] == ["1", "A第1街道", "91.50", "38,990.92", "20,000.00", "0.00", "58,990.92"]
    assert subsidy.rows[2] == ["3", "A第3街道", "61.50", "26,207.01", "0.00", "15,000.00", "11,207.01"]
    assert working.rows[2][1] == "A第3街道" and working.rows[2][3] == "11,207.01"
    assert "26,207.01" in working.rows[2][2]
    # The opening gives the basis: the scheme in force and the office.
    assert "A区2026年生活垃圾分类工作考核办法" in blocks[0].text and "A区分类办" in blocks[0].text
    # Red and black lists, problems with counts, the street with most problems, the rectifications.
    body = document.body
    with translation.override("zh-hans"):
        assert str(quarterly.RED_TEXT % {"streets": "A第1街道"}) in body
        assert (
            str(
                quarterly.BLACK_TEXT % {"streets": "A第3街道", "office": "A区分类办", "days": quarterly.BLACK_LIST_DAYS}
            )
            in body
        )
        assert str(quarterly.PROBLEM_COUNT % {"name": "混投", "count": 3}) in body
        assert str(quarterly.PROBLEM_COUNT % {"name": "A第3街道", "count": 4}) in body
        assert (
            str(quarterly.RECTIFICATIONS % {"opened": 4, "closed": 3, "on_time": 1, "rate": "33.33%", "overdue": 1})
            in body
        )
        assert str(quarterly.SUBSIDY_TOTAL % {"total": "104,999.99"}) in body
        assert all(str(paragraph) in body for paragraph in quarterly.REQUIREMENT_PARAGRAPHS)
    assert "[[figure:totals]]" in body
    assert document.figures["totals"].startswith("<svg") and "A第3街道" in document.figures["totals"]
    assert "91.50" in document.figures["totals"]


def test_pdf_shows_the_title_streets_totals_and_subsidies(district, quarter, issuer, tmp_path):
    data = quarterly.collect(district=district, start=START, end=END)
    document = quarterly.document(issuer=issuer, district=district, start=START, end=END, data=data)

    pdf, pages = base.report_pdf(document=document, issuer=issuer, written_on=datetime.date(2026, 10, 1))

    path = tmp_path / "review.pdf"
    path.write_bytes(pdf)
    text = squeezed(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)
    assert pages >= 2
    assert squeezed(document.title) in text
    assert "A区分类办文件" in text
    for name, total, amount in (
        ("A第1街道", "91.50", "58,990.92"),
        ("A第2街道", "81.67", "34,802.06"),
        ("A第3街道", "61.50", "11,207.01"),
    ):
        assert name in text and total in text and amount in text
    assert "104,999.99" in text
    assert "2026年10月1日" in text


def test_without_a_rule_no_subsidy_and_no_attachment(district, quarter, issuer, rule):
    rule.delete()

    data = quarterly.collect(district=district, start=START, end=END)
    document = quarterly.document(issuer=issuer, district=district, start=START, end=END, data=data)

    assert data["subsidy"] is None
    assert document.attachments == ""
    assert not [b for b in parse_body(document.body) if isinstance(b, Attachment)]
    with translation.override("zh-hans"):
        assert str(quarterly.NO_SUBSIDY % {"year": 2026}) in document.body


def test_without_a_scheme_inspections_alone_and_no_lists(district, streets, sites, clerk, issuer):
    from supervision.models import AssessmentScheme

    from .conftest import scheme_build

    draft = scheme_build(district, status="draft")  # a draft is not in force
    inspect(site=sites[0], scheme=draft, clerk=clerk, day=datetime.date(2026, 8, 3), percent=88)

    data = quarterly.collect(district=district, start=START, end=END)
    document = quarterly.document(issuer=issuer, district=district, start=START, end=END, data=data)

    assert AssessmentScheme.objects.filter(district=district).count() == 1
    assert data["scheme"] is None and data["subsidy"] is None
    assert [(s["name"], s["total"], s["rank"], s["listing"]) for s in data["streets"]] == [
        ("A第1街道", "88.00", 1, ""),
        ("A第2街道", None, None, ""),
        ("A第3街道", None, None, ""),
    ]
    with translation.override("zh-hans"):
        assert str(quarterly.NO_LISTS) in document.body
        assert str(quarterly.UNRANKED % {"streets": "A第2街道" + str(quarterly.LIST_SEPARATOR) + "A第3街道"}) in (
            document.body
        )


def test_collect_takes_the_same_queries_for_more_streets_and_inspections(
    district, quarter, scheme, clerk, problem_types
):
    with CaptureQueriesContext(connection) as small:
        quarterly.collect(district=district, start=START, end=END)

    for number in range(4, 12):
        street = UnitFactory(code=f"A-JD{number}", name=f"A第{number}街道", kind=UnitKind.STREET, parent=district)
        for visit in range(3):
            _, problems = inspect(
                site=SiteFactory(street=street),
                scheme=scheme,
                clerk=clerk,
                day=datetime.date(2026, 8, 1 + visit),
                percent=70 + number,
                problems=[problem_types["overflowing"]],
            )
            rectify(problems[0], opened=datetime.date(2026, 8, 1 + visit), deadline=datetime.date(2026, 8, 9))
        source_score(scheme, SourceKind.THIRD_PARTY, street, 60 + number)
    with CaptureQueriesContext(connection) as large:
        data = quarterly.collect(district=district, start=START, end=END)

    assert len(data["streets"]) == 11 and len(data["subsidy"]["lines"]) == 11
    assert len(large) == len(small)


def test_demo_last_quarter_ranks_the_lagging_streets_last_and_shares_the_pool():
    """The demo's last complete quarter (2026 Q3 in the demo's autumn) of 城东区."""
    call_command("seed_demo")
    district = Unit.objects.get(code="CD")
    start, end = scores.previous_period("quarter", timezone.localdate())
    issuer = DocumentIssuer.objects.get(unit__code="CD-FLB")

    data = quarterly.collect(district=district, start=start, end=end)
    document = quarterly.document(issuer=issuer, district=district, start=start, end=end, data=data)

    ranked = [row for row in data["streets"] if row["rank"] is not None]
    assert len(ranked) == 8
    assert {row["name"] for row in ranked[-2:]} == {"北苑街道", "解放街道"}
    assert [row["rank"] for row in ranked[-2:]] == [7, 8]
    assert data["black"] == [ranked[-1]["name"]]
    subsidy = data["subsidy"]
    assert subsidy["pool"] == "400000.00"
    shares = [Decimal(line["pool_share"]) for line in subsidy["lines"]]
    assert all(share > 0 for share in shares)
    assert abs(sum(shares) - Decimal(400000)) <= Decimal("0.05")  # each share rounded to the fen
    assert Decimal(subsidy["total"]) == sum(Decimal(line["total"]) for line in subsidy["lines"])
    last = subsidy["lines"][-1]
    assert (last["name"], last["deduction"]) == (ranked[-1]["name"], "15000.00")  # last place and black list
    assert "解放街道" in document.body and "北苑街道" in document.body
    assert money(Decimal(subsidy["total"])) in document.body
