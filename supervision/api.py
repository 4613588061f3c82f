"""API of supervision: `register(router)` is called by sanitation/urls.py.

/api/v1/inspections/ (?street=&site=&kind=&date_from=&date_to=; POST records one; POST photos/ stages a
photo), /api/v1/rectifications/ (?state=&unit=|street=&open=true|false&overdue=true|false; POST
{id}/start/, answer/, close/, send_back/), /api/v1/assessment-schemes/ (?year=&status=),
/api/v1/problem-types/ and /api/v1/scores/ (?district=&period=week|month|quarter|year&date= or
?start=&end=). Every queryset comes through supervision.access: another district's record does not
exist (404, empty lists); a record seen but not the user's to change answers 403; a bad filter 400.
"""

from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from sanitation.core.api_schema import error_response
from sanitation.organisations.access import organisations_of, user_has_role
from sanitation.organisations.models import Unit, UnitKind

from . import access, inspections, photos, rectifications, schemes, scores
from .models import (
    OPEN_STATES,
    AssessmentScheme,
    Criterion,
    CriterionScore,
    DeductionRule,
    Inspection,
    InspectionKind,
    Photo,
    Problem,
    ProblemType,
    Rectification,
    RectificationEvent,
    RectificationState,
    SchemeStatus,
    ScoreSource,
    Severity,
)

MAX_ID = 2**63 - 1  # larger ids would reach the database as an error, not an empty list

NO_SUCH_SITE = _("No such site.")
NOT_AN_INSPECTOR = _("Only the sorting office's clerks record inspections.")
NOT_AN_UPLOADER = _("Only clerks and the units answering rectifications upload photos.")
NOT_YOURS_TO_ANSWER = _("This rectification is not yours to answer.")
NOT_YOURS_TO_REVIEW = _("Only the sorting office's clerks re-inspect rectifications.")
DATE_FROM_AFTER_TO = _("“date_from” is after “date_to”.")
START_AFTER_END = _("“start” is after “end”.")
START_AND_END = _("Give both “start” and “end”, or neither.")
PERIOD_OR_DATES = _("Give a period and a date, or a start and an end, not both.")
NO_SUCH_DISTRICT = _("No such district.")
WHICH_DISTRICT = _("You work for several districts: say which with “district”.")
NOT_IN_A_DISTRICT = _("You do not work for a district.")
REPEATED_CRITERION = _("A criterion is scored twice.")
REPEATED_PHOTO = _("A photo is attached twice.")
NO_PHOTO = _("Choose a photo to upload.")

PERIODS = tuple(scores.PERIOD_KINDS)  # week, month, quarter, year
UPLOADING_ROLES = access.INSPECTING_ROLES | access.ANSWERING_ROLES
STALE = error_response("The rectification was changed since the version given: reload it.")


def _id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _validated(serializer_class: type[serializers.Serializer], data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT


def _refused(error: DjangoValidationError) -> APIException:
    """A service's refusal, in its words: per field when it named fields, else as `detail`;
    a change made against an older version of the record is a conflict (409)."""
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    message = " ".join(str(message) for message in error.messages)
    if getattr(error, "code", None) == "stale":
        return Conflict({"detail": message})
    return ValidationError({"detail": message})


def _decimal(value, places: str = "0.01") -> str | None:
    """As DRF's DecimalField renders it: a string, so 66.67 stays 66.67."""
    return None if value is None else str(Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP))


# Output ----------------------------------------------------------------------------------------


class RefSerializer(serializers.Serializer):
    """A unit, a site or a user as {id, name}."""

    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="__str__")


