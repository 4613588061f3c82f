"""site_views of waste sorting."""

urlpatterns = []
