from . import campaign_views, dashboard_views, excel_views, ledger_views, site_views

app_name = "classification"

urlpatterns = [
    *dashboard_views.urlpatterns,
    *site_views.urlpatterns,
    *campaign_views.urlpatterns,
    *ledger_views.urlpatterns,
    *excel_views.urlpatterns,
]
