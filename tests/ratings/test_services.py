from datetime import date
from decimal import Decimal

import pytest

from plans.ratings import grading, services
from plans.ratings.models import ApplicationStatus, ExpertScore, RatingApplication, RoundStatus
from plans.ratings.services import RatingError
from sanitation.documents.models import Circular, CircularStatus

from .conftest import make_enterprise, make_facility, rated, score


@pytest.fixture
def plant(association):
    return make_facility(association, "江北市生活垃圾焚烧发电厂")


@pytest.fixture
def application(rating_round, plant):
    return services.application_submit(rating_round=rating_round, facility=plant, submitted_on=date(2026, 6, 1))


@pytest.mark.parametrize(
    ("points", "total", "grade", "status"),
    [
        (("36", "36", "18"), "90.00", "AAA", ApplicationStatus.RATED),
        (("36", "35.5", "18"), "89.50", "AA", ApplicationStatus.RATED),
        (("32", "32", "16"), "80.00", "AA", ApplicationStatus.RATED),
        (("31.5", "32", "16"), "79.50", "A", ApplicationStatus.RATED),
        (("28", "28", "14"), "70.00", "A", ApplicationStatus.RATED),
        (("28", "27.5", "14"), "69.50", "", ApplicationStatus.FAILED),
    ],
)
def test_grade_thresholds_at_their_boundaries(application, points, total, grade, status):
    score(application, points)
    application = services.application_rate(application=application, on=date(2026, 10, 20))
    assert (application.total, application.grade, application.status) == (Decimal(total), grade, status)


def test_total_is_the_average_of_the_experts_sums(application):
    score(application, ("36", "36", "18"), ("30", "30", "15"), ("33", "33", "16.5"))  # 90, 75, 82.5
    application = services.application_rate(application=application, on=date(2026, 10, 20))
    assert application.total == Decimal("82.50") and application.grade == "AA"


def test_an_average_between_cents_is_rounded_half_up(application):
    score(application, ("36", "36", "18"), ("36", "36", "18"), ("36", "35.5", "18"))  # 90, 90, 89.5
    application = services.application_rate(application=application, on=date(2026, 10, 20))
    assert application.total == Decimal("89.83") and application.grade == "AA"


def test_a_facility_rating_is_valid_three_years_from_the_day_of_rating(application):
    score(application, ("36", "36", "18"))
    application = services.application_rate(application=application, on=date(2026, 10, 20))
    assert application.valid_from == date(2026, 10, 20) and application.valid_until == date(2029, 10, 19)
    assert application.rated_on == date(2026, 10, 20)


def test_a_rating_on_29_february_ends_on_27_february(rating_round, association):
    application = rated(rating_round, make_facility(association, "东滨厂"), ("36", "36", "18"), on=date(2028, 2, 29))
    assert application.valid_until == date(2031, 2, 27)


def test_a_credit_rating_is_valid_two_years(credit_round, association):
    enterprise = make_enterprise(association, "北京洁城环境服务有限公司", 1)
    application = services.application_submit(rating_round=credit_round, enterprise=enterprise)
    score(application, ("26", "26", "12"))  # 64
    application = services.application_rate(application=application, on=date(2026, 7, 10))
    assert application.grade == "B" and application.valid_until == date(2028, 7, 9)


def test_points_above_the_criterion_maximum_are_refused(application):
    criteria = list(application.round.scheme.criteria.all())
    scores = {criteria[0]: Decimal("40.5"), criteria[1]: Decimal(30), criteria[2]: Decimal(10)}
    with pytest.raises(RatingError) as refused:
        services.expert_scores_record(application=application, expert="张教授", scores=scores)
    assert refused.value.problems == [
        str(services.POINTS_ABOVE_MAX % {"criterion": "运行管理", "max": "40", "points": "40.5"})
    ]
    assert "at most 40" in refused.value.problems[0] and "40.5" in refused.value.problems[0]
    assert not ExpertScore.objects.exists()


def test_negative_points_missing_criteria_and_unknown_criteria_are_refused(application, credit_scheme):
    criteria = list(application.round.scheme.criteria.all())
    other = credit_scheme.criteria.first()
    with pytest.raises(RatingError) as refused:
        services.expert_scores_record(
            application=application, expert="张教授", scores={criteria[0]: Decimal(-1), other: Decimal(1)}
        )
    assert refused.value.problems == [
        str(services.POINTS_NEGATIVE % {"criterion": "运行管理"}),
        str(services.UNKNOWN_CRITERION % {"criterion": other}),
        str(services.MISSING_CRITERIA % {"names": "污染控制、安全管理"}),
    ]
    with pytest.raises(RatingError, match="expert"):
        services.expert_scores_record(application=application, expert="  ", scores={})
    assert not ExpertScore.objects.exists()


def test_an_expert_scores_each_criterion_once_and_again_replaces(application):
    score(application, ("30", "30", "15"))
    services.application_rate(application=application)
    score(application, ("36", "36", "18"))  # the same 专家1 corrects the sheet
    assert ExpertScore.objects.filter(application=application).count() == 3
    assert sorted(ExpertScore.objects.values_list("points", flat=True)) == [18, 36, 36]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REVIEWING and application.grade == "" and application.total is None
    application = services.application_rate(application=application)
    assert application.grade == "AAA"


def test_rating_without_scores_is_refused(application):
    with pytest.raises(RatingError, match=str(grading.NO_SCORES)):
        services.application_rate(application=application)


