"""Where an indicator's actual value comes from: typed in, or computed by a provider.

Another app registers a provider for what it owns (classification: coverage rate;
supervision: inspections) in its AppConfig.ready, so plans never imports those apps:

    @indicators.provider("classification.coverage_rate", _("Sorting coverage rate (%)"))
    def coverage_rate(indicator, as_of): ...
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sanitation.core.history import record, shown

from .models import Indicator


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    compute: Callable[[Indicator, date], Decimal | None]


_providers: dict[str, Provider] = {}


def provider(key: str, label: str):
    def register(compute):
        _providers[key] = Provider(key, label, compute)
        return compute

    return register


def provider_choices() -> list[tuple[str, str]]:
    return [(p.key, p.label) for p in sorted(_providers.values(), key=lambda p: p.key)]


@transaction.atomic
def indicator_enter(indicator: Indicator, value: Decimal, *, by=None) -> Indicator:
    """The actual value typed in by a person: a line in the item's history."""
    before = indicator.actual_value
    _actual_set(indicator, value)
    if before is None or before != value:
        new = f"{indicator.name}: {shown(value)}{indicator.unit}"
        old = f"{indicator.name}: {shown(before)}{indicator.unit}" if before is not None else ""
        record(indicator.item, by=by, field="indicators", old=old, new=new)
    return indicator


def _actual_set(indicator: Indicator, value: Decimal) -> None:
    indicator.actual_value = value
    indicator.actual_at = timezone.now()
    indicator.save(update_fields=["actual_value", "actual_at"])


def indicator_refresh(indicator: Indicator, as_of: date | None = None) -> Indicator:
    """Recompute a provided indicator; an entered one keeps what was typed."""
    registered = _providers.get(indicator.provider)
    if registered is None:
        return indicator
    value = registered.compute(indicator, as_of or timezone.localdate())
    if value is not None:
        # Computed, not changed by anyone: the item's history would only fill with refreshes.
        _actual_set(indicator, Decimal(value).quantize(Decimal("0.01")))
    return indicator
