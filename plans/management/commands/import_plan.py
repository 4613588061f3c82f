import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sanitation.organisations.models import Unit

from ...services import PlanImportError, plan_import, plan_preview
from ...sources import UnreadableDocument, document_text


class Command(BaseCommand):
    help = _(
        "Import an annual plan from its document (text, Markdown or .docx): chapters, items, "
        "sub-points and the units that lead and assist each item. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--issuer", help=_("code of the unit that issues the plan (default: the only root unit)"))
        parser.add_argument("--year", type=int, help=_("the plan's year, if its title does not say"))
        parser.add_argument("--title", default="", help=_("the plan's title, if not the document's"))
        parser.add_argument("--dry-run", action="store_true", help=_("read and check, write nothing"))
        parser.add_argument("--json", action="store_true", help=_("print the parsed plan as JSON"))

    def handle(self, *args, file: Path, issuer: str | None, year, title, dry_run, json: bool, **options):
        try:
            text = document_text(file.name, file.read_bytes())
        except (OSError, UnreadableDocument) as error:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": error}) from error
        preview = plan_preview(text, issuer=self._issuer(issuer), year=year)
        if json:
            self.stdout.write(_dumps(preview.as_dict()))
        else:
            self._summary(preview)
        if dry_run:
            if preview.problems():
                raise CommandError("\n".join(preview.problems()))
            return
        try:
            plan = plan_import(preview, title=title)
        except PlanImportError as error:
            raise CommandError("\n".join(error.problems)) from error
        if not json:
            self.stdout.write(_("Saved plan #%(id)d “%(title)s”.") % {"id": plan.pk, "title": plan.title})

    def _issuer(self, code: str | None) -> Unit:
        if code:
            try:
                return Unit.objects.get(code=code)
            except Unit.DoesNotExist as error:
                raise CommandError(_("No unit has the code %(code)s.") % {"code": code}) from error
        roots = list(Unit.objects.filter(parent__isnull=True)[:2])
        if len(roots) != 1:
            raise CommandError(_("Say which unit issues the plan: --issuer CODE."))
        return roots[0]

    def _summary(self, preview):
        parsed = preview.parsed
        self.stdout.write(
            _("%(title)s (%(year)s): %(chapters)d chapters, %(items)d items")
            % {
                "title": parsed.title,
                "year": preview.year,
                "chapters": len(parsed.chapters),
                "items": len(parsed.items),
            }
        )
        for gap in parsed.gaps:
            missing = "、".join(str(number) for number in gap["missing"])
            self.stdout.write(
                _("Gap after item %(after)s: %(missing)s missing") % {"after": gap["after"], "missing": missing}
            )
        for item in parsed.items:
            if item.truncated:
                self.stdout.write(_("Item %(label)s is cut short in the document.") % {"label": item.label})
        for problem in preview.problems():
            self.stderr.write(problem)


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
