"""`make run`'s script on the embedded default (SQLite, file broker), driven in Debian's chromium.

One server for the module: scripts/run.sh migrates a fresh database, loads the demo and
starts the web server with a real worker and beat; the browser logs in as the demo users.
The last test presses Ctrl-C and checks that every process stopped. The users' whole journeys
(the secretariat's plan import, the clerk's inspection on a phone, the leader's weekly report)
are tests/e2e/test_journeys.py, on the production stack.
"""

import io
import os
import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from PIL import Image

from supervision.models import RunState, RunTrigger
from supervision.photos import NOT_AN_IMAGE, TOO_MANY_PIXELS

from .browser import DEMO_PASSWORD, PHONE, SEEDS, answers, chromium, flat, jpeg, log_in, pdf_text, run_sh, zh

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("make-run")
    database = f"sqlite:///{folder / 'demo.sqlite3'}"
    with run_sh(folder, DATABASE_URL=database, CELERY_BROKER_DIR=str(folder / "broker")) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def test_run_prints_the_address_and_the_demo_logins(demo_server):
    output = demo_server.output()
    assert demo_server.url + "/" in output
    for username in ("admin", "secretariat", "clerk", "unitstaff", "leader"):
        assert f"  {username} " in output
    assert DEMO_PASSWORD in output


def test_clerk_logs_in_and_sees_the_district(demo_server, browser):
    page = browser.new_page()
    page.goto(demo_server.url + "/")
    assert page.url.startswith(demo_server.url + "/accounts/login/")
    assert page.locator("h1").inner_text() == "登录"
    log_in(page, demo_server, "clerk")
    assert "欢迎，李督查" in page.locator("h1").inner_text()
    page.get_by_role("link", name="组织机构").click()
    tree = page.locator("table").inner_text()
    assert "城东区" in tree and "东湖街道" in tree and "翰林社区" in tree
    assert "中国城市环境卫生协会" not in tree  # the association is another organisation
    page.close()


def test_secretariat_downloads_the_circular_and_issues_a_new_one(demo_server, browser):
    page = browser.new_page(accept_downloads=True)
    log_in(page, demo_server, "secretariat")
    # Two clicks from the dashboard to the PDF: the menu, then the download link.
    page.get_by_role("link", name="公文", exact=True).click()
    row = page.locator("tr", has_text="中环卫〔2022〕03号")
    with page.expect_download() as download_info:
        row.get_by_role("link", name="下载").click()
    download = download_info.value
    assert download.suggested_filename == "中环卫〔2022〕03号 关于印发《2022年中国城市环境卫生协会重点工作》的通知.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    page.get_by_role("link", name="新建公文").click()
    page.get_by_label("标题").fill("关于开展年终考核的通知")
    page.get_by_label("主送机关").fill("各部门、各分支机构")
    page.get_by_label("正文").fill("一、考核范围\n（一）各部门。全年重点工作完成情况。\n请按时报送。")
    page.get_by_role("button", name="保存草稿").click()
    assert "草稿：印发时编号" in page.locator(".facts").inner_text()
    assert page.locator("iframe.pdf-preview").count() == 1
    page.get_by_role("button", name="编号并印发").click()
    facts = page.locator(".facts").inner_text()
    assert "中环卫〔" in facts and "〕01号" in facts
    page.close()


def test_status_page_shows_worker_and_beat_answering(demo_server, browser):
    page = browser.new_page()
    log_in(page, demo_server, "clerk")
    page.get_by_role("link", name="系统状态").click()
    deadline = time.monotonic() + 90
    while "各项服务均正常应答" not in page.locator("#overall").inner_text():
        assert time.monotonic() < deadline, page.locator("table").inner_text() + demo_server.output()[-3000:]
        time.sleep(2)
        page.reload()
    rows = page.locator("tbody tr").all_inner_texts()
    assert len(rows) == 4 and all("正常" in row for row in rows)
    assert any("worker" in row and "由 celery@" in row for row in rows)
    page.close()


def test_wrong_password_is_refused_in_chinese(demo_server, browser):
    page = browser.new_page()
    page.goto(demo_server.url + "/accounts/login/")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert "请输入一个正确的" in page.locator("[role=alert]").inner_text()
    page.close()


