"""Plan pages."""

urlpatterns = []