class PhotoSerializer(serializers.ModelSerializer):
    # The photo views check visibility; the media URL would not, so it is never given out.
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["id", "url", "thumbnail_url", "width", "height"]

    def _absolute(self, name: str, photo: Photo) -> str:
        url = reverse(name, kwargs={"pk": photo.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def get_url(self, photo) -> str:
        return self._absolute("supervision:photo", photo)

    def get_thumbnail_url(self, photo) -> str:
        return self._absolute("supervision:photo-thumbnail", photo)


class CriterionScoreSerializer(serializers.ModelSerializer):
    criterion_name = serializers.CharField(source="criterion.name", read_only=True)
    points = serializers.DecimalField(source="criterion.points", max_digits=5, decimal_places=1, read_only=True)

    class Meta:
        model = CriterionScore
        fields = ["criterion", "criterion_name", "points", "score", "entered"]


class ProblemRectificationSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Rectification
        fields = ["id", "state", "state_display", "deadline"]


class ProblemSerializer(serializers.ModelSerializer):
    problem_type_name = serializers.CharField(source="problem_type.name", read_only=True)
    severity_display = serializers.CharField(source="get_severity_display", read_only=True)
    criterion_name = serializers.CharField(source="criterion.name", read_only=True, allow_null=True, default=None)
    photos = PhotoSerializer(many=True, read_only=True)
    rectification = serializers.SerializerMethodField()

    class Meta:
        model = Problem
        fields = [
            "id",
            "problem_type",
            "problem_type_name",
            "severity",
            "severity_display",
            "note",
            "criterion",
            "criterion_name",
            "deduction",
            "photos",
            "rectification",
        ]

    @extend_schema_field(ProblemRectificationSerializer(allow_null=True))
    def get_rectification(self, problem) -> dict | None:
        rectification = getattr(problem, "rectification", None)  # a missing reverse one-to-one raises
        if rectification is None or rectification.is_deleted:  # a reverse one-to-one ignores the live manager
            return None
        return ProblemRectificationSerializer(rectification).data


class InspectionSerializer(serializers.ModelSerializer):
    site = RefSerializer(read_only=True)
    site_kind = serializers.CharField(source="site.kind", read_only=True)
    street = RefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    inspectors = RefSerializer(many=True, read_only=True)
    recorded_by = RefSerializer(read_only=True)
    criterion_scores = CriterionScoreSerializer(many=True, read_only=True)
    problems = ProblemSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "site",
            "site_kind",
            "street",
            "scheme",
            "kind",
            "kind_display",
            "inspected_at",
            "inspectors",
            "recorded_by",
            "latitude",
            "longitude",
            "location_accuracy_m",
            "note",
            "score",
            "max_score",
            "percent",
            "problem_count",
            "criterion_scores",
            "problems",
            "created_at",
        ]


class EventSerializer(serializers.ModelSerializer):
    action_display = serializers.CharField(source="get_action_display", read_only=True)
    actor = RefSerializer(read_only=True, allow_null=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = RectificationEvent
        fields = ["id", "action", "action_display", "from_state", "to_state", "text", "actor", "at", "photos"]


class RectificationProblemSerializer(serializers.ModelSerializer):
    problem_type_name = serializers.CharField(source="problem_type.name", read_only=True)
    severity_display = serializers.CharField(source="get_severity_display", read_only=True)
    inspected_at = serializers.DateTimeField(source="inspection.inspected_at", read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Problem
        fields = [
            "id",
            "inspection",
            "inspected_at",
            "problem_type",
            "problem_type_name",
            "severity",
            "severity_display",
            "note",
            "photos",
        ]


class RectificationSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    unit = RefSerializer(read_only=True)
    site = RefSerializer(read_only=True)
    problem = RectificationProblemSerializer(read_only=True)
    events = EventSerializer(many=True, read_only=True)

    class Meta:
        model = Rectification
        fields = [
            "id",
            "state",
            "state_display",
            "deadline",
            "unit",
            "site",
            "responsible_party",
            "problem",
            "opened_at",
            "closed_at",
            "version",
            "events",
        ]


class SourceSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ScoreSource
        fields = ["id", "kind", "kind_display", "name", "weight"]


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["id", "name", "points", "description", "site_kinds"]


class ProblemTypeSerializer(serializers.ModelSerializer):
    severity_display = serializers.CharField(source="get_severity_display", read_only=True)

    class Meta:
        model = ProblemType
        fields = ["id", "code", "name", "severity", "severity_display"]


class DeductionRuleSerializer(serializers.ModelSerializer):
    problem_type = ProblemTypeSerializer(read_only=True)
    criterion_name = serializers.CharField(source="criterion.name", read_only=True)

    class Meta:
        model = DeductionRule
        fields = ["problem_type", "criterion", "criterion_name", "points"]


class SchemeSerializer(serializers.ModelSerializer):
    district = RefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    sources = SourceSerializer(many=True, read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)
    deduction_rules = DeductionRuleSerializer(many=True, read_only=True)

    class Meta:
        model = AssessmentScheme
        fields = [
            "id",
            "district",
            "year",
            "version",
            "title",
            "status",
            "status_display",
            "in_force_from",
            "note",
            "serious_days",
            "general_days",
            "minor_days",
            "red_top",
            "red_min_score",
            "black_bottom",
            "black_max_score",
            "sources",
            "criteria",
            "deduction_rules",
        ]


# Input -----------------------------------------------------------------------------------------


class InspectionFilterSerializer(serializers.Serializer):
    street = _id_field(required=False)
    site = _id_field(required=False)
    kind = serializers.ChoiceField(choices=InspectionKind.choices, required=False)
    date_from = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])
    date_to = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": [DATE_FROM_AFTER_TO]})
        return attrs


class CoordinateField(serializers.DecimalField):
    """A phone's coordinate, however many decimals it sends, kept to the model's six."""

    def __init__(self, limit: int, **kwargs):
        super().__init__(max_digits=30, decimal_places=20, min_value=-limit, max_value=limit, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


class ScoreInputSerializer(serializers.Serializer):
    criterion = _id_field()
    # The range (0 to the criterion's points) is checked by the service, in its words.
    score = serializers.DecimalField(max_digits=5, decimal_places=1)


class ProblemInputSerializer(serializers.Serializer):
    problem_type = serializers.PrimaryKeyRelatedField(queryset=ProblemType.objects.filter(is_active=True))
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=_id_field(), required=False, default=list, max_length=20)


class InspectionInputSerializer(serializers.Serializer):
    site = _id_field()
    kind = serializers.ChoiceField(choices=InspectionKind.choices, required=False, default=InspectionKind.DAILY)
    inspected_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    latitude = CoordinateField(90, required=False, allow_null=True, default=None)
    longitude = CoordinateField(180, required=False, allow_null=True, default=None)
    accuracy_m = serializers.FloatField(required=False, allow_null=True, default=None, min_value=0, max_value=10**6)
    scores = ScoreInputSerializer(many=True, required=False, default=list)
    problems = ProblemInputSerializer(many=True, required=False, default=list)

    def validate_scores(self, value: list[dict]) -> list[dict]:
        if len({row["criterion"] for row in value}) != len(value):
            raise serializers.ValidationError(REPEATED_CRITERION)
        return value

    def validate_problems(self, value: list[dict]) -> list[dict]:
        ids = [pk for problem in value for pk in problem["photos"]]
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError(REPEATED_PHOTO)
        return value


class PhotoUploadSerializer(serializers.Serializer):
    # A FileField, not an ImageField: the content check is photo_accept's, with its clear messages.
    photo = serializers.FileField(error_messages={"required": NO_PHOTO, "invalid": NO_PHOTO, "empty": NO_PHOTO})


class RectificationFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=RectificationState.choices, required=False)
    unit = _id_field(required=False)
    street = _id_field(required=False)
    open = serializers.BooleanField(required=False, allow_null=True, default=None)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)


