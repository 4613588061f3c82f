from django.urls import path

from . import excel_views, views

app_name = "branches"

urlpatterns = [
    path("", views.branch_list, name="list"),
    path("new/", views.branch_create, name="create"),
    path("terms-ending/", views.terms_ending, name="terms-ending"),
    path("export.xlsx", excel_views.branches_export, name="export"),
    path("import/", excel_views.branches_import, name="import"),
    path("<int:branch_id>/", views.branch_detail, name="detail"),
    path("<int:branch_id>/edit/", views.branch_edit, name="edit"),
    path("<int:branch_id>/terms/", views.branch_term_renew, name="term-renew"),
    path("<int:branch_id>/targets/", views.branch_targets, name="targets"),
    path("<int:branch_id>/assessment/", views.branch_assess, name="assess"),
]
