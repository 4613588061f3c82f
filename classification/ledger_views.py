"""ledger_views of waste sorting."""

urlpatterns = []
