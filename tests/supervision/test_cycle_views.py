"""The cycle's pages and its delivery: reports with their text, charts and PDF, runs and the button
that starts one, notifications, the leaders' dashboard; scoping (404 for another district, 403 for
a leader who asks for a run) and query counts.

Reports and runs are made here directly, so that these tests hold whatever the cycle modules
compute; one test at the end drives the real engine from the button."""

import datetime
import hashlib
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sanitation.core.models import Notification
from sanitation.documents import demo as documents_demo
from sanitation.documents.content import CircularContent
from sanitation.documents.models import CircularKind, DocumentIssuer
from sanitation.documents.rendering import render_pdf
from sanitation.documents.services import circular_create, circular_issue
from sanitation.organisations import demo as organisations_demo
from sanitation.organisations.models import Role, Unit
from supervision import cycle_views
from supervision.cycle import delivery
from supervision.cycle.engine import cycle_run_execute
from supervision.inspections import ProblemInput, inspection_record
from supervision.models import (
    Cycle,
    CycleReport,
    CycleRun,
    Rectification,
    RectificationState,
    ReportState,
    RunState,
    RunTrigger,
)
from tests.factories import member

WEEK = (datetime.date(2026, 3, 9), datetime.date(2026, 3, 15))
BODY = "一、基本情况\n本周共督查点位12个，发现问题5个。\n| 街道 | 督查次数 | 问题数 |\n|---|---|---|\n| A第1街道 | 7 | 3 |\n| A第2街道 | 5 | 2 |\n[[figure:problems]]\n二、下步要求\n各街道要对照问题清单抓好整改。"  # noqa: E501
FIGURE = '<svg xmlns="http://www.w3.org/2000/svg" role="img" width="200" height="40"><title>问题类型</title><rect width="120" height="20" fill="#b00"/><text x="2" y="15">混投 3</text></svg>'  # noqa: E501


@pytest.fixture(autouse=True)
def _media_and_english(settings, tmp_path, english, client):
    settings.MEDIA_ROOT = tmp_path
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture(scope="module")
def weekly_pdf() -> bytes:
    """A real PDF with the week's numbers, rendered once for the module."""
    return render_pdf(CircularContent(title="生活垃圾分类工作周报", body=BODY, mark="A区分类办"))


@pytest.fixture
def issuer(district):
    return DocumentIssuer.objects.create(
        unit=Unit.objects.get(code="A-FLB"), prefix="A分类办", mark="A区分类办文件", signature="A区分类办"
    )


@pytest.fixture
def other_issuer(other_district):
    return DocumentIssuer.objects.create(unit=Unit.objects.get(code="B-FLB"), prefix="B分类办", mark="B区分类办文件")


def report_make(
    issuer,
    *,
    cycle=Cycle.WEEKLY,
    start=WEEK[0],
    end=WEEK[1],
    title="A区生活垃圾分类工作周报（2026年3月9日—3月15日）",
    pdf: bytes | None = None,
    circular=None,
    state=ReportState.DONE,
) -> CycleReport:
    report = CycleReport.objects.create(
        cycle=cycle,
        issuer=issuer,
        district=issuer.unit.parent,
        period_start=start,
        period_end=end,
        state=state,
        title=title,
        data={"inspections": 12},
        body=BODY,
        figures={"problems": FIGURE},
        circular=circular,
        generated_at=timezone.now() if state == ReportState.DONE else None,
        generations=1,
    )
    if pdf is not None:
        report.pdf.save(f"{cycle}-{start:%Y%m%d}.pdf", ContentFile(pdf), save=False)
        report.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        report.save(update_fields=["pdf", "pdf_sha256"])
    return report


def run_make(issuer, *, report=None, state=RunState.DONE, user=None, output="") -> CycleRun:
    return CycleRun.objects.create(
        cycle=Cycle.WEEKLY,
        issuer=issuer,
        period_start=WEEK[0],
        period_end=WEEK[1],
        trigger=RunTrigger.WEB if user else RunTrigger.BEAT,
        started_by=user,
        state=state,
        step="rendering the PDF" if state == RunState.RUNNING else "",
        attempts=1,
        worker="celery@worker-1" if state != RunState.QUEUED else "",
        report=report,
        created=report is not None,
        output=output,
    )


