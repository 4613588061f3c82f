"""History lines of many records at once (an import, an Excel sheet): one insert, not one per row.
The single-record side is sanitation.core.history."""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from sanitation.core.history import shown
from sanitation.core.models import Change, ChangeAction


def _user(by):
    return by if getattr(by, "is_authenticated", False) else None


def created_record(objs: Iterable[models.Model], *, by=None) -> list[Change]:
    """A "created" line in the history of each record, naming it as it was created."""
    return Change.objects.bulk_create(
        Change(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=obj.pk,
            action=ChangeAction.CREATED,
            new=shown(obj),
            user=_user(by),
        )
        for obj in objs
    )


def lines_record(obj: models.Model, *, field: str, values: Iterable, by=None) -> list[Change]:
    """Lines of one record's history, one per value (a plan's "item added", once per item)."""
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return Change.objects.bulk_create(
        Change(content_type=content_type, object_id=obj.pk, field=field, new=shown(value), user=_user(by))
        for value in values
    )
