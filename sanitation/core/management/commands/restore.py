from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sanitation.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Replace the database and the media folder with those of a backup archive."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--yes", action="store_true", help="Replace a database that already holds data.")

    def handle(self, *args, **options):
        try:
            result = backup_restore(archive=Path(options["archive"]), confirmed=options["yes"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("Restored the {engine} database and {files} media files from the backup of {created_at}.").format(
                engine=result.manifest["engine"], files=result.media_files, created_at=result.manifest["created_at"]
            )
        )
        if result.missing_migrations:
            self.stdout.write(
                _("The backup predates {count} migrations of this version; run `manage.py migrate` now.").format(
                    count=len(result.missing_migrations)
                )
            )