class StartInputSerializer(serializers.Serializer):
    # Required text (an answer, a send-back) is checked by the service, in its words.
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    # The version the client saw: a change made since answers 409 instead of being overwritten.
    version = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=2**31)


class TextInputSerializer(StartInputSerializer):
    photos = serializers.ListField(child=_id_field(), required=False, default=list, max_length=20)

    def validate_photos(self, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError(REPEATED_PHOTO)
        return value


class SendBackInputSerializer(TextInputSerializer):
    deadline = serializers.DateField(required=False, allow_null=True, default=None, input_formats=["%Y-%m-%d"])


class SchemeFilterSerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=1, max_value=9999)
    status = serializers.ChoiceField(choices=SchemeStatus.choices, required=False)


class ScoresQuerySerializer(serializers.Serializer):
    district = _id_field(required=False)
    period = serializers.ChoiceField(choices=PERIODS, required=False)
    date = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])
    start = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])
    end = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])

    def validate(self, attrs):
        dates = ("start" in attrs) + ("end" in attrs)
        if dates == 1:
            raise serializers.ValidationError({"end" if "start" in attrs else "start": [START_AND_END]})
        if dates == 2:
            if "period" in attrs or "date" in attrs:
                raise serializers.ValidationError({"period": [PERIOD_OR_DATES]})
            if attrs["start"] > attrs["end"]:
                raise serializers.ValidationError({"end": [START_AFTER_END]})
        return attrs


