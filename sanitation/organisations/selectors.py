"""Reads of the unit tree: subtrees, and resolving the names documents use for units."""

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Unit, UnitKind

# Group expressions of official documents, resolved below the unit that issues the text.
# 各单位 in a center's plan means its subordinate units other than its own sections.
GROUP_EXPRESSIONS: dict[str, tuple[str, ...]] = {
    "各股室": (UnitKind.SECTION,),
    "各部门": (UnitKind.DEPARTMENT,),
    "各环卫所": (UnitKind.STATION,),
    "各单位": (UnitKind.STATION, UnitKind.OTHER, UnitKind.CENTER, UnitKind.OFFICE),
    "各分支机构": (UnitKind.BRANCH,),
    "各街道": (UnitKind.STREET,),
    "各社区": (UnitKind.COMMUNITY,),
}

UNKNOWN_UNIT_NAME = _("No unit is called “%(name)s”.")
AMBIGUOUS_UNIT_NAME = _("Several units are called “%(name)s”: %(units)s.")


def unit_subtree(unit: Unit, *, include_self: bool = True) -> QuerySet[Unit]:
    units = Unit.objects.filter(path__startswith=unit.path)
    return units if include_self else units.exclude(pk=unit.pk)


@dataclass
class UnitResolution:
    """What a list of names from a document resolves to."""

    units: list[Unit] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[Unit]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.unknown and not self.ambiguous


class UnitDirectory:
    """All units below a context unit, loaded once, answering name look-ups in memory.

    An importer resolving hundreds of unit clauses makes one query, not one per name.
    """

    def __init__(self, context: Unit):
        self.context = context
        self.units = list(unit_subtree(context).filter(is_active=True))
        self._by_name: dict[str, list[Unit]] = {}
        for unit in self.units:
            for name in dict.fromkeys(unit.names()):
                self._by_name.setdefault(_normalise(name), []).append(unit)

    def group(self, expression: str) -> list[Unit] | None:
        kinds = GROUP_EXPRESSIONS.get(_normalise(expression))
        if kinds is None:
            return None
        return [u for u in self.units if u.kind in kinds and u.pk != self.context.pk]

    def resolve(self, names: list[str]) -> UnitResolution:
        result = UnitResolution()
        for raw in names:
            name = _normalise(raw)
            if not name:
                continue
            grouped = self.group(name)
            if grouped is not None:
                _extend_unique(result.units, grouped)
                continue
            matches = self._by_name.get(name, [])
            if len(matches) == 1:
                _extend_unique(result.units, matches)
            elif matches:
                result.ambiguous[raw] = matches
            else:
                result.unknown.append(raw)
        return result


def units_resolve(*, context: Unit, names: list[str]) -> UnitResolution:
    return UnitDirectory(context).resolve(names)


def _normalise(name: str) -> str:
    return "".join(name.split())


def _extend_unique(units: list[Unit], more: list[Unit]) -> None:
    seen = {u.pk for u in units}
    units.extend(u for u in more if u.pk not in seen and not seen.add(u.pk))
