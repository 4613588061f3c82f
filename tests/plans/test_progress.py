"""Following a plan: acknowledgement, monthly reports, status and lights, the board, a unit's
page, reminders."""

from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans import progress, selectors
from plans.models import Acknowledgement, Item, Reminder
from plans.services import plan_import, plan_preview
from sanitation.core.history import history_of
from sanitation.organisations import demo as organisations_demo
from sanitation.organisations.models import Role, Unit

from ..factories import member

SEEDS = Path(settings.SEEDS_DIR)


@pytest.fixture
def district_plan(db):
    organisations_demo.seed()
    text = (SEEDS / "district-center-2025-work-points.txt").read_text(encoding="utf-8")
    return plan_import(plan_preview(text, issuer=Unit.objects.get(code="CD-HWZX")))


@pytest.fixture
def section():
    return Unit.objects.get(code="CD-HWZX-HWG")


@pytest.fixture
def section_staff(section):
    user = member(section, Role.UNIT_STAFF, username="hwg_staff")
    user.email = "hwg@example.cn"
    user.save()
    return user


def item_number(plan, number) -> Item:
    return plan.items.get(number=number)


def test_lead_report_moves_the_item_and_its_status(district_plan, section, section_staff):
    item = item_number(district_plan, 10)
    progress.acknowledge(item, section, user=section_staff)
    progress.acknowledge(item, section, user=section_staff)  # twice keeps one
    assert Acknowledgement.objects.filter(item=item).count() == 1
    progress.progress_report(item, section, text="完成方案制定", percent=40, user=section_staff, month=date(2025, 3, 5))
    item.refresh_from_db()
    assert item.percent == 40
    status = selectors.with_status(Item.objects.filter(pk=item.pk), today=date(2025, 4, 1)).get()
    assert (status.status, status.light) == (selectors.ItemStatus.IN_PROGRESS, selectors.Light.GREEN)
    change = history_of(item).get(field="percent")
    assert (change.old, change.new, change.user) == ("0", "40", section_staff)
    # The same month again replaces the report; 100% makes it done.
    progress.progress_report(item, section, text="全部完成", percent=100, user=section_staff, month=date(2025, 3, 20))
    item.refresh_from_db()
    assert item.reports.count() == 1 and item.percent == 100 and item.completed_on is not None
    late_check = selectors.with_status(Item.objects.filter(pk=item.pk), today=date(2026, 6, 1)).get()
    assert late_check.status == selectors.ItemStatus.DONE


def test_assisting_report_does_not_move_the_item(district_plan):
    item = item_number(district_plan, 10)
    station = Unit.objects.get(code="CD-HWZX-HWS1")
    assert item.assisting_units.filter(pk=station.pk).exists()
    report = progress.progress_report(item, station, text="配合巡查", percent=80)
    item.refresh_from_db()
    assert not report.is_lead and item.percent == 0
    with pytest.raises(progress.ProgressError, match=r"签收|acknowledge"):
        progress.acknowledge(item, station)


def test_status_and_lights_follow_the_deadline(district_plan):
    item = item_number(district_plan, 11)
    item.deadline = date(2025, 6, 30)
    item.save()

    def state(today):
        row = selectors.with_status(Item.objects.filter(pk=item.pk), today=today).get()
        return row.status, row.light

    assert state(date(2025, 5, 1)) == ("not_started", "green")
    assert state(date(2025, 6, 20)) == ("not_started", "yellow")
    assert state(date(2025, 7, 1)) == ("overdue", "red")


