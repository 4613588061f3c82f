"""The django-import-export resource of the member sheet: matching rows to members, checking
them, and saving them through the services so that every change lands in the history."""

from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from import_export import fields, resources
from import_export.instance_loaders import BaseInstanceLoader

from sanitation.core import spreadsheets
from sanitation.core.credit_code import credit_code_normalise
from sanitation.core.spreadsheets import ROW_COLUMN
from sanitation.core.spreadsheets import cell_text as _text
from sanitation.organisations.models import Unit

from .. import services
from ..models import CouncilPosition, IndividualCategory, Member, MemberKind, MemberStatus, OrganisationType
from . import columns as col


@dataclass
class _Draft:
    row: int
    before: dict | None  # the existing member's editable values; None for a new one
    status_before: str = ""
    changes: dict = field(default_factory=dict)
    status_changed: bool = False


def _editable(member: Member) -> dict:
    return {name: getattr(member, name) for name in services.EDITABLE_FIELDS}


def _key(kind: str, name: str, code: str, employer: str) -> tuple:
    return (kind, code) if kind == MemberKind.UNIT else (kind, name, employer)


class _Lookups:
    def __init__(self, organisation: Unit):
        self.organisation = organisation

    @cached_property
    def members(self) -> dict[tuple, Member]:
        members = Member.objects.filter(organisation=self.organisation)
        return {_key(m.kind, m.name, m.credit_code, m.employer): m for m in members}


class MemberLoader(BaseInstanceLoader):
    """Finds the row's member among the organisation's, loaded once."""

    def get_instance(self, row):
        fields_ = self.resource.fields
        try:
            kind = fields_["kind"].clean(row)
            code = fields_["credit_code"].clean(row)
        except ValueError:
            return None  # a new member; import_instance reports the bad cell
        key = _key(kind, _text(row[col.NAME]), code, _text(row[col.EMPLOYER]))
        return self.resource.lookups.members.get(key)


def _field(attribute: str, column: str, widget, **options) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=widget, **options)


class MemberResource(resources.ModelResource):
    """The members of one organisation (import) or of a queryset (export). One per import."""

    name = _field("name", col.NAME, col.TextWidget(required=True))
    kind = _field(
        "kind", col.KIND, col.ChoiceWidget(col.KIND_NAMES, MemberKind, aliases=col.KIND_ALIASES, required=True)
    )
    credit_code = _field("credit_code", col.CREDIT_CODE, col.CreditCodeWidget())
    organisation_type = _field(
        "organisation_type",
        col.ORGANISATION_TYPE,
        col.ChoiceWidget(col.TYPE_NAMES, OrganisationType, aliases=col.TYPE_ALIASES),
    )
    region = _field("region", col.REGION, col.TextWidget())
    contact_person = _field("contact_person", col.CONTACT, col.TextWidget())
    phone = _field("phone", col.PHONE, col.TextWidget())
    email = _field("email", col.EMAIL, col.TextWidget())
    council_position = _field(
        "council_position",
        col.POSITION,
        col.ChoiceWidget(col.POSITION_NAMES, CouncilPosition, aliases=col.POSITION_ALIASES, keep=True),
        saves_null_values=False,
    )
    joined_on = _field("joined_on", col.JOINED, spreadsheets.WrittenDateWidget())
    status = _field(
        "status", col.STATUS, col.ChoiceWidget(col.STATUS_NAMES, MemberStatus, keep=True), saves_null_values=False
    )
    category = _field("category", col.CATEGORY, col.ChoiceWidget(col.CATEGORY_NAMES, IndividualCategory))
    title = _field("title", col.TITLE, col.TextWidget())
    speciality = _field("speciality", col.SPECIALITY, col.TextWidget())
    employer = _field("employer", col.EMPLOYER, col.TextWidget())

    class Meta:
        model = Member
        fields = (
            "name",
            "kind",
            "credit_code",
            "organisation_type",
            "region",
            "contact_person",
            "phone",
            "email",
            "council_position",
            "joined_on",
            "status",
            "category",
            "title",
            "speciality",
            "employer",
        )
        import_id_fields = ("kind", "credit_code", "name", "employer")
        instance_loader_class = MemberLoader
        skip_diff = True  # rows are compared in _complete(), without a deep copy per row
        use_transactions = True

    def __init__(self, organisation: Unit | None = None, *, user=None):
        super().__init__()
        self.organisation = organisation
        self.user = user
        self.lookups = _Lookups(organisation)
        self.drafts: dict[int, _Draft] = {}  # by dataset row number (1-based)
        self._draft: _Draft | None = None
        self._rows_by_key: dict[tuple, int] = {}
        self._new: list[Member] = []

    # Export

    def iter_queryset(self, queryset):
        return iter(queryset)  # one query, not one per page

    def dehydrate_joined_on(self, member: Member):
        return member.joined_on

    # Import

    def init_instance(self, row=None):
        return Member(organisation=self.organisation)

    def import_instance(self, instance, row, **kwargs):
        draft = _Draft(row=row[ROW_COLUMN], before=_editable(instance) if instance.pk else None)
        draft.status_before = instance.status
        self.drafts[kwargs["row_number"]] = self._draft = draft
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if not errors:
            errors = self._complete(instance, draft)
        if errors:
            raise ValidationError(errors)

    def _complete(self, instance: Member, draft: _Draft) -> dict:
        """Duplicate rows, and what the row changes; errors by field."""
        key = _key(instance.kind, instance.name, credit_code_normalise(instance.credit_code), instance.employer)
        if key in self._rows_by_key:
            name = "credit_code" if instance.kind == MemberKind.UNIT else "name"
            return {name: [col.DUPLICATE_ROW % {"other": self._rows_by_key[key]}]}
        self._rows_by_key[key] = draft.row
        if draft.before is not None:
            after = _editable(instance)
            draft.changes = {name: value for name, value in after.items() if value != draft.before[name]}
            draft.status_changed = instance.status != draft.status_before
        return {}

    def skip_row(self, instance, original, row, import_validation_errors=None):
        draft = self._draft
        unchanged = not draft.changes and not draft.status_changed
        return draft.before is not None and unchanged and not import_validation_errors

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            # Uniqueness is the loader's: a known credit code or person updates that member.
            instance.full_clean(exclude=[*errors, "organisation"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            # clean() also names fields whose cell was already refused: one message per cell.
            for name, problems in error.update_error_dict({}).items():
                errors.setdefault(name, problems)
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance, is_create):
        if is_create:
            self._new.append(instance)  # created together once every row is valid
            return
        draft = self._draft
        if draft.changes:
            services.member_update(instance, by=self.user, **draft.changes)
        if draft.status_changed:
            services.member_status_change(
                member=instance,
                status=instance.status,
                on=timezone.localdate(),
                reason=gettext(col.IMPORTED),
                by=self.user,
            )

    def after_import(self, dataset, result, **kwargs):
        # Not ModelResource's, which resets the id sequence: only imports of ids need that.
        if self._new and not (result.has_errors() or result.has_validation_errors()):
            services.members_add(members=self._new, by=self.user)
