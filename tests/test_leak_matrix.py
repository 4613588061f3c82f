"""No leaks across organisations: every URL pattern that names an object by id, HTML and API,
tried by users of another district and of another association, answers 404 and changes nothing.

The patterns come from the URL configuration itself, so a new endpoint without an entry in
tests/leak_objects.REGISTRY (or a reasoned EXEMPT) fails test_every_object_pattern_is_in_the_matrix."""

import pytest
from django.db import connection, transaction
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.leak_objects import EXEMPT, PAGE_METHODS, REGISTRY, outsiders_build, world_build

OUTSIDERS = ("clerk of B", "unit staff of B", "leader of B", "secretariat of another association")
SKIPPED_PREFIXES = ("admin/",)
MISSING_ID = 2_000_000_000
API_DETAIL_METHODS = ("get", "put", "patch", "delete")

# (URL name, method, outsider) → what the view answered instead of 404; the lead fixes these.
LEAKS: dict[tuple[str, str, str], str] = {}  # (url name, method, who) → what leaks, until fixed


def id_kwargs(pattern: URLPattern) -> list[str]:
    return sorted(name for name in pattern.pattern.regex.groupindex if name == "pk" or name.endswith("_id"))


def object_patterns(resolver=None, prefix: str = "", namespace: str = "") -> dict[str, tuple[list[str], tuple]]:
    """URL name → (its id kwargs, the methods to try), for every pattern with an object id."""
    found: dict[str, tuple[list[str], tuple]] = {}
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= object_patterns(entry, route, inner)
            continue
        ids = id_kwargs(entry)
        if not ids or not entry.name or "format" in entry.pattern.regex.groupindex:
            continue
        actions = getattr(entry.callback, "actions", None)  # a DRF router's route
        methods = PAGE_METHODS
        if actions:
            # A detail route is tried with every write too: a read-only viewset answers 405 for any id.
            tried = (*API_DETAIL_METHODS, *actions) if "retrieve" in actions.values() else actions
            methods = tuple(m for m in dict.fromkeys(tried) if m not in ("head", "options"))
        found.setdefault(f"{namespace}{entry.name}", (ids, methods))
    return found


PATTERNS = object_patterns()


def matrix():
    for name, (ids, methods) in sorted(PATTERNS.items()):
        if name not in REGISTRY:
            continue
        for method in methods:
            for who in OUTSIDERS:
                leak = LEAKS.get((name, method, who))
                marks = [pytest.mark.xfail(strict=True, reason=f"leak: {leak}")] if leak else []
                yield pytest.param(name, ids, method, who, marks=marks, id=f"{name}-{method}-{who}")


@pytest.fixture(scope="module")
def outsiders(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo world and the outsiders, built once for the module and rolled back after it."""
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("leak-media"))
    with django_db_blocker.unblock(), media, transaction.atomic():
        world_build()
        users = outsiders_build()
        # Fire the deferred foreign-key checks of the build once, not at every test's teardown.
        connection.check_constraints()
        yield users
        transaction.set_rollback(True)


def row(obj) -> dict:
    return type(obj).objects.filter(pk=obj.pk).values().get()


def ask(client, method: str, url: str):
    if method in ("put", "patch"):
        return getattr(client, method)(url, data="{}", content_type="application/json")
    return getattr(client, method)(url)


@pytest.mark.parametrize(("name", "ids", "method", "who"), list(matrix()))
def test_another_organisations_object_answers_404(name, ids, method, who, outsiders, db, client):
    entry = REGISTRY[name]
    obj = entry.make()
    kwargs = entry.url_kwargs(obj, ids[0])
    before = row(obj)
    client.force_login(outsiders[who])
    response = ask(client, method, reverse(name, kwargs=kwargs))
    if response.status_code == 405:  # refused whatever the object: says nothing about it
        missing = reverse(name, kwargs=kwargs | dict.fromkeys(ids, MISSING_ID))
        assert ask(client, method, missing).status_code == 405
    else:
        assert response.status_code == 404, f"{method.upper()} {name} answered {response.status_code} to {who}"
    assert row(obj) == before


def test_every_object_pattern_is_in_the_matrix():
    missing = sorted(PATTERNS.keys() - REGISTRY.keys() - EXEMPT.keys())
    assert not missing, f"URL patterns with an object id but no leak test (add to tests/leak_objects.py): {missing}"
    stale = sorted((REGISTRY.keys() | EXEMPT.keys()) - PATTERNS.keys())
    assert not stale, f"leak registry entries for URL names that no longer exist: {stale}"
