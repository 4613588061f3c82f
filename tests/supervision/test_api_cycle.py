"""/api/v1/cycle-reports/ and /api/v1/notifications/: the reports and the inbox the pages show,
scoped like them, with filters, ordering and the numbers behind a report."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from sanitation.core.models import Notification
from supervision.models import Cycle, ReportState

from . import test_cycle_views
from .test_cycle_views import numbered_report, report_make

# The cycle pages' fixtures: the same issuers and the same real weekly PDF.
issuer, other_issuer, weekly_pdf = test_cycle_views.issuer, test_cycle_views.other_issuer, test_cycle_views.weekly_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def listed(api, user, **params) -> list[dict]:
    api.force_authenticate(user)
    response = api.get(reverse("cycle-report-list"), params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_reports_of_the_district_with_filters_and_ordering(api, clerk, issuer, other_issuer, weekly_pdf):
    weekly = report_make(issuer, pdf=weekly_pdf)
    earlier = report_make(issuer, start=datetime.date(2026, 3, 2), end=datetime.date(2026, 3, 8), pdf=weekly_pdf)
    monthly = numbered_report(issuer)
    report_make(other_issuer)

    rows = listed(api, clerk)
    assert [row["id"] for row in rows] == [weekly.pk, earlier.pk, monthly.pk]  # newest period first
    assert rows[2]["circular_number"] == monthly.circular.number and rows[2]["cycle"] == Cycle.MONTHLY
    assert rows[0]["pdf_url"].endswith(reverse("supervision:cycle-report-pdf", args=[weekly.pk]))
    assert [row["id"] for row in listed(api, clerk, cycle="weekly")] == [weekly.pk, earlier.pk]
    assert [row["id"] for row in listed(api, clerk, ordering="period_start")] == [monthly.pk, earlier.pk, weekly.pk]
    assert listed(api, clerk, year=2025) == []


def test_a_report_gives_its_numbers_and_another_district_gets_404(api, clerk, issuer, other_issuer):
    mine, theirs = report_make(issuer), report_make(other_issuer)
    api.force_authenticate(clerk)
    detail = api.get(reverse("cycle-report-detail", args=[mine.pk])).json()
    assert detail["data"] == {"inspections": 12} and detail["state"] == ReportState.DONE
    assert detail["pdf_url"] is None  # made without a PDF
    assert api.get(reverse("cycle-report-detail", args=[theirs.pk])).status_code == 404


def test_bad_filters_answer_400_with_the_field(api, clerk, issuer):
    api.force_authenticate(clerk)
    response = api.get(reverse("cycle-report-list"), {"cycle": "hourly", "year": "1"})
    assert response.status_code == 400
    assert set(response.json()) == {"cycle", "year"}


def test_notifications_are_the_users_own_and_can_be_marked_read(api, clerk, leader):
    mine = Notification.objects.create(user=clerk, key="report:1", title="周报告已生成")
    Notification.objects.create(user=clerk, key="report:2", title="旧通知", read_at=mine.created_at)
    theirs = Notification.objects.create(user=leader, key="report:1", title="周报告已生成")
    api.force_authenticate(clerk)
    rows = api.get(reverse("notification-list"), {"unread": "true"}).json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert len(api.get(reverse("notification-list")).json()["results"]) == 2
    read = api.post(reverse("notification-read", args=[mine.pk]))
    assert read.status_code == 200 and read.json()["read_at"] is not None
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert api.post(reverse("notification-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
