import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanitation.settings.production")

application = get_wsgi_application()

# Before the first request: the first circular a user downloads or issues renders at full speed.
if os.environ.get("WARM_UP_DOCUMENTS", "1") == "1":
    from sanitation.documents.rendering import warm_up

    warm_up()
