"""Deleting records that may have been part of an issued circular: soft, recorded, reversible.

A SoftDeletable record is stamped (deleted_at, deleted_by) and leaves the default manager; its
history gets a "deleted" line. Restoring clears the stamp and says so in the history too."""

from django.db import transaction
from django.utils import timezone

from .history import record
from .models import ChangeAction, SoftDeletable


@transaction.atomic
def soft_delete(obj: SoftDeletable, *, by=None, reason: str = "") -> None:
    if obj.deleted_at is not None:
        return
    obj.deleted_at = timezone.now()
    obj.deleted_by = by if getattr(by, "is_authenticated", False) else None
    obj.save(update_fields=["deleted_at", "deleted_by"])
    record(obj, by=by, action=ChangeAction.DELETED, new=reason)


@transaction.atomic
def restore(obj: SoftDeletable, *, by=None) -> None:
    if obj.deleted_at is None:
        return
    obj.deleted_at = None
    obj.deleted_by = None
    obj.save(update_fields=["deleted_at", "deleted_by"])
    record(obj, by=by, action=ChangeAction.RESTORED)