def test_phone_menu_opens_and_navigates(demo_server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(page, demo_server, "unitstaff")
    organisation = page.get_by_role("link", name="组织机构")
    assert not organisation.is_visible()
    page.get_by_text("菜单").tap()
    assert organisation.is_visible()
    assert page.get_by_role("link", name="系统状态").count() == 0  # not a unit-staff page
    organisation.tap()
    assert "环境卫生股" in page.locator("table").inner_text()
    assert "东湖街道" not in page.locator("table").inner_text()
    page.close()


def test_english_is_selectable(demo_server, browser):
    page = browser.new_page()
    log_in(page, demo_server, "leader")
    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="切换").click()
    assert page.get_by_role("button", name="Log out").is_visible()
    assert "Welcome, 陈主任" in page.locator("h1").inner_text()
    page.close()


def test_clerk_imports_the_district_plan(demo_server, browser):
    """The district's own import: every unit name known, a numbering gap reported. (Mapping names,
    issuing and the circular's PDF are the secretariat's journey in tests/e2e.)"""
    page = browser.new_page()
    log_in(page, demo_server, "clerk")
    page.get_by_role("link", name="工作计划", exact=True).click()
    page.get_by_role("link", name="导入计划").click()
    page.get_by_label("印发单位").select_option(label="城东区环卫事务中心")
    page.get_by_label("文件").set_input_files(str(SEEDS / "district-center-2025-work-points.txt"))
    page.get_by_role("button", name="预览").click()
    preview = page.locator("#preview").inner_text()
    assert "4 章，12 项" in preview and "原文缺少第 3、4、5 项" in preview
    assert "抓好城区保洁市场化项目监管考核工作" in preview
    assert page.locator("#preview select").count() == 0  # nothing to map: the district knows its units
    page.get_by_role("button", name="保存计划").click()
    assert "计划已导入：共 12 项" in page.locator(".messages").inner_text()
    board = page.locator("#items").inner_text()
    assert "12 项" in board and "环境卫生股" in board and "第一环卫所" in board
    page.close()


def test_unit_staff_acknowledges_and_reports_on_their_item(demo_server, browser):
    page = browser.new_page()
    log_in(page, demo_server, "unitstaff")
    page.get_by_role("link", name="我的事项").click()
    leads = page.locator(".unit-items table.leads").inner_text()
    assert "抓好城区保洁市场化项目监管考核工作" in leads and "严格落实河道保洁市场化项目监管" in leads
    page.get_by_role("link", name="10.抓好城区保洁市场化项目监管考核工作").first.click()
    page.get_by_role("button", name="环境卫生股签收").click()
    assert "已签收" in page.locator(".messages").inner_text()
    page.get_by_label("完成百分比").fill("60")
    page.get_by_label("工作进展").fill("三月完成监管考核方案，4个环卫所已部署。")
    page.get_by_role("button", name="上报").click()
    assert "进度已上报" in page.locator(".messages").inner_text()
    assert "60%" in page.locator("#item-status").inner_text()
    assert "三月完成监管考核方案" in page.locator("#reports").inner_text()
    page.close()