# Inspections -----------------------------------------------------------------------------------


def _staged_photos(user, ids: list[int]) -> dict[int, Photo]:
    """The user's own staged photos by id; the service refuses any other."""
    if not ids:
        return {}
    try:
        return {photo.pk: photo for photo in photos.photos_staged_by(user=user, ids=ids)}
    except DjangoValidationError as error:
        raise _refused(error) from error


def _photo_upload(request) -> Response:
    if not (request.user.is_superuser or user_has_role(request.user, *UPLOADING_ROLES)):
        raise PermissionDenied(NOT_AN_UPLOADER)
    data = _validated(PhotoUploadSerializer, request.data)
    try:
        photo = photos.photo_accept(upload=data["photo"], by=request.user)
    except DjangoValidationError as error:
        raise _refused(error) from error
    return Response(PhotoSerializer(photo, context={"request": request}).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(parameters=[InspectionFilterSerializer]))
class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Inspections of the sites the user sees, newest first; filter with
    ?street=&site=&kind=&date_from=YYYY-MM-DD&date_to=YYYY-MM-DD. POST records an inspection
    (clerks; photos are staged first with POST photos/ and given by id)."""

    ordering_fields = ["inspected_at", "percent", "score"]

    serializer_class = InspectionSerializer

    def get_queryset(self):
        found = (
            access.inspections_visible_to(self.request.user)
            .select_related("site", "street", "recorded_by")
            .prefetch_related(
                "inspectors",
                Prefetch("criterion_scores", queryset=CriterionScore.objects.select_related("criterion")),
                Prefetch(
                    "problems",
                    queryset=Problem.objects.select_related("problem_type", "criterion", "rectification").order_by(
                        "id"
                    ),
                ),
                Prefetch("problems__photos", queryset=Photo.objects.order_by("uploaded_at", "id")),
            )
            .order_by("-inspected_at", "-id")
        )
        if self.action != "list":
            return found
        filters = _validated(InspectionFilterSerializer, self.request.query_params)
        if "street" in filters:
            found = found.filter(street_id=filters["street"])
        if "site" in filters:
            found = found.filter(site_id=filters["site"])
        if "kind" in filters:
            found = found.filter(kind=filters["kind"])
        # __date compares in the current time zone: a day is the clerk's day, not UTC's.
        if "date_from" in filters:
            found = found.filter(inspected_at__date__gte=filters["date_from"])
        if "date_to" in filters:
            found = found.filter(inspected_at__date__lte=filters["date_to"])
        return found

    @extend_schema(request=InspectionInputSerializer, responses={201: InspectionSerializer})
    def create(self, request, *args, **kwargs):
        user = request.user
        if not (user.is_superuser or user_has_role(user, *access.INSPECTING_ROLES)):
            raise PermissionDenied(NOT_AN_INSPECTOR)
        data = _validated(InspectionInputSerializer, request.data)
        # A site outside the clerk's district is reported like one that does not exist.
        site = access.sites_inspectable_by(user).select_related("street").filter(pk=data["site"]).first()
        if site is None:
            raise ValidationError({"site": [NO_SUCH_SITE]})
        staged = _staged_photos(user, [pk for problem in data["problems"] for pk in problem["photos"]])
        problems = [
            inspections.ProblemInput(
                problem_type=problem["problem_type"],
                note=problem["note"],
                severity=problem["severity"],
                photos=tuple(staged[pk] for pk in problem["photos"]),
            )
            for problem in data["problems"]
        ]
        try:
            inspection = inspections.inspection_record(
                site=site,
                recorded_by=user,
                inspected_at=data["inspected_at"],
                kind=data["kind"],
                inspectors=(user,),
                scores={row["criterion"]: row["score"] for row in data["scores"]},
                problems=problems,
                latitude=data["latitude"],
                longitude=data["longitude"],
                accuracy_m=data["accuracy_m"],  # metres, rounded by the service
                note=data["note"],
            )
        except DjangoValidationError as error:
            raise _refused(error) from error
        inspection = self.get_queryset().get(pk=inspection.pk)
        return Response(self.get_serializer(inspection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PhotoUploadSerializer, responses={201: PhotoSerializer})
    @action(detail=False, methods=["post"], url_path="photos", parser_classes=[MultiPartParser, FormParser])
    def photos(self, request):
        """Stage a photo (multipart `photo`): checked, re-encoded, to be attached by id."""
        return _photo_upload(request)


# Rectifications --------------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(parameters=[RectificationFilterSerializer]))
class RectificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rectifications addressed to the user's units (a clerk: the district's), due dates first, with
    their history; filter with ?state=&unit=&open=true|false&overdue=true|false. The unit starts
    and answers; a clerk closes or sends back: POST {id}/start|answer|close|send_back/."""

    ordering_fields = ["deadline", "opened_at", "state"]

    serializer_class = RectificationSerializer

    def get_queryset(self):
        found = (
            access.rectifications_visible_to(self.request.user)
            .select_related("unit", "site", "problem__problem_type", "problem__inspection")
            .prefetch_related(
                Prefetch("problem__photos", queryset=Photo.objects.order_by("uploaded_at", "id")),
                Prefetch(
                    "events",
                    queryset=RectificationEvent.objects.select_related("actor").order_by("at", "id"),
                ),
                Prefetch("events__photos", queryset=Photo.objects.order_by("uploaded_at", "id")),
            )
            .order_by("deadline", "id")
        )
        if self.action != "list":
            return found
        filters = _validated(RectificationFilterSerializer, self.request.query_params)
        if "state" in filters:
            found = found.filter(state=filters["state"])
        for name in ("unit", "street"):
            if name in filters:
                found = found.filter(unit_id=filters[name])
        if filters["open"] is not None:
            found = found.filter(state__in=OPEN_STATES) if filters["open"] else found.exclude(state__in=OPEN_STATES)
        if filters["overdue"] is not None:
            # Late already, even before the nightly run marks it 逾期.
            late = Q(state=RectificationState.OVERDUE) | Q(
                state__in=[RectificationState.PENDING, RectificationState.IN_PROGRESS],
                deadline__lt=timezone.localdate(),
            )
            found = found.filter(late) if filters["overdue"] else found.exclude(late)
        return found

    def _act(self, request, *, allowed, refusal, serializer_class, service) -> Response:
        rectification = self.get_object()  # 404 outside what the user sees
        if not allowed(request.user).filter(pk=rectification.pk).exists():
            raise PermissionDenied(refusal)
        data = dict(_validated(serializer_class, request.data))
        data["expected_version"] = data.pop("version")
        if "photos" in data:
            staged = _staged_photos(request.user, data["photos"])
            data["photos"] = [staged[pk] for pk in data["photos"]]
        try:
            service(rectification=rectification, by=request.user, **data)
        except DjangoValidationError as error:
            raise _refused(error) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=rectification.pk)).data)

    @extend_schema(request=StartInputSerializer, responses={200: RectificationSerializer, 409: STALE})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """The unit is working on it: 待整改/逾期 → 整改中 (optional text)."""
        return self._act(
            request,
            allowed=access.rectifications_answerable_by,
            refusal=NOT_YOURS_TO_ANSWER,
            serializer_class=StartInputSerializer,
            service=rectifications.rectification_start,
        )

    @extend_schema(request=TextInputSerializer, responses={200: RectificationSerializer, 409: STALE})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """The unit reports it put right, with text and photo ids: → 待复查."""
        return self._act(
            request,
            allowed=access.rectifications_answerable_by,
            refusal=NOT_YOURS_TO_ANSWER,
            serializer_class=TextInputSerializer,
            service=rectifications.rectification_answer,
        )

    @extend_schema(request=TextInputSerializer, responses={200: RectificationSerializer, 409: STALE})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """A clerk re-inspected and accepts it: 待复查 → 已销号."""
        return self._act(
            request,
            allowed=access.rectifications_reviewable_by,
            refusal=NOT_YOURS_TO_REVIEW,
            serializer_class=TextInputSerializer,
            service=rectifications.rectification_close,
        )

    @extend_schema(request=SendBackInputSerializer, responses={200: RectificationSerializer, 409: STALE})
    @action(detail=True, methods=["post"], url_path="send_back")
    def send_back(self, request, pk=None):
        """A clerk re-inspected and refuses it, with text and maybe a new deadline: → 整改中 (or 逾期)."""
        return self._act(
            request,
            allowed=access.rectifications_reviewable_by,
            refusal=NOT_YOURS_TO_REVIEW,
            serializer_class=SendBackInputSerializer,
            service=rectifications.rectification_send_back,
        )

    @extend_schema(request=PhotoUploadSerializer, responses={201: PhotoSerializer})
    @action(detail=False, methods=["post"], url_path="photos", parser_classes=[MultiPartParser, FormParser])
    def photos(self, request):
        """Stage a photo for an answer (multipart `photo`), as inspections/photos/ does."""
        return _photo_upload(request)