def test_uninvolved_unit_and_bad_attachments_are_refused(district_plan, section):
    item = item_number(district_plan, 10)
    office = Unit.objects.get(code="CD-HWZX-BGS")
    with pytest.raises(progress.ProgressError, match=office.name):
        progress.progress_report(item, office, text="x", percent=10)
    led = item_number(district_plan, 10)
    fake_pdf = SimpleUploadedFile("总结.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(progress.ProgressError, match=r"\.pdf"):
        progress.progress_report(led, section, text="见附件", percent=10, attachment=fake_pdf)
    assert not led.reports.exists()
    script = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(progress.ProgressError):
        progress.progress_report(led, section, text="见附件", percent=10, attachment=script)


def test_unit_staff_acknowledges_and_reports_in_the_browser_forms(client, district_plan, section_staff):
    client.force_login(section_staff)
    page = client.get("/plans/mine/")
    (unit_page,) = page.context["pages"]
    assert sorted(item.number for item in unit_page["leads"]) == [6, 10, 11, 12, 13]  # 6: 牵头单位：各股室
    assert 1 in [item.number for item in unit_page["assists"]]  # 协助单位：各股室
    for number in (1, 10, 13):
        assert item_number(district_plan, number).title in page.content.decode()
    item = item_number(district_plan, 10)
    page = client.get(f"/plans/items/{item.pk}/").content.decode()
    assert item.text[:20] in page and "第一环卫所" in page
    section = Unit.objects.get(code="CD-HWZX-HWG")
    client.post(f"/plans/items/{item.pk}/acknowledge/", {"unit": section.pk})
    attachment = SimpleUploadedFile("三月进度.pdf", b"%PDF-1.7\n%test\n", content_type="application/pdf")
    data = {"unit": section.pk, "month": "2025-03", "percent": 60, "text": "已完成巡查方案", "attachment": attachment}
    response = client.post(f"/plans/items/{item.pk}/report/", data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.percent == 60 and item.acknowledgements.get().unit == section
    report = item.reports.get()
    assert report.attachment.name.startswith("plans/reports/2025-03/") and "三月" not in report.attachment.name
    download = client.get(f"/plans/reports/{report.pk}/attachment/")
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert quote("三月进度.pdf") in download["Content-Disposition"]
    page = client.get(f"/plans/items/{item.pk}/").content.decode()
    assert "已完成巡查方案" in page and "60%" in page


def test_unit_staff_cannot_report_on_an_item_of_another_unit(client, district_plan, section):
    office = Unit.objects.get(code="CD-HWZX-BGS")
    client.force_login(member(office, Role.UNIT_STAFF, username="office_staff"))
    item = item_number(district_plan, 10)  # 环境卫生股 leads, the 环卫所 assist: not the office
    page = client.get(f"/plans/items/{item.pk}/")
    assert page.status_code == 200 and page.context["report_form"] is None
    for unit in (office, section):
        data = {"unit": unit.pk, "month": "2025-03", "percent": 50, "text": "x"}
        client.post(f"/plans/items/{item.pk}/report/", data)
        assert client.post(f"/plans/items/{item.pk}/acknowledge/", {"unit": unit.pk}).status_code == 404
    assert not item.reports.exists() and not item.acknowledgements.exists()


def test_other_organisation_sees_nothing(client, district_plan, clerk_a):
    client.force_login(clerk_a)
    item = item_number(district_plan, 10)
    assert client.get(f"/plans/{district_plan.pk}/board/").status_code == 404
    assert client.get(f"/plans/items/{item.pk}/").status_code == 404
    assert client.get(f"/plans/units/{item.lead_units.get().pk}/").status_code == 404


def test_board_filters_and_progress_by_chapter_and_unit(client, district_plan, section, section_staff):
    progress.progress_report(item_number(district_plan, 10), section, text="完成", percent=100)
    clerk = member(Unit.objects.get(code="CD-FLB"), Role.CLERK, username="board_clerk")
    client.force_login(clerk)
    response = client.get(f"/plans/{district_plan.pk}/board/")
    chapters = response.context["chapters"]
    assert [row["total"] for row in chapters] == [c.items.count() for c in district_plan.chapters.all()]
    units = {row["lead_units__name"]: row for row in response.context["units"]}
    assert (units["环境卫生股"]["total"], units["环境卫生股"]["done"]) == (5, 1)
    assert (units["中心办公室"]["total"], units["中心办公室"]["done"]) == (6, 0)
    page = response.content.decode()
    assert item_number(district_plan, 15).title in page
    assert response.context["without_lead"] == 1  # item 15 lost its unit clause to truncation
    office = Unit.objects.get(code="CD-HWZX-BGS")  # leads 1, 2, 6–9 and assists 14
    filtered = client.get(f"/plans/{district_plan.pk}/board/", {"unit": office.pk}).context["items"]
    assert sorted(item.number for item in filtered) == [1, 2, 6, 7, 8, 9, 14]
    done = client.get(f"/plans/{district_plan.pk}/board/", {"status": "done"}).context["items"]
    assert [item.number for item in done] == [10]


def test_board_queries_do_not_grow_with_items(client, district_plan, section):
    clerk = member(Unit.objects.get(code="CD-FLB"), Role.CLERK, username="count_clerk")
    client.force_login(clerk)
    url = f"/plans/{district_plan.pk}/board/"
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"status": "overdue"})
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)


