from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sanitation.core.admin_history import HistoryAdminMixin, SoftDeleteAdminMixin
from sanitation.core.history import record
from sanitation.organisations.access import scope_by_unit

from . import services
from .models import Category, Chapter, Indicator, Item, Plan


@admin.register(Category)
class CategoryAdmin(HistoryAdminMixin, admin.ModelAdmin):
    """The editable list of kinds of work, with the keywords the importer assigns them by."""

    list_display = ["name", "parent", "keywords", "sort_order"]
    list_editable = ["sort_order"]


class ChapterInline(admin.TabularInline):
    model = Chapter
    extra = 0
    fields = ["number", "title", "category"]


@admin.register(Plan)
class PlanAdmin(SoftDeleteAdminMixin, admin.ModelAdmin):
    list_display = ["title", "issuer", "year", "circular"]
    list_filter = ["year"]
    inlines = [ChapterInline]
    readonly_fields = ["circular", "created_by"]
    raw_id_fields = ["issuer"]

    def get_queryset(self, request):
        return scope_by_unit(super().get_queryset(request), request.user, via="issuer")


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


@admin.action(description=_("Restore the selected deleted records"))
def restore_items(modeladmin, request, queryset):
    """Back into their plan, which says so in its history too."""
    items = list(queryset.filter(deleted_at__isnull=False))
    for item in items:
        services.item_restore(item, by=request.user)
    modeladmin.message_user(
        request,
        ngettext("%(count)d record restored.", "%(count)d records restored.", len(items)) % {"count": len(items)},
        messages.SUCCESS,
    )


@admin.register(Item)
class ItemAdmin(SoftDeleteAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "plan", "category", "deadline", "percent"]
    list_filter = ["category", "plan__year"]
    search_fields = ["title", "text"]
    filter_horizontal = ["lead_units", "assisting_units"]
    raw_id_fields = ["plan", "chapter"]
    inlines = [IndicatorInline]
    actions = [restore_items]

    def get_queryset(self, request):
        return scope_by_unit(super().get_queryset(request), request.user, via="plan__issuer")

    # Adding, deleting and restoring an item change its plan too: both histories say so.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            record(obj.plan, by=request.user, field="item_added", new=str(obj))

    def delete_model(self, request, obj):
        services.item_delete(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for item in queryset:
            services.item_delete(item, by=request.user)
