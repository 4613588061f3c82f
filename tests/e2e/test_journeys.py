"""The three users' journeys in Debian's chromium, against `make run`'s script with the demo.

Each journey goes the way its user goes (menus, buttons, downloads), saves screenshots of its main
pages under tests/e2e/screenshots/, and ends with no console error, uncaught exception, refused
request or Content-Security-Policy violation on any page it opened.
"""

import datetime
import re
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from playwright.sync_api import expect

from supervision.models import Cycle, RectificationState, RunState

from ..browser import PHONE, SEEDS, flat, jpeg, log_in, pdf_text, street_user, zh

pytestmark = pytest.mark.browser

# The district center's work points name units the association does not have; the secretariat
# says which of its own units stands for each.
DISTRICT_PLAN = SEEDS / "district-center-2025-work-points.txt"
MAPPING = {
    "环境卫生股": "道路保洁专业委员会",
    "垃圾分类中心": "垃圾分类专业委员会",
    "各环卫所": "环卫设施专业委员会",
    "各股室": "综合部",
    "各单位": "中国城市环境卫生协会秘书处",
}


def _menu(page, entry: str):
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name=entry, exact=True)


def test_secretariat_imports_the_district_plan_maps_its_units_and_issues_it(server, journey):
    page = journey.page()
    log_in(page, server, "secretariat")
    _menu(page, "工作计划").click()
    page.get_by_role("link", name="导入计划").click()
    page.get_by_label("印发单位").select_option(label="中国城市环境卫生协会")
    page.get_by_label("文件").set_input_files(str(DISTRICT_PLAN))
    page.get_by_role("button", name="预览").click()
    preview = page.locator("#preview")
    assert "4 章，12 项" in preview.inner_text() and "原文缺少第 3、4、5 项" in preview.inner_text()
    asked = [label.split("→")[0].strip() for label in preview.locator("label:has(select)").all_inner_texts()]
    assert sorted(asked) == sorted(MAPPING)
    assert preview.locator(".error").count() == len(MAPPING)
    assert page.get_by_role("button", name="保存计划").count() == 0  # nothing saved with a name unresolved
    journey.shot(page, "import-asks")

    for name, unit in MAPPING.items():
        preview.locator("label", has_text=name).locator("select").select_option(label=unit)
    page.get_by_role("button", name="应用对应关系").click()
    expect(page.locator("#preview .error")).to_have_count(0)
    for name, unit in MAPPING.items():  # the choices stay on the page, and go with the plan when it is saved
        assert preview.locator("label", has_text=name).locator("option:checked").inner_text() == unit
    journey.shot(page, "import-mapped")
    page.get_by_role("button", name="保存计划").click()

    assert "计划已导入：共 12 项" in page.locator(".messages").inner_text()
    assert page.locator("h1").inner_text() == "区环卫事务中心2025年工作要点"
    # 环境卫生股 leads items 10–13, 垃圾分类中心 items 7 and 14, each now under the unit chosen for it.
    leads = page.locator("#unit-progress tbody tr")
    assert leads.filter(has_text="道路保洁专业委员会").locator("td").nth(1).inner_text() == "4"
    assert leads.filter(has_text="垃圾分类专业委员会").locator("td").nth(1).inner_text() == "2"
    items = page.locator("#items tr.item-row")
    assert items.count() == 12
    cleaning = items.filter(has_text="抓好城区保洁市场化项目监管考核工作").locator("td").all_inner_texts()
    assert cleaning[3:5] == ["道路保洁专业委员会", "环卫设施专业委员会"]  # lead, assisting (各环卫所)
    titles = [t.strip() for t in page.locator("#items tr.item-row td:nth-child(2)").all_inner_texts()]
    journey.shot(page, "board")

    page.get_by_role("button", name="印发为公文").click()
    assert "印发" in page.locator(".messages").inner_text()
    number = re.search(r"中环卫〔\d{4}〕\d+号", page.locator(".facts").inner_text()).group()
    assert page.locator("h1").inner_text() == "关于印发《区环卫事务中心2025年工作要点》的通知"
    journey.shot(page, "circular")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").click()
    assert download.value.suggested_filename.startswith(number)
    text = flat(pdf_text(download.value.path()))
    assert number in text and "关于印发《区环卫事务中心2025年工作要点》的通知" in text
    for title in titles:  # the circular carries the board's items
        assert flat(title)[:12] in text, title
    journey.assert_clean()


