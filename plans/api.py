"""The plans API: plans, their items with status, and the progress units report on them.

Every queryset comes from plans.selectors (what the user may see); a report is written by
plans.progress.progress_report. Query parameters are validated by input serializers, so a
bad filter answers 400 with the field's message.
"""

from django.db.models import F, Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from sanitation.organisations.models import Unit

from . import selectors
from .models import Chapter, Indicator, Item, Plan, ProgressReport
from .progress import ProgressError, month_of, progress_report

NO_SUCH_ITEM = _("No such item.")
NOT_YOUR_UNIT = _("You may not report on this item for that unit.")
UNKNOWN_STATUS = _("Unknown status “%(status)s”: use one of %(choices)s.")
UNKNOWN_ORDERING = _("Unknown ordering “%(ordering)s”: use one of %(choices)s.")

MAX_ID = 2**63 - 1  # larger ids would reach the database as an error, not an empty list
MONTH_FORMATS = ["%Y-%m", "iso-8601"]

ITEM_ORDERINGS = {
    "position": ("plan_id", "position"),
    "deadline": (F("deadline").asc(nulls_last=True), "plan_id", "position"),
    "-deadline": (F("deadline").desc(nulls_last=True), "plan_id", "position"),
}


def _id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _validated(serializer_class: type[serializers.Serializer], data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ItemPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


# Output --------------------------------------------------------------------------------


class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name"]


class ChapterSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name", read_only=True, allow_null=True)

    class Meta:
        model = Chapter
        fields = ["number", "title", "category"]


class PlanSerializer(serializers.ModelSerializer):
    issuer = UnitRefSerializer(read_only=True)
    circular_number = serializers.SerializerMethodField()
    item_count = serializers.IntegerField(read_only=True)
    done_count = serializers.IntegerField(read_only=True)
    overdue_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Plan
        fields = ["id", "title", "year", "issuer", "circular_number", "item_count", "done_count", "overdue_count"]

    def get_circular_number(self, plan) -> str | None:
        return plan.circular_number or None  # no circular, or a draft one without its number yet


class PlanDetailSerializer(PlanSerializer):
    chapters = ChapterSerializer(many=True, read_only=True)

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "chapters"]


class ItemChapterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Chapter
        fields = ["number", "title"]


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["name", "target_value", "unit", "due_on", "actual_value"]


class ItemSerializer(serializers.ModelSerializer):
    chapter = ItemChapterSerializer(read_only=True)
    label = serializers.CharField(read_only=True)
    category = CategoryRefSerializer(read_only=True, allow_null=True)
    lead_units = UnitRefSerializer(many=True, read_only=True)
    assisting_units = UnitRefSerializer(many=True, read_only=True)
    status = serializers.CharField(read_only=True)
    status_display = serializers.SerializerMethodField()
    light = serializers.CharField(read_only=True)
    sub_points = serializers.SlugRelatedField(many=True, read_only=True, slug_field="text")
    indicators = IndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = Item
        fields = [
            "id",
            "plan",
            "chapter",
            "label",
            "number",
            "title",
            "text",
            "category",
            "lead_units",
            "assisting_units",
            "lead_names",
            "assisting_names",
            "deadline",
            "percent",
            "status",
            "status_display",
            "light",
            "sub_points",
            "indicators",
        ]

    def get_status_display(self, item) -> str:
        return str(selectors.ItemStatus.LABELS[item.status])


class ProgressReportSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    attachment_url = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "item",
            "unit",
            "month",
            "text",
            "percent",
            "is_lead",
            "attachment_name",
            "attachment_url",
            "created_by",
            "created_at",
        ]

    def get_attachment_url(self, report) -> str | None:
        # The download view checks visibility; the file's media URL would not.
        if not report.attachment:
            return None
        url = reverse("plans:report-attachment", args=[report.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def get_created_by(self, report) -> str | None:
        return str(report.created_by) if report.created_by_id else None


# Input ---------------------------------------------------------------------------------


class PlanFilterSerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=1, max_value=9999)
    issuer = _id_field(required=False)


class ItemFilterSerializer(serializers.Serializer):
    plan = _id_field(required=False)
    unit = _id_field(required=False)
    category = _id_field(required=False)
    status = serializers.CharField(required=False)
    ordering = serializers.CharField(required=False)

    def validate_status(self, value: str) -> str:
        if value not in selectors.ItemStatus.LABELS:
            choices = ", ".join(selectors.ItemStatus.LABELS)
            raise serializers.ValidationError(UNKNOWN_STATUS % {"status": value, "choices": choices})
        return value

    def validate_ordering(self, value: str) -> str:
        if value not in ITEM_ORDERINGS:
            choices = ", ".join(ITEM_ORDERINGS)
            raise serializers.ValidationError(UNKNOWN_ORDERING % {"ordering": value, "choices": choices})
        return value


class ProgressReportFilterSerializer(serializers.Serializer):
    item = _id_field(required=False)
    unit = _id_field(required=False)
    month = serializers.DateField(required=False, input_formats=MONTH_FORMATS)


class ProgressReportInputSerializer(serializers.Serializer):
    item = _id_field()
    unit = _id_field()
    # Blank text and a percent outside 0–100 are refused by progress_report, in its words; the
    # length is the form's.
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=5000)
    percent = serializers.IntegerField()
    month = serializers.DateField(required=False, input_formats=MONTH_FORMATS)
    attachment = serializers.FileField(required=False)


