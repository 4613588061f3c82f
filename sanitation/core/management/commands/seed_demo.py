from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from sanitation.core.schedules import periodic_tasks_sync


class Command(BaseCommand):
    help = "Build the demo world from the seed documents. Idempotent: a second run changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--logins", action="store_true", help="Print the demo logins afterwards.")

    def handle(self, *args, logins=False, **options):
        with transaction.atomic():
            for dotted in settings.DEMO_SEEDERS:
                created = import_string(dotted)()
                summary = ", ".join(f"{name} +{count}" for name, count in created.items())
                self.stdout.write(f"{dotted}: {summary}")
            schedules = periodic_tasks_sync()
            self.stdout.write(f"periodic tasks: +{len(schedules)}")
        if logins:
            self.stdout.write("\nDemo logins / 演示账号:")
            for username, password, who in import_string(settings.DEMO_LOGINS)():
                self.stdout.write(f"  {username:<12} {password:<12} {who}")