def _score_row(page, street: str) -> tuple[int | None, int, Decimal | None]:
    """(rank, inspections, inspection score) of a street on the week's ranking."""
    cells = page.locator("#ranking tr.score-row", has_text=street).locator("td").all_inner_texts()
    rank = int(cells[0]) if cells[0].strip().isdigit() else None
    score = None if cells[4].strip() == "—" else Decimal(cells[4])
    return rank, int(cells[2]), score


def _tap_menu(page, entry: str):
    page.get_by_text("菜单").tap()
    link = _menu(page, entry)
    address = link.get_attribute("href")
    link.tap()
    page.wait_for_url("**" + address)


def test_clerk_inspects_on_a_phone_and_the_street_rectifies(server, journey):
    page = journey.page(**PHONE)
    log_in(page, server, "clerk")
    _tap_menu(page, "日常督查")
    today = datetime.datetime.now(ZoneInfo(settings.TIME_ZONE)).date()
    assert page.locator("h1").inner_text() == f"今日督查 · {today.isoformat()}"
    journey.shot(page, "today")
    # A site the rotation sends the clerk to because it is due: not seen this week.
    open_cards = page.locator("#assignments li.assignment:not(.done)")
    card = open_cards.filter(has=page.locator(".reason-due")).first
    if not card.count():
        card = open_cards.first
    site = card.locator(".name").inner_text().strip()
    street = card.locator(".meta").first.inner_text().split("·")[0].strip()

    _tap_menu(page, "考核排名")
    rank_before, inspections_before, score_before = _score_row(page, street)

    _tap_menu(page, "日常督查")
    page.locator("#assignments li.assignment", has_text=site).get_by_role("link").tap()
    assert page.locator("#site-name").inner_text() == site
    page.locator("#problem-chips label", has_text="混投").tap()
    page.locator("#problem-chips label", has_text="满溢").tap()
    problems = page.locator("#problems fieldset[data-problem]")
    expect(problems).to_have_count(2)
    mixed = problems.nth(0)
    mixed.locator("input[type=text], textarea").first.fill("3号桶点厨余垃圾混入其他垃圾")
    page.locator("#scores summary").tap()
    page.get_by_label("分类效果").fill("5")
    mixed.locator("input[type=file]").set_input_files({"name": "桶点.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
    mixed.locator("[data-thumbs] li[data-photo-id] img").wait_for()
    journey.shot(page, "inspection-form")
    page.locator("#save-inspection").tap()
    page.wait_for_url(re.compile(r".*/supervision/inspections/\d+/$"))
    detail = page.locator("main").inner_text()
    assert site in detail and "混投" in detail and "满溢" in detail and "3号桶点厨余垃圾混入其他垃圾" in detail
    assert detail.count(zh(RectificationState.PENDING.label)) == 2
    assert page.locator("main img").first.evaluate("img => img.complete && img.naturalWidth > 0")
    journey.shot(page, "inspection")

    # The street sees both, answers both.
    street_page = journey.page()
    log_in(street_page, server, street_user(street))
    _menu(street_page, "整改").click()
    rows = street_page.locator("tr.rectification-row", has_text=site)
    expect(rows).to_have_count(2)
    journey.shot(street_page, "street-rectifications")
    links = [
        server.url + href
        for href in rows.locator("td:nth-child(3) a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    ]
    for link in links:
        street_page.goto(link)
        street_page.locator("#answer-form textarea").fill("已督促物业整改，桶点已清理并重新张贴分类标识")
        street_page.locator("#answer-form button[type=submit]").click()
        assert street_page.locator("#rectification-state").inner_text() == zh(RectificationState.AWAITING_REVIEW.label)

    # The clerk finds both waiting for re-inspection on the day's page, closes one, sends the other back.
    _tap_menu(page, "日常督查")
    assert page.locator("#awaiting-review li", has_text=site).count() == 2
    page.locator("#awaiting-review li", has_text=f"{site} · 混投").locator("a.row-link").tap()
    assert page.locator("#problem-note").inner_text() == "3号桶点厨余垃圾混入其他垃圾"
    page.locator("#close-form button[type=submit]").tap()
    expect(page.locator("#rectification-state")).to_have_text(zh(RectificationState.CLOSED.label))
    journey.shot(page, "closed")
    _tap_menu(page, "日常督查")
    page.locator("#awaiting-review li", has_text=f"{site} · 满溢").locator("a.row-link").tap()
    page.locator("#send_back-form textarea").fill("复查时桶点仍有满溢，请继续整改")
    page.locator("#send_back-form button[type=submit]").tap()
    expect(page.locator("#rectification-state")).to_have_text(zh(RectificationState.IN_PROGRESS.label))
    history = page.locator("#history").inner_text()
    assert "复查时桶点仍有满溢" in history and "已督促物业整改" in history

    _menu(street_page, "整改").click()
    still_open = street_page.locator("tr.rectification-row", has_text=site)
    expect(still_open).to_have_count(1)
    assert zh(RectificationState.IN_PROGRESS.label) in still_open.inner_text()

    # The week's ranking moved with the inspection: one more inspection, a lower score.
    _tap_menu(page, "考核排名")
    rank_after, inspections_after, score_after = _score_row(page, street)
    journey.shot(page, "scores")
    assert inspections_after == inspections_before + 1
    assert score_after is not None and rank_after is not None
    if score_before is not None:
        assert score_after < score_before
        assert rank_after >= rank_before
    journey.assert_clean()


def _last_complete_week(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    monday = day - datetime.timedelta(days=day.weekday())
    return monday - datetime.timedelta(days=7), monday - datetime.timedelta(days=1)


def test_leader_downloads_the_weekly_report(server, journey):
    # Beat makes the weekly report on Mondays at 06:30; the demo has none. The clerk runs it now,
    # as the office does when it wants one: a real worker makes it.
    clerk = journey.page()
    log_in(clerk, server, "clerk")
    _menu(clerk, "督查通报").click()
    clerk.get_by_label("调度周期").select_option(label=zh(Cycle.WEEKLY.label))
    day = datetime.date.fromisoformat(clerk.get_by_label("运行日期").input_value())
    assert day == datetime.datetime.now(ZoneInfo(settings.TIME_ZONE)).date()
    clerk.get_by_role("button", name="运行", exact=True).click()
    state = clerk.locator("#run-state-value")
    deadline = time.monotonic() + 120
    while state.inner_text() != zh(RunState.DONE.label):  # the run page refreshes itself
        assert state.inner_text() != zh(RunState.FAILED.label), clerk.locator("main").inner_text()
        assert time.monotonic() < deadline, "the weekly run did not end:\n" + server.output()[-3000:]
        clerk.wait_for_timeout(500)
    journey.shot(clerk, "weekly-run")

    start, end = _last_complete_week(day)
    year, week, _ = start.isocalendar()
    title = f"生活垃圾分类工作周报（{year}年第{week}周，{start.month}月{start.day}日至{end.month}月{end.day}日）"
    leader = journey.page()
    log_in(leader, server, "leader")
    assert "欢迎，陈主任" in leader.locator("h1").inner_text()
    assert title in leader.locator("#home-notifications").inner_text()  # the leaders were told
    weekly = leader.locator("#home-cycle-reports li", has_text=zh(Cycle.WEEKLY.label))
    assert title in weekly.inner_text()
    assert f"{start.isoformat()} – {end.isoformat()}" in weekly.inner_text()
    journey.shot(leader, "dashboard")
    with leader.expect_download() as download:
        weekly.get_by_role("link", name="下载 PDF").click()
    pdf = download.value.path()
    assert pdf.read_bytes().startswith(b"%PDF")
    text = flat(pdf_text(pdf))
    assert "城东区" in text and flat(title) in text
    assert f"{year}年第{week}周" in text

    _menu(leader, "督查通报").click()
    assert title in leader.locator("#cycle-weekly").inner_text()
    assert leader.locator("#cycle-run-form").count() == 0  # leaders read; clerks run
    journey.shot(leader, "cycle-reports")
    journey.assert_clean()
