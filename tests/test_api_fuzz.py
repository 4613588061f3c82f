"""Schemathesis runs every operation of the OpenAPI schema against the real application.

Each operation gets 100 generated requests, valid and invalid ones mixed, seeded so that a run
in CI is the same run everywhere, as a district sorting-office clerk and as association
secretariat staff (and the rectification operations as staff of the unit that answers them),
on the demo world in PostgreSQL. Every answer must be no server error, a status code the schema
documents for that operation, the content type it documents, and a body and headers that
conform to it. Path ids and the ids in bodies are often ones that exist, and a photo upload
often a real JPEG, so writes (inspections, rectification actions, progress reports, photos,
tokens) succeed as well as fail; what one operation's run writes is rolled back after it.

Requests go in-process through Django's WSGI handler, each in a savepoint of the test's
transaction, so a request that fails at the database fails alone, as it would in autocommit.
The schema's coverage phase (boundary values, unsupported methods) is off: it doubles the run.
FUZZ_PATHS=regex runs only the matching paths, e.g. FUZZ_PATHS=inspections while working on them.

Below, explicit tests: NUL bytes and 10,000-character strings in every write answer 400 with the
field's message and write nothing.
"""

import io
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import schemathesis
from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.core.validators import ProhibitNullCharactersValidator
from django.db import close_old_connections, connection, transaction
from django.db.models import Count
from django.test.utils import override_settings
from django.urls import resolve
from django.utils import translation
from django.utils.translation import gettext_lazy
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from classification.models import Site
from plans.models import Item, ProgressReport
from plans.selectors import items_visible_to, units_reporting_for
from sanitation.organisations.models import Role, Unit, User
from supervision import access
from supervision.models import (
    Criterion,
    CriterionScore,
    Inspection,
    Photo,
    Problem,
    ProblemType,
    Rectification,
    RectificationEvent,
)
from supervision.rectifications import ANSWERABLE, STARTABLE, rectification_answer
from tests.factories import member
from tests.leak_objects import outsiders_build, world_build

EXAMPLES = 100
SEED = 2026
USERS = ("clerk", "secretariat")  # 李督查 of 城东区分类办, 王秘书 of the association's secretariat
ANSWERING_UNIT = "fuzz_unit_staff"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Fields of request bodies that name an object: sometimes one that exists, or the write never succeeds.
REFERENCES = {"site": Site, "item": Item, "unit": Unit, "problem_type": ProblemType, "criterion": Criterion}
PHOTO_UPLOADS = {"/api/v1/inspections/photos/", "/api/v1/rectifications/photos/"}

# Filled by the world fixture before any request is generated: the strategies read them lazily.
PATH_IDS: dict[str, list[int]] = {}
BODY_IDS: dict[str, list[int]] = {}
# Token requests come from an address of this run's own, so its throttle count is its own.
ADDRESS = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def _raw_schema() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none", "mode": "all"},
        "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": False}},
    }
)
_django = WSGIHandler()


def app(environ, start_response):
    """Django, each request in a savepoint, from this run's address."""
    environ["REMOTE_ADDR"] = ADDRESS
    with transaction.atomic():
        response = _django(environ, start_response)
        body = b"".join(response)
        response.close()
    return [body]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, format="JPEG")
    return out.getvalue()


def before_generate_path_parameters(context, strategy):
    path = context.operation.path
    if "{id}" not in path:
        return strategy
    real = st.deferred(lambda: st.sampled_from(PATH_IDS[path]).map(lambda pk: {"id": pk}))
    return st.one_of(strategy, real)


