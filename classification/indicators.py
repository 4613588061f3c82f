"""What classification offers the plans' indicators: the sorting coverage rate."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from plans import indicators
from sanitation.organisations.models import PATH_SEPARATOR, Unit, UnitKind

from .campaign import campaign_of, coverage_of_district


def district_of(unit: Unit) -> Unit | None:
    """The district a unit lies in (the unit itself when it is one), or None outside any district."""
    parts = unit.path.split(PATH_SEPARATOR)[:-1]
    prefixes = [PATH_SEPARATOR.join(parts[: i + 1]) + PATH_SEPARATOR for i in range(len(parts))]
    return Unit.objects.filter(kind=UnitKind.DISTRICT, path__in=prefixes).order_by("-depth").first()


@indicators.provider("classification.coverage_rate", _("Sorting coverage rate of sites (%)"))
def coverage_rate(indicator, as_of: date) -> Decimal | None:
    """The coverage rate of the issuer's district on `as_of`, as the campaign page shows it: over the
    street targets of that year's campaign, when there is one."""
    district = district_of(indicator.item.plan.issuer)
    if district is None:
        return None
    return coverage_of_district(district=district, on=as_of, campaign=campaign_of(district=district, on=as_of))