# Schemes and problem types ---------------------------------------------------------------------


@extend_schema_view(list=extend_schema(parameters=[SchemeFilterSerializer]))
class SchemeViewSet(viewsets.ReadOnlyModelViewSet):
    """Assessment schemes of the user's district, every version, with sources, criteria and
    deduction rules; filter with ?year=&status=draft|in_force|superseded."""

    ordering_fields = ["year", "version"]

    serializer_class = SchemeSerializer

    def get_queryset(self):
        found = (
            access.schemes_visible_to(self.request.user)
            .select_related("district")
            .prefetch_related(
                Prefetch("sources", queryset=ScoreSource.objects.order_by("order", "id")),
                Prefetch("criteria", queryset=Criterion.objects.order_by("order", "id")),
                Prefetch(
                    "deduction_rules",
                    queryset=DeductionRule.objects.select_related("problem_type", "criterion").order_by(
                        "criterion__order", "problem_type__order", "id"
                    ),
                ),
            )
            .order_by("district__path", "-year", "-version")
        )
        if self.action != "list":
            return found
        filters = _validated(SchemeFilterSerializer, self.request.query_params)
        if "year" in filters:
            found = found.filter(year=filters["year"])
        if "status" in filters:
            found = found.filter(status=filters["status"])
        return found


class ProblemTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """The problem types in use, for the ids an inspection's problems give."""

    ordering_fields = ["order", "name"]

    serializer_class = ProblemTypeSerializer
    pagination_class = None
    queryset = ProblemType.objects.filter(is_active=True).order_by("order", "id")


# Scores ----------------------------------------------------------------------------------------


def _districts_visible_to(user):
    """Districts of the organisations the user works for: a street sees its district's ranking."""
    districts = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("path")
    if user.is_superuser:
        return districts
    roots = [root.path for root in organisations_of(user)]
    if not roots:
        return districts.none()
    return districts.filter(reduce(or_, (Q(path__startswith=path) for path in roots)))


def _street_row(row: scores.StreetScore) -> dict:
    ordered = sorted(row.source_scores.items(), key=lambda item: (item[0].order, item[0].pk))
    return {
        "street": row.street.pk,
        "street_name": row.street.name,
        "inspections": row.inspections,
        "sites_inspected": row.sites_inspected,
        "inspection_score": _decimal(row.inspection_score),
        "sources": [
            {
                "source": source.pk,
                "kind": source.kind,
                "name": source.name,
                "weight": _decimal(source.weight),
                "score": _decimal(score),
            }
            for source, score in ordered
        ],
        "total": _decimal(row.total),
        "rank": row.rank,
        "listing": row.listing,
    }


