"""The API is described: the OpenAPI schema generates without warnings, Swagger UI comes from our
own static files, and a token obtained with a user name and password opens the API."""

import re
import uuid

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from sanitation.organisations.models import Role, UnitKind

from ..factories import PASSWORD, UnitFactory, member

# Every resource the router offers; a new one belongs here too.
API_RESOURCES = [
    "assessment-schemes",
    "branches",
    "campaigns",
    "circulars",
    "collection-records",
    "credit-ratings",
    "facilities",
    "facility-ratings",
    "inspections",
    "member-dues",
    "members",
    "plan-items",
    "plans",
    "problem-types",
    "progress-reports",
    "publicity-activities",
    "rectifications",
    "scores",
    "sites",
]


@pytest.fixture
def clerk(db):
    district = UnitFactory(code="S", name="S区", kind=UnitKind.DISTRICT)
    return member(district, Role.CLERK, username="schema_clerk")


def test_schema_command_validates_without_warnings(tmp_path, capsys):
    target = tmp_path / "schema.yml"
    # --fail-on-warn raises on any warning or error, so returning at all means none.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    output = capsys.readouterr()
    assert "Warning" not in output.out + output.err
    assert "Error" not in output.out + output.err
    schema = yaml.safe_load(target.read_text())
    assert schema["info"]["title"] == "环卫工作计划管理 API"


def test_schema_endpoint_lists_every_router_path(clerk):
    client = APIClient()
    client.force_login(clerk)
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for resource in API_RESOURCES:
        assert f"/api/v1/{resource}/" in paths, resource
    assert "/api/v1/auth/token/" in paths
    assert "/api/v1/rectifications/{id}/send_back/" in paths


def test_schema_and_docs_need_a_login(db):
    client = APIClient()
    assert client.get(reverse("api-schema")).status_code == 403
    assert client.get(reverse("api-docs")).status_code == 403


def test_docs_page_loads_only_local_static_files(clerk, client, settings):
    # Tests run without collectstatic: let WhiteNoise find files as runserver would.
    settings.WHITENOISE_USE_FINDERS = True
    client.force_login(clerk)
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html  # the start-up script comes from a URL, for the CSP
    assert "<style>" not in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls
    for url in urls:
        assert not url.startswith(("http:", "https:", "//")), url
    static_urls = [url for url in urls if url.startswith("/static/")]
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in static_urls
    for url in static_urls:
        served = client.get(url)
        assert served.status_code == 200, url
    script = [url for url in urls if "script" in url and not url.startswith("/static/")]
    assert len(script) == 1
    init = client.get(script[0])
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert reverse("api-schema") in init.content.decode()


# Token authentication -----------------------------------------------------------------------


def _token_client() -> tuple[APIClient, str]:
    """A client from an address of its own, its throttle count reset: tests share the cache."""
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    cache.delete(f"throttle_token_{address}")
    return APIClient(REMOTE_ADDR=address), address


def test_token_from_good_credentials_opens_the_api(clerk):
    client, _ = _token_client()
    response = client.post(reverse("api-token"), {"username": "schema_clerk", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert token == clerk.auth_token.key
    api = APIClient()
    assert api.get("/api/v1/plans/").status_code == 403
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.get("/api/v1/plans/")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_token_refused_for_bad_credentials(clerk):
    client, _ = _token_client()
    response = client.post(reverse("api-token"), {"username": "schema_clerk", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    # 403, not 401: session authentication comes first and names no WWW-Authenticate scheme.
    assert api.get("/api/v1/plans/").status_code == 403


def test_token_endpoint_throttles_the_eleventh_request_in_a_minute(clerk):
    client, address = _token_client()
    try:
        for _ in range(10):
            response = client.post(reverse("api-token"), {"username": "schema_clerk", "password": "wrong"})
            assert response.status_code == 400
        response = client.post(reverse("api-token"), {"username": "schema_clerk", "password": PASSWORD})
        assert response.status_code == 429
        assert "Retry-After" in response
    finally:
        cache.delete(f"throttle_token_{address}")


# Error responses ----------------------------------------------------------------------------


@pytest.fixture
def schema(clerk) -> dict:
    client = APIClient()
    client.force_login(clerk)
    return client.get(reverse("api-schema"), {"format": "json"}).json()


def _codes(schema: dict, path: str, method: str = "get") -> list[str]:
    return list(schema["paths"][path][method]["responses"])


def test_every_operation_declares_the_errors_it_can_answer(schema):
    # A list with filters: a bad filter (400), no login (403), a page past the last (404).
    assert _codes(schema, "/api/v1/plans/") == ["200", "400", "403", "404"]
    # A list with no filters and no pages: only ?ordering=, which refuses an unknown field (400).
    assert _codes(schema, "/api/v1/problem-types/") == ["200", "400", "403"]
    assert _codes(schema, "/api/v1/plans/{id}/") == ["200", "403", "404"]
    assert _codes(schema, "/api/v1/inspections/", "post") == ["201", "400", "403", "415"]
    # A change made against an older version of the rectification is a conflict.
    for action in ("start", "answer", "close", "send_back"):
        path = f"/api/v1/rectifications/{{id}}/{action}/"
        assert _codes(schema, path, "post") == ["200", "400", "403", "404", "409", "415"], action
    assert _codes(schema, "/api/v1/scores/") == ["200", "400", "403", "404"]
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert list(token["responses"]) == ["200", "400", "403", "415", "429"]
    assert token["responses"]["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert {} in token["security"]  # no login needed to get a token


def test_error_bodies_are_described_as_drf_writes_them(schema):
    components = schema["components"]["schemas"]
    assert components["Error"]["properties"] == {"detail": {"type": "string"}}
    assert components["Error"]["required"] == ["detail"]
    assert components["ValidationError"]["type"] == "object"
    responses = schema["paths"]["/api/v1/inspections/"]["post"]["responses"]
    assert responses["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ValidationError"}
    assert responses["403"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_scores_are_one_object_not_a_list(schema):
    body = schema["paths"]["/api/v1/scores/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Scores"}


def test_any_other_path_under_api_answers_a_json_404(clerk):
    client = APIClient()
    client.force_login(clerk)
    for url in ("/api/v1/plans/1.5/", "/api/v1/plans/a/b/", "/api/v2/", "/api/v1/nothing-here/"):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 404, (method, url)
            assert response["Content-Type"] == "application/json"
            assert set(response.json()) == {"detail"}