def numbered_report(issuer, *, start=datetime.date(2026, 2, 1), end=datetime.date(2026, 2, 28)) -> CycleReport:
    draft = circular_create(
        issuer=issuer, kind=CircularKind.BULLETIN, title="关于2026年2月生活垃圾分类工作调度情况的通报", body=BODY
    )
    circular = circular_issue(draft.pk)
    return report_make(issuer, cycle=Cycle.MONTHLY, start=start, end=end, title=circular.title, circular=circular)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "download.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def downloaded(response) -> bytes:
    return b"".join(response.streaming_content)


# The report page and its PDF.


def test_report_page_shows_the_text_the_table_and_the_chart(client, clerk, issuer, weekly_pdf):
    report = report_make(issuer, pdf=weekly_pdf)
    client.force_login(clerk)
    response = client.get(reverse("supervision:cycle-report", args=[report.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>A区生活垃圾分类工作周报（2026年3月9日—3月15日）</h1>" in page
    assert "2026-03-09 – 2026-03-15" in page
    assert '<h2 class="h1">一、基本情况</h2>' in page
    assert "<p>本周共督查点位12个，发现问题5个。</p>" in page
    assert "<th>街道</th><th>督查次数</th><th>问题数</th>" in page
    assert "<td>A第1街道</td><td>7</td><td>3</td>" in page
    # The chart is the report's own SVG, inline, not escaped.
    assert '<div class="figure chart"><svg xmlns="http://www.w3.org/2000/svg" role="img"' in page
    assert "&lt;svg" not in page
    assert f'href="/supervision/cycle/reports/{report.pk}/pdf/" download' in page


def test_report_pdf_downloads_the_stored_file(client, leader, issuer, weekly_pdf, tmp_path):
    report = report_make(issuer, pdf=weekly_pdf)
    client.force_login(leader)
    response = client.get(reverse("supervision:cycle-report-pdf", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    data = downloaded(response)
    assert data.startswith(b"%PDF") and data == weekly_pdf
    text = pdf_text(data, tmp_path)
    assert "A第1街道" in text and "12" in text


def test_numbered_report_shows_its_number_and_downloads_its_circular(client, leader, issuer, tmp_path):
    report = numbered_report(issuer)
    number = report.circular.number
    assert number.startswith("A分类办〔") and number.endswith("〕1号")
    client.force_login(leader)
    page = client.get(reverse("supervision:cycle-report", args=[report.pk])).content.decode()
    assert f"<h1>{number} 关于2026年2月生活垃圾分类工作调度情况的通报</h1>" in page
    assert f'href="/circulars/{report.circular.pk}/"' in page
    data = downloaded(client.get(reverse("supervision:cycle-report-pdf", args=[report.pk])))
    with report.circular.pdf.open("rb") as stored:
        assert data == stored.read()
    assert data.startswith(b"%PDF")
    assert "A第2街道" in pdf_text(data, tmp_path)


def test_report_without_a_pdf_has_no_download(client, clerk, issuer):
    report = report_make(issuer)
    client.force_login(clerk)
    assert client.get(reverse("supervision:cycle-report-pdf", args=[report.pk])).status_code == 404
    assert "/pdf/" not in client.get(reverse("supervision:cycle-report", args=[report.pk])).content.decode()


def test_a_damaged_pdf_is_refused(client, clerk, issuer, weekly_pdf):
    report = report_make(issuer, pdf=weekly_pdf)
    CycleReport.objects.filter(pk=report.pk).update(pdf_sha256="0" * 64)
    client.force_login(clerk)
    assert client.get(reverse("supervision:cycle-report-pdf", args=[report.pk])).status_code == 500


def test_another_district_sees_no_report_run_or_pdf(client, outsider, issuer, other_issuer, weekly_pdf):
    report = report_make(issuer, pdf=weekly_pdf)
    run = run_make(issuer, report=report)
    own = report_make(other_issuer, title="B区周报", pdf=weekly_pdf)
    client.force_login(outsider)
    for url in (
        reverse("supervision:cycle-report", args=[report.pk]),
        reverse("supervision:cycle-report-pdf", args=[report.pk]),
        reverse("supervision:cycle-run", args=[run.pk]),
    ):
        assert client.get(url).status_code == 404, url
    page = client.get(reverse("supervision:cycle")).content.decode()
    assert "A区生活垃圾分类工作周报" not in page and "B区周报" in page
    assert f'data-run="{run.pk}"' not in page
    assert client.get(reverse("supervision:cycle-report", args=[own.pk])).status_code == 200


def test_anonymous_users_are_sent_to_log_in(client, issuer, weekly_pdf):
    report = report_make(issuer, pdf=weekly_pdf)
    for url in (reverse("supervision:cycle"), reverse("supervision:cycle-report-pdf", args=[report.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url


# The cycle page: latest reports, runs, the run form.


def test_cycle_page_lists_the_latest_reports_of_each_cycle(client, leader, issuer, weekly_pdf):
    older = report_make(issuer, start=datetime.date(2026, 3, 2), end=datetime.date(2026, 3, 8), title="上周周报")
    weekly = report_make(issuer, pdf=weekly_pdf)
    monthly = numbered_report(issuer)
    failed = report_make(issuer, cycle=Cycle.DAILY, start=WEEK[1], end=WEEK[1], state=ReportState.FAILED)
    client.force_login(leader)
    response = client.get(reverse("supervision:cycle"))
    assert response.status_code == 200
    sections = {section["cycle"]: section["reports"] for section in response.context["sections"]}
    assert sections[Cycle.WEEKLY] == [weekly, older]
    assert sections[Cycle.MONTHLY] == [monthly]
    assert sections[Cycle.DAILY] == []  # a failed report is no report
    page = response.content.decode()
    assert monthly.circular.number in page
    assert f'href="/supervision/cycle/reports/{weekly.pk}/pdf/" download' in page
    assert f'href="/supervision/cycle/reports/{monthly.pk}/pdf/" download' in page
    assert f'href="/supervision/cycle/reports/{older.pk}/pdf/"' not in page  # it has no PDF
    assert weekly.generated_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M") in page
    assert failed.pk not in [r.pk for reports in sections.values() for r in reports]


def test_the_archive_of_a_cycle_keeps_every_period(client, clerk, issuer):
    reports = [
        report_make(issuer, start=WEEK[0] - datetime.timedelta(weeks=n), end=WEEK[1] - datetime.timedelta(weeks=n))
        for n in range(8)
    ]
    client.force_login(clerk)
    response = client.get(reverse("supervision:cycle"), {"cycle": "weekly"})
    assert list(response.context["page"].object_list) == reports
    latest = client.get(reverse("supervision:cycle")).context["sections"]
    assert len(next(s for s in latest if s["cycle"] == Cycle.WEEKLY)["reports"]) == cycle_views.LATEST_PER_CYCLE


def test_leader_reads_the_runs_but_may_not_start_one(client, leader, clerk, issuer):
    run = run_make(issuer, user=clerk, output="Weekly report made.")
    client.force_login(leader)
    response = client.get(reverse("supervision:cycle"))
    page = response.content.decode()
    assert response.context["can_run"] is False and 'id="cycle-run-form"' not in page
    assert f'data-run="{run.pk}"' in page and "Weekly report made." in page and "李督查" in page
    response = client.post(reverse("supervision:cycle"), {"cycle": "weekly", "day": "2026-03-16"})
    assert response.status_code == 403
    assert CycleRun.objects.count() == 1


def test_street_staff_may_not_start_a_run(client, street_user, issuer):
    client.force_login(street_user)
    assert client.post(reverse("supervision:cycle"), {"cycle": "weekly", "day": "2026-03-16"}).status_code == 403
    assert not CycleRun.objects.exists()


@pytest.fixture
def requested(monkeypatch):
    """The engine's request, recorded: these tests are about the page, not the engine."""
    calls = []

    def request(**arguments):
        calls.append(arguments)
        day = arguments["day"]
        return CycleRun.objects.create(
            cycle=arguments["cycle"],
            issuer=arguments["issuer"],
            period_start=day,
            period_end=day,
            trigger=arguments["trigger"],
            started_by=arguments["user"],
            regenerate=arguments["regenerate"],
        )

    monkeypatch.setattr(cycle_views.engine, "cycle_run_request", request)
    return calls


def test_clerk_starts_a_run_and_lands_on_its_page(client, clerk, issuer, requested):
    client.force_login(clerk)
    page = client.get(reverse("supervision:cycle")).content.decode()
    assert 'id="cycle-run-form"' in page
    assert f'<input type="hidden" name="issuer" value="{issuer.pk}"' in page  # the only issuer: nothing to choose
    assert f'value="{timezone.localdate().isoformat()}"' in page  # today by default
    response = client.post(
        reverse("supervision:cycle"), {"cycle": "daily", "day": "2026-03-16", "issuer": issuer.pk, "regenerate": "on"}
    )
    run = CycleRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("supervision:cycle-run", args=[run.pk])
    assert requested == [
        {
            "cycle": "daily",
            "issuer": issuer,
            "day": datetime.date(2026, 3, 16),
            "trigger": RunTrigger.WEB,
            "user": clerk,
            "regenerate": True,
        }
    ]


def test_a_run_for_a_day_to_come_or_another_districts_issuer_is_refused(client, clerk, issuer, other_issuer, requested):
    client.force_login(clerk)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(reverse("supervision:cycle"), {"cycle": "daily", "day": tomorrow, "issuer": issuer.pk})
    assert response.status_code == 200
    assert str(cycle_views.FUTURE_DAY) in response.content.decode()
    response = client.post(
        reverse("supervision:cycle"), {"cycle": "daily", "day": "2026-03-16", "issuer": other_issuer.pk}
    )
    assert response.status_code == 200 and "issuer" in response.context["form"].errors
    assert requested == [] and not CycleRun.objects.exists()


def test_a_clerk_of_two_offices_chooses_the_issuer(client, clerk, issuer, district):
    second = Unit.objects.create(code="A-FLB2", name="A区第二分类办", kind="office", parent=district)
    DocumentIssuer.objects.create(unit=second, prefix="A二办", mark="A区第二分类办文件")
    client.force_login(clerk)
    page = client.get(reverse("supervision:cycle")).content.decode()
    assert '<select name="issuer"' in page and "A区第二分类办" in page


def test_run_page_refreshes_itself_until_the_run_ends(client, clerk, issuer, weekly_pdf):
    run = run_make(issuer, state=RunState.RUNNING, user=clerk)
    client.force_login(clerk)
    page = client.get(reverse("supervision:cycle-run", args=[run.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "rendering the PDF" in page and "celery@worker-1" in page
    assert "<script" not in page

    report = report_make(issuer, pdf=weekly_pdf)
    CycleRun.objects.filter(pk=run.pk).update(state=RunState.DONE, report=report, output="Made the weekly report.")
    page = client.get(reverse("supervision:cycle-run", args=[run.pk])).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "Made the weekly report." in page
    assert f'href="/supervision/cycle/reports/{report.pk}/"' in page


def test_cycle_page_queries_do_not_grow_with_reports_and_runs(client, clerk, issuer, weekly_pdf):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("supervision:cycle")).status_code == 200
        return len(queries)

    client.force_login(clerk)
    report_make(issuer, pdf=weekly_pdf)
    run_make(issuer, user=clerk)
    small = count()
    for n in range(1, 7):
        report = report_make(
            issuer,
            start=WEEK[0] - datetime.timedelta(weeks=n),
            end=WEEK[1] - datetime.timedelta(weeks=n),
            pdf=weekly_pdf,
        )
        run_make(issuer, report=report, user=clerk)
    numbered_report(issuer)
    assert count() == small


# Notifications.


def test_notifications_page_lists_newest_first_and_marks_the_unread(client, leader):
    old = Notification.objects.create(user=leader, key="report:1", title="第一份周报", url="/supervision/cycle/")
    new = Notification.objects.create(user=leader, key="report:2", title="第二份周报", url="/supervision/cycle/")
    Notification.objects.filter(pk=old.pk).update(read_at=timezone.now())
    client.force_login(leader)
    response = client.get(reverse("supervision:notifications"))
    assert list(response.context["page"].object_list) == [new, old]
    page = response.content.decode()
    assert f'class="notification unread" data-notification="{new.pk}"' in page
    assert f'class="notification" data-notification="{old.pk}"' in page


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, leader, clerk):
    notification = Notification.objects.create(user=leader, key="report:7", title="周报", url="/supervision/cycle/")
    foreign = Notification.objects.create(user=clerk, key="report:7", title="周报", url="/supervision/cycle/")
    outward = Notification.objects.create(user=leader, key="x", title="外链", url="https://example.com/")
    client.force_login(leader)
    response = client.post(reverse("supervision:notification-read", args=[notification.pk]))
    assert response.status_code == 302 and response.url == "/supervision/cycle/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert client.post(reverse("supervision:notification-read", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.read_at is None
    assert client.post(reverse("supervision:notification-read", args=[outward.pk])).url == reverse(
        "supervision:notifications"
    )
    assert client.get(reverse("supervision:notification-read", args=[notification.pk])).status_code == 405


def test_notifications_page_queries_do_not_grow(client, leader):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("supervision:notifications")).status_code == 200
        return len(queries)

    client.force_login(leader)
    Notification.objects.create(user=leader, key="k0", title="t0", url="/")
    small = count()
    for n in range(1, 30):
        Notification.objects.create(user=leader, key=f"k{n}", title=f"t{n}", url="/", read_at=timezone.now())
    assert count() == small


def test_mark_all_read(client, leader):
    for n in range(3):
        Notification.objects.create(user=leader, key=f"report:{n}", title=f"周报{n}")
    client.force_login(leader)
    client.post(reverse("supervision:notifications-read-all"))
    assert not Notification.objects.filter(user=leader, read_at__isnull=True).exists()


# Delivery.


def test_leaders_of_the_district_are_notified_once_per_report(
    client, leader, clerk, issuer, other_district, weekly_pdf, django_capture_on_commit_callbacks
):
    street_leader = member(Unit.objects.get(code="A-JD2"), Role.LEADER, username="leader_jd2", email="jd2@example.cn")
    member(Unit.objects.get(code="B"), Role.LEADER, username="leader_b")
    gone = member(Unit.objects.get(code="A"), Role.LEADER, username="leader_gone", is_active=False)
    report = numbered_report(issuer)
    with django_capture_on_commit_callbacks() as callbacks:
        assert delivery.leaders_notify(report=report) == 2
        assert delivery.leaders_notify(report=report) == 0
    assert len(callbacks) == 1  # the mail of the one leader with an address
    notified = Notification.objects.filter(key=f"report:{report.pk}")
    assert sorted(n.user.username for n in notified) == ["leader_a", "leader_jd2"]
    assert not notified.filter(user=gone).exists()
    one = notified.get(user=leader)
    assert one.title == f"{report.circular.number} {report.title}"
    assert one.url == f"/supervision/cycle/reports/{report.pk}/"
    assert "2026-02-01 – 2026-02-28" in one.body
    assert street_leader.notifications.get().url == one.url


def test_overdue_units_are_reminded_once_a_day(scheme, sites, clerk, street_user, other_street_user, problem_types):
    inspection_record(
        site=sites[0],
        recorded_by=clerk,
        inspected_at=timezone.make_aware(datetime.datetime(2026, 6, 10, 9, 30)),
        problems=[ProblemInput(problem_types["mixed-disposal"]), ProblemInput(problem_types["damaged-bins"])],
    )
    overdue = list(Rectification.objects.all())
    Rectification.objects.update(state=RectificationState.OVERDUE)
    day = datetime.date(2026, 6, 18)
    assert delivery.overdue_units_notify(rectifications=overdue, day=day) == 1
    assert delivery.overdue_units_notify(rectifications=overdue, day=day) == 0
    notification = Notification.objects.get()
    assert notification.user == street_user  # the street's own staff, not another street's
    assert notification.key == "overdue:A-JD1:2026-06-18"
    assert notification.url == "/supervision/rectifications/?state=overdue"
    assert "2" in notification.title and sites[0].street.display_name in notification.title
    assert sites[0].name in notification.body and "2026-06-17" in notification.body
    assert delivery.overdue_units_notify(rectifications=overdue, day=day + datetime.timedelta(days=1)) == 1


# The dashboard.


def test_demo_leader_downloads_the_latest_report_from_home(db, client, weekly_pdf, tmp_path):
    organisations_demo.seed()
    documents_demo.seed()
    issuer = DocumentIssuer.objects.get(unit__code="CD-FLB")
    report_make(issuer, start=WEEK[0] - datetime.timedelta(weeks=1), end=WEEK[1] - datetime.timedelta(weeks=1))
    latest = report_make(issuer, title="城东区生活垃圾分类工作周报", pdf=weekly_pdf)
    delivery.leaders_notify(report=latest)
    client.force_login(Unit.objects.get(code="CD").memberships.get(role=Role.LEADER).user)
    page = client.get("/").content.decode()
    link = f'href="/supervision/cycle/reports/{latest.pk}/pdf/" download'
    assert link in page
    assert "城东区生活垃圾分类工作周报" in page
    assert f'action="/supervision/notifications/{Notification.objects.get().pk}/read/"' in page  # unread
    data = downloaded(client.get(f"/supervision/cycle/reports/{latest.pk}/pdf/"))
    assert data.startswith(b"%PDF") and "A第1街道" in pdf_text(data, tmp_path)


def test_street_staff_home_has_no_cycle_reports(client, street_user, issuer, weekly_pdf):
    report_make(issuer, pdf=weekly_pdf)
    client.force_login(street_user)
    page = client.get("/").content.decode()
    assert 'id="home-cycle-reports"' not in page and 'id="home-notifications"' in page


def test_home_queries_do_not_grow(client, leader, issuer, weekly_pdf):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return len(queries)

    client.force_login(leader)
    report_make(issuer, pdf=weekly_pdf)
    Notification.objects.create(user=leader, key="k0", title="t0", url="/")
    small = count()
    for n in range(1, 12):
        start = WEEK[0] - datetime.timedelta(weeks=n)
        report_make(issuer, start=start, end=start + datetime.timedelta(days=6), pdf=weekly_pdf)
        Notification.objects.create(user=leader, key=f"k{n}", title=f"t{n}", url="/")
    numbered_report(issuer)
    report_make(issuer, cycle=Cycle.QUARTERLY, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31))
    assert count() == small


# The button and the real engine.


def test_clicking_run_makes_the_weekly_report_in_process(
    client, clerk, leader, issuer, scheme, sites, problem_types, tmp_path, django_capture_on_commit_callbacks
):
    inspection_record(
        site=sites[0],
        recorded_by=clerk,
        inspected_at=timezone.make_aware(datetime.datetime(2026, 3, 10, 9, 30)),
        problems=[ProblemInput(problem_types["mixed-disposal"], note="混投")],
    )
    client.force_login(clerk)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("supervision:cycle"), {"cycle": "weekly", "day": "2026-03-16", "issuer": issuer.pk}
        )
    run = CycleRun.objects.get()
    assert response.url == reverse("supervision:cycle-run", args=[run.pk])
    assert (run.state, run.trigger, run.started_by, run.period_start, run.period_end) == (
        RunState.QUEUED,
        RunTrigger.WEB,
        clerk,
        *WEEK,
    )
    assert len(callbacks) == 1  # the run's task, enqueued once the request commits
    page = client.get(response.url).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page

    cycle_run_execute(run_id=run.pk, worker="test-worker", day=datetime.date(2026, 3, 16))

    response = client.get(reverse("supervision:cycle-run", args=[run.pk]))
    page = response.content.decode()
    run.refresh_from_db()
    report = run.report
    assert run.state == RunState.DONE and run.created and report.state == ReportState.DONE
    assert 'http-equiv="refresh"' not in page and "test-worker" in page
    assert f'href="/supervision/cycle/reports/{report.pk}/"' in page

    page = client.get(reverse("supervision:cycle-report", args=[report.pk])).content.decode()
    assert report.title in page and sites[0].street.display_name in page
    assert "<svg" in page  # the weekly report's charts, inline
    data = downloaded(client.get(reverse("supervision:cycle-report-pdf", args=[report.pk])))
    assert data.startswith(b"%PDF")
    assert sites[0].street.display_name in pdf_text(data, tmp_path).replace(" ", "")

    # The leader was told, and finds it on the dashboard.
    assert Notification.objects.get(key=f"report:{report.pk}").user == leader
    client.force_login(leader)
    home = client.get("/").content.decode()
    assert f'href="/supervision/cycle/reports/{report.pk}/pdf/" download' in home
