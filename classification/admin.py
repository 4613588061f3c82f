from django.contrib import admin

from sanitation.organisations.access import scope_by_unit

from .models import Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "street", "community", "households", "covered_since", "is_demonstration"]
    list_filter = ["kind", "is_demonstration"]
    search_fields = ["name", "property_company", "address"]
    list_select_related = ["street", "community"]
    raw_id_fields = ["street", "community"]

    def get_queryset(self, request):
        return scope_by_unit(super().get_queryset(request), request.user, via="street")
