"""The web shell: login, language, navigation by role, error pages, scoped unit pages."""

import pytest
from django.test import override_settings
from django.urls import path

from sanitation.organisations.models import Role, Unit
from tests.factories import PASSWORD, UnitFactory, member

pytestmark = pytest.mark.django_db


def test_login_page_is_in_simplified_chinese_by_default(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert "登录" in html and "用户名" in html and "密码" in html
    assert "Log in" not in html


def test_english_can_be_selected(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"}, follow=True)
    html = response.content.decode()
    assert "Log in" in html and "User name" in html
    assert "登录" not in html


def test_login_with_wrong_password_says_so_in_chinese(client, clerk_a):
    response = client.post("/accounts/login/", {"username": "clerk_a", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_login_then_home_shows_the_users_units(client, clerk_a):
    response = client.post("/accounts/login/", {"username": "clerk_a", "password": PASSWORD}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/"
    assert "A区分类办" in html
    assert "分类办督查员" in html


def test_anonymous_is_sent_to_login(client):
    response = client.get("/organisation/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_logout_ends_the_session(client, clerk_a):
    client.force_login(clerk_a)
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_password_change(client, clerk_a):
    client.force_login(clerk_a)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Another-pass-2026", "new_password2": "Another-pass-2026"},
        follow=True,
    )
    assert "密码已修改" in response.content.decode()
    clerk_a.refresh_from_db()
    assert clerk_a.check_password("Another-pass-2026")


def test_menu_depends_on_role(client, district_a):
    street_staff = member(Unit.objects.get(code="A-JD1"), Role.UNIT_STAFF)
    clerk = member(Unit.objects.get(code="A-FLB"), Role.CLERK)
    client.force_login(street_staff)
    html = client.get("/").content.decode()
    assert "组织机构" in html and "系统状态" not in html
    client.force_login(clerk)
    html = client.get("/").content.decode()
    assert "组织机构" in html and "系统状态" in html


def test_status_page_is_refused_to_unit_staff_in_chinese(client, district_a):
    client.force_login(member(Unit.objects.get(code="A-JD1"), Role.UNIT_STAFF))
    response = client.get("/status/")
    assert response.status_code == 403
    assert "没有权限" in response.content.decode()


def test_unknown_page_gives_the_chinese_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom)]


@override_settings(ROOT_URLCONF=__name__)
def test_server_error_gives_the_chinese_500(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "服务器出错" in response.content.decode()


def test_unit_tree_lists_only_own_district(client, clerk_a, district_b):
    client.force_login(clerk_a)
    html = client.get("/organisation/").content.decode()
    assert "A第1街道1社区" in html
    assert "B第1街道" not in html


def test_unit_of_another_district_is_not_found(client, clerk_a, district_b):
    client.force_login(clerk_a)
    other = Unit.objects.get(code="B-JD1")
    assert client.get(f"/organisation/units/{other.pk}/").status_code == 404
    own = Unit.objects.get(code="A-JD1")
    response = client.get(f"/organisation/units/{own.pk}/")
    assert response.status_code == 200
    assert "A第1街道2社区" in response.content.decode()


@pytest.mark.parametrize("streets", [2, 6])
def test_unit_tree_query_count_does_not_grow_with_units(client, clerk_a, streets, django_assert_num_queries):
    district = Unit.objects.get(code="A")
    for s in range(10, 10 + streets):
        UnitFactory(code=f"A-X{s}", name=f"新增街道{s}", kind="street", parent=district)
    client.force_login(clerk_a)
    # session, user, memberships, units
    with django_assert_num_queries(4):
        response = client.get("/organisation/")
    assert response.content.decode().count("新增街道") == streets


def test_healthz_answers_without_login(client):
    assert client.get("/healthz/").json() == {"status": "ok"}