def test_reminders_are_sent_once_before_and_after_the_deadline(district_plan, section, section_staff):
    item = item_number(district_plan, 10)
    item.deadline = date(2025, 6, 30)
    item.save()
    run = progress.reminders_send(today=date(2025, 6, 20))
    assert run.due_soon >= 1 and Reminder.objects.filter(item=item, kind="due_soon").count() == 1
    assert any(item.title in m.subject and m.to == ["hwg@example.cn"] for m in mail.outbox)
    sent = len(mail.outbox)
    progress.reminders_send(today=date(2025, 6, 21))  # the next day: nothing new for this item
    assert not any(item.title in m.subject for m in mail.outbox[sent:])
    progress.reminders_send(today=date(2025, 7, 1))
    assert Reminder.objects.filter(item=item, kind="overdue").count() == 1
    item.deadline = date(2025, 6, 30) + timedelta(days=60)  # a new deadline gets new reminders
    item.save()
    progress.reminders_send(today=date(2025, 8, 25))
    assert Reminder.objects.filter(item=item, kind="due_soon").count() == 2


def test_an_item_with_two_lead_units_is_done_when_both_say_so(district_plan):
    item = item_number(district_plan, 7)  # 牵头单位：办公室、垃圾分类中心
    office, sorting = Unit.objects.get(code="CD-HWZX-BGS"), Unit.objects.get(code="CD-HWZX-FLZX")
    progress.progress_report(item, office, text="普法宣传已完成", percent=100, month=date(2025, 5, 1))
    item.refresh_from_db()
    assert item.percent == 0 and item.completed_on is None
    progress.progress_report(item, sorting, text="分类普法进社区", percent=70, month=date(2025, 5, 1))
    item.refresh_from_db()
    assert item.percent == 70
    progress.progress_report(item, sorting, text="全部完成", percent=100, month=date(2025, 6, 1))
    item.refresh_from_db()
    assert item.percent == 100 and item.completed_on is not None


def test_future_months_are_refused(district_plan, section):
    with pytest.raises(progress.ProgressError):
        progress.progress_report(item_number(district_plan, 10), section, text="x", percent=5, month=date(2099, 1, 1))


def test_keepers_add_milestones_and_mark_them_done(client, district_plan, section_staff):
    item = item_number(district_plan, 10)
    clerk = member(Unit.objects.get(code="CD-FLB"), Role.CLERK, username="milestone_clerk")
    client.force_login(section_staff)  # unit staff do not keep the plan
    assert client.post(f"/plans/items/{item.pk}/milestones/", {"title": "x", "due_on": "2025-06-30"}).status_code == 404
    client.force_login(clerk)
    client.post(f"/plans/items/{item.pk}/milestones/", {"title": "完成监管方案", "due_on": "2025-06-30"})
    milestone = item.milestones.get()
    client.post(f"/plans/items/{item.pk}/milestones/", {"done": milestone.pk})
    milestone.refresh_from_db()
    assert milestone.done_on is not None
    page = client.get(f"/plans/items/{item.pk}/").content.decode()
    assert "完成监管方案" in page and "2025-06-30" in page
    labels = [change.field_label for change in history_of(item).filter(field="milestones")]
    assert len(labels) == 2 and all(label == labels[0] for label in labels) and labels[0] != "milestones"
