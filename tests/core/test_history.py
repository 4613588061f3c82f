"""The shared history: lines written by services and the admin, read back with labels."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from sanitation.core.history import apply_changes, history_of, record, record_changes, shown
from sanitation.core.models import Change, ChangeAction
from sanitation.organisations.models import Unit, UnitKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit():
    return Unit.objects.create(kind=UnitKind.STREET, code="H-JD1", name="历史街道")


def test_shown_keeps_values_readable():
    assert shown(None) == ""
    assert shown(date(2026, 3, 1)) == "2026-03-01"
    assert shown(Decimal("12.50")) == "12.5"
    assert shown(Decimal("40.00")) == "40"
    assert shown(True) == "1"
    assert shown(["甲", "乙"]) == "甲、乙"


def test_record_changes_skips_unchanged_fields_and_labels_choices(unit, django_user_model):
    user = django_user_model.objects.create_user("historian")
    lines = record_changes(unit, {"name": ("历史街道", "新街道"), "code": ("H-JD1", "H-JD1")}, by=user)
    assert [line.field for line in lines] == ["name"]
    record_changes(unit, {"kind": (UnitKind.STREET, UnitKind.COMMUNITY), "is_active": (True, False)}, by=user)
    with translation.override("zh-hans"):
        by_field = {line.field: line for line in history_of(unit)}
        assert by_field["name"].field_label == str(Unit._meta.get_field("name").verbose_name)
        assert by_field["kind"].old_shown == str(UnitKind.STREET.label)
        assert by_field["kind"].new_shown == str(UnitKind.COMMUNITY.label)
        assert by_field["is_active"].new_shown == "否"
    assert all(line.user == user for line in history_of(unit))


def test_apply_changes_saves_and_records_only_what_changed(unit):
    lines = apply_changes(unit, {"name": "改名街道", "code": "H-JD1"})
    unit.refresh_from_db()
    assert unit.name == "改名街道"
    assert [(line.field, line.old, line.new) for line in lines] == [("name", "历史街道", "改名街道")]
    assert apply_changes(unit, {"name": "改名街道"}) == []
    assert history_of(unit).count() == 1


def test_history_of_is_one_query_however_long(unit):
    for n in range(3):
        record(unit, field="name", old=str(n), new=str(n + 1))
    with CaptureQueriesContext(connection) as few:
        [(c.field_label, c.user, c.new_shown) for c in history_of(unit)]
    for n in range(30):
        record(unit, action=ChangeAction.CHANGED, field="name", old=str(n), new=str(n + 1))
    with CaptureQueriesContext(connection) as many:
        [(c.field_label, c.user, c.new_shown) for c in history_of(unit)]
    assert len(many) == len(few) == 1


def test_history_belongs_to_one_record(unit):
    other = Unit.objects.create(kind=UnitKind.STREET, code="H-JD2", name="别的街道")
    record(unit, action=ChangeAction.CREATED, new=str(unit))
    assert history_of(other).count() == 0
    assert Change.objects.get().record == unit
