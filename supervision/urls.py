from . import cycle_views, day_views, inspection_views, rectification_views, scheme_views, score_views

app_name = "supervision"

urlpatterns = [
    *day_views.urlpatterns,
    *inspection_views.urlpatterns,
    *rectification_views.urlpatterns,
    *score_views.urlpatterns,
    *scheme_views.urlpatterns,
    *cycle_views.urlpatterns,
]
