"""The daily cycle (日督查): the day's writes (assignments, overdue marking, reminders) done once,
yesterday's inspections and today's plan counted exactly, and the summary's text and PDF."""

import datetime
import json
import re
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from sanitation.core.models import Notification
from sanitation.documents.models import DocumentIssuer
from sanitation.organisations.models import Role, Unit
from supervision.cycle import base, daily
from supervision.inspections import ProblemInput, inspection_record
from supervision.models import (
    Assignment,
    Rectification,
    RectificationAction,
    RectificationEvent,
    RectificationState,
)
from supervision.rectifications import rectification_answer, rectification_close, rectifications_mark_overdue
from tests.factories import SiteFactory, member
from tests.supervision.conftest import scheme_build

DAY = datetime.date(2026, 11, 16)  # a Monday
YESTERDAY = DAY - datetime.timedelta(days=1)


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def record(site, when, *codes, by, types):
    return inspection_record(
        site=site, recorded_by=by, inspected_at=when, problems=[ProblemInput(problem_type=types[c]) for c in codes]
    )


def rectification_of(inspection) -> Rectification:
    return Rectification.objects.get(problem__inspection=inspection)


@pytest.fixture
def street3_staff(district):
    return member(Unit.objects.get(code="A-JD3"), Role.UNIT_STAFF, username="street_a3", display_name="吴干事")


def reminders(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("key", flat=True))


@pytest.fixture
def issuer(district):
    return DocumentIssuer.objects.create(
        unit=Unit.objects.get(code="A-FLB"), prefix="A分类办", mark="A区分类办文件", signature="A区分类办"
    )


@pytest.fixture
def day_data(scheme, sites, clerk, second_clerk, street_user, other_street_user, outsider, problem_types):
    """Yesterday's inspections, rectifications in every state, today's assignments, and another
    district's inspection and overdue rectification that must not count."""
    e1, s1, r1, e2, _s2, r2, e3, s3, r3 = sites
    types = problem_types
    # Yesterday: 4 inspections of 3 sites; 90, 94.44 (a school has 90 points), 100, 95.
    record(e1, at(YESTERDAY, 10), "mixed-disposal", "damaged-bins", by=clerk, types=types)
    record(s1, at(YESTERDAY, 11), "mixed-disposal", by=clerk, types=types)
    record(e2, at(YESTERDAY, 9), by=clerk, types=types)
    record(e2, at(YESTERDAY, 15), "mixed-disposal", by=clerk, types=types)
    # Not yesterday: the evening before (deadline 17th, open), and this morning.
    record(r1, at(YESTERDAY - datetime.timedelta(days=1), 23, 30), "mixed-loading", by=clerk, types=types)
    record(r3, at(DAY, 8), by=clerk, types=types)
    # Past its deadline (the 8th), still pending: overdue as of the day.
    overdue = rectification_of(record(s3, at(datetime.date(2026, 11, 5)), "mixed-loading", by=clerk, types=types))
    # Deadline the 16th itself: not overdue yet.
    record(r3, at(datetime.date(2026, 11, 1)), "missing-signs", by=clerk, types=types)
    # Answered: awaiting re-inspection since the 12th, never overdue (the office's turn).
    waiting = rectification_of(record(s1, at(datetime.date(2026, 11, 3)), "overflowing", by=clerk, types=types))
    rectification_answer(rectification=waiting, by=street_user, text="已清运")
    RectificationEvent.objects.filter(rectification=waiting, action=RectificationAction.ANSWER).update(
        at=at(datetime.date(2026, 11, 12), 16)
    )
    # Closed: not open any more.
    closed = rectification_of(record(r2, at(datetime.date(2026, 11, 2)), "mixed-disposal", by=clerk, types=types))
    rectification_answer(rectification=closed, by=other_street_user, text="已整改")
    rectification_close(rectification=closed, by=clerk)
    # Today's plan, made by hand so that the numbers do not depend on the rotation's choices.
    for site, who in [(e1, clerk), (s1, clerk), (e3, clerk), (e2, second_clerk)]:
        Assignment.objects.create(day=DAY, site=site, clerk=who, reason="due")

    other = Unit.objects.get(code="B-JD1")
    scheme_build(other.parent)
    b_site = SiteFactory(street=other, name="B花园")
    record(b_site, at(YESTERDAY), "mixed-disposal", by=outsider, types=types)
    b_overdue = rectification_of(
        record(b_site, at(datetime.date(2026, 11, 5)), "mixed-loading", by=outsider, types=types)
    )
    return {"overdue": overdue, "waiting": waiting, "b_overdue": b_overdue}


