from django.core.management.base import BaseCommand

from sanitation.core.schedules import periodic_tasks_sync


class Command(BaseCommand):
    help = "Create the periodic tasks beat runs that are missing; edited ones are left alone."

    def handle(self, *args, **options):
        created = periodic_tasks_sync()
        self.stdout.write(f"periodic tasks created: {', '.join(created) or 'none'}")
