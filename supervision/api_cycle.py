"""API of the cycle's reports (日督查、周报告、月调度、季讲评、年度考核) and of the user's
notifications, read-only but for marking a notification read: the same things the 督查通报 page
and the home page's inbox show. `register(router)` is called by sanitation/urls.py."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from sanitation.core.models import Notification
from sanitation.core.notifications import notifications_of

from .cycle.delivery import period_text, report_title
from .cycle_views import cycle_reports_visible_to, has_pdf
from .models import Cycle, CycleReport, ReportState

MAX_ID = 2**63 - 1
YEAR_RANGE = _("Give a year between 2000 and 2100.")


class CycleReportSerializer(serializers.ModelSerializer):
    issuer = serializers.CharField(source="issuer.prefix", read_only=True)
    district = serializers.CharField(source="district.name", read_only=True)
    title = serializers.SerializerMethodField()
    period = serializers.SerializerMethodField()
    circular_number = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = CycleReport
        fields = [
            "id",
            "cycle",
            "issuer",
            "district",
            "title",
            "period",
            "period_start",
            "period_end",
            "state",
            "circular_number",
            "generated_at",
            "generations",
            "pdf_url",
        ]

    def get_title(self, report) -> str:
        return report_title(report)

    def get_period(self, report) -> str:
        return period_text(report.period_start, report.period_end)

    def get_circular_number(self, report) -> str | None:
        return report.circular.number if report.circular_id else None

    def get_pdf_url(self, report) -> str | None:
        if not has_pdf(report):
            return None
        url = reverse("supervision:cycle-report-pdf", args=[report.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class CycleReportDetailSerializer(CycleReportSerializer):
    """One report with the numbers it was drawn from (the same JSON the page and the PDF use)."""

    class Meta(CycleReportSerializer.Meta):
        fields = [*CycleReportSerializer.Meta.fields, "data"]


class CycleReportFilterSerializer(serializers.Serializer):
    cycle = serializers.ChoiceField(choices=Cycle.choices, required=False)
    state = serializers.ChoiceField(choices=ReportState.choices, required=False)
    issuer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    district = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        error_messages={"min_value": YEAR_RANGE, "max_value": YEAR_RANGE},
    )


@extend_schema_view(list=extend_schema(parameters=[CycleReportFilterSerializer]))
class CycleReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Reports of the districts the user sees, newest period first; filter with
    ?cycle=weekly&state=done&issuer=ID&district=ID&year=2026, order with ?ordering=period_start."""

    ordering_fields = ["period_start", "generated_at", "cycle"]

    def get_serializer_class(self):
        return CycleReportDetailSerializer if self.action == "retrieve" else CycleReportSerializer

    def get_queryset(self):
        reports = (
            cycle_reports_visible_to(self.request.user)
            .select_related("issuer", "district", "circular")
            .order_by("-period_start", "cycle", "pk")
        )
        if self.action != "list":
            return reports
        query = CycleReportFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        wanted = dict(query.validated_data)
        if "year" in wanted:
            wanted["period_start__year"] = wanted.pop("year")
        for name in ("issuer", "district"):
            if name in wanted:
                wanted[f"{name}_id"] = wanted.pop(name)
        return reports.filter(**wanted)


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at"]


class NotificationFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


@extend_schema_view(list=extend_schema(parameters=[NotificationFilterSerializer]))
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The user's own notifications, newest first; ?unread=true for the unread ones only.
    POST {id}/read/ marks one read."""

    serializer_class = NotificationSerializer
    ordering_fields = ["created_at"]

    def get_queryset(self):
        notifications = notifications_of(self.request.user)
        if self.action != "list":
            return notifications
        query = NotificationFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        unread = query.validated_data["unread"]
        return notifications if unread is None else notifications.filter(read_at__isnull=unread)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(self.get_serializer(notification).data)


def register(router) -> None:
    router.register("cycle-reports", CycleReportViewSet, basename="cycle-report")
    router.register("notifications", NotificationViewSet, basename="notification")
