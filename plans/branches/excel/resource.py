"""The django-import-export resource of the branch sheet: one organisation's branches."""

from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import ValidationError
from import_export import fields, resources
from import_export.instance_loaders import BaseInstanceLoader

from sanitation.core.forms import NOTE_LENGTH
from sanitation.core.spreadsheets import ROW_COLUMN, WrittenDateWidget
from sanitation.organisations.models import Unit

from .. import services
from ..models import Branch, BranchTerm
from .cells import (
    BRANCH_FIELDS,
    CHAIR,
    DUPLICATE_ROW,
    FIELD,
    FOUNDED,
    NAME,
    NEW_TERM,
    SCOPE,
    SECRETARY,
    TERM_ENDS,
    TERM_FIELDS,
    TERM_INCOMPLETE,
    TERM_NOT_CURRENT,
    TERM_NUMBER,
    TERM_STARTS,
    TIER,
    TermNumberWidget,
    TextWidget,
    TierWidget,
)


@dataclass
class _Draft:
    """One row on its way in: what it changes, and what it does to the current term."""

    row: int
    before: dict | None  # the existing branch's values; None for a new branch
    term: dict = field(default_factory=dict)  # BranchTerm field → value, as the row gives them
    term_action: str = ""  # "", "renew" or "correct"
    changes: dict = field(default_factory=dict)
    changed_columns: list[str] = field(default_factory=list)


class _Lookups:
    def __init__(self, organisation: Unit):
        self.organisation = organisation

    @cached_property
    def branches(self) -> dict[str, Branch]:
        return {branch.name: branch for branch in Branch.objects.filter(organisation=self.organisation)}

    @cached_property
    def terms(self) -> dict[int, list[BranchTerm]]:
        """Each branch's terms, latest first."""
        terms: dict[int, list[BranchTerm]] = {}
        for term in BranchTerm.objects.filter(branch__organisation=self.organisation).order_by("-starts_on", "-number"):
            terms.setdefault(term.branch_id, []).append(term)
        return terms


class BranchLoader(BaseInstanceLoader):
    def get_instance(self, row):
        try:
            name = self.resource.fields["name"].clean(row)
        except ValueError:
            return None  # import_instance reports the empty cell
        return self.resource.lookups.branches.get(name)


def _term_value(branch: Branch, name: str):
    term = branch.current_term
    return getattr(term, TERM_FIELDS[name]) if term else None


