from django.contrib import admin

from sanitation.core.admin_history import HistoryAdminMixin
from sanitation.organisations.access import scope_by_unit

from .models import Circular, DocumentIssuer, NumberCounter


@admin.register(DocumentIssuer)
class DocumentIssuerAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["prefix", "unit", "mark", "number_padding"]
    autocomplete_fields = ["unit"]

    def get_queryset(self, request):
        return scope_by_unit(super().get_queryset(request), request.user)


@admin.register(NumberCounter)
class NumberCounterAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["issuer", "year", "last_number"]
    list_filter = ["year"]

    def get_queryset(self, request):
        return scope_by_unit(super().get_queryset(request), request.user, via="issuer__unit")


@admin.register(Circular)
class CircularAdmin(admin.ModelAdmin):
    """Read-only here: circulars are written and issued in the application, where numbering happens."""

    list_display = ["number", "title", "issuer", "kind", "status", "issued_at"]
    list_filter = ["status", "kind", "issuer"]
    search_fields = ["number", "title"]

    def get_queryset(self, request):
        return scope_by_unit(super().get_queryset(request), request.user, via="issuer__unit")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
