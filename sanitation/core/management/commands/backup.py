from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sanitation.core.backup import BackupError, backup_create, backup_default_name


class Command(BaseCommand):
    help = "Write the database and the media folder into one tar.gz archive with a manifest."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Archive to write (default: sanitation-DATE.tar.gz here).")

    def handle(self, *args, **options):
        output = Path(options["output"] or backup_default_name())
        try:
            result = backup_create(output=output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        parts = result.manifest["parts"]
        media = parts["media.tar"]
        self.stdout.write(
            _("Backup written to {path}: {engine} database, {files} media files, {size} bytes.").format(
                path=result.path,
                engine=result.manifest["engine"],
                files=media["files"],
                size=result.path.stat().st_size,
            )
        )
