from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sanitation.core.admin_history import SoftDeleteAdminMixin
from sanitation.organisations.access import scope_by_unit

from . import services
from .models import Site


@admin.register(Site)
class SiteAdmin(SoftDeleteAdminMixin, admin.ModelAdmin):
    """Sites as the registry keeps them: edits go into the site's history, deleting is soft."""

    list_display = ["name", "kind", "street", "community", "households", "covered_since", "is_demonstration"]
    list_filter = ["kind", "is_demonstration"]
    search_fields = ["name", "property_company", "address"]
    list_select_related = ["street", "community"]
    raw_id_fields = ["street", "community"]
    actions = ["restore_sites"]

    def get_queryset(self, request):
        # The mixin's queryset holds the deleted sites too, so that they can be found and restored.
        return scope_by_unit(super().get_queryset(request), request.user, via="street")

    def delete_model(self, request, obj):
        services.site_delete(site=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for site in queryset:
            services.site_delete(site=site, by=request.user)

    @admin.action(description=_("Restore the selected deleted records"), permissions=["delete"])
    def restore_sites(self, request, queryset):
        restored = 0
        for site in queryset.filter(deleted_at__isnull=False):
            try:
                services.site_restore(site=site, by=request.user)
            except ValidationError as error:
                self.message_user(request, f"{site}: {' '.join(error.messages)}", messages.ERROR)
            else:
                restored += 1
        self.message_user(
            request,
            ngettext("%(count)d record restored.", "%(count)d records restored.", restored) % {"count": restored},
            messages.SUCCESS,
        )
