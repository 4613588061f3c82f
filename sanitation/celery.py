"""The Celery application: configured from Django settings (CELERY_*), tasks autodiscovered."""

import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanitation.settings.base")

app = Celery("sanitation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _load_urls(**kwargs):
    # A report's notification links to its page (reverse), which imports the URLconf and every view
    # module: done once here, before the pool forks, not in each pool process's first report.
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 - populating it is the point


@worker_process_init.connect
def _warm_up_documents(**kwargs):
    # Each pool process pays WeasyPrint's start-up once, at boot, not in the first report task.
    if os.environ.get("WARM_UP_DOCUMENTS", "1") == "1":
        from sanitation.documents.rendering import warm_up

        warm_up()