def _with_real_ids(value, random):
    """`value` with its reference fields sometimes naming an object that exists."""
    if isinstance(value, dict):
        return {
            key: (
                random.choice(BODY_IDS[key])
                if key in REFERENCES and type(item) is int and random.random() < 0.5
                else _with_real_ids(item, random)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_with_real_ids(item, random) for item in value]
    return value


def before_generate_body(context, strategy):
    if context.operation.path in PHOTO_UPLOADS:
        return st.one_of(strategy, st.just({"photo": _jpeg()}))
    real = st.tuples(strategy, st.randoms(use_true_random=False)).map(lambda drawn: _with_real_ids(*drawn))
    return st.one_of(strategy, real)


def _model_of(path: str):
    """The model whose rows the path's {id} names, as its viewset serializes them."""
    view = resolve(path.replace("{id}", "1")).func
    instance = view.cls(**view.initkwargs)
    instance.action = next(iter(view.actions.values()))
    queryset = getattr(view.cls, "queryset", None)
    return queryset.model if queryset is not None else instance.get_serializer_class().Meta.model


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo world and the leak matrix's outsiders, built once and rolled back after the module."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("fuzz-media"))
    # As Django's test client does: closing "old" connections would end the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), media, transaction.atomic():
            world_build()
            outsiders_build()
            # The demo's plan names its units only in words: let the secretariat lead a few items,
            # so that progress reports can be written, not only refused.
            secretariat = Unit.objects.get(code="CUEA-ZHB")
            for item in Item.objects.order_by("pk")[:5]:
                item.lead_units.add(secretariat)
            # Neither clerk nor secretariat answers rectifications: staff of the unit with the most do.
            busiest = Rectification.objects.values("unit").annotate(n=Count("pk")).order_by("-n", "unit")[0]
            member(Unit.objects.get(pk=busiest["unit"]), Role.UNIT_STAFF, username=ANSWERING_UNIT)
            connection.check_constraints()
            for name, model in REFERENCES.items():
                BODY_IDS[name] = list(model.objects.order_by("pk").values_list("pk", flat=True))
            yield {
                username: Token.objects.get_or_create(user=User.objects.get(username=username))[0].key
                for username in (*USERS, ANSWERING_UNIT)
            }
            transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        cache.delete(f"throttle_token_{ADDRESS}")


@pytest.fixture(scope="module")
def path_ids(world):
    """Every id of the model behind each path with an {id}, whoever may see it."""
    for path in schema.raw_schema["paths"]:
        if "{id}" in path:
            PATH_IDS[path] = list(_model_of(path).objects.order_by("pk").values_list("pk", flat=True))


@pytest.fixture(params=USERS)
def token(request, world, path_ids):
    """The user's API token."""
    return world[request.param]


@pytest.fixture
def answering_token(world, path_ids):
    """The API token of the staff of the unit that answers the most rectifications."""
    return world[ANSWERING_UNIT]


schema = schemathesis.openapi.from_dict(_raw_schema(), config=CONFIG)
schema.app = app
schema.hook(before_generate_path_parameters)
schema.hook(before_generate_body)
if os.environ.get("FUZZ_PATHS"):
    schema = schema.include(path_regex=os.environ["FUZZ_PATHS"])


rectifications = schema.include(path_regex=r"^/api/v1/rectifications/")


@pytest.mark.django_db  # what one operation's run writes is rolled back after it
@schema.parametrize()
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # the world lives on across examples
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


@pytest.mark.django_db
@rectifications.parametrize()
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_rectifications_conform_to_the_schema_for_the_unit_answering_them(case, answering_token):
    """Starting and answering succeed only for the rectification's unit: fuzzed as its staff too."""
    case.call_and_validate(headers={"Authorization": f"Token {answering_token}"}, checks=CHECKS)


# NUL bytes and very long strings in writes ---------------------------------------------------

NUL = "现场\x00检查"
LONG = "长" * 10_000
WRITTEN = (Inspection, Problem, CriterionScore, Photo, ProgressReport, Rectification, RectificationEvent, Token)


@dataclass(frozen=True)
class Write:
    """A write operation of the API, with a string field that `bad` is put into."""

    who: str  # a user of the `writers` fixture allowed to make the write
    url: Callable[[dict], str]
    body: Callable[[dict, str], dict]
    error: Callable[[str], dict]  # the 400's body for a message about that field
    max_length: int


def _text(message: str) -> dict:
    return {"text": [message]}


def _acting_on(action: str) -> Callable[[dict], str]:
    return lambda writers: f"/api/v1/rectifications/{writers[action].pk}/{action}/"


WRITES = {
    "inspection note": Write(
        "clerk",
        lambda writers: "/api/v1/inspections/",
        lambda writers, bad: {"site": writers["site"].pk, "note": bad},
        lambda message: {"note": [message]},
        5000,
    ),
    "problem note": Write(
        "clerk",
        lambda writers: "/api/v1/inspections/",
        lambda writers, bad: {
            "site": writers["site"].pk,
            "problems": [{"problem_type": writers["problem_type"], "note": bad}],
        },
        lambda message: {"problems": {"0": {"note": [message]}}},  # DRF names the list item by its index
        500,
    ),
    "progress text": Write(
        "reporter",
        lambda writers: "/api/v1/progress-reports/",
        lambda writers, bad: {"item": writers["item"].pk, "unit": writers["section"].pk, "text": bad, "percent": 50},
        _text,
        5000,
    ),
    "start text": Write("starter", _acting_on("start"), lambda writers, bad: {"text": bad}, _text, 5000),
    "answer text": Write("answerer", _acting_on("answer"), lambda writers, bad: {"text": bad}, _text, 5000),
    "close text": Write("clerk", _acting_on("close"), lambda writers, bad: {"text": bad}, _text, 5000),
    "send-back text": Write("clerk", _acting_on("send_back"), lambda writers, bad: {"text": bad}, _text, 5000),
}


@pytest.fixture
def writers(world, db) -> dict:
    """Users allowed to make each write, and what they write about: the clerk records inspections
    and reviews a rectification waiting for it; members of the rectifications' units start and
    answer them; the secretariat reports on an item its 综合部 leads."""
    clerk = User.objects.get(username="clerk")
    reporter = User.objects.get(username="secretariat")
    item = next(item for item in items_visible_to(reporter).order_by("pk") if units_reporting_for(reporter, item))
    to_start = Rectification.objects.filter(state__in=STARTABLE).order_by("pk").first()
    to_answer = Rectification.objects.filter(state__in=ANSWERABLE).exclude(pk=to_start.pk).order_by("pk").first()
    to_review = Rectification.objects.filter(state__in=ANSWERABLE).exclude(pk__in=[to_start.pk, to_answer.pk]).first()
    rectification_answer(
        rectification=to_review, by=member(to_review.unit, Role.UNIT_STAFF, username="fuzz_unit"), text="已整改"
    )
    return {
        "clerk": clerk,
        "starter": member(to_start.unit, Role.UNIT_STAFF, username="fuzz_starter"),
        "answerer": member(to_answer.unit, Role.UNIT_STAFF, username="fuzz_answerer"),
        "reporter": reporter,
        "start": to_start,
        "answer": to_answer,
        "close": to_review,
        "send_back": to_review,
        "item": item,
        "section": units_reporting_for(reporter, item)[0],
        "site": access.sites_inspectable_by(clerk).order_by("pk").first(),
        "problem_type": ProblemType.objects.filter(is_active=True).order_by("pk").first().pk,
    }


def _rows() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in WRITTEN}