def test_secretariat_keeps_the_registries(demo_server, browser):
    page = browser.new_page(accept_downloads=True)
    log_in(page, demo_server, "secretariat")
    page.get_by_role("link", name="登记管理", exact=True).click()
    page.locator("#registry-members h2 a").click()
    # Last year's member sheet: the registry's own export, one contact changed, four new members.
    export = page.request.get(demo_server.url + "/members/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(export.body()))
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    known = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "京环城市服务集团有限公司")
    known[headers.index("联系人")].value = "赵新"
    for row in sheet.iter_rows(min_row=2):
        if row[0].row != known[0].row:
            for cell in row:
                cell.value = None
    for n, code in enumerate(["91350100MA000702X3", "91350100MA000703X4", "91350100MA000704X5", "91350100MA000705X6"]):
        values = {"名称": f"闽清环境服务有限公司{n}", "类型": "单位会员", "统一社会信用代码": code, "单位性质": "企业"}
        values |= {"地区": "福建省福州市", "联系人": "陈工", "理事会职务": "会员", "状态": "在册"}
        values["入会日期"] = "2025-03-01"
        sheet.append([values.get(header) for header in headers])
    upload = io.BytesIO()
    book.save(upload)
    page.get_by_role("link", name="从 Excel 导入").first.click()
    page.locator("#id_file").set_input_files(
        {"name": "2025年会员名册.xlsx", "mimeType": "application/octet-stream", "buffer": upload.getvalue()}
    )
    page.get_by_role("button", name="预览").click()
    assert "新增 4 项，修改 1 项" in page.locator("#excel-preview").inner_text()
    page.locator("#excel-confirm button").click()
    assert "4" in page.locator(".messages").inner_text()
    assert "闽清环境服务有限公司0" in page.locator("#members").inner_text()

    page.get_by_role("link", name="登记管理", exact=True).click()
    page.locator("#registry-renewals").click()
    assert any("京环城市服务集团有限公司" in row for row in page.locator("tr.renewal-row").all_inner_texts())

    page.get_by_role("link", name="登记管理", exact=True).click()
    page.locator("#registry-terms-ending").click()
    ending = page.locator("#terms-ending-table").inner_text()
    assert "垃圾分类专业委员会" in ending and "环卫装备专业委员会" in ending

    page.get_by_role("link", name="登记管理", exact=True).click()
    page.locator("#registry-ratings h2 a").click()
    page.locator("#facility-rounds").get_by_role("link", name="2026年度生活垃圾焚烧厂无害化等级评价").click()
    page.locator("#applications").get_by_role("link", name="北岭市生活垃圾焚烧发电厂").click()
    page.locator("#id_expert").fill("周教授")
    for criterion, points in enumerate([14, 23, 23, 14, 9, 9], start=1):
        page.locator(f"#id_criterion_{criterion}").fill(str(points))
    page.locator("#save-scores").click()
    page.locator("#rate-application").click()
    assert page.locator("#application-grade").inner_text().strip() == "AAA"
    page.locator("#round-link").click()
    page.locator("#publish-list").click()
    assert "中环卫〔" in page.locator(".facts").inner_text()
    with page.expect_download() as download_info:
        page.locator('a.button[href$="/pdf/"]').first.click()
    pdf = Path(download_info.value.path())
    text = flat(pdf_text(pdf))
    assert "北岭市生活垃圾焚烧发电厂" in text and "AAA" in text and "等级评价结果" in text
    page.close()


def test_clerk_follows_the_campaign_and_imports_a_month_of_collection(demo_server, browser):
    page = browser.new_page(accept_downloads=True)
    log_in(page, demo_server, "clerk")
    page.get_by_role("link", name="垃圾分类", exact=True).click()
    deadlines = page.locator("#deadlines-table tr", has_text="组织实施").inner_text()
    assert "解放" in deadlines and "北苑" not in deadlines  # 解放 has 3 sites that never started sorting
    page.locator("#dashboard-filters input[name=month]").fill("2026-10")
    page.locator("#dashboard-filters button").click()
    rates = page.locator("#street-rates-table").inner_text()
    assert "东湖" in rates and "解放" in rates
    october = "?date_from=2026-10-01&date_to=2026-10-31"
    page.goto(demo_server.url + "/sorting/ledgers/collection/" + october)
    before = Decimal(page.locator("#total-t").inner_text())
    export = page.request.get(demo_server.url + "/sorting/ledgers/collection/export/" + october)
    book = openpyxl.load_workbook(io.BytesIO(export.body()))
    sheet = book.active
    kitchen = [cell.value for cell in sheet[1]].index("厨余垃圾(吨)") + 1
    sheet.cell(2, kitchen).value = float(Decimal(str(sheet.cell(2, kitchen).value)) + 1)
    upload = io.BytesIO()
    book.save(upload)
    page.locator("#ledger-import").click()
    page.locator("#excel-upload input[type=file]").set_input_files(
        {"name": "10月收运台账.xlsx", "mimeType": "application/octet-stream", "buffer": upload.getvalue()}
    )
    page.get_by_role("button", name="预览").click()
    assert "0 " in page.locator("#excel-preview").inner_text()  # nothing new: every row replaces its own
    page.locator("#excel-confirm button").click()
    assert "Excel" in page.locator(".messages").inner_text()
    page.goto(demo_server.url + "/sorting/ledgers/collection/" + october)
    assert Decimal(page.locator("#total-t").inner_text()) == before + 1
    page.close()


