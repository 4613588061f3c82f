"""?ordering= on every list of the API: the fields a view names in `ordering_fields`, a leading
"-" for descending, several separated by commas. An unknown field answers 400 and names the
choices, instead of DRF's habit of ignoring it silently. Without ?ordering= a list keeps the
order its view gives it. The id breaks ties, so pages never overlap or skip a row."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

UNKNOWN_ORDERING = _("Unknown ordering “%(ordering)s”: use one of %(choices)s.")


class Ordering(OrderingFilter):
    def filter_queryset(self, request, queryset, view):
        fields = getattr(view, "ordering_fields", None)
        asked = request.query_params.get(self.ordering_param)
        if not fields or not asked:
            return queryset
        terms = [term.strip() for term in asked.split(",") if term.strip()]
        unknown = [term for term in terms if term.lstrip("-") not in fields]
        if unknown or not terms:
            choices = ", ".join(fields)
            raise ValidationError({self.ordering_param: [UNKNOWN_ORDERING % {"ordering": asked, "choices": choices}]})
        return queryset.order_by(*[_lookup(view, term) for term in terms], "pk")

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "ordering_fields", None)
        if not fields:
            return []
        choices = ", ".join(f"{name}, -{name}" for name in fields)
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": f"Order by one or more of: {choices} (comma-separated).",
                "schema": {"type": "string"},
            }
        ]


def _lookup(view, term: str) -> str:
    """The ORM lookup for a public field name (`ordering_lookups` maps the ones that differ)."""
    descending = term.startswith("-")
    name = term.lstrip("-")
    lookup = getattr(view, "ordering_lookups", {}).get(name, name)
    return f"-{lookup}" if descending else lookup
