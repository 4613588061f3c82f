import pytest

from sanitation.documents.models import Circular, CircularStatus, DocumentIssuer
from sanitation.documents.selectors import circulars_visible_to
from sanitation.organisations.models import Role, Unit
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def issuer_a(district_a):
    return DocumentIssuer.objects.create(
        unit=Unit.objects.get(code="A-ZX"), prefix="A环卫", mark="A区环卫中心文件", signature="A区环卫中心"
    )


@pytest.fixture
def issued(issuer_a):
    # Made directly, not through circular_issue: these tests are about visibility, not rendering.
    return Circular.objects.create(
        issuer=issuer_a,
        title="已印发的通知",
        body="正文。",
        status=CircularStatus.ISSUED,
        year=2025,
        sequence=1,
        number="A环卫〔2025〕1号",
        pdf_sha256="0" * 64,
    )


@pytest.fixture
def draft(issuer_a):
    return Circular.objects.create(issuer=issuer_a, title="草稿通知", body="正文。")


def visible(user) -> set[str]:
    return set(circulars_visible_to(user).values_list("title", flat=True))


def test_issued_circular_reaches_the_whole_organisation(issued, clerk_a):
    assert visible(clerk_a) == {"已印发的通知"}
    for code in ("A-JD2-SQ1", "A-ZX-S1", "A-FLB"):
        assert visible(member(Unit.objects.get(code=code), Role.UNIT_STAFF)) == {"已印发的通知"}, code
    assert visible(member(Unit.objects.get(code="A"), Role.LEADER)) == {"已印发的通知"}


def test_issued_circular_does_not_reach_another_organisation(issued, clerk_b):
    assert visible(clerk_b) == set()
    assert visible(member(Unit.objects.get(code="B-ZX"), Role.UNIT_STAFF)) == set()


def test_draft_is_visible_to_those_who_may_change_the_issuer_unit(draft, clerk_a):
    assert visible(clerk_a) == {"草稿通知"}
    assert visible(member(Unit.objects.get(code="A-ZX"), Role.UNIT_STAFF)) == {"草稿通知"}
    assert visible(member(Unit.objects.get(code="A"), Role.SECRETARIAT)) == {"草稿通知"}


def test_draft_is_hidden_from_readers_and_other_units(draft, issued, clerk_b):
    assert visible(member(Unit.objects.get(code="A"), Role.LEADER)) == {"已印发的通知"}
    assert visible(member(Unit.objects.get(code="A-ZX-S1"), Role.UNIT_STAFF)) == {"已印发的通知"}
    assert visible(member(Unit.objects.get(code="A-JD1"), Role.UNIT_STAFF)) == {"已印发的通知"}
    assert visible(clerk_b) == set()


def test_clerk_sees_drafts_and_issued_once_each(draft, issued, clerk_a):
    titles = list(circulars_visible_to(clerk_a).values_list("title", flat=True))
    assert sorted(titles) == ["已印发的通知", "草稿通知"]
