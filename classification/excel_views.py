"""excel_views of waste sorting."""

urlpatterns = []
