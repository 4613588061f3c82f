"""What the admin does to a record goes into its history too, and deleting in the admin is soft
for the kinds of record that may have been part of an issued circular."""

import copy

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .deletion import restore, soft_delete
from .history import record, record_changes
from .models import ChangeAction, SoftDeletable


class HistoryAdminMixin:
    """Records a created line for an added record and one line per field changed in the form."""

    def save_model(self, request, obj, form, change):
        many_to_many = {f.name for f in obj._meta.many_to_many}
        plain = [name for name in form.changed_data if name not in many_to_many and hasattr(obj, name)]
        # The form has already put the new values on obj: the old ones come from the database.
        stored = type(obj)._base_manager.get(pk=obj.pk) if change else None
        before = {name: getattr(stored, name) for name in plain} if change else {}
        super().save_model(request, obj, form, change)
        if not change:
            record(obj, by=request.user, action=ChangeAction.CREATED, new=str(obj))
            return
        record_changes(obj, {name: (before[name], getattr(obj, name)) for name in plain}, by=request.user)

    def save_related(self, request, form, formsets, change):
        many_to_many = {f.name for f in form.instance._meta.many_to_many} & set(form.changed_data)
        before = {name: list(getattr(form.instance, name).all()) for name in many_to_many if form.instance.pk}
        super().save_related(request, form, formsets, change)
        if change and many_to_many:
            after = {name: list(getattr(form.instance, name).all()) for name in many_to_many}
            changes = {name: (before.get(name, []), after[name]) for name in many_to_many}
            record_changes(form.instance, changes, by=request.user)


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", _("In use")), ("yes", _("Deleted"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


NOT_RESTORED = _("%(record)s is not restored: %(reason)s")


def restore_problems(obj) -> list[str]:
    """Why a deleted record cannot come back as it is (a record in use took its name or number
    meanwhile, which the unique constraints on live records forbid); nothing when it can."""
    candidate = copy.copy(obj)
    candidate.deleted_at = None
    try:
        candidate.validate_constraints()
    except ValidationError as error:
        return error.messages
    return []


@admin.action(description=_("Restore the selected deleted records"))
def restore_checked(modeladmin, request, queryset):
    """Restores what can come back; each one that cannot stays deleted and the admin says why,
    instead of the database refusing the whole action."""
    restored = 0
    for obj in queryset.filter(deleted_at__isnull=False):
        problems = restore_problems(obj)
        if problems:
            reason = " ".join(problems)
            modeladmin.message_user(request, NOT_RESTORED % {"record": obj, "reason": reason}, messages.ERROR)
            continue
        restore(obj, by=request.user)
        restored += 1
    modeladmin.message_user(
        request,
        ngettext("%(count)d record restored.", "%(count)d records restored.", restored) % {"count": restored},
        messages.SUCCESS,
    )


class SoftDeleteAdminMixin(HistoryAdminMixin):
    """Delete in the admin stamps the record instead of removing it; deleted records stay listed
    (filter "deleted") and can be restored."""

    actions = [restore_checked]

    def get_queryset(self, request):
        assert issubclass(self.model, SoftDeletable), self.model
        qs = self.model.all_objects.get_queryset()
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), DeletedFilter]

    def get_deleted_objects(self, objs, request):
        # Nothing cascades: only the records themselves are stamped, so only they are listed.
        return [str(obj) for obj in objs], {self.model._meta.verbose_name_plural: len(objs)}, set(), []

    def delete_model(self, request, obj):
        soft_delete(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            soft_delete(obj, by=request.user)
