"""Branches in the admin, to look at: changes go through the pages, which keep the history."""

from django.contrib import admin

from sanitation.core.admin_history import HistoryAdminMixin

from ..registry_access import registry_visible_to
from .models import Branch, BranchTerm, BranchYearPlan


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TermInline(_ReadOnlyInline):
    model = BranchTerm
    fields = ["number", "starts_on", "ends_on", "chair", "secretary_general"]


class YearPlanInline(_ReadOnlyInline):
    model = BranchYearPlan
    fields = ["year", "targets", "score", "grade", "assessed_on"]


@admin.register(Branch)
class BranchAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "organisation", "field", "tier", "status"]
    list_filter = ["tier", "status"]
    search_fields = ["name", "field"]
    inlines = [TermInline, YearPlanInline]

    def get_queryset(self, request):
        return registry_visible_to(super().get_queryset(request), request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
