import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from classification.models import Site, SiteKind
from sanitation.organisations.models import Membership, Role, Unit, UnitKind, User
from sanitation.organisations.selectors import units_resolve

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "units": list(Unit.objects.order_by("code").values()),
        "users": list(User.objects.order_by("username").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "sites": list(Site.objects.order_by("pk").values()),
        "tasks": list(PeriodicTask.objects.order_by("pk").values("name", "task", "interval_id")),
    }


def test_seed_demo_builds_the_world_and_a_second_run_changes_nothing(capsys):
    call_command("seed_demo", logins=True)
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    out = capsys.readouterr().out
    assert "units +0, users +0" in out and "sites +0" in out


def test_demo_world_has_what_the_users_need():
    call_command("seed_demo")
    district = Unit.objects.get(code="CD")
    streets = Unit.objects.filter(kind=UnitKind.STREET, path__startswith=district.path)
    assert streets.count() >= 8
    assert Unit.objects.filter(kind=UnitKind.COMMUNITY, path__startswith=district.path).count() >= 40
    assert set(Site.objects.values_list("kind", flat=True)) == set(SiteKind.values)
    center = Unit.objects.get(name="城东区环卫事务中心")
    names = set(center.children.values_list("name", flat=True))
    assert {"中心办公室", "环境卫生股", "垃圾分类中心"} <= names
    assert center.children.filter(kind=UnitKind.STATION).count() >= 3
    assert Unit.objects.filter(kind=UnitKind.BRANCH, parent__code="CUEA").count() >= 3
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)


def test_demo_center_resolves_the_unit_clauses_of_the_district_plan():
    call_command("seed_demo")
    center = Unit.objects.get(name="城东区环卫事务中心")
    clause = ["办公室", "垃圾分类中心", "环境卫生股", "各股室", "各单位", "各环卫所"]
    result = units_resolve(context=center, names=clause)
    assert result.ok, (result.unknown, result.ambiguous)
    assert len(result.units) == 3 + 4


def test_demo_logins_work(client):
    call_command("seed_demo")
    for username in ["admin", "secretariat", "clerk", "unitstaff", "leader"]:
        assert client.login(username=username, password="demo-2026"), username
