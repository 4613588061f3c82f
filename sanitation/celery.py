"""The Celery application: configured from Django settings (CELERY_*), tasks autodiscovered."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanitation.settings.base")

app = Celery("sanitation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_up_documents(**kwargs):
    # Each pool process pays WeasyPrint's start-up once, at boot, not in the first report task.
    if os.environ.get("WARM_UP_DOCUMENTS", "1") == "1":
        from sanitation.documents.rendering import warm_up

        warm_up()
