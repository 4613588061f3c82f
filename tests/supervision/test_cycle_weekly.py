"""The weekly cycle (周报告): done against assigned, problems by type and street, rectification
rates and the overdue list as of Sunday, sites not visited, the ranking beside last week's;
the report's text, charts and PDF."""

import datetime
import json
import re
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from classification.models import SiteKind
from sanitation.documents.models import DocumentIssuer
from sanitation.organisations.models import Role, Unit
from supervision.cycle import base, weekly
from supervision.cycle.daily import DATE
from supervision.inspections import ProblemInput, inspection_record
from supervision.models import Assignment, InspectionKind, Rectification
from supervision.rectifications import rectification_answer, rectification_close, rectifications_mark_overdue
from tests.factories import SiteFactory, member
from tests.supervision.conftest import scheme_build

MONDAY = datetime.date(2026, 11, 16)  # week 47
SUNDAY = datetime.date(2026, 11, 22)


def on(month: int, day: int) -> datetime.date:
    return datetime.date(2026, month, day)


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def record(site, when, *codes, by, types, kind=InspectionKind.DAILY, scores=None):
    return inspection_record(
        site=site,
        recorded_by=by,
        inspected_at=when,
        kind=kind,
        scores=scores,
        problems=[ProblemInput(problem_type=types[c]) for c in codes],
    )


def rectification_of(inspection, code=None) -> Rectification:
    found = Rectification.objects.filter(problem__inspection=inspection)
    return found.get(problem__problem_type__code=code) if code else found.get()


def close(rectification, *, answered_by, closed_by, closed_at):
    rectification_answer(rectification=rectification, by=answered_by, text="已整改")
    rectification_close(rectification=rectification, by=closed_by)
    Rectification.objects.filter(pk=rectification.pk).update(closed_at=closed_at)


@pytest.fixture
def issuer(district):
    return DocumentIssuer.objects.create(
        unit=Unit.objects.get(code="A-FLB"), prefix="A分类办", mark="A区分类办文件", signature="A区分类办"
    )


