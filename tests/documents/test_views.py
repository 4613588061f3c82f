"""Circulars in the browser and the API: scoping, drafts to issued, downloads, filters."""

import hashlib
import urllib.parse

import pytest

from sanitation.documents.models import Circular, CircularStatus, DocumentIssuer
from sanitation.documents.services import circular_create, circular_issue
from sanitation.organisations.models import Role, Unit
from tests.factories import member

BODY = "一、总体要求\n（一）加强领导。各街道要落实责任。\n请认真贯彻执行。"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def issuer_a(district_a):
    return DocumentIssuer.objects.create(unit=Unit.objects.get(code="A-FLB"), prefix="A分类办", mark="A区分类办文件")


@pytest.fixture
def issuer_b(district_b):
    return DocumentIssuer.objects.create(unit=Unit.objects.get(code="B-FLB"), prefix="B分类办", mark="B区分类办文件")


def issued(issuer, title="关于开展垃圾分类督查的通报", **fields) -> Circular:
    draft = circular_create(issuer=issuer, title=title, body=BODY, **fields)
    return circular_issue(draft.pk)


@pytest.mark.django_db
def test_clerk_writes_a_draft_and_issues_it(client, clerk_a, issuer_a):
    client.force_login(clerk_a)
    response = client.post(
        "/circulars/new/",
        {
            "issuer": issuer_a.pk,
            "kind": "bulletin",
            "title": "关于第一季度讲评的通报",
            "body": BODY,
            "recipients": "各街道",
            "written_on": "2026-04-03",
        },
    )
    draft = Circular.objects.get(title="关于第一季度讲评的通报")
    assert response.url == f"/circulars/{draft.pk}/"
    assert draft.status == CircularStatus.DRAFT and draft.number == ""

    response = client.post(f"/circulars/{draft.pk}/issue/", follow=True)
    draft.refresh_from_db()
    assert draft.number == "A分类办〔2026〕1号"
    assert "A分类办〔2026〕1号" in response.content.decode()

    # A second click gives no second number.
    response = client.post(f"/circulars/{draft.pk}/issue/", follow=True)
    assert "已经印发" in response.content.decode()
    assert Circular.objects.filter(number__startswith="A分类办").count() == 1


@pytest.mark.django_db
def test_issued_circular_is_not_editable_and_a_correction_gets_a_new_number(client, clerk_a, issuer_a):
    circular = issued(issuer_a)
    client.force_login(clerk_a)
    response = client.post(f"/circulars/{circular.pk}/edit/", {"title": "改过的标题", "body": "改"}, follow=True)
    assert "不能修改" in response.content.decode()
    circular.refresh_from_db()
    assert circular.title == "关于开展垃圾分类督查的通报"

    response = client.post(f"/circulars/{circular.pk}/correct/")
    correction = Circular.objects.get(supersedes=circular)
    assert response.url == f"/circulars/{correction.pk}/edit/"
    correction = circular_issue(correction.pk)
    assert (circular.sequence, correction.sequence) == (1, 2)


