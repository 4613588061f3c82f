"""Deployment hardening: an enforced Content-Security-Policy with no inline script, production settings
that pass Django's deployment check, and logins throttled per user name and per address."""

import os
import subprocess
import sys
import uuid
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse

from sanitation.core.login_throttle import client_address
from sanitation.core.login_views import LOGIN_LOCKED
from sanitation.documents.models import DocumentIssuer
from sanitation.documents.services import circular_create
from sanitation.organisations.models import Role, Unit
from tests.factories import PASSWORD, MembershipFactory, member

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Pages a signed-in clerk of the district office reaches from the menu, without arguments.
PAGES = [
    "home",
    "organisations:unit-tree",
    "documents:circular-list",
    "documents:circular-create",
    "plans:plan-list",
    "plans:plan-import",
    "plans:my-items",
    "registries",
    "members:member-list",
    "members:renewals",
    "members:statistics",
    "branches:list",
    "branches:terms-ending",
    "ratings:overview",
    "ratings:expiring",
    "ratings:facility-list",
    "ratings:enterprise-list",
    "classification:dashboard",
    "classification:site-list",
    "classification:campaign-list",
    "classification:ledger-facilities",
    "classification:ledger-collection",
    "classification:ledger-publicity",
    "classification:ledger-people",
    "classification:ledger-participation",
    "supervision:day",
    "supervision:inspection-list",
    "supervision:qr-streets",
    "supervision:rectification-list",
    "supervision:scores",
    "supervision:subsidies",
    "supervision:scheme-list",
    "supervision:cycle",
    "supervision:notifications",
    "password_change",
]
MUST_OPEN = ["home", "plans:plan-list", "classification:dashboard", "supervision:day"]
MUST_OPEN += ["supervision:rectification-list", "supervision:cycle", "documents:circular-list", "registries"]
MUST_OPEN += ["members:member-list", "branches:list", "ratings:overview"]


class InlineCode(HTMLParser):
    """Collects what the policy would block: inline scripts, event-handler and style attributes."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append("<script> without src")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")


def policy_of(response) -> dict:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def inline_code_in(html: str) -> list:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def office_clerk(district_a):
    return member(Unit.objects.get(code="A-FLB"), Role.CLERK, username=f"clerk-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def clerk_and_secretary(office_clerk, district_a):
    """One user who opens both the sorting office's pages and the registries."""
    MembershipFactory(user=office_clerk, unit=district_a, role=Role.SECRETARIAT)
    return office_clerk


# Content-Security-Policy ------------------------------------------------------------------------


def test_every_page_sends_the_enforced_policy(client, office_clerk):
    client.force_login(office_clerk)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert policy_of(response) == EXPECTED_CSP
    assert "Content-Security-Policy-Report-Only" not in response
    assert policy_of(client.get(reverse("login"))) == EXPECTED_CSP  # anonymous pages too


def test_pages_a_clerk_opens_have_no_inline_script_or_style(client, clerk_and_secretary):
    client.force_login(clerk_and_secretary)
    opened, offending = [], {}
    for name in PAGES:
        response = client.get(reverse(name))
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        opened.append(name)
        assert policy_of(response) == EXPECTED_CSP, name
        found = inline_code_in(response.content.decode())
        if found:
            offending[name] = found
    assert offending == {}
    assert set(MUST_OPEN) <= set(opened), set(MUST_OPEN) - set(opened)


