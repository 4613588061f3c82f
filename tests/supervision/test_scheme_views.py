"""Assessment scheme pages: the versions, one version in full, a new draft version, the draft's
edit page saved all or nothing, putting it in force; who may change and query counts."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from supervision import schemes
from supervision.models import AssessmentScheme, Criterion, DeductionRule, SchemeStatus, ScoreSource
from supervision.review_forms import SCHEME_FIELDS, SchemeForm, scheme_formsets
from supervision.scheme_views import RULE_ON_DELETED_CRITERION
from tests.supervision.conftest import scheme_build

LIST = reverse("supervision:scheme-list")


@pytest.fixture(autouse=True)
def _english(english, client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _url(name: str, scheme) -> str:
    return reverse(f"supervision:{name}", args=[scheme.pk])


@pytest.fixture
def draft(scheme, clerk):
    return schemes.scheme_new_version(scheme=scheme, by=clerk)


def _form_data(scheme) -> dict:
    """What the edit page posts when nothing is changed."""
    scheme = AssessmentScheme.objects.get(pk=scheme.pk)
    data = {}
    for name in SCHEME_FIELDS:
        value = SchemeForm(instance=scheme)[name].value()
        data[name] = "" if value is None else str(value)
    for prefix, formset in scheme_formsets(scheme).items():
        management = formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{prefix}-{name}"] = str(management[name].value())
        for form in formset.forms:
            for field in form:
                value = field.value()
                if value is None or value == "" or value is False:
                    continue
                data[field.html_name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data


def _row(data: dict, prefix: str, field: str, value: str) -> str:
    """The index of the row of formset `prefix` whose `field` is `value`."""
    for index in range(int(data[f"{prefix}-TOTAL_FORMS"])):
        if data.get(f"{prefix}-{index}-{field}") == value:
            return str(index)
    raise AssertionError(f"no {prefix} row with {field}={value}")


def _snapshot(scheme) -> tuple:
    scheme = AssessmentScheme.objects.get(pk=scheme.pk)
    return (
        scheme.title,
        scheme.red_top,
        sorted(scheme.criteria.values_list("name", "points", "order")),
        sorted(scheme.sources.values_list("name", "weight")),
        sorted(scheme.deduction_rules.values_list("problem_type__code", "criterion__name", "points")),
    )


# Reading -----------------------------------------------------------------------------------------


def test_list_shows_every_version(client, clerk, scheme, draft):
    client.force_login(clerk)
    response = client.get(LIST)
    assert [s.pk for s in response.context["schemes"]] == [draft.pk, scheme.pk]
    page = response.content.decode()
    assert scheme.title in page and str(SchemeStatus.IN_FORCE.label) in page and str(SchemeStatus.DRAFT.label) in page
    assert "2026-01-01" in page and clerk.display_name in page


@pytest.mark.parametrize("who", ["leader", "street_user"])
def test_leaders_and_streets_read(client, request, scheme, who):
    client.force_login(request.getfixturevalue(who))
    assert [s.pk for s in client.get(LIST).context["schemes"]] == [scheme.pk]
    page = client.get(_url("scheme-detail", scheme)).content.decode()
    assert scheme.title in page and 'id="new-version"' not in page and 'id="put-in-force"' not in page


def test_detail_shows_the_whole_scheme(client, leader, scheme):
    client.force_login(leader)
    response = client.get(_url("scheme-detail", scheme))
    assert response.status_code == 200
    page = response.content.decode()
    sources = page.split('id="scheme-sources"', 1)[1].split("</section>", 1)[0]
    assert "日常督查" in sources and ">60<" in sources and ">30<" in sources and ">10<" in sources
    criteria = page.split('id="scheme-criteria"', 1)[1].split("</section>", 1)[0]
    assert "示范创建" in criteria and "Managed residential estate" in criteria and "Every kind" in criteria
    assert ">100<" in criteria  # full marks
    rules = page.split('id="scheme-rules"', 1)[1].split("</section>", 1)[0]
    assert "混装" in rules and "分类效果" in rules and "−10" in rules and "满溢" in rules and "−3" in rules
    deadlines = page.split('id="scheme-deadlines"', 1)[1].split("</section>", 1)[0]
    assert "3 days" in deadlines and "7 days" in deadlines and "15 days" in deadlines
    assert "The first 3 places with at least 90 points." in deadlines


def test_another_district_is_404(client, outsider, scheme, draft):
    client.force_login(outsider)
    assert client.get(LIST).context["schemes"].count() == 0
    assert client.get(_url("scheme-detail", scheme)).status_code == 404
    assert client.get(_url("scheme-edit", draft)).status_code == 404
    assert client.post(_url("scheme-edit", draft), _form_data(draft)).status_code == 404
    assert client.post(_url("scheme-new-version", scheme)).status_code == 404
    assert client.post(_url("scheme-put-in-force", draft), {"on": "2026-06-01"}).status_code == 404
    assert AssessmentScheme.objects.count() == 2
    draft.refresh_from_db()
    assert draft.status == SchemeStatus.DRAFT


def _query_count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_schemes(client, clerk, scheme, district):
    client.force_login(clerk)
    small = _query_count(client, LIST)
    for year in (2023, 2024, 2025):
        scheme_build(district, year=year, in_force_from=datetime.date(year, 1, 1))
    AssessmentScheme.objects.update(created_by=clerk)
    assert _query_count(client, LIST) == small


# Changing ----------------------------------------------------------------------------------------


def test_clerk_makes_a_new_version_and_lands_on_its_edit_page(client, clerk, scheme):
    client.force_login(clerk)
    response = client.post(_url("scheme-new-version", scheme))
    draft = AssessmentScheme.objects.get(district=scheme.district, year=2026, version=2)
    assert response.status_code == 302 and response.url == _url("scheme-edit", draft)
    assert draft.status == SchemeStatus.DRAFT and draft.created_by == clerk
    assert draft.criteria.count() == 6 and draft.sources.count() == 3 and draft.deduction_rules.count() == 7
    page = client.get(response.url).content.decode()
    assert 'id="scheme-form"' in page and "宣传动员" in page and 'type="checkbox"' in page


@pytest.mark.parametrize("who", ["leader", "street_user"])
def test_readers_cannot_change(client, request, scheme, draft, who):
    client.force_login(request.getfixturevalue(who))
    before = _snapshot(draft)
    assert client.post(_url("scheme-new-version", scheme)).status_code == 403
    assert client.get(_url("scheme-edit", draft)).status_code == 403
    data = _form_data(draft) | {"title": "改名"}
    assert client.post(_url("scheme-edit", draft), data).status_code == 403
    assert client.post(_url("scheme-put-in-force", draft), {"on": "2026-06-01"}).status_code == 403
    assert AssessmentScheme.objects.count() == 2 and _snapshot(draft) == before
    draft.refresh_from_db()
    assert draft.status == SchemeStatus.DRAFT


def test_a_scheme_in_force_is_not_edited(client, clerk, scheme):
    client.force_login(clerk)
    response = client.get(_url("scheme-edit", scheme))
    assert response.status_code == 302 and response.url == _url("scheme-detail", scheme)


def test_clerk_edits_a_draft(client, clerk, draft, problem_types):
    client.force_login(clerk)
    data = _form_data(draft)
    data["title"] = "2026年考核办法（修订）"
    data["red_top"] = "2"
    # Change a criterion's points and kinds, add one, move a weight, drop a rule, add a rule.
    row = _row(data, "criteria", "name", "宣传动员")
    data[f"criteria-{row}-points"] = "10"
    data[f"criteria-{row}-site_kinds"] = ["school", "restaurant"]
    new = str(int(data["criteria-TOTAL_FORMS"]) - 1)  # the empty extra row
    data |= {f"criteria-{new}-name": "垃圾分类知晓率", f"criteria-{new}-points": "5", f"criteria-{new}-order": "9"}
    row = _row(data, "sources", "name", "日常督查")
    data[f"sources-{row}-weight"] = "50"
    row = _row(data, "sources", "name", "群众评议")
    data[f"sources-{row}-weight"] = "20"
    row = _row(data, "rules", "problem_type", str(problem_types["overflowing"].pk))
    data[f"rules-{row}-DELETE"] = "on"
    empty_rule = str(int(data["rules-TOTAL_FORMS"]) - 1)
    criterion = Criterion.objects.get(scheme=draft, name="分类效果")
    data |= {
        f"rules-{empty_rule}-problem_type": str(problem_types["odour"].pk),
        f"rules-{empty_rule}-criterion": str(criterion.pk),
        f"rules-{empty_rule}-points": "2",
    }

    response = client.post(_url("scheme-edit", draft), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    draft.refresh_from_db()
    assert (draft.title, draft.red_top) == ("2026年考核办法（修订）", 2)
    publicity = Criterion.objects.get(scheme=draft, name="宣传动员")
    assert (publicity.points, publicity.site_kinds) == (Decimal(10), ["school", "restaurant"])
    assert Criterion.objects.get(scheme=draft, name="垃圾分类知晓率").points == Decimal(5)
    assert dict(draft.sources.values_list("name", "weight")) == {
        "日常督查": Decimal(50),
        "第三方测评": Decimal(30),
        "群众评议": Decimal(20),
    }
    codes = set(draft.deduction_rules.values_list("problem_type__code", flat=True))
    assert "overflowing" not in codes and "odour" in codes
    assert DeductionRule.objects.get(scheme=draft, problem_type__code="odour").points == Decimal(2)
    assert LogEntry.objects.get(object_id=str(draft.pk)).user == clerk


def test_one_bad_criterion_row_saves_nothing(client, clerk, draft):
    client.force_login(clerk)
    before = _snapshot(draft)
    data = _form_data(draft) | {"title": "不应保存的标题"}
    row = _row(data, "sources", "name", "日常督查")
    data[f"sources-{row}-weight"] = "55"
    good = _row(data, "criteria", "name", "宣传动员")
    data[f"criteria-{good}-points"] = "12"
    bad = _row(data, "criteria", "name", "台账建立")
    data[f"criteria-{bad}-points"] = "-5"
    response = client.post(_url("scheme-edit", draft), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "errorlist" in page and "不应保存的标题" in page  # what was typed is kept
    assert _snapshot(draft) == before


def test_two_criteria_with_one_name_save_nothing(client, clerk, draft):
    client.force_login(clerk)
    before = _snapshot(draft)
    data = _form_data(draft) | {"title": "重名"}
    row = _row(data, "criteria", "name", "台账建立")
    data[f"criteria-{row}-name"] = "宣传动员"
    response = client.post(_url("scheme-edit", draft), data)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert _snapshot(draft) == before


def test_a_rule_on_a_deleted_criterion_saves_nothing(client, clerk, draft, problem_types):
    client.force_login(clerk)
    before = _snapshot(draft)
    data = _form_data(draft) | {"title": "删除标准"}
    row = _row(data, "criteria", "name", "台账建立")
    data[f"criteria-{row}-DELETE"] = "on"
    response = client.post(_url("scheme-edit", draft), data)
    assert response.status_code == 200
    assert escape(str(RULE_ON_DELETED_CRITERION)) in response.content.decode()
    assert _snapshot(draft) == before


def test_put_in_force_is_refused_when_the_weights_do_not_add_to_100(client, clerk, scheme, draft):
    ScoreSource.objects.filter(scheme=draft, name="群众评议").update(weight=5)
    client.force_login(clerk)
    page = client.get(_url("scheme-detail", draft)).content.decode()
    warning = escape(str(schemes.WEIGHTS_NOT_100) % {"total": "95"})
    assert warning in page  # said before anyone tries
    response = client.post(_url("scheme-put-in-force", draft), {"on": "2026-06-01"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count(warning) == 2  # the refusal, and the standing warning
    draft.refresh_from_db()
    scheme.refresh_from_db()
    assert (draft.status, draft.in_force_from) == (SchemeStatus.DRAFT, None)
    assert scheme.status == SchemeStatus.IN_FORCE


def test_clerk_puts_a_draft_in_force(client, clerk, scheme, draft):
    client.force_login(clerk)
    response = client.post(_url("scheme-put-in-force", draft), {"on": "2026-06-01"})
    assert response.status_code == 302 and response.url == _url("scheme-detail", draft)
    draft.refresh_from_db()
    scheme.refresh_from_db()
    assert (draft.status, draft.in_force_from) == (SchemeStatus.IN_FORCE, datetime.date(2026, 6, 1))
    assert scheme.status == SchemeStatus.SUPERSEDED
    assert schemes.scheme_in_force(district=draft.district, on=datetime.date(2026, 6, 2)) == draft
    # In force now: no more editing.
    assert client.get(_url("scheme-edit", draft)).status_code == 302


def test_put_in_force_needs_a_date(client, clerk, draft):
    client.force_login(clerk)
    response = client.post(_url("scheme-put-in-force", draft), {"on": ""})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == SchemeStatus.DRAFT
