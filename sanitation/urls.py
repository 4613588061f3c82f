from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from classification import api_ledgers, api_sites
from plans import registry_views
from plans.api import ItemViewSet, PlanViewSet, ProgressReportViewSet
from plans.branches import api as branches_api
from plans.members import api as members_api
from plans.ratings import api as ratings_api
from sanitation.core import api as core_api
from sanitation.core import login_views
from sanitation.core import views as core_views
from sanitation.documents.api import CircularViewSet
from supervision import api as supervision_api
from supervision import api_cycle

api = DefaultRouter()
api.register("circulars", CircularViewSet, basename="circular")
api.register("plans", PlanViewSet, basename="plan")
api.register("plan-items", ItemViewSet, basename="plan-item")
api.register("progress-reports", ProgressReportViewSet, basename="progress-report")
for registry_api in (members_api, branches_api, ratings_api, api_sites, api_ledgers, supervision_api, api_cycle):
    registry_api.register(api)

urlpatterns = [
    path("", core_views.home, name="home"),
    path("status/", core_views.status, name="status"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("accounts/login/", login_views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("organisation/", include("sanitation.organisations.urls")),
    path("circulars/", include("sanitation.documents.urls")),
    path("plans/", include("plans.urls")),
    path("registries/", registry_views.registries, name="registries"),
    path("members/", include("plans.members.urls")),
    path("branches/", include("plans.branches.urls")),
    path("ratings/", include("plans.ratings.urls")),
    path("sorting/", include("classification.urls")),
    path("supervision/", include("supervision.urls")),
    path("api/v1/auth/token/", core_api.TokenObtainView.as_view(), name="api-token"),
    path("api/v1/", include(api.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script from a URL: no inline script, for the CSP.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="core/swagger_ui.html"),
        name="api-docs",
    ),
    re_path(r"^api/", core_api.not_found),  # JSON, not the HTML page, for any other path under /api/
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