def test_collect_counts_yesterday_today_and_the_rectifications_by_street(day_data, scheme, clerk, second_clerk):
    data = daily.collect(district=scheme.district, start=DAY, end=DAY)

    assert json.loads(json.dumps(data)) == data  # stored as it is in CycleReport.data
    assert data["day"] == "2026-11-16"
    assert data["yesterday"] == "2026-11-15"
    assert data["inspections"] == {"count": 4, "sites": 3, "average_percent": "94.86", "problems": 4}
    assert data["problems_by_type"] == [{"type": "混投", "count": 3}, {"type": "桶点破损", "count": 1}]
    assert data["assignments"] == {"sites": 4, "clerks": 2}
    assert data["clerks"] == [
        {"clerk": "李督查", "sites": 3, "streets": ["A第1街道", "A第3街道"]},
        {"clerk": "王督查", "sites": 1, "streets": ["A第2街道"]},
    ]
    # Street 1: four from yesterday and the 14th's (deadline 17th) open, one awaiting re-inspection.
    assert data["streets"] == [
        {"street": "A第1街道", "inspections": 2, "problems": 3, "open": 5, "overdue": 0, "awaiting_review": 1},
        {"street": "A第2街道", "inspections": 2, "problems": 1, "open": 1, "overdue": 0, "awaiting_review": 0},
        {"street": "A第3街道", "inspections": 0, "problems": 0, "open": 2, "overdue": 1, "awaiting_review": 0},
    ]
    assert data["rectifications"] == {"open": 8, "overdue": 1, "awaiting_review": 1}
    assert data["awaiting_review"] == [
        {"street": "A第1街道", "site": "A第1街道小学", "problem_type": "满溢", "since": "2026-11-12"}
    ]


def test_collect_has_no_inspections_line_when_yesterday_was_empty(scheme, sites, clerk):
    data = daily.collect(district=scheme.district, start=DAY, end=DAY)

    assert data["inspections"] == {"count": 0, "sites": 0, "average_percent": None, "problems": 0}
    assert data["clerks"] == [] and data["problems_by_type"] == [] and data["awaiting_review"] == []
    assert [row["street"] for row in data["streets"]] == ["A第1街道", "A第2街道", "A第3街道"]


