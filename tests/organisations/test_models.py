import pytest
from django.core.exceptions import ValidationError

from sanitation.organisations.models import Unit

pytestmark = pytest.mark.django_db


def test_path_and_depth_follow_the_parent(district_a):
    community = Unit.objects.get(code="A-JD1-SQ2")
    assert community.path == "A/A-JD1/A-JD1-SQ2/"
    assert community.depth == 2
    assert community.organisation_path == "A/"


def test_code_must_not_contain_the_path_separator():
    unit = Unit(code="A/B", name="坏代码", kind="district")
    with pytest.raises(ValidationError):
        unit.full_clean()
