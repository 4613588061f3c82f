"""History and soft deletion of inspections and rectifications: the lines the services and the admin
write, the pages that show them (to the district, 404 to others), deleting an inspection with its
rectifications and restoring them, and a deleted inspection counting nowhere any more, while the
issued circular that counted it still opens unchanged."""

import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from classification.services import site_delete
from sanitation.core.history import history_of, record
from sanitation.core.models import ChangeAction
from sanitation.documents.models import Circular, CircularStatus, DocumentIssuer
from sanitation.organisations.models import Unit
from supervision import rectifications, rotation, scores
from supervision.cycle import daily, delivery, engine, quarterly, weekly
from supervision.inspections import ProblemInput, inspection_delete, inspection_record, inspection_restore
from supervision.models import (
    Assignment,
    CycleReport,
    Inspection,
    Rectification,
    RectificationState,
    RunTrigger,
)
from supervision.rectifications import rectification_delete, rectification_restore

MONDAY = datetime.date(2026, 11, 16)
SUNDAY = datetime.date(2026, 11, 22)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def inspect(site, by, types, *codes, when=None) -> Inspection:
    return inspection_record(
        site=site,
        recorded_by=by,
        inspected_at=when or at(MONDAY),
        problems=[ProblemInput(problem_type=types[code]) for code in codes],
    )


