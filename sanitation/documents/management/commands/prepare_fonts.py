from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from sanitation.documents.fonts import fallback_faces, role_faces


class Command(BaseCommand):
    help = _("Cut the document fonts to the characters of official documents, once (see DOCUMENT_FONTS).")
    requires_system_checks = []

    def handle(self, *args, **options):
        for face in role_faces():
            self.stdout.write(f"{face.role}: {face.installed.family} {face.installed.style} → {face.cut}")
        for face in fallback_faces():
            self.stdout.write(_("fallback: %(family)s (%(path)s)") % {"family": face.family, "path": face.path})
