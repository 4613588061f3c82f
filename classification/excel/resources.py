"""django-import-export resources of the ledgers: what each ledger's sheet holds, by column.

They export (with the place by name and the choices by their Chinese names). Imports go
through importing.ledger_import, which reads the same columns much faster; the collection
resource's own row-by-row import is what bench/collection_import.py compares it with.
"""

from import_export import fields, resources, widgets

from sanitation.organisations.models import Unit

from ..models import CollectionRecord, PublicityActivity, Site, SortingFacility, SortingPerson
from . import columns as c

PLACE_FIELDS = ("street", "community", "site")


class _LedgerResource(resources.ModelResource):
    street = fields.Field(attribute="street", column_name=c.STREET, widget=widgets.ForeignKeyWidget(Unit, "name"))
    community = fields.Field(
        attribute="community", column_name=c.COMMUNITY, widget=widgets.ForeignKeyWidget(Unit, "name")
    )
    site = fields.Field(attribute="site", column_name=c.SITE, widget=widgets.ForeignKeyWidget(Site, "name"))

    @classmethod
    def headers(cls) -> list[str]:
        return [field.column_name for field in cls().get_export_fields()]


def _field(attribute: str, header: str, widget=None) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, widget=widget or widgets.Widget())


class CollectionRecordResource(_LedgerResource):
    collected_on = _field("collected_on", c.DATE, widgets.DateWidget())
    recyclable_t = _field("recyclable_t", c.RECYCLABLE, widgets.DecimalWidget())
    hazardous_t = _field("hazardous_t", c.HAZARDOUS, widgets.DecimalWidget())
    kitchen_t = _field("kitchen_t", c.KITCHEN, widgets.DecimalWidget())
    other_t = _field("other_t", c.OTHER, widgets.DecimalWidget())
    vehicle = _field("vehicle", c.VEHICLE, widgets.CharWidget())
    destination = _field("destination", c.DESTINATION, widgets.CharWidget())

    class Meta:
        model = CollectionRecord
        fields = ("collected_on", *PLACE_FIELDS, "recyclable_t", "hazardous_t", "kitchen_t", "other_t")
        fields += ("vehicle", "destination")
        export_order = fields
        import_id_fields = ("collected_on", *PLACE_FIELDS)


class SortingFacilityResource(_LedgerResource):
    kind = _field("kind", c.KIND)
    count = _field("count", c.COUNT, widgets.IntegerWidget())
    capacity = _field("capacity", c.CAPACITY, widgets.DecimalWidget())
    capacity_unit = _field("capacity_unit", c.CAPACITY_UNIT, widgets.CharWidget())
    recorded_on = _field("recorded_on", c.RECORDED_ON, widgets.DateWidget())
    note = _field("note", c.NOTE, widgets.CharWidget())

    class Meta:
        model = SortingFacility
        fields = (*PLACE_FIELDS, "kind", "count", "capacity", "capacity_unit", "recorded_on", "note")
        export_order = fields

    def dehydrate_kind(self, facility: SortingFacility) -> str:
        return c.FACILITY_KINDS.get(facility.kind, facility.kind)


class PublicityActivityResource(_LedgerResource):
    held_on = _field("held_on", c.DATE, widgets.DateWidget())
    kind = _field("kind", c.KIND)
    title = _field("title", c.TITLE, widgets.CharWidget())
    audience = _field("audience", c.AUDIENCE, widgets.IntegerWidget())
    materials = _field("materials", c.MATERIALS, widgets.IntegerWidget())
    note = _field("note", c.NOTE, widgets.CharWidget())

    class Meta:
        model = PublicityActivity
        fields = ("held_on", *PLACE_FIELDS, "kind", "title", "audience", "materials", "note")
        export_order = fields

    def dehydrate_kind(self, activity: PublicityActivity) -> str:
        return c.PUBLICITY_KINDS.get(activity.kind, activity.kind)


class SortingPersonResource(_LedgerResource):
    name = _field("name", c.NAME, widgets.CharWidget())
    role = _field("role", c.ROLE)
    post = _field("post", c.POST, widgets.CharWidget())
    phone = _field("phone", c.PHONE, widgets.CharWidget())
    since = _field("since", c.SINCE, widgets.DateWidget())
    active = _field("active", c.ACTIVE)

    class Meta:
        model = SortingPerson
        fields = ("name", "role", "post", *PLACE_FIELDS, "phone", "since", "active")
        export_order = fields

    def dehydrate_role(self, person: SortingPerson) -> str:
        return c.PERSON_ROLES.get(person.role, person.role)

    def dehydrate_active(self, person: SortingPerson) -> str:
        return c.YES if person.active else c.NO


RESOURCES = {
    "collection": CollectionRecordResource,
    "facilities": SortingFacilityResource,
    "publicity": PublicityActivityResource,
    "people": SortingPersonResource,
}
