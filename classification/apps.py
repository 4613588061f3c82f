from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassificationConfig(AppConfig):
    name = "classification"
    verbose_name = _("Waste sorting")

    def ready(self):
        from . import indicators, rate_indicators  # noqa: F401 - register the providers the plans' indicators use
