"""The facility and enterprise registries as Excel sheets: export, edit in Excel, import back.

Facilities are matched by name, enterprises by unified social credit code, within the
organisation's registry: a known one is updated, an unknown one created. An import is
all or nothing: one bad row and nothing is written, every problem is listed with its
Excel row number and column. 当前等级 and 有效期至 are exported, never imported.
"""

from dataclasses import dataclass

import tablib
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.instance_loaders import BaseInstanceLoader

from sanitation.core import spreadsheets
from sanitation.core.spreadsheets import ROW_COLUMN, WrittenDateWidget, cell_text
from sanitation.organisations.models import Unit

from . import selectors, services
from .excel_widgets import CapacityWidget, ChoiceWidget, CreditCodeWidget, TextWidget
from .models import Business, Enterprise, Facility, FacilityKind

GRADE, VALID_UNTIL = "当前等级", "有效期至"
DUPLICATE_ROW = _("row %(other)s has the same %(column)s.")
# What the sheets write for the choices: Chinese, whatever the user's language.
FACILITY_KINDS = {
    "焚烧厂": FacilityKind.INCINERATION,
    "填埋场": FacilityKind.LANDFILL,
    "转运站": FacilityKind.TRANSFER,
    "厨余处理厂": FacilityKind.FOOD_WASTE,
    "其他": FacilityKind.OTHER,
}
BUSINESSES = {
    "道路清扫保洁": Business.STREET_CLEANING,
    "垃圾收运": Business.COLLECTION,
    "垃圾处理": Business.TREATMENT,
    "其他": Business.OTHER,
}


class RegistryLoader(BaseInstanceLoader):
    """Finds the row's entry among the organisation's, loaded once."""

    def get_instance(self, row):
        key_field = self.resource.fields[self.resource.key]
        try:
            key = key_field.clean(row)
        except ValueError:
            return None  # a new entry; import_instance reports the bad cell
        return self.resource.existing.get(key)


class RegistryResource(resources.ModelResource):
    """One organisation's registry. Build one per export or import."""

    key = ""  # the field rows are matched on
    grade = fields.Field(attribute="current_grade", column_name=GRADE, readonly=True, widget=TextWidget())
    valid_until = fields.Field(
        attribute="current_valid_until", column_name=VALID_UNTIL, readonly=True, widget=WrittenDateWidget()
    )

    class Meta:
        instance_loader_class = RegistryLoader
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def __init__(self, organisation: Unit):
        super().__init__()
        self.organisation = organisation
        self.names: dict[int, str] = {}  # dataset row number → the row's name, for the preview
        self._rows_by_key: dict[str, int] = {}

    @property
    def existing(self) -> dict:
        if not hasattr(self, "_existing"):
            entries = self._meta.model.objects.filter(organisation=self.organisation)
            self._existing = {getattr(entry, self.key): entry for entry in entries}
        return self._existing

    def get_queryset(self):
        entries = self._meta.model.objects.filter(organisation=self.organisation)
        return selectors.with_current_rating(entries, today=timezone.localdate()).order_by(
            *self._meta.model._meta.ordering, "pk"
        )

    def init_instance(self, row=None):
        return self._meta.model(organisation=self.organisation)

    def import_instance(self, instance, row, **kwargs):
        self.names[kwargs["row_number"]] = cell_text(row.get(self.fields["name"].column_name))
        super().import_instance(instance, row, **kwargs)
        key = getattr(instance, self.key)
        if key in self._rows_by_key:
            column = self.fields[self.key].column_name
            raise ValidationError({self.key: DUPLICATE_ROW % {"other": self._rows_by_key[key], "column": column}})
        self._rows_by_key[key] = row[ROW_COLUMN]

    def do_instance_save(self, instance, is_create):
        self.save_entry(instance)

    def after_import(self, dataset, result, **kwargs):
        pass  # not ModelResource's: resetting the id sequence is for imports of ids

    def save_entry(self, instance):
        raise NotImplementedError