@pytest.fixture
def week_data(scheme, streets, sites, clerk, second_clerk, street_user, other_street_user, outsider, problem_types):
    types = problem_types
    e1, s1, r1, e2, s2, r2, e3, s3, r3 = sites
    jd1, _jd2, jd3 = streets
    shop1 = SiteFactory(street=jd1, name="A第1街道超市", kind=SiteKind.SUPERMARKET)
    market3 = SiteFactory(street=jd3, name="A第3街道农贸市场", kind=SiteKind.FARMERS_MARKET)
    staff3 = member(jd3, Role.UNIT_STAFF, username="street_a3")
    effect = scheme.criteria.get(name="分类效果")  # 25 points

    # Assigned in the week: E1 and S1 on Monday, E2 on Wednesday, R3 on Friday. S1 is inspected on
    # Tuesday instead (not done), R3 not at all. Outside the week: not counted.
    Assignment.objects.create(day=MONDAY, site=e1, clerk=clerk, reason="due")
    Assignment.objects.create(day=MONDAY, site=s1, clerk=clerk, reason="due")
    Assignment.objects.create(day=on(11, 20), site=r3, clerk=second_clerk, reason="due")
    Assignment.objects.create(day=on(11, 15), site=e3, clerk=clerk, reason="due")
    Assignment.objects.create(day=on(11, 23), site=e3, clerk=clerk, reason="due")

    # The week: 95, 100, 82, 95, 94.44 (a restaurant has 90 points).
    monday = record(e1, at(MONDAY), "mixed-disposal", by=clerk, types=types)
    record(s1, at(on(11, 17)), by=clerk, types=types)
    wednesday = record(
        e2,
        at(on(11, 18)),
        "mixed-loading",
        "overflowing",
        "supervisor-absent",
        by=clerk,
        types=types,
        kind=InspectionKind.UNANNOUNCED,
    )
    record(e2, at(on(11, 21)), "mixed-disposal", by=clerk, types=types, kind=InspectionKind.SPECIAL)
    record(r1, at(SUNDAY, 23), "missing-signs", by=clerk, types=types)  # the week's last hour
    # Made after the inspection: done because E2 was inspected that day, not by the assignment's link.
    Assignment.objects.create(day=on(11, 18), site=e2, clerk=second_clerk, reason="problem")

    # The week before: street 1 at 100, street 3 at 95, street 2 at 85 (typed scores).
    record(e1, at(on(11, 15), 23), by=clerk, types=types)
    record(e2, at(on(11, 12)), by=clerk, types=types, scores={effect.pk: Decimal(10)})
    record(e3, at(on(11, 10)), by=clerk, types=types, scores={effect.pk: Decimal(20)})
    # The week after, and five weeks before.
    record(e3, at(on(11, 23), 0, 30), by=clerk, types=types)
    record(shop1, at(on(10, 20)), by=clerk, types=types)

    # Older rectifications: due in the week (closed on time; still open on its deadline Sunday),
    # past their deadline (pending, and marked overdue), and one answered (the office's turn).
    due_closed = rectification_of(record(r2, at(on(11, 5)), "missing-signs", by=clerk, types=types))
    record(r2, at(on(11, 7)), "no-publicity", by=clerk, types=types)
    record(s3, at(on(11, 6)), "mixed-loading", by=clerk, types=types)
    record(s2, at(on(11, 7)), "damaged-bins", by=clerk, types=types)
    answered = rectification_of(record(r3, at(on(11, 8)), "mixed-disposal", by=clerk, types=types))
    rectification_answer(rectification=answered, by=staff3, text="已整改")
    rectifications_mark_overdue(today=MONDAY)

    # Opened in the week and closed: by the deadline (23rd), after it (21st), on the deadline day (25th).
    close(rectification_of(monday), answered_by=street_user, closed_by=clerk, closed_at=at(on(11, 20)))
    close(
        rectification_of(wednesday, "mixed-loading"),
        answered_by=other_street_user,
        closed_by=clerk,
        closed_at=at(on(11, 24)),
    )
    close(
        rectification_of(wednesday, "overflowing"),
        answered_by=other_street_user,
        closed_by=clerk,
        closed_at=at(on(11, 25), 18),
    )
    close(due_closed, answered_by=other_street_user, closed_by=clerk, closed_at=at(on(11, 19)))

    # Another district's week counts nowhere here.
    b_street = Unit.objects.get(code="B-JD1")
    scheme_build(b_street.parent)
    b_site = SiteFactory(street=b_street, name="B花园")
    record(b_site, at(on(11, 17)), "mixed-disposal", by=outsider, types=types)
    record(b_site, at(on(11, 5)), "mixed-loading", by=outsider, types=types)
    return {"shop1": shop1, "market3": market3}


