"""Reading circulars, always within what the user may see."""

from django.db.models import Q, QuerySet

from sanitation.organisations.access import scope_by_organisation, scope_by_unit

from .models import Circular, CircularStatus, DocumentIssuer


def circulars_visible_to(user) -> QuerySet[Circular]:
    """Issued circulars reach everyone of the issuer's organisation; drafts only those who
    may change the issuing unit."""
    base = Circular.objects.select_related("issuer", "issuer__unit")
    issued = scope_by_organisation(base.filter(status=CircularStatus.ISSUED), user, via="issuer__unit")
    drafts = scope_by_unit(base.filter(status=CircularStatus.DRAFT), user, via="issuer__unit", change=True)
    return base.filter(Q(pk__in=issued.values("pk")) | Q(pk__in=drafts.values("pk")))


def circulars_changeable_by(user) -> QuerySet[Circular]:
    return scope_by_unit(Circular.objects.select_related("issuer"), user, via="issuer__unit", change=True)


def issuers_for(user) -> QuerySet[DocumentIssuer]:
    return scope_by_unit(DocumentIssuer.objects.select_related("unit"), user, via="unit", change=True)


def circular_filter(queryset: QuerySet[Circular], *, issuer=None, kind=None, year=None, status=None):
    if issuer:
        queryset = queryset.filter(issuer_id=issuer)
    if kind:
        queryset = queryset.filter(kind=kind)
    if year:
        queryset = queryset.filter(Q(year=year) | Q(year__isnull=True, created_at__year=year))
    if status:
        queryset = queryset.filter(status=status)
    return queryset
