import re
import subprocess
from datetime import date

from plans.ratings import demo, selectors, services
from plans.ratings.models import (
    ApplicationStatus,
    Enterprise,
    ExpertScore,
    Facility,
    RatingApplication,
    RatingRound,
    RoundStatus,
)
from sanitation.core.credit_code import credit_code_validate
from sanitation.documents.models import Circular
from sanitation.organisations.models import Unit, User

from .conftest import TODAY


def pdf_text(circular: Circular) -> str:
    """The stored PDF through pdftotext, without the spaces and breaks it puts in Chinese text."""
    with circular.pdf.open("rb") as stored:
        text = subprocess.run(["pdftotext", "-", "-"], input=stored.read(), capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", text.decode())


def test_demo_is_idempotent_and_as_described(demo):
    counts = (Facility.objects.count(), Enterprise.objects.count(), RatingApplication.objects.count())
    assert counts == (6, 8, 3 + 5 + 4 + 8)
    scores = ExpertScore.objects.count()
    from plans.ratings import demo as ratings_demo

    assert ratings_demo.seed() == {"rating rounds": 0, "facilities": 0, "enterprises": 0}
    assert (Facility.objects.count(), Enterprise.objects.count(), ExpertScore.objects.count()) == (6, 8, scores)
    for code in [*Facility.objects.values_list("operator_credit_code", flat=True)]:
        credit_code_validate(code)
    for code in Enterprise.objects.values_list("credit_code", flat=True):
        credit_code_validate(code)


def test_demo_rounds(demo):
    current = RatingRound.objects.get(year=2026, scheme__programme="facility")
    assert current.status == RoundStatus.OPEN
    statuses = dict(current.applications.values_list("facility__name", "status"))
    assert sorted(statuses.values()).count(ApplicationStatus.RATED) == 4
    assert statuses[demo_module().UNDER_REVIEW] == ApplicationStatus.SUBMITTED
    grades = sorted(current.applications.exclude(grade="").values_list("grade", flat=True))
    assert grades == ["A", "AA", "AA", "AAA"]
    experts = ExpertScore.objects.filter(application__round=current).values_list("expert", flat=True)
    assert set(experts) == {
        "张教授",
        "李高工",
        "王研究员",
    }
    old = RatingRound.objects.get(year=2024, scheme__programme="facility")
    assert old.circular.number == "中环卫〔2024〕01号" and old.circular.written_on == date(2024, 1, 31)
    old_credit = RatingRound.objects.get(scheme__programme="credit", year=2024)
    assert old_credit.circular.number == "中环卫〔2024〕02号" and old_credit.applications.count() == 4
    credit = RatingRound.objects.get(scheme__programme="credit", year=2026)
    assert not credit.is_published and not Circular.objects.filter(year=2026).exists()
    assert sorted(set(credit.applications.values_list("grade", flat=True))) == ["A", "AA", "AAA", "B"]
    revoked = credit.applications.get(status=ApplicationStatus.REVOKED)
    assert revoked.enterprise.name == "深圳市清风环境科技有限公司" and "安全生产" in revoked.revocation_reason


def test_demo_ratings_expiring_within_90_days(demo):
    association = Unit.objects.get(code="CUEA")
    expiring = selectors.ratings_expiring(organisation=association, today=TODAY)
    assert sorted(r.facility.name for r in expiring) == ["东滨市生活垃圾焚烧发电厂", "江北市生活垃圾焚烧发电厂"]
    assert {r.valid_until for r in expiring} == {date(2027, 1, 19)}
    expired = selectors.ratings_expired(organisation=association, today=TODAY)
    assert expired.count() == 4 and {r.valid_until for r in expired} == {date(2026, 7, 9)}


def test_the_journey_publishes_the_2026_list_with_the_reviewed_plant(demo):
    """What the browser journey does, through the services: score 北岭, rate it, publish."""
    secretary = User.objects.get(username="secretariat")
    current = RatingRound.objects.get(year=2026, scheme__programme="facility")
    application = current.applications.get(facility__name=demo_module().UNDER_REVIEW)
    criteria = list(current.scheme.criteria.all())
    points = dict(zip(criteria, [14, 23, 23, 14, 9, 9], strict=True))  # 92
    services.expert_scores_record(application=application, expert="张教授", scores=points, user=secretary)
    assert services.application_rate(application=application, user=secretary).grade == "AAA"
    circular = services.round_publish(rating_round=current, user=secretary)
    text = pdf_text(circular)
    assert "关于公布2026年度生活垃圾焚烧厂无害化等级评价结果的通知" in text
    # Best grade first, then by name; a cell's text may wrap, so names and grades are
    # checked in their order rather than row by row.
    listed = [
        "北岭市生活垃圾焚烧发电厂",
        "江北市生活垃圾焚烧发电厂",
        "云溪市静脉产业园生活垃圾焚烧厂",
        "南川市生活垃圾焚烧发电厂",
        "青城市循环经济产业园焚烧发电厂",
    ]
    positions = [text.find(name) for name in listed]
    assert -1 not in positions and positions == sorted(positions)
    assert re.findall(r"A+|B", text) == ["AAA", "AAA", "AA", "AA", "A"]
    assert "2029年10月19日" in text and "北岭冀清环保能源有限公司" in text
    association = Unit.objects.get(code="CUEA")
    expiring = selectors.ratings_expiring(organisation=association, today=TODAY)
    assert [r.facility.name for r in expiring] == ["东滨市生活垃圾焚烧发电厂"]  # 江北 is renewed
    assert circular.number == "中环卫〔2026〕01号"


def demo_module():
    return demo