def test_collect_counts_the_week(week_data, scheme):
    data = weekly.collect(district=scheme.district, start=MONDAY, end=SUNDAY)

    assert json.loads(json.dumps(data)) == data  # stored as it is in CycleReport.data
    assert (data["start"], data["end"], data["year"], data["week"]) == ("2026-11-16", "2026-11-22", 2026, 47)
    assert data["assignments"] == {"assigned": 4, "done": 2, "rate": "50.00"}
    assert data["clerks"] == [
        {"clerk": "李督查", "assigned": 2, "done": 1, "rate": "50.00"},
        {"clerk": "王督查", "assigned": 2, "done": 1, "rate": "50.00"},
    ]
    assert data["inspections"] == {"count": 5, "sites": 4, "average_percent": "93.29"}
    assert data["inspections_by_kind"] == [
        {"kind": "daily", "count": 3},
        {"kind": "special", "count": 1},
        {"kind": "unannounced", "count": 1},
    ]
    assert data["problems"] == {"count": 6}
    assert data["problems_by_type"] == [
        {"type": "混投", "count": 2, "share": "33.33"},
        {"type": "混装", "count": 1, "share": "16.67"},
        {"type": "标识缺失", "count": 1, "share": "16.67"},
        {"type": "督导员不在岗", "count": 1, "share": "16.67"},
        {"type": "满溢", "count": 1, "share": "16.67"},
    ]
    assert data["rectifications"] == {
        "opened": 6,
        "opened_closed": 3,
        "opened_closed_on_time": 2,
        "closed_rate": "50.00",
        "on_time_rate": "33.33",
        "due": 3,
        "due_closed_on_time": 1,
        "due_on_time_rate": "33.33",
    }
    # As of Sunday: the pending one (due the 9th) and the one marked overdue (due the 14th); not
    # the one answered, nor the one due on Sunday itself.
    assert data["overdue"] == [
        {
            "street": "A第2街道",
            "site": "A第2街道小学",
            "problem_type": "桶点破损",
            "deadline": "2026-11-14",
            "days_late": 8,
        },
        {
            "street": "A第3街道",
            "site": "A第3街道小学",
            "problem_type": "混装",
            "deadline": "2026-11-09",
            "days_late": 13,
        },
    ]
    assert data["not_visited"] == {"week": 7, "days": 30, "long": 2}
    assert data["not_visited_long"] == [
        {"street": "A第1街道", "site": "A第1街道超市", "last_inspected": "2026-10-20"},
        {"street": "A第3街道", "site": "A第3街道农贸市场", "last_inspected": None},
    ]
    assert data["streets"] == [
        {
            "street": "A第1街道",
            "assigned": 2,
            "done": 1,
            "rate": "50.00",
            "inspections": 3,
            "sites_inspected": 3,
            "problems": 2,
            "sites": 4,
            "not_visited": 1,
            "not_visited_30_days": 1,
            "opened": 2,
            "opened_closed": 1,
            "opened_closed_on_time": 1,
            "due": 0,
            "due_closed_on_time": 0,
            "overdue": 0,
        },
        {
            "street": "A第2街道",
            "assigned": 1,
            "done": 1,
            "rate": "100.00",
            "inspections": 2,
            "sites_inspected": 1,
            "problems": 4,
            "sites": 3,
            "not_visited": 2,
            "not_visited_30_days": 0,
            "opened": 4,
            "opened_closed": 2,
            "opened_closed_on_time": 1,
            "due": 3,
            "due_closed_on_time": 1,
            "overdue": 1,
        },
        {
            "street": "A第3街道",
            "assigned": 1,
            "done": 0,
            "rate": "0.00",
            "inspections": 0,
            "sites_inspected": 0,
            "problems": 0,
            "sites": 4,
            "not_visited": 4,
            "not_visited_30_days": 1,
            "opened": 0,
            "opened_closed": 0,
            "opened_closed_on_time": 0,
            "due": 0,
            "due_closed_on_time": 0,
            "overdue": 1,
        },
    ]
    # Street 1: the mean of its sites (95, 100, 94.44); street 2: one site seen twice (82, 95).
    assert data["ranking"] == [
        {
            "rank": 1,
            "street": "A第1街道",
            "inspections": 3,
            "sites_inspected": 3,
            "inspection_score": "96.48",
            "score": "96.48",
            "listing": "red",
            "previous_rank": 1,
            "change": 0,
        },
        {
            "rank": 2,
            "street": "A第2街道",
            "inspections": 2,
            "sites_inspected": 1,
            "inspection_score": "88.50",
            "score": "88.50",
            "listing": "black",
            "previous_rank": 3,
            "change": 1,
        },
        {
            "rank": None,
            "street": "A第3街道",
            "inspections": 0,
            "sites_inspected": 0,
            "inspection_score": None,
            "score": None,
            "listing": "",
            "previous_rank": 2,
            "change": None,
        },
    ]


def test_collect_of_an_empty_week_has_zeros_and_no_rates(scheme, sites):
    data = weekly.collect(district=scheme.district, start=MONDAY, end=SUNDAY)

    assert data["assignments"] == {"assigned": 0, "done": 0, "rate": None}
    assert data["inspections"] == {"count": 0, "sites": 0, "average_percent": None}
    assert data["rectifications"]["closed_rate"] is None
    assert data["not_visited"] == {"week": 9, "days": 30, "long": 9}
    assert [row["score"] for row in data["ranking"]] == [None, None, None]
    document = weekly.document(issuer=None, district=scheme.district, start=MONDAY, end=SUNDAY, data=data)
    assert document.figures == {}
    assert "[[figure:" not in document.body


