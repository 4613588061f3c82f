from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sanitation.documents.fonts import missing_characters
from sanitation.documents.rendering import renderer
from sanitation.documents.text_format import parse_document


class Command(BaseCommand):
    help = _(
        "Lay out a plain-text or Markdown official document (issuer mark, number, title, recipients, "
        "body, 抄送, 印发 line) as a GB/T 9704-2012 PDF. Touches neither the database nor the numbering."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help=_("the document, UTF-8 text or Markdown"))
        parser.add_argument("-o", "--output", type=Path, help=_("the PDF to write (default: FILE with .pdf)"))

    def handle(self, *args, file: Path, output: Path | None, **options):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                _("Cannot read %(file)s as UTF-8 text: %(error)s") % {"file": file, "error": error}
            ) from error
        content = parse_document(text)
        if not content.title:
            raise CommandError(_("%(file)s holds no text to lay out.") % {"file": file})
        missing = missing_characters(text)
        if missing:
            self.stderr.write(_("No installed font draws these characters: %s") % " ".join(missing))
        result = renderer().render(content)
        output = output or file.with_suffix(".pdf")
        output.write_bytes(result.data)
        self.stdout.write(
            _("%(output)s: %(pages)d pages, %(size)d KB, laid out in %(layout).2f s, written in %(total).2f s")
            % {
                "output": output,
                "pages": result.pages,
                "size": len(result.data) // 1024,
                "layout": result.layout_seconds,
                "total": result.total_seconds,
            }
        )