def _png_60_megapixels() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8000, 7500)).save(out, format="PNG")  # a few KB on disk, 60 MP decoded
    return out.getvalue()


def test_phone_refuses_a_photo_that_is_none_and_loses_nothing_typed(demo_server, browser):
    """The inspection itself, its rectification and the ranking are the clerk's journey in tests/e2e."""
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    console_errors, failed = [], []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.on("response", lambda response: response.status >= 400 and failed.append((response.status, response.url)))
    log_in(page, demo_server, "clerk")
    page.goto(demo_server.url + "/supervision/")
    page.locator("#assignments li.assignment").first.get_by_role("link").click()
    page.locator("#problem-chips label", has_text="混投").click()
    mixed = page.locator("#problems fieldset[data-problem]").first
    mixed.locator("input[type=text], textarea").first.fill("3号桶点厨余垃圾混入其他垃圾")
    page.locator("#scores summary").click()
    page.get_by_label("分类效果").fill("5")
    photo_input = mixed.locator("input[type=file]")
    photo_input.set_input_files({"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": b"just some text\n" * 40})
    expect_error = mixed.locator("[data-photo-error]")
    expect_error.filter(has_text=zh(NOT_AN_IMAGE)).wait_for()
    photo_input.set_input_files({"name": "全景.png", "mimeType": "image/png", "buffer": _png_60_megapixels()})
    expect_error.filter(has_text=zh(TOO_MANY_PIXELS)).wait_for()
    photo_input.set_input_files({"name": "桶点.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
    mixed.locator("[data-thumbs] li[data-photo-id] img").wait_for()
    assert mixed.locator("[data-thumbs] li[data-photo-id]").count() == 1  # the refused two left no thumbnail
    # Nothing typed was lost on the way.
    assert mixed.locator("input[type=text], textarea").first.input_value() == "3号桶点厨余垃圾混入其他垃圾"
    assert page.get_by_label("分类效果").input_value() == "5"
    assert page.locator("#problems fieldset[data-problem]").count() == 1
    # The two refused photos are the only failed requests; nothing else broke in the browser.
    assert [status for status, url in failed] == [400, 400], failed
    assert len(console_errors) == 2, console_errors
    phone.close()


def test_beat_runs_the_daily_cycle_and_the_leader_downloads_it(demo_server, browser, tmp_path):
    """Nobody starts it: beat's hourly "cycle daily" fires when beat starts, a worker runs it."""
    page = browser.new_page(accept_downloads=True)
    log_in(page, demo_server, "leader")
    daily = page.locator("#cycle-daily tr[data-report]")
    deadline = time.monotonic() + 120
    while True:
        page.goto(demo_server.url + "/supervision/cycle/")
        if daily.count():
            break
        assert time.monotonic() < deadline, "no daily report from beat:\n" + demo_server.output()[-3000:]
        time.sleep(2)
    runs = page.locator("#cycle-runs").inner_text()
    assert zh(RunTrigger.BEAT.label) in runs and zh(RunState.DONE.label) in runs
    with page.expect_download() as download:
        daily.first.locator("a[download]").click()
    pdf = tmp_path / "daily.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "城东区" in pdf_text(pdf, layout=True)
    page.close()


def test_ctrl_c_stops_every_process(demo_server):
    process = demo_server.process
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=60)
    deadline = time.monotonic() + 30
    while True:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        survivors = subprocess.run(["ps", "-o", "pid,cmd", "-g", str(process.pid)], capture_output=True, text=True)
        assert time.monotonic() < deadline, "still running after Ctrl-C:\n" + survivors.stdout
        time.sleep(0.5)
    assert not answers(demo_server.url + "/accounts/login/")
