from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .access import scope_by_unit
from .models import Membership, Unit, User


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "code", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]

    def get_queryset(self, request):
        return scope_by_unit(super().get_queryset(request), request.user, via="")

    def get_readonly_fields(self, request, obj=None):
        # The code is part of every descendant's path.
        return ["code", "parent"] if obj else []


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "display_name", "is_active", "is_staff", "last_login"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Profile"), {"fields": ["display_name"]}))

    def get_queryset(self, request):
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        units = scope_by_unit(Unit.objects.all(), request.user, via="", change=True)
        return users.filter(memberships__unit__in=units).distinct()
