"""API of the ledgers, read-only: `register(router)` is called by sanitation/urls.py.

/api/v1/collection-records/, /api/v1/facilities/, /api/v1/publicity-activities/, each with
?street=&community=&site_kind=&from=YYYY-MM-DD&to=YYYY-MM-DD (and ?kind= where the ledger has
kinds). Rows of another district do not exist (404, empty lists); a bad filter answers 400.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from . import ledgers
from .models import CollectionRecord, FacilityKind, PublicityActivity, PublicityKind, SiteKind, SortingFacility

MAX_ID = 2**63 - 1
FROM_AFTER_TO = _("“from” is after “to”.")
PLACE = ["street", "street_name", "community", "community_name", "site", "site_name"]


class LedgerFilterSerializer(serializers.Serializer):
    street = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    community = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    site_kind = serializers.ChoiceField(choices=SiteKind.choices, required=False)

    def __init__(self, *args, kinds=None, **kwargs):
        self.kinds = kinds
        super().__init__(*args, **kwargs)

    def get_fields(self):
        # `from` is a Python keyword: the query's names are the fields', the values land in date_from/date_to.
        fields = super().get_fields()
        for name in ("from", "to"):
            fields[name] = serializers.DateField(source=f"date_{name}", required=False, input_formats=["%Y-%m-%d"])
        if self.kinds:
            fields["kind"] = serializers.ChoiceField(choices=self.kinds, required=False)
        return fields

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"to": [FROM_AFTER_TO]})
        return attrs


class _PlaceSerializer(serializers.ModelSerializer):
    street_name = serializers.CharField(source="street.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True, allow_null=True, default=None)
    site_name = serializers.CharField(source="site.name", read_only=True, allow_null=True, default=None)


class CollectionRecordSerializer(_PlaceSerializer):
    class Meta:
        model = CollectionRecord
        fields = ["id", "collected_on", *PLACE, "recyclable_t", "hazardous_t", "kitchen_t", "other_t"]
        fields += ["vehicle", "destination"]


class SortingFacilitySerializer(_PlaceSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = SortingFacility
        fields = ["id", *PLACE, "kind", "kind_display", "count", "capacity", "capacity_unit", "recorded_on", "note"]


class PublicityActivitySerializer(_PlaceSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = PublicityActivity
        fields = ["id", "held_on", *PLACE, "kind", "kind_display", "title", "audience", "materials", "note"]


class _LedgerViewSet(viewsets.ReadOnlyModelViewSet):
    rows = staticmethod(lambda user: None)
    kinds = None
    ordering: tuple[str, ...] = ()

    def get_queryset(self):
        rows = self.rows(self.request.user).order_by(*self.ordering, "pk")
        if self.action != "list":
            return rows
        filters = LedgerFilterSerializer(data=self.request.query_params, kinds=self.kinds)
        filters.is_valid(raise_exception=True)
        return ledgers.ledger_filter(rows, **filters.validated_data)


@extend_schema_view(list=extend_schema(parameters=[LedgerFilterSerializer()]))
class CollectionRecordViewSet(_LedgerViewSet):
    """Tonnes collected per day and place, in the four categories."""

    ordering_fields = ["collected_on", "recyclable_t", "hazardous_t", "kitchen_t", "other_t"]

    serializer_class = CollectionRecordSerializer
    rows = staticmethod(ledgers.collection_records_visible_to)
    ordering = ("-collected_on", "street__path")


@extend_schema_view(list=extend_schema(parameters=[LedgerFilterSerializer(kinds=FacilityKind.choices)]))
class SortingFacilityViewSet(_LedgerViewSet):
    """Containers, drop-off points, sorting centres, storage points and vehicles."""

    ordering_fields = ["recorded_on", "kind", "count"]

    serializer_class = SortingFacilitySerializer
    rows = staticmethod(ledgers.facilities_visible_to)
    kinds = FacilityKind.choices
    ordering = ("street__path", "kind", "-recorded_on")


@extend_schema_view(list=extend_schema(parameters=[LedgerFilterSerializer(kinds=PublicityKind.choices)]))
class PublicityActivityViewSet(_LedgerViewSet):
    """Publicity activities: in communities, door to door, in schools …"""

    ordering_fields = ["held_on", "kind"]

    serializer_class = PublicityActivitySerializer
    rows = staticmethod(ledgers.publicity_activities_visible_to)
    kinds = PublicityKind.choices
    ordering = ("-held_on",)


def register(router) -> None:
    router.register("collection-records", CollectionRecordViewSet, basename="collection-record")
    router.register("facilities", SortingFacilityViewSet, basename="sorting-facility")
    router.register("publicity-activities", PublicityActivityViewSet, basename="publicity-activity")
