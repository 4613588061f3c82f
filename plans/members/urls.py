from django.urls import path

from . import excel_views, views

app_name = "members"

urlpatterns = [
    path("list/", views.member_list, name="member-list"),
    path("new/", views.member_create, name="member-create"),
    path("<int:member_id>/", views.member_detail, name="member-detail"),
    path("<int:member_id>/edit/", views.member_edit, name="member-edit"),
    path("<int:member_id>/status/", views.member_status, name="member-status"),
    path("<int:member_id>/dues/pay/", views.dues_pay, name="dues-pay"),
    path("renewals/", views.renewal_list, name="renewals"),
    path("statistics/", views.member_statistics, name="statistics"),
    path("export.xlsx", excel_views.members_export, name="export"),
    path("import/", excel_views.members_import, name="import"),
]