# Views ---------------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(parameters=[PlanFilterSerializer]))
class PlanViewSet(viewsets.ReadOnlyModelViewSet):
    """Plans the user may see, with counts of their items; filter with ?year=2025&issuer=ID."""

    ordering_fields = ["year", "title"]

    def get_serializer_class(self):
        return PlanDetailSerializer if self.action == "retrieve" else PlanSerializer

    def get_queryset(self):
        plans = (
            selectors.with_item_counts(selectors.plans_visible_to(self.request.user))
            .select_related("issuer")
            .defer("source_text")
            .annotate(circular_number=F("circular__number"))
            .order_by("-year", "issuer__path", "pk")
        )
        if self.action == "retrieve":
            return plans.prefetch_related(
                Prefetch("chapters", queryset=Chapter.objects.select_related("category").order_by("number"))
            )
        filters = _validated(PlanFilterSerializer, self.request.query_params)
        if "year" in filters:
            plans = plans.filter(year=filters["year"])
        if "issuer" in filters:
            plans = plans.filter(issuer_id=filters["issuer"])
        return plans


@extend_schema_view(list=extend_schema(parameters=[ItemFilterSerializer]))
class ItemViewSet(viewsets.ReadOnlyModelViewSet):
    """Items the user may see, with status and light; filter with ?plan=&unit=&category=&status=
    and order with ?ordering=deadline|-deadline|position; ?page_size= up to 200."""

    serializer_class = ItemSerializer
    pagination_class = ItemPagination

    def get_queryset(self):
        items = selectors.items_visible_to(self.request.user).prefetch_related(
            Prefetch("lead_units", queryset=Unit.objects.order_by("path")),
            Prefetch("assisting_units", queryset=Unit.objects.order_by("path")),
            "sub_points",
            "indicators",
        )
        if self.action != "list":
            return items
        filters = _validated(ItemFilterSerializer, self.request.query_params)
        ordering = ITEM_ORDERINGS[filters.pop("ordering", "position")]
        return selectors.item_filter(items, **filters).order_by(*ordering)


@extend_schema_view(list=extend_schema(parameters=[ProgressReportFilterSerializer]))
class ProgressReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reports on the items the user may see (?item=&unit=&month=YYYY-MM); POST reports
    progress for one of the user's units that leads or assists the item. Reports are not
    changed or deleted here: reporting again for the same month replaces the report."""

    ordering_fields = ["month", "created_at"]

    serializer_class = ProgressReportSerializer

    def get_queryset(self):
        items = selectors.items_visible_to(self.request.user)
        reports = (
            ProgressReport.objects.filter(item__in=items.values("pk"))
            .select_related("unit", "created_by")
            .order_by("-month", "-created_at", "-pk")
        )
        if self.action != "list":
            return reports
        filters = _validated(ProgressReportFilterSerializer, self.request.query_params)
        if "item" in filters:
            reports = reports.filter(item_id=filters["item"])
        if "unit" in filters:
            reports = reports.filter(unit_id=filters["unit"])
        if "month" in filters:
            reports = reports.filter(month=month_of(filters["month"]))
        return reports

    @extend_schema(request=ProgressReportInputSerializer, responses={201: ProgressReportSerializer})
    def create(self, request, *args, **kwargs):
        data = _validated(ProgressReportInputSerializer, request.data)
        # An item the user cannot see is reported like one that does not exist.
        item = selectors.items_visible_to(request.user).filter(pk=data["item"]).first()
        if item is None:
            raise ValidationError({"item": [NO_SUCH_ITEM]})
        units = {unit.pk: unit for unit in selectors.units_reporting_for(request.user, item)}
        if data["unit"] not in units:
            raise PermissionDenied(NOT_YOUR_UNIT)
        try:
            report = progress_report(
                item,
                units[data["unit"]],
                text=data["text"],
                percent=data["percent"],
                user=request.user,
                month=data.get("month"),
                attachment=data.get("attachment"),
            )
        except ProgressError as error:
            raise ValidationError({"detail": str(error)}) from error
        report = self.get_queryset().get(pk=report.pk)
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)
