"""What classification offers the plans' indicators: the sorting coverage rate."""

from datetime import date
from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from plans import indicators

from .models import Site


@indicators.provider("classification.coverage_rate", _("Sorting coverage rate of sites (%)"))
def coverage_rate(indicator, as_of: date) -> Decimal | None:
    """Sites sorting by `as_of` over all sites, in the organisation that issued the plan."""
    organisation = indicator.item.plan.issuer.organisation_path
    counts = Site.objects.filter(street__path__startswith=organisation).aggregate(
        total=Count("pk"), covered=Count("pk", filter=Q(covered_since__lte=as_of))
    )
    if not counts["total"]:
        return None
    return Decimal(counts["covered"] * 100) / counts["total"]
