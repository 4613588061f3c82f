from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans.ratings import demo as ratings_demo
from plans.ratings import services
from plans.ratings.models import ApplicationStatus, Enterprise, Facility, RatingApplication, RatingRound
from sanitation.core.credit_code import credit_code_validate
from sanitation.organisations.models import Role, Unit, User

from ..factories import PASSWORD, member
from .conftest import make_enterprise, make_facility


@pytest.fixture
def secretariat(demo, client, on_demo_day):
    client.force_login(User.objects.get(username="secretariat"))
    return client


@pytest.fixture
def current_round(demo):
    return RatingRound.objects.get(year=2026, scheme__programme="facility")


def _html(response) -> str:
    return response.content.decode()


def test_overview_lists_rounds_by_programme_and_the_expiring_count(secretariat):
    page = _html(secretariat.get(reverse("ratings:overview")))
    assert "2026年度生活垃圾焚烧厂无害化等级评价" in page and "2024年度生活垃圾焚烧厂无害化等级评价" in page
    assert "2026年度环卫行业企业信用评价" in page and "中环卫〔2024〕01号" in page
    assert 'id="facility-rounds"' in page and 'id="credit-rounds"' in page
    assert "2 ratings expiring soon" in page


def test_secretariat_scores_rates_and_publishes_the_round(secretariat, current_round):
    """The browser journey, through the test client."""
    page = _html(secretariat.get(reverse("ratings:round-detail", args=[current_round.pk])))
    application = current_round.applications.get(facility__name=ratings_demo.UNDER_REVIEW)
    assert f'id="application-{application.pk}"' in page and 'id="publish-list"' in page
    detail = reverse("ratings:application-detail", args=[application.pk])
    page = _html(secretariat.get(detail))
    for field in ("id_expert", *(f"id_criterion_{n}" for n in range(1, 7)), "save-scores"):
        assert f'id="{field}"' in page
    assert 'id="rate-application"' not in page  # nothing to rate yet

    scores = {"expert": "张教授", **{f"criterion_{n}": p for n, p in enumerate([14, 23, 23, 14, 9, 9], start=1)}}
    response = secretariat.post(reverse("ratings:application-scores", args=[application.pk]), scores)
    assert response.status_code == 302 and response["Location"] == detail
    page = _html(secretariat.get(detail))
    assert "张教授" in page and 'id="rate-application"' in page

    response = secretariat.post(reverse("ratings:application-rate", args=[application.pk]), follow=True)
    page = _html(response)
    assert 'id="application-grade"><strong>AAA</strong>' in page and "Rated AAA with 92.00 points." in page

    response = secretariat.post(reverse("ratings:round-publish", args=[current_round.pk]))
    current_round.refresh_from_db()
    circular = current_round.circular
    assert response["Location"] == reverse("documents:circular-detail", args=[circular.pk])
    assert circular.title == "关于公布2026年度生活垃圾焚烧厂无害化等级评价结果的通知" and circular.is_issued
    pdf = secretariat.get(reverse("documents:circular-pdf", args=[circular.pk]))
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(b"%PDF")
    page = _html(secretariat.get(reverse("ratings:round-detail", args=[current_round.pk])))
    assert 'id="publish-list"' not in page and circular.number in page and 'id="circular-pdf"' in page
    again = secretariat.post(reverse("ratings:round-publish", args=[current_round.pk]))
    assert again["Location"] == response["Location"]


def test_points_above_the_maximum_are_shown_on_the_form(secretariat, current_round):
    application = current_round.applications.get(facility__name=ratings_demo.UNDER_REVIEW)
    scores = {"expert": "张教授", **{f"criterion_{n}": 10 for n in range(1, 7)}, "criterion_1": 16}
    response = secretariat.post(reverse("ratings:application-scores", args=[application.pk]), scores)
    assert response.status_code == 400
    refused = services.POINTS_ABOVE_MAX % {"criterion": "垃圾接收与贮存", "max": "15", "points": "16"}
    assert str(refused) in _html(response) and 'max="15"' in _html(response)
    assert not application.scores.exists()