def test_a_round_takes_only_its_kind_of_subject_and_each_once(rating_round, association, plant):
    enterprise = make_enterprise(association, "北京洁城环境服务有限公司", 1)
    with pytest.raises(RatingError, match="facilities"):
        services.application_submit(rating_round=rating_round, enterprise=enterprise)
    landfill = make_facility(association, "某市生活垃圾填埋场", kind="landfill")
    with pytest.raises(RatingError, match="某市生活垃圾填埋场"):
        services.application_submit(rating_round=rating_round, facility=landfill)
    services.application_submit(rating_round=rating_round, facility=plant)
    with pytest.raises(RatingError, match="already"):
        services.application_submit(rating_round=rating_round, facility=plant)
    assert RatingApplication.objects.count() == 1


def test_revocation_needs_a_reason_and_records_who_and_when(application, secretary):
    score(application, ("36", "36", "18"))
    services.application_rate(application=application)
    with pytest.raises(RatingError, match=str(services.REASON_REQUIRED)):
        services.rating_revoke(application=application, reason="  ", user=secretary)
    application = services.rating_revoke(application=application, reason="发生重大安全事故", user=secretary)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REVOKED and application.is_revoked
    assert application.revocation_reason == "发生重大安全事故" and application.revoked_by == secretary
    assert application.revoked_at is not None and application.grade == "AAA"  # the grade stays on record
    with pytest.raises(RatingError):
        services.rating_revoke(application=application, reason="again", user=secretary)
    with pytest.raises(RatingError):
        score(application, ("36", "36", "18"))


def test_publishing_issues_one_numbered_circular_listing_the_rated(rating_round, association, secretary):
    rated(rating_round, make_facility(association, "乙市焚烧厂", province="浙江省", city="乙市"), ("30", "30", "15"))
    operated = make_facility(association, "甲市焚烧厂", operator_name="甲市环保能源有限公司")
    rated(rating_round, operated, ("36", "36", "18"))
    rated(rating_round, make_facility(association, "丙市焚烧厂"), ("37", "37", "18"))
    failed = rated(rating_round, make_facility(association, "丁市焚烧厂"), ("20", "20", "10"))
    circular = services.round_publish(rating_round=rating_round, user=secretary, written_on=date(2026, 11, 2))
    assert circular.status == CircularStatus.ISSUED and circular.number == "中环卫〔2026〕01号"
    assert circular.title == "关于公布2026年度生活垃圾焚烧厂无害化等级评价结果的通知"
    lines = circular.body.splitlines()
    assert lines[1] == "| 序号 | 设施名称 | 运营单位 | 所在地 | 等级 | 有效期至 |"
    assert lines[3:] == [
        "| 1 | 丙市焚烧厂 | 丙市焚烧厂运营有限公司 | 江苏省江北市 | AAA | 2029年10月19日 |",
        "| 2 | 甲市焚烧厂 | 甲市环保能源有限公司 | 江苏省江北市 | AAA | 2029年10月19日 |",
        "| 3 | 乙市焚烧厂 | 乙市焚烧厂运营有限公司 | 浙江省乙市 | A | 2029年10月19日 |",
    ]
    assert "丁市焚烧厂" not in circular.body and failed.status == ApplicationStatus.FAILED
    rating_round.refresh_from_db()
    assert rating_round.status == RoundStatus.PUBLISHED and rating_round.circular == circular
    assert rating_round.published_by == secretary


def test_publishing_twice_gives_the_same_circular(rating_round, association):
    rated(rating_round, make_facility(association, "甲市焚烧厂"), ("36", "36", "18"))
    first = services.round_publish(rating_round=rating_round)
    second = services.round_publish(rating_round=rating_round)
    assert first.pk == second.pk and first.number == second.number
    assert Circular.objects.count() == 1


def test_a_published_round_is_frozen_but_ratings_can_be_revoked(rating_round, association):
    application = rated(rating_round, make_facility(association, "甲市焚烧厂"), ("36", "36", "18"))
    services.round_publish(rating_round=rating_round)
    late = make_facility(association, "迟到焚烧厂")
    with pytest.raises(RatingError, match="published"):
        services.application_submit(rating_round=rating_round, facility=late)
    with pytest.raises(RatingError, match="published"):
        score(application, ("30", "30", "15"))
    with pytest.raises(RatingError, match="published"):
        services.application_rate(application=application)
    assert ExpertScore.objects.filter(application=application, points=30).count() == 0
    application = services.rating_revoke(application=application, reason="被行政处罚")
    assert application.status == ApplicationStatus.REVOKED


def test_publishing_waits_for_every_application_to_be_decided(rating_round, association):
    rated(rating_round, make_facility(association, "甲市焚烧厂"), ("36", "36", "18"))
    pending = services.application_submit(rating_round=rating_round, facility=make_facility(association, "乙市焚烧厂"))
    with pytest.raises(RatingError, match="乙市焚烧厂"):
        services.round_publish(rating_round=rating_round)
    assert not Circular.objects.exists()
    services.rating_revoke(application=pending, reason="申请单位主动撤回申请")
    assert services.round_publish(rating_round=rating_round).is_issued


def test_a_round_with_nothing_rated_is_not_published(rating_round):
    with pytest.raises(RatingError, match=str(services.NOTHING_RATED)):
        services.round_publish(rating_round=rating_round)


def test_credit_list_names_codes_and_regions(credit_round, association):
    enterprise = make_enterprise(association, "北京洁城环境服务有限公司", 7, region="北京市朝阳区")
    application = services.application_submit(rating_round=credit_round, enterprise=enterprise)
    score(application, ("37", "37", "19"))
    services.application_rate(application=application, on=date(2026, 7, 10))
    circular = services.round_publish(rating_round=credit_round, written_on=date(2026, 7, 15))
    assert circular.title == "关于公布2026年度环卫行业企业信用评价结果的通知"
    row = f"| 1 | 北京洁城环境服务有限公司 | {enterprise.credit_code} | 北京市朝阳区 | AAA | 2028年7月9日 |"
    assert row in circular.body
