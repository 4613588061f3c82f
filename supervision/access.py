"""Who sees and changes what in supervision: one door per model, all through `scope_by_unit`.

Clerks (and administrators) of a district record inspections and review rectifications
anywhere in it; the staff of a street (or of a unit above it) answer the rectifications
addressed to it; leaders read. Outside the scope a record does not exist (404).
"""

from django.db.models import Q, QuerySet

from classification.models import Site
from sanitation.organisations.access import scope_by_organisation, scope_by_unit
from sanitation.organisations.models import Role

from .models import AssessmentScheme, Inspection, Photo, Rectification

INSPECTING_ROLES = frozenset({Role.CLERK, Role.ADMIN})
ANSWERING_ROLES = frozenset({Role.UNIT_STAFF, Role.ADMIN})


def inspections_visible_to(user, *, deleted: bool = False) -> QuerySet[Inspection]:
    """The inspections the user sees; with `deleted`, the soft-deleted ones too (the admin's list)."""
    manager = Inspection.all_objects if deleted else Inspection.objects
    return scope_by_unit(manager.all(), user, via="street")


def inspections_deletable_by(user) -> QuerySet[Inspection]:
    """The district's clerks and administrators delete (and restore) its inspections."""
    return scope_by_unit(Inspection.all_objects.all(), user, via="street", change=True, roles=INSPECTING_ROLES)


def sites_inspectable_by(user) -> QuerySet[Site]:
    return scope_by_unit(Site.objects.all(), user, via="street", change=True, roles=INSPECTING_ROLES)


def rectifications_visible_to(user, *, deleted: bool = False) -> QuerySet[Rectification]:
    """The rectifications the user sees; with `deleted`, the soft-deleted ones too (the admin's list)."""
    manager = Rectification.all_objects if deleted else Rectification.objects
    return scope_by_unit(manager.all(), user, via="unit")


def rectifications_answerable_by(user) -> QuerySet[Rectification]:
    return scope_by_unit(Rectification.objects.all(), user, via="unit", change=True, roles=ANSWERING_ROLES)


def rectifications_reviewable_by(user) -> QuerySet[Rectification]:
    return scope_by_unit(Rectification.objects.all(), user, via="unit", change=True, roles=INSPECTING_ROLES)


def schemes_visible_to(user) -> QuerySet[AssessmentScheme]:
    return scope_by_organisation(AssessmentScheme.objects.all(), user, via="district")


def schemes_changeable_by(user) -> QuerySet[AssessmentScheme]:
    return scope_by_unit(AssessmentScheme.objects.all(), user, via="district", change=True, roles=INSPECTING_ROLES)


def photos_visible_to(user) -> QuerySet[Photo]:
    """Photos of inspections and rectifications the user sees, and the user's own staged uploads."""
    inspections = inspections_visible_to(user).values("pk")
    rectifications = rectifications_visible_to(user).values("pk")
    return Photo.objects.filter(
        Q(problem__inspection__in=inspections)
        | Q(event__rectification__in=rectifications)
        | Q(problem__isnull=True, event__isnull=True, uploaded_by_id=user.pk)
    )
