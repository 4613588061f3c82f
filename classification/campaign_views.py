"""campaign_views of waste sorting."""

urlpatterns = []
