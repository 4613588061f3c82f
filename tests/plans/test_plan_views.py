from pathlib import Path

import pytest
from django.conf import settings

from plans.models import Plan
from sanitation.documents import demo as documents_demo
from sanitation.organisations import demo as organisations_demo
from sanitation.organisations.models import Role, Unit

from ..factories import member

DISTRICT = Path(settings.SEEDS_DIR) / "district-center-2025-work-points.txt"


@pytest.fixture
def demo(db):
    organisations_demo.seed()
    documents_demo.seed()


@pytest.fixture
def center_clerk(demo):
    return member(Unit.objects.get(code="CD-HWZX"), Role.CLERK, username="center_clerk")


def test_import_page_previews_then_saves_the_uploaded_document(client, center_clerk):
    client.force_login(center_clerk)
    center = Unit.objects.get(code="CD-HWZX")
    with DISTRICT.open("rb") as document:
        response = client.post("/plans/import/", {"issuer": center.pk, "document": document, "preview": "1"})
    page = response.content.decode()
    assert response.status_code == 200 and not Plan.objects.exists()
    assert "区环卫事务中心2025年工作要点" in page and "抓好城区保洁市场化项目监管考核工作" in page
    assert "12 项" in page and "缺少第 3、4、5 项" in page.replace("原文缺少第 ", "缺少第 ")
    text = response.context["form"].cleaned_data["text"]
    response = client.post("/plans/import/", {"issuer": center.pk, "text": text, "save": "1"})
    plan = Plan.objects.get()
    assert plan.items.count() == 12 and response.status_code == 302


def test_unknown_name_is_mapped_on_the_page(client, center_clerk):
    client.force_login(center_clerk)
    center = Unit.objects.get(code="CD-HWZX")
    text = "2025年工作要点\n一、党建\n1.加强学习。（牵头单位：宣传科；协助单位：各股室）"
    page = client.post("/plans/import/", {"issuer": center.pk, "text": text, "preview": "1"}).content.decode()
    assert "宣传科" in page and "保存计划" not in page
    office = Unit.objects.get(code="CD-HWZX-BGS")
    data = {"issuer": center.pk, "text": text, "save": "1", "name_1": "宣传科", "map_1": office.pk}
    client.post("/plans/import/", data)
    assert Plan.objects.get().items.get().lead_units.get() == office


def test_mapping_applied_on_the_page_is_kept_when_saving(client, center_clerk):
    """Apply the mapping, then save from the page the apply step returned: the form it renders
    must carry the mapped name with its unit chosen, or the save refuses the unknown name."""
    client.force_login(center_clerk)
    center = Unit.objects.get(code="CD-HWZX")
    office = Unit.objects.get(code="CD-HWZX-BGS")
    text = "2025年工作要点\n一、党建\n1.加强学习。（牵头单位：宣传科）"
    applied = {"issuer": center.pk, "text": text, "preview": "1", "name_1": "宣传科", "map_1": office.pk}
    page = client.post("/plans/import/", applied).content.decode()
    assert "保存计划" in page
    assert 'name="name_1" value="宣传科"' in page
    assert f'<option value="{office.pk}" selected>' in page
    client.post(
        "/plans/import/", {"issuer": center.pk, "text": text, "save": "1", "name_1": "宣传科", "map_1": office.pk}
    )
    assert Plan.objects.get().items.get().lead_units.get() == office


def test_unit_staff_cannot_import(client, demo):
    staff = member(Unit.objects.get(code="CD-HWZX-HWG"), Role.UNIT_STAFF, username="hwg")
    client.force_login(staff)
    assert client.get("/plans/import/").status_code == 403


def test_plan_is_issued_once_as_a_numbered_circular(client, demo):
    from plans.services import plan_import, plan_preview

    secretariat = member(Unit.objects.get(code="CUEA-ZHB"), Role.SECRETARIAT, username="sec")
    association = Unit.objects.get(code="CUEA")
    text = (Path(settings.SEEDS_DIR) / "association-2022-key-work.txt").read_text()
    plan = plan_import(plan_preview(text, issuer=association, year=2026))
    client.force_login(secretariat)
    client.post(f"/plans/{plan.pk}/issue/", {"recipients": "各会员单位、各分支机构"})
    plan.refresh_from_db()
    circular = plan.circular
    assert circular.number.startswith("中环卫〔") and circular.pdf_pages >= 3
    assert circular.title == "关于印发《2022年中国城市环境卫生协会重点工作》的通知"
    assert "（三）进一步推进政府合作伙伴计划" in circular.body
    client.post(f"/plans/{plan.pk}/issue/")  # a second click
    plan.refresh_from_db()
    issued_now = type(circular).objects.filter(title=circular.title, written_on__year=circular.written_on.year)
    assert plan.circular_id == circular.pk and issued_now.count() == 1
