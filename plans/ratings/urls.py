from django.urls import path

from . import excel_views, subject_views, views
from .subject_views import ENTERPRISES, FACILITIES

app_name = "ratings"


def _registry_paths(prefix: str, registry) -> list:
    name, kwargs = registry.name, {"registry": registry}
    return [
        path(f"{prefix}/", subject_views.subject_list, kwargs, name=f"{name}-list"),
        path(f"{prefix}/new/", subject_views.subject_edit, kwargs, name=f"{name}-create"),
        path(f"{prefix}/<int:pk>/", subject_views.subject_detail, kwargs, name=f"{name}-detail"),
        path(f"{prefix}/<int:pk>/edit/", subject_views.subject_edit, kwargs, name=f"{name}-edit"),
        path(f"{prefix}/export.xlsx", excel_views.registry_export, kwargs, name=f"{name}-export"),
        path(f"{prefix}/import/", excel_views.registry_import, kwargs, name=f"{name}-import"),
    ]


urlpatterns = [
    path("", views.overview, name="overview"),
    path("expiring/", views.expiring, name="expiring"),
    path("rounds/new/", views.round_create, name="round-create"),
    path("rounds/<int:round_id>/", views.round_detail, name="round-detail"),
    path("rounds/<int:round_id>/applications/", views.application_add, name="application-add"),
    path("rounds/<int:round_id>/publish/", views.round_publish, name="round-publish"),
    path("applications/<int:application_id>/", views.application_detail, name="application-detail"),
    path("applications/<int:application_id>/scores/", views.application_scores, name="application-scores"),
    path("applications/<int:application_id>/rate/", views.application_rate, name="application-rate"),
    path("applications/<int:application_id>/revoke/", views.application_revoke, name="application-revoke"),
    *_registry_paths("facilities", FACILITIES),
    *_registry_paths("enterprises", ENTERPRISES),
]