def test_collect_takes_the_same_number_of_queries_however_much_data(
    day_data, scheme, streets, clerk, street_user, problem_types
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            daily.collect(district=scheme.district, start=DAY, end=DAY)
        return len(captured)

    small = queries()
    for number in range(6):
        site = SiteFactory(street=streets[number % 3], name=f"新增点位{number}")
        record(site, at(YESTERDAY, 7 + number), "overflowing", "odour", by=clerk, types=problem_types)
        older = record(site, at(datetime.date(2026, 11, 4)), "bins-missing", by=clerk, types=problem_types)
        if site.street == street_user.memberships.get().unit:
            rectification_answer(rectification=rectification_of(older), by=street_user, text="已补齐")
        Assignment.objects.create(day=DAY, site=site, clerk=clerk, reason="due")

    assert queries() == small
    data = daily.collect(district=scheme.district, start=DAY, end=DAY)
    assert (data["inspections"]["count"], data["rectifications"]["awaiting_review"]) == (10, 3)


def test_prepare_plans_marks_and_reminds_once(day_data, scheme, street3_staff, street_user, other_street_user):
    overdue, b_overdue = day_data["overdue"], day_data["b_overdue"]
    Assignment.objects.filter(day=DAY).delete()  # the rotation plans the day this time

    first = daily.prepare(district=scheme.district, start=DAY, end=DAY)
    planned = Assignment.objects.filter(day=DAY).count()
    events = RectificationEvent.objects.filter(action=RectificationAction.OVERDUE).count()
    notifications = Notification.objects.count()
    second = daily.prepare(district=scheme.district, start=DAY, end=DAY)

    assert planned > 0
    assert first == {
        "assignments": planned,
        "assignments_created": planned,
        "overdue_marked": 1,
        "newly_overdue": 1,
        "notified": 1,
    }
    # Marking is district-blind: the other district's rectification is overdue too, but reminding
    # its units is that district's run's business.
    overdue.refresh_from_db()
    b_overdue.refresh_from_db()
    assert overdue.state == b_overdue.state == RectificationState.OVERDUE
    assert reminders(street3_staff) == ["overdue:A-JD3:2026-11-16"]
    assert reminders(street_user) == reminders(other_street_user) == []
    # The second call plans nothing, marks nothing and reminds nobody.
    assert second == {
        "assignments": planned,
        "assignments_created": 0,
        "overdue_marked": 0,
        "newly_overdue": 0,
        "notified": 0,
    }
    assert Assignment.objects.filter(day=DAY).count() == planned
    assert RectificationEvent.objects.filter(action=RectificationAction.OVERDUE).count() == events
    assert Notification.objects.count() == notifications


def test_prepare_reminds_of_what_another_run_marked_that_morning_once_and_not_of_older_ones(
    day_data, scheme, sites, clerk, problem_types, street3_staff, other_street_user
):
    overdue = day_data["overdue"]
    # Street 2's, marked three days ago: its unit was reminded then.
    record(sites[5], at(datetime.date(2026, 11, 1)), "mixed-loading", by=clerk, types=problem_types)
    rectifications_mark_overdue(today=DAY - datetime.timedelta(days=3))
    RectificationEvent.objects.filter(action=RectificationAction.OVERDUE).update(
        at=at(DAY - datetime.timedelta(days=3))
    )
    # This morning another district's run marked ours (marking covers every district).
    rectifications_mark_overdue(today=DAY)
    RectificationEvent.objects.filter(action=RectificationAction.OVERDUE, rectification=overdue).update(at=at(DAY, 6))

    first = daily.prepare(district=scheme.district, start=DAY, end=DAY)
    second = daily.prepare(district=scheme.district, start=DAY, end=DAY)

    assert (first["overdue_marked"], first["newly_overdue"], first["notified"]) == (0, 1, 1)
    # Still the day's overdue one, but its unit was reminded for the day already.
    assert (second["overdue_marked"], second["newly_overdue"], second["notified"]) == (0, 1, 0)
    assert reminders(street3_staff) == ["overdue:A-JD3:2026-11-16"]
    assert reminders(other_street_user) == []


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_document_says_it_in_the_document_language_and_prints(day_data, scheme, issuer, english):
    data = daily.collect(district=scheme.district, start=DAY, end=DAY)

    with CaptureQueriesContext(connection) as captured:
        document = daily.document(issuer=issuer, district=scheme.district, start=DAY, end=DAY, data=data)

    assert len(captured) == 0  # the document is drawn from the data alone
    with translation.override("zh-hans"):
        date = str(daily.DATE) % {"year": 2026, "month": 11, "day": 16}
        title = str(daily.TITLE) % {"district": "A区", "date": date}
        recipients = str(daily.RECIPIENTS)
    assert document.title == title
    assert document.recipients == recipients
    assert not document.numbered
    lines = document.body.splitlines()
    assert lines[0].startswith("一、")
    assert "| 李督查 | 3 | A第1街道、A第3街道 |" in lines or "| 李督查 | 3 | A第1街道, A第3街道 |" in lines
    # Yesterday's inspections and problems, then open, overdue and awaiting re-inspection.
    assert "| A第1街道 | 2 | 3 | 5 | 0 | 1 |" in lines
    assert "| A第3街道 | 0 | 0 | 2 | 1 | 0 |" in lines
    with translation.override("zh-hans"):
        problem_count = str(daily.TYPE_COUNT) % {"type": "混投", "count": 3}
    assert problem_count in document.body
    assert "94.86" in document.body

    pdf, pages = base.report_pdf(document=document, issuer=issuer, written_on=DAY)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert 1 <= pages <= 2
    assert _squeezed(title) in _squeezed(text)
    assert "A区分类办文件" in text
    # Street 3's row, read cell after cell: 0 inspections, 0 problems, 2 open, 1 overdue, 0 awaiting.
    assert "A第3街道00210" in _squeezed(text), text