@pytest.mark.django_db
def test_download_is_the_stored_pdf_with_a_chinese_file_name(client, clerk_a, issuer_a):
    circular = issued(issuer_a)
    client.force_login(clerk_a)
    response = client.get(f"/circulars/{circular.pk}/pdf/")
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == circular.pdf_sha256
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert urllib.parse.unquote(
        disposition.split("''", 1)[1]
    ) == "A分类办〔2026〕1号 关于开展垃圾分类督查的通报.pdf".replace("2026", str(circular.year))
    inline = client.get(f"/circulars/{circular.pk}/pdf/?inline=1")
    assert inline["Content-Disposition"].startswith("inline;")
    assert inline["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.django_db
def test_a_damaged_stored_pdf_is_refused(client, clerk_a, issuer_a):
    circular = issued(issuer_a)
    with open(circular.pdf.path, "ab") as stored:
        stored.write(b"tampered")
    client.force_login(clerk_a)
    response = client.get(f"/circulars/{circular.pk}/pdf/")
    assert response.status_code == 500
    assert "已损坏" in response.content.decode()


@pytest.mark.django_db
def test_another_district_sees_nothing(client, clerk_b, issuer_a):
    circular = issued(issuer_a)
    draft = circular_create(issuer=issuer_a, title="草稿", body=BODY)
    client.force_login(clerk_b)
    for pk in (circular.pk, draft.pk):
        for url in (f"/circulars/{pk}/", f"/circulars/{pk}/pdf/", f"/api/v1/circulars/{pk}/"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/circulars/{pk}/issue/").status_code == 404
        assert client.post(f"/circulars/{pk}/correct/").status_code == 404
    assert "关于开展" not in client.get("/circulars/").content.decode()
    assert client.get("/api/v1/circulars/").json()["count"] == 0


@pytest.mark.django_db
def test_leader_downloads_from_the_dashboard_in_one_click_but_cannot_issue(client, district_a, issuer_a):
    leader = member(Unit.objects.get(code="A"), Role.LEADER)
    circular = issued(issuer_a)
    draft = circular_create(issuer=issuer_a, title="未印发的草稿", body=BODY)
    client.force_login(leader)
    home = client.get("/").content.decode()
    assert f'href="/circulars/{circular.pk}/pdf/" download' in home
    assert "未印发的草稿" not in client.get("/circulars/").content.decode()
    assert client.post(f"/circulars/{draft.pk}/issue/").status_code == 404
    assert client.get("/circulars/new/").status_code == 404


@pytest.mark.django_db
def test_street_staff_read_their_districts_circulars(client, district_a, issuer_a):
    staff = member(Unit.objects.get(code="A-JD1"), Role.UNIT_STAFF)
    circular = issued(issuer_a)
    client.force_login(staff)
    assert client.get(f"/circulars/{circular.pk}/").status_code == 200
    assert client.post(f"/circulars/{circular.pk}/correct/").status_code == 404


@pytest.mark.django_db
def test_list_filters_by_issuer_kind_and_year(client, district_a, clerk_a, issuer_a):
    center = DocumentIssuer.objects.create(unit=Unit.objects.get(code="A-ZX"), prefix="A环卫", mark="A区环卫中心文件")
    issued(issuer_a, title="分类办的通报", kind="bulletin")
    issued(center, title="中心的通知", kind="notice")
    client.force_login(clerk_a)
    page = client.get("/circulars/", {"issuer": center.pk}).content.decode()
    assert "中心的通知" in page and "分类办的通报" not in page
    page = client.get("/circulars/", {"kind": "bulletin"}).content.decode()
    assert "分类办的通报" in page and "中心的通知" not in page
    assert "没有符合条件的公文" in client.get("/circulars/", {"year": 2001}).content.decode()
    page = client.get("/circulars/", {"year": 1999, "kind": "notice"}).content.decode()
    assert "2000" in page and "中心的通知" in page and "分类办的通报" not in page  # the error, and the valid filter
    api = client.get("/api/v1/circulars/", {"kind": "notice"}).json()
    assert [row["title"] for row in api["results"]] == ["中心的通知"]
    assert api["results"][0]["pdf_url"].endswith(f"/circulars/{api['results'][0]['id']}/pdf/")
    assert api["results"][0]["kind_display"] == "通知"


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [3, 12])
def test_list_query_count_does_not_grow(client, clerk_a, issuer_a, rows, django_assert_num_queries):
    for index in range(rows):
        circular_create(issuer=issuer_a, title=f"草稿{index}", body=BODY)
    client.force_login(clerk_a)
    # session, user, memberships, issuers for the filter, can-write check, count, page
    with django_assert_num_queries(7):
        response = client.get("/circulars/")
    assert response.content.decode().count("草稿") >= rows


@pytest.mark.django_db
def test_draft_preview_renders_without_a_number(client, clerk_a, issuer_a):
    draft = circular_create(issuer=issuer_a, title="预览草稿", body=BODY)
    client.force_login(clerk_a)
    response = client.get(f"/circulars/{draft.pk}/pdf/?inline=1")
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    draft.refresh_from_db()
    assert draft.number == "" and draft.status == CircularStatus.DRAFT
