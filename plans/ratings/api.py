"""API of this registry: `register(router)` is called by sanitation/urls.py.

/api/v1/facility-ratings/ and /api/v1/credit-ratings/, read-only: the grades of published
rounds (revoked ones flagged), with their facility or enterprise; filter ?year=&grade=.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from . import selectors
from .models import Enterprise, Facility, Programme, RatingApplication, RatingRound


class RoundRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = RatingRound
        fields = ["id", "year", "title"]


class FacilityRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Facility
        fields = ["id", "name", "kind", "province", "city", "capacity", "operator_name", "operator_credit_code"]


class EnterpriseRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields = ["id", "name", "credit_code", "region", "business"]


RATING_FIELDS = [
    "id",
    "round",
    "total",
    "grade",
    "rated_on",
    "valid_from",
    "valid_until",
    "revoked",
    "revoked_at",
    "revocation_reason",
]


class _RatingSerializer(serializers.ModelSerializer):
    round = RoundRefSerializer(read_only=True)
    revoked = serializers.BooleanField(source="is_revoked", read_only=True)


class FacilityRatingSerializer(_RatingSerializer):
    facility = FacilityRefSerializer(read_only=True)

    class Meta:
        model = RatingApplication
        fields = [*RATING_FIELDS[:2], "facility", *RATING_FIELDS[2:]]


class CreditRatingSerializer(_RatingSerializer):
    enterprise = EnterpriseRefSerializer(read_only=True)

    class Meta:
        model = RatingApplication
        fields = [*RATING_FIELDS[:2], "enterprise", *RATING_FIELDS[2:]]


class RatingFilterSerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=1, max_value=9999)
    grade = serializers.CharField(required=False, max_length=10)


@extend_schema_view(list=extend_schema(parameters=[RatingFilterSerializer]))
class _RatingViewSet(viewsets.ReadOnlyModelViewSet):
    ordering_fields = ["total", "rated_on", "valid_until", "year"]
    ordering_lookups = {"year": "round__year"}
    programme = ""

    def get_queryset(self):
        ratings = selectors.published(selectors.applications_visible_to(self.request.user), programme=self.programme)
        ratings = ratings.order_by("-round__year", "-total", "pk")  # best grade first
        if self.action != "list":
            return ratings
        filters = RatingFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if "year" in filters.validated_data:
            ratings = ratings.filter(round__year=filters.validated_data["year"])
        if "grade" in filters.validated_data:
            ratings = ratings.filter(grade=filters.validated_data["grade"].strip().upper())
        return ratings


class FacilityRatingViewSet(_RatingViewSet):
    """Facility ratings of published rounds; ?year=2026&grade=AAA."""

    programme = Programme.FACILITY
    serializer_class = FacilityRatingSerializer


class CreditRatingViewSet(_RatingViewSet):
    """Enterprise credit ratings of published rounds; ?year=2026&grade=AA."""

    programme = Programme.CREDIT
    serializer_class = CreditRatingSerializer


def register(router) -> None:
    router.register("facility-ratings", FacilityRatingViewSet, basename="facility-rating")
    router.register("credit-ratings", CreditRatingViewSet, basename="credit-rating")