def _message(text, **params) -> str:
    """A message as the API gives it: in the system's language, Simplified Chinese."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text).format(**params)


NULL_CHARACTERS = ProhibitNullCharactersValidator.message
TOO_LONG = serializers.CharField.default_error_messages["max_length"]


def _post(user, url: str, data: dict):
    client = APIClient(REMOTE_ADDR=ADDRESS)
    if user is not None:
        client.force_authenticate(user)
    return client.post(url, data, format="json")


@pytest.mark.parametrize("name", WRITES)
def test_nul_bytes_in_a_write_answer_400_and_write_nothing(name, writers):
    write = WRITES[name]
    before = _rows()
    response = _post(writers[write.who], write.url(writers), write.body(writers, NUL))
    assert response.status_code == 400, response.content
    assert response.json() == write.error(_message(NULL_CHARACTERS))
    assert _rows() == before


@pytest.mark.parametrize("name", WRITES)
def test_ten_thousand_characters_in_a_write_answer_400_and_write_nothing(name, writers):
    write = WRITES[name]
    before = _rows()
    response = _post(writers[write.who], write.url(writers), write.body(writers, LONG))
    assert response.status_code == 400, response.content
    assert response.json() == write.error(_message(TOO_LONG, max_length=write.max_length))
    assert _rows() == before


@pytest.mark.parametrize("name", WRITES)
def test_the_same_write_with_good_text_is_accepted(name, writers):
    """The refusals above are about the strings: the same request with a plain text goes through."""
    write = WRITES[name]
    response = _post(writers[write.who], write.url(writers), write.body(writers, "已按要求整改完毕"))
    assert response.status_code in (200, 201), response.content


def test_nul_bytes_and_long_strings_in_the_token_request_answer_400_and_make_no_token(world, db):
    before = _rows()
    response = _post(None, "/api/v1/auth/token/", {"username": NUL, "password": "demo-2026"})
    assert response.status_code == 400
    assert response.json() == {"username": [_message(NULL_CHARACTERS)]}
    response = _post(None, "/api/v1/auth/token/", {"username": "clerk", "password": LONG})
    assert response.status_code == 400
    refused = _message(gettext_lazy("Unable to log in with provided credentials."))
    assert response.json() == {"non_field_errors": [refused]}
    assert _rows() == before


# What the fuzzing found, kept as plain tests -------------------------------------------------


def test_a_circular_year_past_9999_is_a_bad_filter_not_a_server_error(world, db):
    client = APIClient()
    client.force_authenticate(User.objects.get(username="secretariat"))
    response = client.get("/api/v1/circulars/", {"year": 403919})
    assert response.status_code == 400
    assert list(response.json()) == ["year"]
    assert client.get("/api/v1/circulars/", {"kind": "nonsense"}).status_code == 400
    issued = client.get("/api/v1/circulars/", {"year": 2022, "status": "issued"})
    assert issued.status_code == 200
    assert issued.json()["count"] > 0


def test_names_of_places_a_row_does_not_have_are_null_in_the_schema_and_the_answer(world, db):
    raw = _raw_schema()["components"]["schemas"]
    for component, field in [
        ("SortingFacility", "site_name"),
        ("PublicityActivity", "community_name"),
        ("Site", "community_name"),
        ("Problem", "criterion_name"),
    ]:
        assert raw[component]["properties"][field].get("nullable") is True, (component, field)
    client = APIClient()
    client.force_authenticate(User.objects.get(username="clerk"))
    rows = client.get("/api/v1/facilities/").json()["results"]
    assert any(row["site"] is None and row["site_name"] is None for row in rows)