def test_collect_takes_the_same_number_of_queries_however_much_data(
    week_data, scheme, streets, clerk, street_user, problem_types
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            weekly.collect(district=scheme.district, start=MONDAY, end=SUNDAY)
        return len(captured)

    small = queries()
    for number in range(9):
        site = SiteFactory(street=streets[number % 3], name=f"新增点位{number}")
        day = MONDAY + datetime.timedelta(days=number % 7)
        Assignment.objects.create(day=day, site=site, clerk=clerk, reason="due")
        inspection = record(site, at(day, 9), "overflowing", "odour", by=clerk, types=problem_types)
        record(site, at(day, 15), by=clerk, types=problem_types, kind=InspectionKind.JOINT)
        record(site, at(on(11, 1)), "bins-missing", by=clerk, types=problem_types)
        if site.street == streets[0]:
            close(
                rectification_of(inspection, "odour"),
                answered_by=street_user,
                closed_by=clerk,
                closed_at=at(on(11, 23)),
            )

    assert queries() == small
    data = weekly.collect(district=scheme.district, start=MONDAY, end=SUNDAY)
    assert (data["inspections"]["count"], data["problems"]["count"], data["rectifications"]["opened_closed"]) == (
        23,
        24,
        6,
    )


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_document_has_the_five_sections_tables_charts_and_attachments(week_data, scheme, issuer, english):
    data = weekly.collect(district=scheme.district, start=MONDAY, end=SUNDAY)

    with CaptureQueriesContext(connection) as captured:
        document = weekly.document(issuer=issuer, district=scheme.district, start=MONDAY, end=SUNDAY, data=data)

    assert len(captured) == 0  # drawn from the data alone
    with translation.override("zh-hans"):
        month_day = str(weekly.month_day_text(MONDAY)), str(weekly.month_day_text(SUNDAY))
        title = str(weekly.TITLE) % {"week": 47, "year": 2026, "start": month_day[0], "end": month_day[1]}
        unchanged, up_one = str(weekly.UNCHANGED), str(weekly.UP) % {"places": 1}
        red, black = str(weekly.LISTINGS["red"]), str(weekly.LISTINGS["black"])
        deadline = str(DATE) % {"year": 2026, "month": 11, "day": 9}
        next_week = str(weekly.NEXT_WEEK_TEXT)
    assert document.title == title
    assert not document.numbered
    lines = document.body.splitlines()
    headings = [line[:2] for line in lines if re.match(r"^[一二三四五]、", line)]
    assert headings == ["一、", "二、", "三、", "四、", "五、"]
    assert lines[lines.index(next(line for line in lines if line.startswith("五、"))) + 1] == next_week
    # Done against assigned by street: assigned, done, %, inspections, sites not inspected.
    assert "| A第1街道 | 2 | 1 | 50.00 | 3 | 1 |" in lines
    assert "| A第3街道 | 1 | 0 | 0.00 | 0 | 4 |" in lines
    assert "| 混投 | 2 | 33.33 |" in lines
    assert "| A第2街道 | 4 |" in lines  # problems by street
    assert "| A第2街道 | 4 | 2 | 3 | 1 | 1 |" in lines  # opened, closed, due, closed on time, overdue
    assert f"| 1 | A第1街道 | 3 | 3 | 96.48 | {unchanged} | {red} |" in lines
    assert f"| 2 | A第2街道 | 2 | 1 | 88.50 | {up_one} | {black} |" in lines
    assert "| — | A第3街道 | 0 | 0 | — | — | — |" in lines
    # The long lists are attachments, each on its own page.
    assert len(document.attachments.splitlines()) == 2
    assert [line for line in lines if line.startswith("# ")] == [
        f"# {title_line}" for title_line in document.attachments.splitlines()
    ]
    assert f"| A第3街道 | A第3街道小学 | 混装 | {deadline} | 13 |" in lines
    assert any(line.startswith("| A第3街道 | A第3街道农贸市场 |") for line in lines)
    # Charts: problems by type and street scores, each placed once.
    assert set(document.figures) == {"problems-by-type", "street-scores"}
    assert all(document.body.count(f"[[figure:{name}]]") == 1 for name in document.figures)
    assert "督导员不在岗" in document.figures["problems-by-type"]
    assert "A第1街道" in document.figures["street-scores"] and "96.48" in document.figures["street-scores"]

    pdf, pages = base.report_pdf(document=document, issuer=issuer, written_on=MONDAY + datetime.timedelta(days=7))
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert pages >= 3
    assert _squeezed(title) in _squeezed(text)
    # The ranking's row, read cell after cell: rank, street, inspections, sites, score.
    assert "1A第1街道3396.48" in _squeezed(text)
    assert "A第3街道小学混装" in _squeezed(text)
