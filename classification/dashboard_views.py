"""dashboard_views of waste sorting."""

urlpatterns = []
