"""Who changed what and when, for any record: the writing side and the reading side of core.Change.

Services call `record_changes` (or `record`) inside the transaction that makes the change, so a
change and its history line land together or not at all. Pages show `history_of(obj)` with the
`core/_history.html` partial."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .models import Change, ChangeAction


def shown(value) -> str:
    """A value as a history line keeps it: text a person can read back, stable across versions."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"  # shown as yes/no in the reader's language by Change
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{local:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 12.50 → 12.5, 40.00 → 40
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return "、".join(shown(v) for v in value)
    return str(value)


def record(obj: models.Model, *, by=None, action=ChangeAction.CHANGED, field: str = "", old="", new="") -> Change:
    """One history line for `obj`."""
    return Change.objects.create(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=obj.pk,
        action=action,
        field=field,
        old=shown(old),
        new=shown(new),
        user=_user(by),
    )


def record_changes(obj: models.Model, changes: Mapping[str, tuple], *, by=None) -> list[Change]:
    """One history line per changed field: `changes` maps a field name to (old, new); equal pairs
    are skipped, so a form saved without edits leaves no line."""
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    at = timezone.now()
    lines = [
        Change(
            content_type=content_type,
            object_id=obj.pk,
            field=name,
            old=shown(old),
            new=shown(new),
            user=_user(by),
            at=at,
        )
        for name, (old, new) in changes.items()
        if shown(old) != shown(new)
    ]
    return Change.objects.bulk_create(lines)


def apply_changes(obj: models.Model, values: Mapping[str, object], *, by=None) -> list[Change]:
    """Set `values` on `obj`, save the fields that changed and record them. Many-to-many fields
    are set after the save. Returns the history lines (none when nothing changed)."""
    diffs: dict[str, tuple] = {}
    many_to_many = {f.name for f in obj._meta.many_to_many}
    for name, value in values.items():
        if name in many_to_many:
            before = list(getattr(obj, name).all()) if obj.pk else []
            if {o.pk for o in before} != {o.pk for o in value}:
                diffs[name] = (before, list(value))
        elif getattr(obj, name) != value:
            diffs[name] = (getattr(obj, name), value)
            setattr(obj, name, value)
    plain = [name for name in diffs if name not in many_to_many]
    if plain:
        obj.save(update_fields=[*plain, *_auto_now_fields(obj)])
    for name in diffs.keys() & many_to_many:
        getattr(obj, name).set(values[name])
    return record_changes(obj, diffs, by=by)


def history_of(obj: models.Model) -> models.QuerySet[Change]:
    """The record's history, newest first, with what the partial shows fetched in one query."""
    return Change.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_id=obj.pk
    ).select_related("user", "content_type")


def _auto_now_fields(obj) -> list[str]:
    return [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]


def _user(by):
    return by if by is not None and getattr(by, "is_authenticated", False) else None