class BranchResource(resources.ModelResource):
    """One organisation's branches. Build one per export or import: it caches their rows."""

    name = fields.Field(attribute="name", column_name=NAME, widget=TextWidget(required=True))
    field = fields.Field(attribute="field", column_name=FIELD, widget=TextWidget())
    scope = fields.Field(attribute="scope", column_name=SCOPE, widget=TextWidget(max_length=NOTE_LENGTH))
    founded_on = fields.Field(attribute="founded_on", column_name=FOUNDED, widget=WrittenDateWidget())
    tier = fields.Field(attribute="tier", column_name=TIER, widget=TierWidget())
    term_number = fields.Field(attribute="term_number", column_name=TERM_NUMBER, widget=TermNumberWidget())
    term_starts_on = fields.Field(attribute="term_starts_on", column_name=TERM_STARTS, widget=WrittenDateWidget())
    term_ends_on = fields.Field(attribute="term_ends_on", column_name=TERM_ENDS, widget=WrittenDateWidget())
    chair = fields.Field(attribute="chair", column_name=CHAIR, widget=TextWidget())
    secretary_general = fields.Field(attribute="secretary_general", column_name=SECRETARY, widget=TextWidget())

    class Meta:
        model = Branch
        fields = (*BRANCH_FIELDS, *TERM_FIELDS)
        import_id_fields = ("name",)
        instance_loader_class = BranchLoader
        skip_diff = True  # rows are compared in _complete(), without a deep copy per row
        use_transactions = True

    def __init__(self, organisation: Unit | None = None, *, user=None):
        super().__init__()
        self.organisation = organisation
        self.user = user
        self.lookups = _Lookups(organisation)
        self.drafts: dict[int, _Draft] = {}  # by dataset row number (1-based)
        self._draft: _Draft | None = None
        self._rows_by_name: dict[str, int] = {}

    # Export: the queryset comes from the view (what the user sees), with its terms.

    def iter_queryset(self, queryset):
        return iter(queryset)  # the default pages through it, losing the prefetched terms

    def dehydrate_founded_on(self, branch: Branch):
        return branch.founded_on

    def dehydrate_term_number(self, branch: Branch):
        return _term_value(branch, "term_number")

    def dehydrate_term_starts_on(self, branch: Branch):
        return _term_value(branch, "term_starts_on")

    def dehydrate_term_ends_on(self, branch: Branch):
        return _term_value(branch, "term_ends_on")

    def dehydrate_chair(self, branch: Branch):
        return _term_value(branch, "chair") or ""

    def dehydrate_secretary_general(self, branch: Branch):
        return _term_value(branch, "secretary_general") or ""

    # Import

    def init_instance(self, row=None):
        return Branch(organisation=self.organisation)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute in TERM_FIELDS:
            self._draft.term[TERM_FIELDS[field.attribute]] = field.clean(row)
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        before = {name: getattr(instance, name) for name in BRANCH_FIELDS} if instance.pk else None
        self.drafts[kwargs["row_number"]] = self._draft = _Draft(row=row[ROW_COLUMN], before=before)
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if not errors:
            errors = self._complete(instance, self._draft)
        if errors:
            raise ValidationError(errors)

    def _complete(self, instance: Branch, draft: _Draft) -> dict:
        """Duplicates, the term and what the row changes; errors by field."""
        if instance.name in self._rows_by_name:
            return {"name": [DUPLICATE_ROW % {"other": self._rows_by_name[instance.name]}]}
        self._rows_by_name[instance.name] = draft.row
        errors = self._term(instance, draft)
        if errors:
            return errors
        if draft.before is not None:
            draft.changes = {n: getattr(instance, n) for n in BRANCH_FIELDS if getattr(instance, n) != draft.before[n]}
        columns = {f.attribute: f.column_name for f in self.fields.values()}
        draft.changed_columns = [columns[name] for name in draft.changes]
        if draft.term_action == "renew":
            draft.changed_columns.append(str(NEW_TERM))
        elif draft.term_action == "correct":
            current = self.lookups.terms[instance.pk][0]
            attributes = {value: name for name, value in TERM_FIELDS.items()}
            differ = [name for name, value in draft.term.items() if getattr(current, name) != value]
            draft.changed_columns += [columns[attributes[name]] for name in differ]
        return {}

    def _term(self, instance: Branch, draft: _Draft) -> dict:
        term = draft.term
        if not any(term.values()):
            return {}
        attributes = {value: name for name, value in TERM_FIELDS.items()}
        missing = [name for name in ("number", "starts_on", "ends_on") if term[name] is None]
        if missing:
            return {attributes[name]: [TERM_INCOMPLETE] for name in missing}
        terms = self.lookups.terms.get(instance.pk, []) if instance.pk else []
        current = terms[0] if terms else None
        replacing = None
        if current is not None and term["number"] <= current.number:
            if term["number"] < current.number:
                return {"term_number": [TERM_NOT_CURRENT % {"current": current.label}]}
            replacing = current
            if all(getattr(current, name) == value for name, value in term.items()):
                return {}  # the current term as it is
        problems = services.term_problems(
            terms, number=term["number"], starts_on=term["starts_on"], ends_on=term["ends_on"], replacing=replacing
        )
        if problems:
            return {attributes[name]: [message] for name, message in problems.items()}
        draft.term_action = "correct" if replacing else "renew"
        return {}

    def skip_row(self, instance, original, row, import_validation_errors=None):
        draft = self._draft
        return draft.before is not None and not draft.changes and not draft.term_action and not import_validation_errors

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            # Names are unique in the sheet (checked above) and matched by name: no query per row.
            instance.clean_fields(exclude=[*errors, "organisation", "unit"])
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance, is_create):
        draft = self._draft
        if is_create:
            values = {name: getattr(instance, name) for name in BRANCH_FIELDS if name != "name"}
            branch = services.branch_create(organisation=self.organisation, by=self.user, name=instance.name, **values)
            instance.pk = branch.pk
        else:
            branch = instance
            services.branch_update(branch=branch, by=self.user, **draft.changes)
        if draft.term_action == "renew":
            services.branch_term_renew(branch=branch, by=self.user, **draft.term)
        elif draft.term_action == "correct":
            current = self.lookups.terms[branch.pk][0]
            changes = {name: value for name, value in draft.term.items() if name != "number"}
            services.branch_term_correct(term=current, by=self.user, **changes)

    def after_import(self, dataset, result, **kwargs):
        pass  # not ModelResource's: resetting the id sequence is for imports of ids