class FacilityResource(RegistryResource):
    key = "name"
    name = fields.Field(attribute="name", column_name="设施名称", widget=TextWidget(required=True))
    kind = fields.Field(attribute="kind", column_name="类型", widget=ChoiceWidget(FACILITY_KINDS))
    province = fields.Field(attribute="province", column_name="省份", widget=TextWidget(required=True))
    city = fields.Field(attribute="city", column_name="城市", widget=TextWidget(required=True))
    address = fields.Field(attribute="address", column_name="地址", widget=TextWidget())
    capacity = fields.Field(attribute="capacity", column_name="处理能力（吨/日）", widget=CapacityWidget())
    operator_name = fields.Field(attribute="operator_name", column_name="运营单位", widget=TextWidget())
    operator_credit_code = fields.Field(
        attribute="operator_credit_code", column_name="运营单位统一社会信用代码", widget=CreditCodeWidget()
    )

    class Meta(RegistryResource.Meta):
        model = Facility
        fields = (
            "name",
            "kind",
            "province",
            "city",
            "address",
            "capacity",
            "operator_name",
            "operator_credit_code",
            "grade",
            "valid_until",
        )
        import_id_fields = ("name",)

    def save_entry(self, instance):
        services.facility_save(instance)


class EnterpriseResource(RegistryResource):
    key = "credit_code"
    name = fields.Field(attribute="name", column_name="企业名称", widget=TextWidget(required=True))
    credit_code = fields.Field(
        attribute="credit_code", column_name="统一社会信用代码", widget=CreditCodeWidget(required=True)
    )
    region = fields.Field(attribute="region", column_name="所在地区", widget=TextWidget(required=True))
    business = fields.Field(attribute="business", column_name="业务类型", widget=ChoiceWidget(BUSINESSES))
    contact_person = fields.Field(attribute="contact_person", column_name="联系人", widget=TextWidget())
    contact_phone = fields.Field(attribute="contact_phone", column_name="联系电话", widget=TextWidget())

    class Meta(RegistryResource.Meta):
        model = Enterprise
        fields = (
            "name",
            "credit_code",
            "region",
            "business",
            "contact_person",
            "contact_phone",
            "grade",
            "valid_until",
        )
        import_id_fields = ("credit_code",)

    def save_entry(self, instance):
        services.enterprise_save(instance)


def _headers(resource: RegistryResource, *, readonly: bool) -> tuple[str, ...]:
    return tuple(f.column_name for f in resource.get_export_fields() if readonly or not f.readonly)


# Export ---------------------------------------------------------------------------------------


def registry_xlsx(resource_class: type[RegistryResource], *, organisation: Unit, title: str) -> bytes:
    """The registry as an .xlsx workbook: one query whatever its size."""
    resource = resource_class(organisation)
    dataset = resource.export()
    widths = dict.fromkeys(_headers(resource, readonly=False), 30)
    return spreadsheets.workbook_bytes(dataset, title=title, widths=widths)


# Import ---------------------------------------------------------------------------------------


@dataclass
class RowOutcome(spreadsheets.RowOutcome):
    name: str


RegistryImportResult = spreadsheets.ImportResult


def registry_import(
    resource_class: type[RegistryResource], content: bytes, *, organisation: Unit, dry_run: bool
) -> RegistryImportResult:
    """Create and update the registry's entries from the sheet, all or nothing. Raises
    ExcelFileError when the file itself is unfit; row problems are in the result."""
    resource = resource_class(organisation)
    required = _headers(resource, readonly=False)
    dataset = spreadsheets.sheet_read(content, required=required, expected=_headers(resource, readonly=True))
    # one import of a registry at a time
    result, errors = spreadsheets.resource_import(
        resource, dataset, dry_run=dry_run, lock=Unit.objects.filter(pk=organisation.pk)
    )
    return RegistryImportResult(dry_run=dry_run, rows=_outcomes(resource, dataset, result), errors=errors)


def _outcomes(resource: RegistryResource, dataset: tablib.Dataset, result) -> list[RowOutcome]:
    kinds = spreadsheets.IMPORT_TYPES
    return [
        RowOutcome(row=values[-1], name=resource.names.get(number, ""), kind=kinds.get(row.import_type, "invalid"))
        for number, (values, row) in enumerate(zip(dataset, result.rows, strict=True), start=1)
    ]