def test_the_login_page_has_no_inline_script(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert inline_code_in(response.content.decode()) == []


def test_the_admin_is_served_under_the_same_policy(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert policy_of(response) == EXPECTED_CSP
    response = client.get(reverse("admin:organisations_unit_changelist"))
    assert response.status_code == 200
    found = [item for item in inline_code_in(response.content.decode()) if "style=" not in item]
    assert found == []


def test_the_circular_pdf_may_be_framed_by_its_own_detail_page_only(client, office_clerk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    issuer = DocumentIssuer.objects.create(unit=Unit.objects.get(code="A-FLB"), prefix="A分类办", mark="A区分类办文件")
    draft = circular_create(issuer=issuer, title="预览草稿", body="一、总体要求\n请认真贯彻执行。")
    client.force_login(office_clerk)
    assert policy_of(client.get(reverse("documents:circular-detail", args=[draft.pk]))) == EXPECTED_CSP
    response = client.get(reverse("documents:circular-pdf", args=[draft.pk]) + "?inline=1")
    assert response.status_code == 200
    pdf_policy = policy_of(response)
    assert pdf_policy["frame-ancestors"] == "'self'"
    assert "object-src" not in pdf_policy  # Chrome shows a PDF with a plugin; default-src 'self' governs it
    assert response["X-Frame-Options"] == "SAMEORIGIN"


# Production settings -----------------------------------------------------------------------------


def run_check(**env) -> subprocess.CompletedProcess:
    passed = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    passed.update(DJANGO_SETTINGS_MODULE="sanitation.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=passed,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION_ENV = {
    "SECRET_KEY": "Zq8v-3kP_wT9xL2mR7nB4cY6hJ1sD5fG0aE-uI8oK3pW7tQ2-Xe5Nr0Lb",
    "ALLOWED_HOSTS": "hw.example.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://hw.example.gov.cn",
    "DATABASE_URL": "postgres://sanitation:secret@db.internal:5432/sanitation",
    "REDIS_URL": "redis://cache.internal:6379/0",
}


def test_the_deployment_check_passes_without_warnings():
    result = run_check(**PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr


def test_the_deployment_check_refuses_a_short_secret_key():
    result = run_check(**{**PRODUCTION_ENV, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


# Login throttling --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def own_cache_keys(settings):
    """Counters of this test only: a key prefix of its own, rather than clearing a shared Redis."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


def log_in(client, username, password, address="203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def locked_message() -> str:
    return str(LOGIN_LOCKED) % {"minutes": settings.LOGIN_THROTTLE_WINDOW_SECONDS // 60}


def test_five_failures_lock_the_name_even_with_the_right_password_from_anywhere(client, office_clerk):
    for _ in range(5):
        response = log_in(client, office_clerk.username, "wrong")
        assert response.status_code == 200
    response = log_in(client, office_clerk.username, PASSWORD)
    assert response.status_code == 429
    assert locked_message() in response.content.decode()
    assert not logged_in(client)
    response = log_in(client, office_clerk.username, PASSWORD, address="198.51.100.20")
    assert response.status_code == 429
    assert not logged_in(client)


def test_a_colleague_behind_the_same_address_still_logs_in(client, office_clerk, district_a):
    colleague = member(Unit.objects.get(code="A-FLB"), Role.CLERK, username=f"colleague-{uuid.uuid4().hex[:8]}")
    for _ in range(6):
        log_in(client, office_clerk.username, "wrong")
    response = log_in(client, colleague.username, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_fifty_failures_from_one_address_across_names_lock_the_address(client, office_clerk):
    for n in range(50):
        assert log_in(client, f"nobody-{n}", "wrong").status_code == 200
    response = log_in(client, office_clerk.username, PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    response = log_in(client, office_clerk.username, PASSWORD, address="198.51.100.20")
    assert response.status_code == 302
    assert logged_in(client)


def test_a_successful_login_resets_the_names_count(client, office_clerk):
    for _ in range(4):
        log_in(client, office_clerk.username, "wrong")
    assert log_in(client, office_clerk.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        log_in(client, office_clerk.username, "wrong")
    assert log_in(client, office_clerk.username, PASSWORD).status_code == 302


def test_the_name_is_counted_whatever_its_case(client, office_clerk):
    for _ in range(5):
        log_in(client, office_clerk.username.upper(), "wrong")
    assert log_in(client, office_clerk.username, PASSWORD).status_code == 429


def test_the_admin_login_counts_with_the_same_counters(client, admin_user):
    for _ in range(5):
        response = client.post(
            reverse("admin:login"), {"username": admin_user.username, "password": "wrong"}, REMOTE_ADDR="203.0.113.9"
        )
        assert response.status_code == 200
    response = client.post(
        reverse("admin:login"), {"username": admin_user.username, "password": "password"}, REMOTE_ADDR="203.0.113.9"
    )
    assert locked_message() in response.content.decode()
    assert not logged_in(client)
    assert log_in(client, admin_user.username, "password").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_counts(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7", REMOTE_ADDR="10.0.0.2")
    settings.LOGIN_THROTTLE_TRUSTED_PROXIES = 0
    assert client_address(request) == "10.0.0.2"
    settings.LOGIN_THROTTLE_TRUSTED_PROXIES = 1
    assert client_address(request) == "203.0.113.7"  # 1.2.3.4 is the client's own claim
