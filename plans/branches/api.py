"""API of this registry: `register(router)` is called by sanitation/urls.py.

/api/v1/branches/, read-only: each branch with its current term and the plan (targets and
assessment) of the year, this year unless ?year= says otherwise; filter ?tier=&status=
&ending_within=90 (current term ending within that many days, or ended without renewal).
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from . import selectors
from .models import Branch, BranchStatus, BranchTerm, BranchTier, BranchYearPlan


class TermSerializer(serializers.ModelSerializer):
    class Meta:
        model = BranchTerm
        fields = ["number", "starts_on", "ends_on", "chair", "secretary_general"]


class YearPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = BranchYearPlan
        fields = ["year", "targets", "score", "grade", "comments", "assessed_on"]


class AssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = BranchYearPlan
        fields = ["year", "score", "grade", "assessed_on"]


class BranchSerializer(serializers.ModelSerializer):
    unit = serializers.PrimaryKeyRelatedField(read_only=True)
    current_term = TermSerializer(read_only=True)
    year_plan = serializers.SerializerMethodField()
    latest_assessment = serializers.SerializerMethodField()

    class Meta:
        model = Branch
        fields = [
            "id",
            "name",
            "unit",
            "field",
            "scope",
            "founded_on",
            "tier",
            "tier_reason",
            "status",
            "current_term",
            "year_plan",
            "latest_assessment",
        ]

    @extend_schema_field(YearPlanSerializer(allow_null=True))
    def get_year_plan(self, branch) -> dict | None:
        plan = selectors.year_plan(branch)
        return YearPlanSerializer(plan).data if plan else None

    @extend_schema_field(AssessmentSerializer(allow_null=True))
    def get_latest_assessment(self, branch) -> dict | None:
        plan = selectors.latest_assessment(branch)
        return AssessmentSerializer(plan).data if plan else None


class BranchFilterSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=BranchTier.choices, required=False)
    status = serializers.ChoiceField(choices=BranchStatus.choices, required=False)
    ending_within = serializers.IntegerField(required=False, min_value=0, max_value=3650)
    year = serializers.IntegerField(required=False, min_value=1990, max_value=2100)


@extend_schema_view(list=extend_schema(parameters=[BranchFilterSerializer]))
class BranchViewSet(viewsets.ReadOnlyModelViewSet):
    """The association's branches; ?tier=A&status=active&ending_within=90&year=2025."""

    ordering_fields = ["name", "founded_on", "tier"]

    serializer_class = BranchSerializer

    def get_queryset(self):
        today = timezone.localdate()
        branches = selectors.branches_visible_to(self.request.user)
        filters = BranchFilterSerializer(data=self.request.query_params if self.action == "list" else {})
        filters.is_valid(raise_exception=True)
        chosen = filters.validated_data
        branches = selectors.branch_filter(branches, tier=chosen.get("tier", ""), status=chosen.get("status", ""))
        if "ending_within" in chosen:
            branches = selectors.terms_ending(branches, today=today, days=chosen["ending_within"])
        else:
            branches = branches.order_by("name", "pk")
        return selectors.with_listing(branches, year=chosen.get("year", today.year))


def register(router) -> None:
    router.register("branches", BranchViewSet, basename="branch")
