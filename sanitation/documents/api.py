from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from . import selectors
from .models import Circular


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


@extend_schema_view(
    list=extend_schema(
        # Documented as plain values: the filter ignores what it does not understand, as it always has.
        parameters=[
            OpenApiParameter("issuer", OpenApiTypes.INT, description="Issuer id."),
            OpenApiParameter("kind", OpenApiTypes.STR, description="A circular kind, e.g. notice."),
            OpenApiParameter("year", OpenApiTypes.INT, description="Year of the circular."),
            OpenApiParameter("status", OpenApiTypes.STR, description="draft, issued …"),
        ]
    )
)
class CircularViewSet(viewsets.ReadOnlyModelViewSet):
    """Circulars the user may see; filter with ?issuer=ID&kind=notice&year=2022&status=issued."""

    serializer_class = CircularSerializer

    def get_queryset(self):
        params = self.request.query_params
        year = params.get("year")
        return selectors.circular_filter(
            selectors.circulars_visible_to(self.request.user),
            issuer=params.get("issuer") if (params.get("issuer") or "").isdigit() else None,
            kind=params.get("kind"),
            year=int(year) if year and year.isdigit() else None,
            status=params.get("status"),
        )
