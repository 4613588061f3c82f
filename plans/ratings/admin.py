from django.contrib import admin

from sanitation.core.admin_history import HistoryAdminMixin, SoftDeleteAdminMixin

from ..registry_access import registry_visible_to
from .models import Criterion, Enterprise, Facility, GradeThreshold, RatingApplication, RatingRound, RatingScheme


class _ScopedAdmin(HistoryAdminMixin, admin.ModelAdmin):
    via = "organisation"

    def get_queryset(self, request):
        return registry_visible_to(super().get_queryset(request), request.user, via=self.via)


class _ScopedSoftDeleteAdmin(SoftDeleteAdminMixin, admin.ModelAdmin):
    """Deleted records listed too (and restorable), still only the user's organisation's."""

    via = "organisation"

    def get_queryset(self, request):
        return registry_visible_to(super().get_queryset(request), request.user, via=self.via)


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


class GradeThresholdInline(admin.TabularInline):
    model = GradeThreshold
    extra = 0


@admin.register(RatingScheme)
class RatingSchemeAdmin(_ScopedAdmin):
    """The schemes' criteria and thresholds are kept here; the pages use them."""

    list_display = ["title", "programme", "facility_kind", "year", "valid_years"]
    list_filter = ["programme"]
    inlines = [CriterionInline, GradeThresholdInline]
    raw_id_fields = ["organisation"]


@admin.register(RatingRound)
class RatingRoundAdmin(_ScopedAdmin):
    list_display = ["title", "year", "status", "circular"]
    list_filter = ["status", "scheme__programme"]
    readonly_fields = ["status", "circular", "published_at", "published_by"]
    raw_id_fields = ["organisation"]


@admin.register(Facility)
class FacilityAdmin(_ScopedSoftDeleteAdmin):
    list_display = ["name", "kind", "province", "city", "capacity", "operator_name"]
    list_filter = ["kind", "province"]
    search_fields = ["name", "operator_name"]
    raw_id_fields = ["organisation"]


@admin.register(Enterprise)
class EnterpriseAdmin(_ScopedSoftDeleteAdmin):
    list_display = ["name", "credit_code", "region", "business"]
    list_filter = ["business"]
    search_fields = ["name", "credit_code"]
    raw_id_fields = ["organisation"]


@admin.register(RatingApplication)
class RatingApplicationAdmin(_ScopedSoftDeleteAdmin):
    """Read here; applications change through the rating pages and their services."""

    via = "round__organisation"
    list_display = ["__str__", "status", "total", "grade", "valid_until"]
    list_filter = ["status", "round__scheme__programme"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
