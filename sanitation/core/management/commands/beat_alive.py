import sys

from django.core.management.base import BaseCommand

from sanitation.core.status import beat_check


class Command(BaseCommand):
    help = "Exit 0 when beat's heartbeat task ran lately, 1 otherwise (container health check)."

    def handle(self, *args, **options):
        ok, detail = beat_check()
        self.stdout.write(detail)
        sys.exit(0 if ok else 1)
