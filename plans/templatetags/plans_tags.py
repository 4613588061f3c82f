from django import template

from ..selectors import ItemStatus

register = template.Library()


@register.filter
def status_label(status: str) -> str:
    return ItemStatus.LABELS.get(status, status)


@register.filter
def acknowledged_by(item, unit) -> bool:
    """Uses the prefetched acknowledgements: no query per row."""
    return any(ack.unit_id == unit.pk for ack in item.acknowledgements.all())
