from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from . import selectors
from .models import Circular, CircularKind, CircularStatus

MAX_ID = 2**63 - 1  # larger ids would reach the database as an error, not an empty list


class CircularSerializer(serializers.ModelSerializer):
    issuer = serializers.CharField(source="issuer.prefix", read_only=True)
    issuer_unit = serializers.CharField(source="issuer.unit.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Circular
        fields = [
            "id",
            "number",
            "title",
            "kind",
            "kind_display",
            "issuer",
            "issuer_unit",
            "status",
            "recipients",
            "written_on",
            "issued_at",
            "pdf_url",
            "pdf_sha256",
            "supersedes",
        ]

    def get_pdf_url(self, circular) -> str:
        url = reverse("documents:circular-pdf", args=[circular.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class CircularFilterSerializer(serializers.Serializer):
    issuer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Issuer id.")
    kind = serializers.ChoiceField(choices=CircularKind.choices, required=False)
    # A year the date functions take: a larger one made the year lookup fail with a server error.
    year = serializers.IntegerField(required=False, min_value=1, max_value=9999)
    status = serializers.ChoiceField(choices=CircularStatus.choices, required=False)


@extend_schema_view(list=extend_schema(parameters=[CircularFilterSerializer]))
class CircularViewSet(viewsets.ReadOnlyModelViewSet):
    """Circulars the user may see; filter with ?issuer=ID&kind=notice&year=2022&status=issued (a bad
    filter answers 400)."""

    ordering_fields = ["issued_at", "written_on", "title"]

    serializer_class = CircularSerializer

    def get_queryset(self):
        circulars = selectors.circulars_visible_to(self.request.user)
        if self.action != "list":
            return circulars
        filters = CircularFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.circular_filter(circulars, **filters.validated_data)
