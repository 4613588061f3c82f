import pytest

from sanitation.organisations.models import Unit
from sanitation.organisations.selectors import units_resolve

pytestmark = pytest.mark.django_db


def center():
    return Unit.objects.get(code="A-ZX")


def test_short_name_finds_the_center_office(district_a):
    result = units_resolve(context=center(), names=["办公室"])
    assert [u.code for u in result.units] == ["A-ZX-BGS"]
    assert result.ok


def test_group_expressions_resolve_to_sets(district_a):
    result = units_resolve(context=center(), names=["各股室"])
    assert {u.code for u in result.units} == {"A-ZX-BGS", "A-ZX-HWG"}
    result = units_resolve(context=center(), names=["各环卫所"])
    assert {u.code for u in result.units} == {"A-ZX-S1", "A-ZX-S2"}
    result = units_resolve(context=center(), names=["各股室", "各单位"])
    assert {u.code for u in result.units} == {"A-ZX-BGS", "A-ZX-HWG", "A-ZX-S1", "A-ZX-S2"}


def test_streets_are_found_from_the_district(district_a):
    result = units_resolve(context=Unit.objects.get(code="A"), names=["各街道"])
    assert {u.code for u in result.units} == {"A-JD1", "A-JD2"}


def test_aliases_and_spaces(district_a):
    unit = Unit.objects.get(code="A-ZX-HWG")
    unit.aliases = ["环卫股"]
    unit.save()
    result = units_resolve(context=center(), names=["环 卫 股", "环境卫生股"])
    assert [u.code for u in result.units] == ["A-ZX-HWG"]


def test_unknown_names_are_listed_not_guessed(district_a):
    result = units_resolve(context=center(), names=["办公室", "财务股"])
    assert result.unknown == ["财务股"]
    assert not result.ok


def test_names_of_another_district_are_unknown(district_a, district_b):
    result = units_resolve(context=center(), names=["B第1街道"])
    assert result.unknown == ["B第1街道"]


def test_ambiguous_names_are_reported(district_a):
    Unit.objects.filter(code="A-ZX-S1").update(short_name="环卫所")
    Unit.objects.filter(code="A-ZX-S2").update(short_name="环卫所")
    result = units_resolve(context=center(), names=["环卫所"])
    assert set(result.ambiguous) == {"环卫所"}
    assert {u.code for u in result.ambiguous["环卫所"]} == {"A-ZX-S1", "A-ZX-S2"}


def test_resolution_costs_one_query(district_a, django_assert_num_queries):
    context = center()
    with django_assert_num_queries(1):
        units_resolve(context=context, names=["办公室", "各股室", "各环卫所", "环境卫生股", "无此单位"])
