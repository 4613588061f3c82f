"""API of the member registry, read-only: `register(router)` is called by sanitation/urls.py.

/api/v1/members/ (?kind=&status=&q=&unpaid_year=) and /api/v1/member-dues/ (?year=&member=&paid=).
Every queryset goes through the registry's access rules: users who may not read registries
get empty lists. A bad filter answers 400 with the field's message.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from . import selectors
from .models import Member, MemberDues, MemberKind, MemberStatus

MAX_ID = 2**63 - 1


def _validated(serializer_class: type[serializers.Serializer], data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class DuesSerializer(serializers.ModelSerializer):
    class Meta:
        model = MemberDues
        fields = ["year", "amount_due", "paid", "amount_paid", "paid_on"]


class MemberDuesSerializer(DuesSerializer):
    class Meta(DuesSerializer.Meta):
        fields = ["id", "member", *DuesSerializer.Meta.fields]


class MemberSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    council_position_display = serializers.CharField(source="get_council_position_display", read_only=True)
    dues = DuesSerializer(many=True, read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "organisation",
            "kind",
            "kind_display",
            "name",
            "credit_code",
            "organisation_type",
            "region",
            "contact_person",
            "phone",
            "email",
            "council_position",
            "council_position_display",
            "category",
            "title",
            "speciality",
            "employer",
            "joined_on",
            "status",
            "status_display",
            "status_since",
            "dues",
        ]


class MemberFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MemberKind.choices, required=False)
    status = serializers.ChoiceField(choices=MemberStatus.choices, required=False)
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    unpaid_year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


class DuesFilterSerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    member = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    paid = serializers.BooleanField(required=False, allow_null=True, default=None)


@extend_schema_view(list=extend_schema(parameters=[MemberFilterSerializer]))
class MemberViewSet(viewsets.ReadOnlyModelViewSet):
    """Members the user may see, with their dues by year."""

    ordering_fields = ["name", "joined_on", "kind"]

    serializer_class = MemberSerializer

    def get_queryset(self):
        members = selectors.members_visible_to(self.request.user).prefetch_related(
            Prefetch("dues", queryset=MemberDues.objects.order_by("-year"))
        )
        if self.action != "list":
            return members
        return selectors.member_ordered(
            selectors.member_filter(members, **_validated(MemberFilterSerializer, self.request.query_params))
        )


@extend_schema_view(list=extend_schema(parameters=[DuesFilterSerializer]))
class MemberDuesViewSet(viewsets.ReadOnlyModelViewSet):
    """Dues of the members the user may see."""

    ordering_fields = ["year", "paid_on", "amount_due"]

    serializer_class = MemberDuesSerializer

    def get_queryset(self):
        dues = MemberDues.objects.filter(
            member__in=selectors.members_visible_to(self.request.user).values("pk")
        ).order_by("-year", "member_id")
        if self.action != "list":
            return dues
        filters = _validated(DuesFilterSerializer, self.request.query_params)
        if filters.get("year"):
            dues = dues.filter(year=filters["year"])
        if filters.get("member"):
            dues = dues.filter(member_id=filters["member"])
        if filters.get("paid") is not None:
            dues = dues.filter(paid=filters["paid"])
        return dues


def register(router) -> None:
    router.register("members", MemberViewSet, basename="member")
    router.register("member-dues", MemberDuesViewSet, basename="member-dues")