def test_revoking_needs_a_reason(secretariat, demo):
    application = RatingApplication.objects.filter(enterprise__isnull=False, status=ApplicationStatus.RATED).first()
    url = reverse("ratings:application-revoke", args=[application.pk])
    response = secretariat.post(url, {"reason": ""})
    assert response.status_code == 400 and 'id="revoke-form"' in _html(response)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RATED
    secretariat.post(url, {"reason": "被列入失信被执行人名单"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REVOKED and application.revocation_reason == "被列入失信被执行人名单"
    page = _html(secretariat.get(reverse("ratings:enterprise-detail", args=[application.enterprise_id])))
    assert "被列入失信被执行人名单" in page and 'id="current-rating">none' in page


def test_adding_an_application_and_registering_a_new_facility(secretariat, current_round):
    spare = make_facility(current_round.organisation, "某市第二生活垃圾焚烧发电厂")
    page = _html(secretariat.get(reverse("ratings:round-detail", args=[current_round.pk])))
    assert "某市第二生活垃圾焚烧发电厂" in page  # among the choices
    response = secretariat.post(
        reverse("ratings:application-add", args=[current_round.pk]), {"subject": spare.pk, "submitted_on": "2026-07-01"}
    )
    assert response.status_code == 302 and current_round.applications.filter(facility=spare).exists()
    url = reverse("ratings:facility-create") + f"?round={current_round.pk}"
    response = secretariat.post(
        url,
        {
            "name": "某市第三生活垃圾焚烧发电厂",
            "kind": "incineration",
            "province": "湖南省",
            "city": "某市",
            "capacity": "1000",
            "operator_name": "某市环保能源有限公司",
            "operator_credit_code": "91350100m000100y43",
        },
    )
    assert response["Location"] == reverse("ratings:round-detail", args=[current_round.pk])
    facility = Facility.objects.get(name="某市第三生活垃圾焚烧发电厂")
    assert facility.operator_credit_code == "91350100M000100Y43" and facility.organisation.code == "CUEA"
    assert current_round.applications.filter(facility=facility).exists()


def test_a_wrong_credit_code_is_refused_on_the_form(secretariat):
    response = secretariat.post(
        reverse("ratings:enterprise-create"),
        {"name": "某公司", "credit_code": "91350100M000100Y44", "region": "北京市", "business": "collection"},
    )
    with pytest.raises(ValidationError) as wrong:
        credit_code_validate("91350100M000100Y44")
    assert response.status_code == 400 and wrong.value.messages[0] in _html(response)
    assert not Enterprise.objects.filter(name="某公司").exists()


def test_expiring_page_lists_the_two_plants(secretariat):
    page = _html(secretariat.get(reverse("ratings:expiring")))
    expiring = page.split('id="expiring"')[1].split('id="expired"')[0]
    assert "东滨市生活垃圾焚烧发电厂" in expiring and "江北市生活垃圾焚烧发电厂" in expiring
    assert "2027-01-19" in expiring


def test_registry_lists_and_details_show_the_ratings(secretariat):
    page = _html(secretariat.get(reverse("ratings:facility-list")))
    assert "东滨市生活垃圾焚烧发电厂" in page and "<strong>A</strong>" in page
    page = _html(secretariat.get(reverse("ratings:facility-list"), {"q": "东滨"}))
    assert "东滨市生活垃圾焚烧发电厂" in page and "江北市" not in page
    page = _html(secretariat.get(reverse("ratings:enterprise-list"), {"choice": "treatment"}))
    assert "杭州碧水环保科技有限公司" in page and "北京洁城" not in page
    jiangbei = Facility.objects.get(name="江北市生活垃圾焚烧发电厂")
    page = _html(secretariat.get(reverse("ratings:facility-detail", args=[jiangbei.pk])))
    assert "2024年度生活垃圾焚烧厂无害化等级评价" in page and "2026年度生活垃圾焚烧厂无害化等级评价" in page
    assert "中环卫〔2024〕01号" in page and "<strong>AA</strong> · valid until 2027-01-19" in page


# Who sees what -------------------------------------------------------------------------------


def _detail_urls() -> list[str]:
    application = RatingApplication.objects.filter(status=ApplicationStatus.RATED).first()
    return [
        reverse("ratings:round-detail", args=[application.round_id]),
        reverse("ratings:application-detail", args=[application.pk]),
        reverse("ratings:facility-detail", args=[Facility.objects.first().pk]),
        reverse("ratings:enterprise-detail", args=[Enterprise.objects.first().pk]),
        reverse("ratings:facility-edit", args=[Facility.objects.first().pk]),
    ]


def _post_urls() -> list[str]:
    application = RatingApplication.objects.filter(status=ApplicationStatus.RATED).first()
    return [
        reverse("ratings:application-rate", args=[application.pk]),
        reverse("ratings:application-revoke", args=[application.pk]),
        reverse("ratings:round-publish", args=[application.round_id]),
    ]


@pytest.mark.parametrize("who", ["clerk_a", "unit_staff"])
def test_others_and_association_unit_staff_see_nothing(demo, client, who, request):
    user = (
        request.getfixturevalue("clerk_a")
        if who == "clerk_a"
        else member(Unit.objects.get(code="CUEA-HYB"), Role.UNIT_STAFF, username="hyb")
    )
    client.force_login(user)
    for url in _detail_urls():
        assert client.get(url).status_code == 404, url
    for url in _post_urls():
        assert client.post(url, {"reason": "x"}).status_code == 404, url
    for name in ("overview", "expiring", "facility-list", "enterprise-list", "facility-export", "facility-import"):
        assert client.get(reverse(f"ratings:{name}")).status_code == 403, name
    assert not RatingApplication.objects.filter(status=ApplicationStatus.REVOKED, facility__isnull=False).exists()


def test_a_leader_reads_but_does_not_change(demo, client):
    client.force_login(member(Unit.objects.get(code="CUEA-MSC"), Role.LEADER, username="cuea_leader"))
    for url in _detail_urls()[:4]:
        assert client.get(url).status_code == 200, url
    page = client.get(_detail_urls()[1]).content.decode()
    assert 'id="revoke-form"' not in page and 'id="scores-form"' not in page
    for url in _post_urls():
        assert client.post(url, {"reason": "x"}).status_code == 403, url
    assert client.get(_detail_urls()[4]).status_code == 403


def test_anonymous_is_sent_to_log_in(demo, client):
    response = client.get(reverse("ratings:overview"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert PASSWORD  # the factories' password is for form logins


# Queries ---------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url_name", ["ratings:overview", "ratings:facility-list", "ratings:enterprise-list", "ratings:expiring"]
)
def test_list_pages_take_the_same_queries_at_two_sizes(secretariat, url_name):
    url = reverse(url_name)
    few = _queries(secretariat, url)
    association = Unit.objects.get(code="CUEA")
    for number in range(12):
        make_facility(association, f"新增焚烧厂{number}")
        make_enterprise(association, f"新增企业{number}", 500 + number)
    scheme = RatingRound.objects.get(year=2024, scheme__programme="facility").scheme
    extra = services.round_open(scheme=scheme, year=2020)
    criteria = list(scheme.criteria.all())
    for number in range(3):
        facility = Facility.objects.get(name=f"新增焚烧厂{number}")
        application = services.application_submit(rating_round=extra, facility=facility)
        scores = ratings_demo.points_for(criteria, Decimal(92))
        services.expert_scores_record(application=application, expert="张教授", scores=scores)
        services.application_rate(application=application, on=date(2023, 12, 1 + number))  # expiring soon
    services.round_publish(rating_round=extra, written_on=date(2023, 12, 10))
    assert _queries(secretariat, url) == few


def test_round_page_takes_the_same_queries_at_two_sizes(secretariat, current_round):
    url = reverse("ratings:round-detail", args=[current_round.pk])
    few = _queries(secretariat, url)
    for number in range(8):
        services.application_submit(
            rating_round=current_round, facility=make_facility(current_round.organisation, f"新增焚烧厂{number}")
        )
    assert _queries(secretariat, url) == few


def test_secretariat_opens_a_round(secretariat):
    page = _html(secretariat.get(reverse("ratings:overview")))
    assert 'id="round-form"' in page
    scheme = RatingRound.objects.get(year=2024, scheme__programme="facility").scheme
    response = secretariat.post(reverse("ratings:round-create"), {"scheme": scheme.pk, "year": 2028, "title": ""})
    opened = RatingRound.objects.get(year=2028)
    assert response["Location"] == reverse("ratings:round-detail", args=[opened.pk])
    assert opened.title == "2028年度生活垃圾焚烧厂无害化等级评价" and opened.organisation.code == "CUEA"
    again = secretariat.post(reverse("ratings:round-create"), {"scheme": scheme.pk, "year": 2028}, follow=True)
    assert RatingRound.objects.filter(year=2028).count() == 1 and again.status_code == 200


def test_secretariat_edits_a_facility(secretariat):
    facility = Facility.objects.get(name="东滨市生活垃圾焚烧发电厂")
    url = reverse("ratings:facility-edit", args=[facility.pk])
    assert 'value="东滨市生活垃圾焚烧发电厂"' in _html(secretariat.get(url))
    fields = {
        "name": facility.name,
        "kind": facility.kind,
        "province": facility.province,
        "city": facility.city,
        "capacity": "750",
        "operator_name": facility.operator_name,
        "operator_credit_code": facility.operator_credit_code,
    }
    assert secretariat.post(url, fields)["Location"] == reverse("ratings:facility-detail", args=[facility.pk])
    facility.refresh_from_db()
    assert facility.capacity == 750
    fields["name"] = "江北市生活垃圾焚烧发电厂"  # another facility's name
    response = secretariat.post(url, fields)
    assert response.status_code == 400 and Facility.objects.filter(name="江北市生活垃圾焚烧发电厂").count() == 1
