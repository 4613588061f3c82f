from . import excel_views, progress_views, views

app_name = "plans"

urlpatterns = [
    *views.urlpatterns,
    *progress_views.urlpatterns,
    *excel_views.urlpatterns,
]
