"""The admin: schemes and their parts, the lists the office keeps, and read-mostly views of the
records the services write (inspections and rectifications change only through their workflow).
What the admin changes goes into the records' history; deleting an inspection or a rectification
here is soft (the inspection takes its rectifications with it) and can be undone."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sanitation.core.admin_history import HistoryAdminMixin, SoftDeleteAdminMixin

from . import inspections, rectifications, schemes
from .access import inspections_deletable_by, inspections_visible_to, rectifications_visible_to
from .models import (
    AssessmentScheme,
    Assignment,
    Criterion,
    CriterionScore,
    CycleReport,
    CycleRun,
    DeductionRule,
    Inspection,
    InspectionInterval,
    Photo,
    Problem,
    ProblemType,
    RankAward,
    Rectification,
    RectificationEvent,
    SchemeStatus,
    ScoreSource,
    StreetSourceScore,
    SubsidyRule,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Schemes ----------------------------------------------------------------------------------------


class DraftOnlyInline(admin.TabularInline):
    """A part of a scheme: editable while the scheme is a draft, frozen once it is in force."""

    extra = 0

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == SchemeStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class ScoreSourceInline(DraftOnlyInline):
    model = ScoreSource
    fields = ["order", "kind", "name", "weight"]


class CriterionInline(DraftOnlyInline):
    model = Criterion
    fields = ["order", "name", "points", "site_kinds", "description"]


class DeductionRuleInline(DraftOnlyInline):
    model = DeductionRule
    fields = ["problem_type", "criterion", "points"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A rule may only take points off a criterion of its own scheme.
        if db_field.name == "criterion":
            scheme_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = Criterion.objects.filter(scheme_id=scheme_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["title", "district", "year", "version", "status", "in_force_from"]
    list_filter = ["status", "year"]
    search_fields = ["title", "district__name"]
    list_select_related = ["district"]
    raw_id_fields = ["district"]
    inlines = [ScoreSourceInline, CriterionInline, DeductionRuleInline]
    actions = ["make_new_version"]
    # Versions and their coming into force are the workflow's (scheme_new_version, scheme_put_in_force).
    workflow_fields = ["version", "status", "in_force_from", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != SchemeStatus.DRAFT:
            return [f.name for f in AssessmentScheme._meta.fields if f.name != "id"]
        return self.workflow_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Make a new draft version"))
    def make_new_version(self, request, queryset):
        for scheme in queryset:
            try:
                copy = schemes.scheme_new_version(scheme=scheme, by=request.user)
            except ValidationError as error:
                self.message_user(request, f"{scheme}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("Made %(scheme)s.") % {"scheme": copy}, messages.SUCCESS)


@admin.register(ProblemType)
class ProblemTypeAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "severity", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["severity", "is_active"]
    search_fields = ["name", "code"]


@admin.register(InspectionInterval)
class InspectionIntervalAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["district", "site_kind", "days"]
    list_filter = ["site_kind"]
    list_select_related = ["district"]
    raw_id_fields = ["district"]


@admin.register(StreetSourceScore)
class StreetSourceScoreAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["street", "source", "period_start", "period_end", "score"]
    list_filter = ["source__kind", "period_end"]
    list_select_related = ["street", "source"]
    raw_id_fields = ["street", "source"]


class RankAwardInline(admin.TabularInline):
    model = RankAward
    extra = 0
    fields = ["rank", "from_bottom", "amount"]


@admin.register(SubsidyRule)
class SubsidyRuleAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["title", "district", "year", "pool", "pool_min_score", "black_list_deduction"]
    list_filter = ["year"]
    list_select_related = ["district"]
    raw_id_fields = ["district"]
    inlines = [RankAwardInline]


# Records the services write ----------------------------------------------------------------------


class CriterionScoreInline(ReadOnlyInline):
    model = CriterionScore
    fields = ["criterion", "score", "entered"]
    readonly_fields = fields


def _restore_each(modeladmin, request, queryset, restore_one) -> None:
    """Restore the deleted records among those selected, saying which could not be and why."""
    restored = 0
    for obj in queryset.filter(deleted_at__isnull=False):
        try:
            restore_one(obj)
        except ValidationError as error:
            modeladmin.message_user(request, f"{obj}: {' '.join(error.messages)}", messages.ERROR)
        else:
            restored += 1
    modeladmin.message_user(
        request,
        ngettext("%(count)d record restored.", "%(count)d records restored.", restored) % {"count": restored},
        messages.SUCCESS,
    )


class ProblemInline(ReadOnlyInline):
    model = Problem
    fields = ["problem_type", "severity", "note", "criterion", "deduction"]
    readonly_fields = fields


@admin.register(Inspection)
class InspectionAdmin(SoftDeleteAdminMixin, admin.ModelAdmin):
    list_display = ["site", "street", "kind", "inspected_at", "recorded_by", "score", "percent", "problem_count"]
    list_filter = ["kind", "street"]
    search_fields = ["site__name", "note"]
    date_hierarchy = "inspected_at"
    list_select_related = ["site", "street", "recorded_by"]
    raw_id_fields = ["site"]
    inlines = [CriterionScoreInline, ProblemInline]
    # Scores, problems and rectifications are made together by inspection_record; only the note is free.
    readonly_fields = [
        "site",
        "street",
        "scheme",
        "kind",
        "inspected_at",
        "inspectors",
        "recorded_by",
        "latitude",
        "longitude",
        "location_accuracy_m",
        "score",
        "max_score",
        "percent",
        "problem_count",
        "created_at",
    ]

    actions = ["restore_inspections"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or inspections_deletable_by(request.user).filter(pk=obj.pk).exists()

    def get_queryset(self, request):
        return inspections_visible_to(request.user, deleted=True)

    def delete_model(self, request, obj):
        inspections.inspection_delete(inspection=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for inspection in queryset:
            inspections.inspection_delete(inspection=inspection, by=request.user)

    def get_deleted_objects(self, objs, request):
        # The rectifications go with their inspection: the confirmation page lists them too.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        going = [str(r) for r in Rectification.objects.filter(problem__inspection__in=[o.pk for o in objs])]
        if going:
            deleted = [*deleted, *going]
            counts = {**counts, Rectification._meta.verbose_name_plural: len(going)}
        return deleted, counts, perms_needed, protected

    @admin.action(description=_("Restore the selected deleted records"), permissions=["delete"])
    def restore_inspections(self, request, queryset):
        _restore_each(
            self, request, queryset, lambda obj: inspections.inspection_restore(inspection=obj, by=request.user)
        )


class RectificationEventInline(ReadOnlyInline):
    model = RectificationEvent
    fields = ["at", "action", "from_state", "to_state", "actor", "text"]
    readonly_fields = fields
    ordering = ["at", "id"]


@admin.register(Rectification)
class RectificationAdmin(SoftDeleteAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "unit", "state", "deadline", "opened_at", "closed_at"]
    list_filter = ["state", "unit"]
    search_fields = ["site__name", "responsible_party"]
    date_hierarchy = "deadline"
    list_select_related = ["site", "unit", "problem__problem_type"]
    inlines = [RectificationEventInline]
    # States move only through the workflow, which writes an event for every change.
    readonly_fields = [
        "problem",
        "unit",
        "site",
        "responsible_party",
        "state",
        "deadline",
        "opened_at",
        "closed_at",
        "version",
    ]

    actions = ["restore_rectifications"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return rectifications_visible_to(request.user, deleted=True)

    def delete_model(self, request, obj):
        rectifications.rectification_delete(rectification=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for rectification in queryset:
            rectifications.rectification_delete(rectification=rectification, by=request.user)

    @admin.action(description=_("Restore the selected deleted records"), permissions=["delete"])
    def restore_rectifications(self, request, queryset):
        _restore_each(
            self,
            request,
            queryset,
            lambda obj: rectifications.rectification_restore(rectification=obj, by=request.user),
        )


@admin.register(Photo)
class PhotoAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "original_name", "width", "height", "uploaded_by", "uploaded_at", "problem", "event"]
    list_select_related = ["uploaded_by", "problem__problem_type", "event"]
    readonly_fields = ["image", "thumbnail", "width", "height", "original_name", "uploaded_by", "uploaded_at"]
    raw_id_fields = ["problem", "event"]

    def has_add_permission(self, request):
        # Uploads are checked and re-encoded by photo_accept; the admin would store them as sent.
        return False


@admin.register(Assignment)
class AssignmentAdmin(HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["day", "site", "clerk", "reason", "inspection"]
    list_filter = ["day", "reason"]
    list_select_related = ["site", "clerk"]
    raw_id_fields = ["site", "clerk", "inspection"]


# The cycle ---------------------------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only the cycle's engine writes: the admin shows them and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CycleReport)
class CycleReportAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "cycle", "issuer", "period_start", "period_end", "state", "generations", "generated_at"]
    list_filter = ["cycle", "state", "issuer"]
    search_fields = ["title"]
    date_hierarchy = "period_start"
    list_select_related = ["issuer", "circular"]
    readonly_fields = [
        "cycle",
        "issuer",
        "district",
        "period_start",
        "period_end",
        "state",
        "title",
        "circular",
        "pdf",
        "pdf_sha256",
        "generated_at",
        "generations",
        "created_at",
        "data",
        "body",
    ]


@admin.register(CycleRun)
class CycleRunAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "cycle", "issuer", "trigger", "started_by", "state", "attempts", "queued_at"]
    list_filter = ["cycle", "state", "issuer", "trigger"]
    date_hierarchy = "queued_at"
    list_select_related = ["issuer", "started_by"]
    readonly_fields = [
        "cycle",
        "issuer",
        "period_start",
        "period_end",
        "trigger",
        "started_by",
        "regenerate",
        "state",
        "step",
        "attempts",
        "task_id",
        "worker",
        "report",
        "created",
        "output",
        "queued_at",
        "started_at",
        "finished_at",
    ]
