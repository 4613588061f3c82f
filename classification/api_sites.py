"""API of sites and coverage campaigns, read-only: `register(router)` is called by sanitation/urls.py.

/api/v1/sites/ (?street=&community=&kind=&covered=true|false&demonstration=true|false&q=&on=) and
/api/v1/campaigns/ (a campaign's detail adds coverage by street and progress by phase as of ?on=).
Everything is scoped to the user's district; a bad filter answers 400.
"""

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from . import campaign as coverage
from . import selectors
from .models import Campaign, CampaignPhase, Site, SiteKind

MAX_ID = 2**63 - 1


def _validated(serializer_class: type[serializers.Serializer], data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class SiteSerializer(serializers.ModelSerializer):
    street_name = serializers.CharField(source="street.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True, allow_null=True, default=None)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Site
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "street",
            "street_name",
            "community",
            "community_name",
            "households",
            "property_company",
            "contact_name",
            "contact_phone",
            "address",
            "covered_since",
            "is_demonstration",
        ]


class SiteFilterSerializer(serializers.Serializer):
    street = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    community = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    kind = serializers.ChoiceField(choices=SiteKind.choices, required=False)
    covered = serializers.BooleanField(required=False, allow_null=True, default=None)
    demonstration = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    on = serializers.DateField(required=False)


@extend_schema_view(list=extend_schema(parameters=[SiteFilterSerializer]))
class SiteViewSet(viewsets.ReadOnlyModelViewSet):
    """Sites of the user's district."""

    ordering_fields = ["name", "households", "covered_since", "kind"]

    serializer_class = SiteSerializer

    def get_queryset(self):
        sites = selectors.sites_visible_to(self.request.user).order_by("street__path", "name")
        if self.action != "list":
            return sites
        filters = _validated(SiteFilterSerializer, self.request.query_params)
        if filters.get("street"):
            sites = sites.filter(street_id=filters["street"])
        if filters.get("community"):
            sites = sites.filter(community_id=filters["community"])
        return selectors.site_filter(
            sites,
            kind=filters.get("kind", ""),
            covered=filters.get("covered"),
            demonstration=filters.get("demonstration"),
            q=filters.get("q", ""),
            on=filters.get("on"),
        )


class PhaseSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = CampaignPhase
        fields = ["kind", "kind_display", "deadline", "target_rate", "demonstration_sites_due"]


class CampaignSerializer(serializers.ModelSerializer):
    district_name = serializers.CharField(source="district.name", read_only=True)
    phases = PhaseSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "year", "title", "district", "district_name", "phases"]


def _decimal(value) -> str | None:
    """As DRF's DecimalField renders it: a string, so 66.67 stays 66.67."""
    return None if value is None else f"{value:.2f}"


def _street(row: coverage.StreetCoverage) -> dict:
    return {
        "street": row.street.pk,
        "street_name": row.street.name,
        "sites": row.total,
        "covered": row.covered,
        "rate": _decimal(row.rate),
        "has_target": row.has_target,
        "demonstration": row.demonstration,
    }


def _phase(progress: coverage.PhaseProgress) -> dict:
    return {
        "kind": progress.phase.kind,
        "deadline": progress.deadline,
        "target_rate": _decimal(progress.target_rate),
        "as_of": progress.as_of,
        "passed": progress.passed,
        "rate": _decimal(progress.rate),
        "streets_behind": [
            {
                "street": street.street.pk,
                "street_name": street.street.name,
                "rate": _decimal(street.coverage.rate),
                "rate_behind": street.rate_behind,
                "missing_demonstration_kinds": street.missing_kinds,
                "uncovered_sites": street.uncovered_sites,
            }
            for street in progress.behind
        ],
    }


class OnSerializer(serializers.Serializer):
    on = serializers.DateField(required=False)


def _rate_field() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class StreetCoverageSerializer(serializers.Serializer):
    """For the schema only: a street's coverage, as _street writes it."""

    street = serializers.IntegerField()
    street_name = serializers.CharField()
    sites = serializers.IntegerField()
    covered = serializers.IntegerField()
    rate = _rate_field()
    has_target = serializers.BooleanField()
    demonstration = serializers.DictField(child=serializers.IntegerField())


class StreetBehindSerializer(serializers.Serializer):
    """For the schema only: a street behind a phase, as _phase writes it."""

    street = serializers.IntegerField()
    street_name = serializers.CharField()
    rate = _rate_field()
    rate_behind = serializers.BooleanField()
    missing_demonstration_kinds = serializers.ListField(child=serializers.CharField())
    uncovered_sites = serializers.ListField(child=serializers.CharField())


class PhaseProgressSerializer(serializers.Serializer):
    """For the schema only: a phase's progress, as _phase writes it."""

    kind = serializers.CharField()
    deadline = serializers.DateField()
    target_rate = _rate_field()
    as_of = serializers.DateField()
    passed = serializers.BooleanField()
    rate = _rate_field()
    streets_behind = StreetBehindSerializer(many=True)


class CampaignDetailSerializer(CampaignSerializer):
    """For the schema only: a campaign's detail, with its coverage as of a day."""

    on = serializers.DateField()
    district_rate = _rate_field()
    coverage_by_street = StreetCoverageSerializer(many=True)
    progress = PhaseProgressSerializer(many=True)

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "on", "district_rate", "coverage_by_street", "progress"]


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    """Campaigns of the user's district; a campaign's detail with its coverage as of ?on= (today)."""

    ordering_fields = ["year"]

    serializer_class = CampaignSerializer

    def get_queryset(self):
        return selectors.campaigns_visible_to(self.request.user).prefetch_related(
            Prefetch("phases", queryset=CampaignPhase.objects.order_by("deadline"))
        )

    @extend_schema(parameters=[OnSerializer], responses={200: CampaignDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        the_campaign = self.get_object()
        on = _validated(OnSerializer, request.query_params).get("on") or timezone.localdate()
        streets = coverage.coverage_by_street(district=the_campaign.district, on=on, campaign=the_campaign)
        data = {
            **self.get_serializer(the_campaign).data,
            "on": on,
            "district_rate": _decimal(coverage.district_rate(streets)),
            "coverage_by_street": [_street(row) for row in streets],
            "progress": [_phase(phase) for phase in coverage.campaign_progress(campaign=the_campaign, on=on)],
        }
        return Response(data)


def register(router) -> None:
    router.register("sites", SiteViewSet, basename="site")
    router.register("campaigns", CampaignViewSet, basename="campaign")