@pytest.fixture
def client_zh(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


@pytest.fixture
def found(scheme, sites, clerk, problem_types):
    """An inspection of the first street's estate with two problems (two rectifications)."""
    return inspect(sites[0], clerk, problem_types, "mixed-disposal", "overflowing")


def rectifications_of(inspection, manager="objects"):
    return getattr(Rectification, manager).filter(problem__inspection=inspection).order_by("pk")


# The lines ----------------------------------------------------------------------------------------


def test_recording_an_inspection_writes_one_created_line_with_site_score_and_problems(found, clerk):
    (line,) = history_of(found)
    assert (line.action, line.user, line.field) == (ChangeAction.CREATED, clerk, "")
    # The site, the score out of the full marks, the percent and the problems' types, as recorded.
    site = found.site.name
    assert site in line.new and "混投" in line.new and "满溢" in line.new
    assert f"{found.score.normalize():f}" in line.new and f"{found.max_score.normalize():f}" in line.new
    assert f"{found.percent.normalize():f}" in line.new


def test_an_inspection_without_problems_says_so(scheme, sites, clerk, problem_types):
    with translation.override("en"):
        inspection = inspect(sites[1], clerk, problem_types)
    assert history_of(inspection).get().new.endswith("no problems")


def test_the_same_form_sent_again_after_a_deletion_finds_the_deleted_inspection(scheme, sites, clerk, problem_types):
    key = "7d0c6d8e-2f4f-4a53-9d7e-0d3c2a8c3b11"
    first = inspection_record(site=sites[0], recorded_by=clerk, inspected_at=at(MONDAY), submission_key=key)
    inspection_delete(inspection=first, by=clerk)
    again = inspection_record(site=sites[0], recorded_by=clerk, inspected_at=at(MONDAY), submission_key=key)
    assert again.pk == first.pk and Inspection.all_objects.count() == 1 and Inspection.objects.count() == 0


def test_deleting_an_inspection_takes_its_rectifications_and_restoring_brings_them_back(found, clerk, second_clerk):
    alone, with_it = rectifications_of(found)
    rectification_delete(rectification=alone, by=second_clerk)  # on its own, before
    inspection_delete(inspection=found, by=clerk, reason="重复录入")

    found.refresh_from_db()
    assert found.is_deleted and found.deleted_by == clerk
    assert not Inspection.objects.filter(pk=found.pk).exists() and Inspection.all_objects.filter(pk=found.pk).exists()
    assert rectifications_of(found).count() == 0 and rectifications_of(found, "all_objects").count() == 2
    last = history_of(found).first()
    assert (last.action, last.new, last.user) == (ChangeAction.DELETED, "重复录入", clerk)
    assert history_of(with_it).first().action == ChangeAction.DELETED

    inspection_restore(inspection=found, by=clerk)
    assert Inspection.objects.filter(pk=found.pk).exists()
    # Only what went with the inspection comes back with it.
    assert list(rectifications_of(found)) == [with_it]
    assert history_of(found).first().action == ChangeAction.RESTORED
    assert history_of(with_it).first().action == ChangeAction.RESTORED
    assert history_of(alone).first().action == ChangeAction.DELETED


def test_a_rectification_is_not_restored_without_its_inspection(found, clerk):
    rectification = rectifications_of(found).first()
    inspection_delete(inspection=found, by=clerk)
    with pytest.raises(ValidationError) as refused:
        rectification_restore(rectification=rectification, by=clerk)
    assert refused.value.messages == [str(rectifications.INSPECTION_DELETED)]
    assert Rectification.all_objects.get(pk=rectification.pk).is_deleted


def test_only_the_districts_clerks_delete_its_inspections(found, outsider, leader, street_user):
    for user in (outsider, leader, street_user):
        with pytest.raises(ValidationError):
            inspection_delete(inspection=found, by=user)
    assert Inspection.objects.filter(pk=found.pk).exists() and rectifications_of(found).count() == 2
    assert [c.action for c in history_of(found)] == [ChangeAction.CREATED]


# The pages ----------------------------------------------------------------------------------------


def test_inspection_page_shows_its_history_in_chinese_to_the_district_only(client_zh, found, leader, outsider):
    record(found, by=leader, field="note", old="", new="补充说明")
    client_zh.force_login(leader)
    page = client_zh.get(f"/supervision/inspections/{found.pk}/").content.decode()
    history = page[page.index('id="history"') :]
    assert "修改记录" in history  # the partial's heading, translated
    assert found.site.name in history and "补充说明" in history and "李督查" in history
    assert str(found.recorded_by) in history
    client_zh.force_login(outsider)
    assert client_zh.get(f"/supervision/inspections/{found.pk}/").status_code == 404


def test_inspection_page_queries_do_not_grow_with_its_history(client, found, clerk):
    client.force_login(clerk)
    url = f"/supervision/inspections/{found.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(20):
        record(found, by=clerk, field="note", old=str(n), new=str(n + 1))
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_a_deleted_inspection_leaves_the_pages_the_lists_and_the_api(client, found, clerk, street_user):
    rectification = rectifications_of(found).first()
    inspection_delete(inspection=found, by=clerk)
    client.force_login(clerk)
    assert client.get(f"/supervision/inspections/{found.pk}/").status_code == 404
    assert found.pk not in [i.pk for i in client.get("/supervision/inspections/").context["page"]]
    assert client.get(f"/supervision/rectifications/{rectification.pk}/").status_code == 404
    assert client.get("/api/v1/inspections/").json()["count"] == 0
    assert client.get(f"/api/v1/inspections/{found.pk}/").status_code == 404
    client.force_login(street_user)
    assert list(client.get("/supervision/rectifications/").context["page"]) == []
    assert client.get("/api/v1/rectifications/").json()["count"] == 0
    assert client.get(f"/supervision/rectifications/{rectification.pk}/").status_code == 404


def test_rectification_page_shows_events_and_changes_in_one_timeline(client_zh, found, clerk, street_user):
    rectification = rectifications_of(found).first()
    rectifications.rectification_answer(rectification=rectification, by=street_user, text="已清理干净")
    inspection_delete(inspection=found, by=clerk, reason="误录")
    inspection_restore(inspection=found, by=clerk)
    client_zh.force_login(street_user)
    page = client_zh.get(f"/supervision/rectifications/{rectification.pk}/").content.decode()
    history = page[page.index('id="history"') :]
    assert page.count('id="history"') == 1
    # Oldest first: opened, answered, then deleted with its inspection and restored.
    opened, answered = history.index("event-open"), history.index("已清理干净")
    deleted, restored = history.index("change-deleted"), history.index("change-restored")
    assert opened < answered < deleted < restored
    assert "李督查" in history[deleted:]


def test_rectification_page_queries_do_not_grow_with_its_history(client, found, street_user):
    rectification = rectifications_of(found).first()
    client.force_login(street_user)
    url = f"/supervision/rectifications/{rectification.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(15):
        record(rectification, by=street_user, field="responsible_party", old=str(n), new=str(n + 1))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# The admin ----------------------------------------------------------------------------------------


def test_admin_edit_of_an_inspection_goes_into_its_history(admin_client, admin_user, found):
    url = f"/admin/supervision/inspection/{found.pk}/change/"
    response = admin_client.get(url)
    assert list(response.context["adminform"].form.fields) == ["note"]  # the rest is the workflow's
    assert admin_client.post(url, {"note": "复查后补记", **_no_inline_rows(response)}).status_code == 302
    line = history_of(found).first()
    assert (line.action, line.field, line.old, line.new, line.user) == (
        ChangeAction.CHANGED,
        "note",
        "",
        "复查后补记",
        admin_user,
    )


def _no_inline_rows(response) -> dict:
    """The management data of the page's read-only inlines, posting none of their rows."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        data |= {f"{inline.formset.prefix}-TOTAL_FORMS": 0, f"{inline.formset.prefix}-INITIAL_FORMS": 0}
    return data


def test_admin_delete_of_an_inspection_is_soft_and_takes_its_rectifications(admin_client, admin_user, found):
    url = f"/admin/supervision/inspection/{found.pk}/delete/"
    confirmation = admin_client.get(url).content.decode()
    assert "混投" in confirmation  # its rectifications are listed as going with it
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert Inspection.all_objects.get(pk=found.pk).deleted_by == admin_user
    assert rectifications_of(found).count() == 0 and rectifications_of(found, "all_objects").count() == 2
    # Still listed in the admin under "deleted", and restored from there with its rectifications.
    listed = admin_client.get("/admin/supervision/inspection/?deleted=yes").context["cl"].result_list
    assert [i.pk for i in listed] == [found.pk]
    response = admin_client.post(
        "/admin/supervision/inspection/", {"action": "restore_inspections", "_selected_action": [found.pk]}
    )
    assert response.status_code == 302
    assert Inspection.objects.filter(pk=found.pk).exists() and rectifications_of(found).count() == 2


def test_admin_delete_of_a_rectification_is_soft_and_its_restore_waits_for_the_inspection(admin_client, found, clerk):
    rectification = rectifications_of(found).first()
    url = f"/admin/supervision/rectification/{rectification.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert Rectification.all_objects.get(pk=rectification.pk).is_deleted
    assert rectifications_of(found).count() == 1
    inspection_delete(inspection=found, by=clerk)
    admin_client.post(
        "/admin/supervision/rectification/",
        {"action": "restore_rectifications", "_selected_action": [rectification.pk]},
    )
    assert Rectification.all_objects.get(pk=rectification.pk).is_deleted  # refused: its inspection is deleted


# A deleted inspection counts nowhere ---------------------------------------------------------------


@pytest.fixture
def week(scheme, sites, clerk, problem_types):
    """Two inspections of the first street in the week: 100 % and one with two problems."""
    good = inspect(sites[1], clerk, problem_types, when=at(MONDAY))
    bad = inspect(
        sites[0], clerk, problem_types, "mixed-disposal", "overflowing", when=at(MONDAY + datetime.timedelta(1))
    )
    return good, bad


def test_a_deleted_inspection_no_longer_counts_in_the_weekly_numbers_and_the_scores(district, week, clerk):
    good, bad = week
    before = weekly.collect(district=district, start=MONDAY, end=SUNDAY)
    assert before["inspections"]["count"] == 2 and before["problems"]["count"] == 2
    assert before["rectifications"]["opened"] == 2

    inspection_delete(inspection=bad, by=clerk)
    after = weekly.collect(district=district, start=MONDAY, end=SUNDAY)
    assert after["inspections"]["count"] == 1 and after["problems"]["count"] == 0
    assert after["problems_by_type"] == [] and after["rectifications"]["opened"] == 0
    assert after["inspections"]["average_percent"] == "100.00"
    street_row = next(row for row in after["ranking"] if row["street"] == good.street.name)
    assert street_row["inspections"] == 1 and street_row["inspection_score"] == "100.00"
    (score,) = [s for s in scores.street_scores(district=district, start=MONDAY, end=SUNDAY) if s.inspections]
    assert (score.inspections, score.sites_inspected, score.inspection_score) == (1, 1, Decimal("100.00"))


def test_a_deleted_inspection_no_longer_counts_in_the_daily_numbers(district, week, clerk):
    _good, bad = week
    inspection_delete(inspection=bad, by=clerk)
    data = daily.collect(district=district, start=MONDAY + datetime.timedelta(2), end=MONDAY + datetime.timedelta(2))
    assert data["inspections"]["count"] == 0 and data["problems_by_type"] == []
    assert data["rectifications"] == {"open": 0, "overdue": 0, "awaiting_review": 0}


def test_a_deleted_inspection_neither_marks_an_assignment_done_nor_keeps_its_site_from_falling_due(
    district, scheme, sites, clerk, problem_types
):
    day = MONDAY
    Assignment.objects.create(day=day, site=sites[0], clerk=clerk, reason="due")
    inspection = inspect(sites[0], clerk, problem_types, when=at(day))
    assert [a.done for a in rotation.clerk_day(clerk=clerk, day=day).assignments] == [True]
    inspection_delete(inspection=inspection, by=clerk)
    assert [a.done for a in rotation.clerk_day(clerk=clerk, day=day).assignments] == [False]
    candidates = {c.site_id: c for c in rotation._candidates(district=district, day=day + datetime.timedelta(1))}
    assert candidates[sites[0].pk].due == day + datetime.timedelta(1)  # never inspected, as far as counts go


def test_a_deleted_rectification_is_not_marked_overdue(found, clerk):
    rectification = rectifications_of(found).first()
    rectification_delete(rectification=rectification, by=clerk)
    rectifications.rectifications_mark_overdue(today=rectification.deadline + datetime.timedelta(days=30))
    assert Rectification.all_objects.get(pk=rectification.pk).state == RectificationState.PENDING


@pytest.fixture
def issuer(district):
    return DocumentIssuer.objects.create(
        unit=Unit.objects.get(code="A-FLB"), prefix="A分类办", mark="A区分类办文件", signature="A区分类办"
    )


def test_an_issued_quarterly_circular_that_counted_an_inspection_still_opens_unchanged(
    client, district, scheme, sites, clerk, leader, problem_types, issuer, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(delivery, "leaders_notify", lambda *, report: 0)
    counted = inspect(sites[0], clerk, problem_types, "mixed-disposal", when=at(datetime.date(2026, 8, 3)))
    inspect(sites[3], clerk, problem_types, when=at(datetime.date(2026, 8, 4)))
    run = engine.cycle_run_request(
        cycle="quarterly", issuer=issuer, day=datetime.date(2026, 10, 8), trigger=RunTrigger.COMMAND, enqueue=False
    )
    run = engine.cycle_run_execute(run_id=run.pk, day=datetime.date(2026, 10, 8))
    report = CycleReport.objects.get(pk=run.report_id)
    circular = report.circular
    assert circular.status == CircularStatus.ISSUED and report.data["inspections"] == 2
    stored = (circular.body, circular.pdf_sha256, report.data, report.body)

    inspection_delete(inspection=counted, by=clerk)
    fresh = quarterly.collect(district=district, start=report.period_start, end=report.period_end)
    assert fresh["inspections"] == 1 and fresh["problems"]["total"] == 0

    circular = Circular.objects.get(pk=circular.pk)
    report.refresh_from_db()
    assert (circular.body, circular.pdf_sha256, report.data, report.body) == stored
    client.force_login(leader)
    pdf = client.get(f"/circulars/{circular.pk}/pdf/")
    assert pdf.status_code == 200
    assert hashlib.sha256(b"".join(pdf.streaming_content)).hexdigest() == circular.pdf_sha256
    page = client.get(f"/supervision/cycle/reports/{report.pk}/")
    assert page.status_code == 200 and circular.number in page.content.decode()
    # The report's history says it was generated once.
    assert [c.action for c in history_of(report)] == [ChangeAction.CREATED]


def test_a_regenerated_report_says_so_in_its_history(district, issuer, clerk, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(delivery, "leaders_notify", lambda *, report: 0)
    for regenerate in (False, True):
        run = engine.cycle_run_request(
            cycle="weekly",
            issuer=issuer,
            day=datetime.date(2026, 11, 23),
            trigger=RunTrigger.WEB,
            user=clerk,
            regenerate=regenerate,
            enqueue=False,
        )
        run = engine.cycle_run_execute(run_id=run.pk, day=datetime.date(2026, 11, 23))
    lines = list(history_of(CycleReport.objects.get(pk=run.report_id)))
    assert [(c.action, c.field, c.old, c.new, c.user) for c in lines[:1]] == [
        (ChangeAction.CHANGED, "generations", "1", "2", clerk)
    ]
    assert lines[1].action == ChangeAction.CREATED


def test_a_deleted_site_leaves_the_rotation_and_the_weekly_lists_while_its_inspections_still_count(
    client, district, week, sites, clerk
):
    _good, bad = week
    site_delete(site=bad.site, by=clerk)
    candidates = {c.site_id for c in rotation._candidates(district=district, day=SUNDAY)}
    assert bad.site_id not in candidates and sites[1].pk in candidates
    data = weekly.collect(district=district, start=MONDAY, end=SUNDAY)
    assert bad.site.name not in [row["site"] for row in data["not_visited_long"]]
    street_row = next(row for row in data["streets"] if row["street"] == bad.street.name)
    assert street_row["sites"] == 2  # the school and the restaurant; the estate is gone
    # What was found there happened: the inspection and its problems still count, and its page opens.
    assert data["inspections"]["count"] == 2 and data["problems"]["count"] == 2
    client.force_login(clerk)
    page = client.get(f"/supervision/inspections/{bad.pk}/")
    assert page.status_code == 200 and bad.site.name in page.content.decode()
