from django.contrib import admin

from .login_views import ThrottledAdminAuthenticationForm
from .models import Heartbeat

# The admin's login page counts failures with the site's login page (sanitation/core/login_throttle).
admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_seen"]