class ScoreSourceRowSerializer(serializers.Serializer):
    """For the schema only: one score source of a street's row, as _street_row writes it."""

    source = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    weight = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    score = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class StreetScoreSerializer(serializers.Serializer):
    """For the schema only: a street's row of the ranking, as _street_row writes it."""

    street = serializers.IntegerField()
    street_name = serializers.CharField()
    inspections = serializers.IntegerField()
    sites_inspected = serializers.IntegerField()
    inspection_score = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    sources = ScoreSourceRowSerializer(many=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    listing = serializers.CharField(allow_blank=True)  # "red", "black" or ""


class ScoreSchemeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ScoreDistrictRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_serializer(many=False)  # one ranking, though the action is a viewset's list
class ScoresSerializer(serializers.Serializer):
    """For the schema only: what GET scores/ answers."""

    district = ScoreDistrictRefSerializer()
    period = serializers.ChoiceField(choices=PERIODS, allow_null=True)
    start = serializers.DateField()
    end = serializers.DateField()
    scheme = ScoreSchemeRefSerializer(allow_null=True)
    results = StreetScoreSerializer(many=True)


class ScoreViewSet(viewsets.ViewSet):
    """The ranking of a district's streets for a period: ?district= (default: the user's),
    ?period=week|month|quarter|year (week) and ?date= (today), or ?start=&end=."""

    @extend_schema(
        parameters=[ScoresQuerySerializer],
        responses={200: ScoresSerializer, 404: error_response("No such district among those the user may see.")},
    )
    def list(self, request):
        query = _validated(ScoresQuerySerializer, request.query_params)
        districts = _districts_visible_to(request.user)
        if "district" in query:
            district = districts.filter(pk=query["district"]).first()
            if district is None:
                raise NotFound(NO_SUCH_DISTRICT)
        else:
            found = list(districts[:2])
            if len(found) != 1:
                raise ValidationError({"district": [WHICH_DISTRICT if found else NOT_IN_A_DISTRICT]})
            district = found[0]
        if "start" in query:
            period, start, end = None, query["start"], query["end"]
        else:
            period = query.get("period", "week")
            start, end = scores.period_bounds(period, query.get("date") or timezone.localdate())
        try:
            ranking = scores.street_scores(district=district, start=start, end=end)
        except DjangoValidationError as error:
            raise _refused(error) from error
        scheme = schemes.scheme_in_force(district=district, on=end)
        return Response(
            {
                "district": {"id": district.pk, "name": district.name},
                "period": period,
                "start": start,
                "end": end,
                "scheme": None if scheme is None else {"id": scheme.pk, "title": str(scheme.title)},
                "results": [_street_row(row) for row in ranking],
            }
        )


def register(router) -> None:
    router.register("inspections", InspectionViewSet, basename="inspection")
    router.register("rectifications", RectificationViewSet, basename="rectification")
    router.register("assessment-schemes", SchemeViewSet, basename="assessment-scheme")
    router.register("problem-types", ProblemTypeViewSet, basename="problem-type")
    router.register("scores", ScoreViewSet, basename="score")
