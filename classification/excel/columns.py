"""The ledgers' columns: Chinese headers and choice names in every language (they are what
clerks type and read), and how each cell becomes a value."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from sanitation.core.spreadsheets import REQUIRED, WrittenDateWidget, cell_text

from ..models import (
    CollectionRecord,
    FacilityKind,
    PersonRole,
    PublicityActivity,
    PublicityKind,
    SortingFacility,
    SortingPerson,
)

DATE, STREET, COMMUNITY, SITE = "日期", "街道", "社区", "点位"
RECYCLABLE, HAZARDOUS, KITCHEN, OTHER = "可回收物(吨)", "有害垃圾(吨)", "厨余垃圾(吨)", "其他垃圾(吨)"
VEHICLE, DESTINATION, NOTE = "车辆", "去向", "备注"
KIND, COUNT, CAPACITY, CAPACITY_UNIT, RECORDED_ON = "类别", "数量", "容量", "容量单位", "登记日期"
TITLE, AUDIENCE, MATERIALS = "主题", "参与人数", "发放资料(份)"
NAME, ROLE, POST, PHONE, SINCE, ACTIVE = "姓名", "身份", "岗位", "电话", "上岗日期", "在岗"

FACILITY_KINDS = {
    FacilityKind.CONTAINER: "收集容器",
    FacilityKind.DROP_OFF: "投放点",
    FacilityKind.SORTING_CENTRE: "分拣中心",
    FacilityKind.PERISHABLE_TRANSFER: "易腐垃圾中转点",
    FacilityKind.BULKY_STORAGE: "大件垃圾暂存点",
    FacilityKind.HAZARDOUS_STORAGE: "有害垃圾暂存点",
    FacilityKind.VEHICLE: "收运车辆",
}
PUBLICITY_KINDS = {
    PublicityKind.COMMUNITY: "进社区",
    PublicityKind.HOUSEHOLD: "进家庭",
    PublicityKind.SCHOOL: "进学校",
    PublicityKind.OFFICE: "进机关",
    PublicityKind.ENTERPRISE: "进企业",
    PublicityKind.TRAINING: "培训",
    PublicityKind.MEDIA: "媒体宣传",
}
PERSON_ROLES = {PersonRole.PARTY_LEADER: "党员带头人", PersonRole.VOLUNTEER: "志愿者", PersonRole.SUPERVISOR: "督导员"}
YES, NO = "是", "否"

BAD_NUMBER = _("“%(value)s” is not a number.")
NEGATIVE = _("“%(value)s” is negative: write 0 or more.")
NUMBER_TOO_LARGE = _("“%(value)s” is too large.")
NOT_WHOLE = _("“%(value)s” is not a whole number.")
UNKNOWN_CHOICE = _("“%(value)s” is not one of %(choices)s.")
TOO_LONG = _("“%(value)s” is longer than %(limit)d characters.")
NOT_YES_NO = _("“%(value)s” is neither 是 nor 否.")


def date_cell(value) -> datetime.date | None:
    return WrittenDateWidget().clean(value)


def required_date_cell(value) -> datetime.date:
    parsed = date_cell(value)
    if parsed is None:
        raise ValueError(REQUIRED)
    return parsed


def tonnes_cell(value) -> Decimal:
    """Tonnes with three decimals; an empty cell is 0."""
    return _decimal(value, places=3, limit=Decimal("10000000")) or Decimal("0")


def capacity_cell(value) -> Decimal | None:
    return _decimal(value, places=2, limit=Decimal("100000000"))


def _decimal(value, *, places: int, limit: Decimal) -> Decimal | None:
    text = cell_text(value)
    if not text:
        return None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(BAD_NUMBER % {"value": text}) from None
    if not number.is_finite():
        raise ValueError(BAD_NUMBER % {"value": text})
    if number < 0:
        raise ValueError(NEGATIVE % {"value": text})
    if number >= limit:
        raise ValueError(NUMBER_TOO_LARGE % {"value": text})
    return number.quantize(Decimal(1).scaleb(-places))


def count_cell(value) -> int:
    """A whole number of at least 0; an empty cell is 0."""
    number = _decimal(value, places=6, limit=Decimal("2000000000"))
    if number is None:
        return 0
    if number != number.to_integral_value():
        raise ValueError(NOT_WHOLE % {"value": cell_text(value)})
    return int(number)


def required_count_cell(value) -> int:
    if not cell_text(value):
        raise ValueError(REQUIRED)
    return count_cell(value)


def text_cell(limit: int, *, required: bool = False) -> Callable:
    def parse(value) -> str:
        text = cell_text(value)
        if required and not text:
            raise ValueError(REQUIRED)
        if len(text) > limit:
            raise ValueError(TOO_LONG % {"value": text[:20] + "…", "limit": limit})
        return text

    return parse


def choice_cell(names: dict[str, str]) -> Callable:
    """A choice written by its Chinese name (or its code)."""
    by_name = {name: value for value, name in names.items()} | {str(value): value for value in names}

    def parse(value) -> str:
        text = cell_text(value)
        if not text:
            raise ValueError(REQUIRED)
        if text not in by_name:
            raise ValueError(UNKNOWN_CHOICE % {"value": text, "choices": "、".join(names.values())})
        return str(by_name[text])

    return parse


def yes_no_cell(value) -> bool:
    text = cell_text(value)
    if text in ("", YES, "1", "Y", "y"):
        return True
    if text in (NO, "0", "N", "n"):
        return False
    raise ValueError(NOT_YES_NO % {"value": text})


@dataclass(frozen=True)
class Column:
    header: str
    attribute: str
    parse: Callable | None


@dataclass(frozen=True)
class LedgerSheet:
    """One ledger's sheet: its columns in order (the place's 街道, 社区, 点位 have no parser: they
    are resolved together), and the natural key that a re-import replaces, not duplicates."""

    slug: str
    title: str  # of the worksheet
    model: type
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # attributes, the place's street_id, community_id, site_id included
    date: str | None  # the attribute that bounds which existing rows can match

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(column.header for column in self.columns)

    @property
    def key_headers(self) -> str:
        by_attribute = {column.attribute: column.header for column in self.columns}
        return "、".join(by_attribute[name.removesuffix("_id")] for name in self.key)


PLACE_COLUMNS = (Column(STREET, "street", None), Column(COMMUNITY, "community", None), Column(SITE, "site", None))
PLACE_KEY = ("street_id", "community_id", "site_id")

COLLECTION = LedgerSheet(
    slug="collection",
    title="收运台账",
    model=CollectionRecord,
    columns=(
        Column(DATE, "collected_on", required_date_cell),
        *PLACE_COLUMNS,
        Column(RECYCLABLE, "recyclable_t", tonnes_cell),
        Column(HAZARDOUS, "hazardous_t", tonnes_cell),
        Column(KITCHEN, "kitchen_t", tonnes_cell),
        Column(OTHER, "other_t", tonnes_cell),
        Column(VEHICLE, "vehicle", text_cell(30)),
        Column(DESTINATION, "destination", text_cell(100)),
    ),
    key=("collected_on", *PLACE_KEY),
    date="collected_on",
)
FACILITIES = LedgerSheet(
    slug="facilities",
    title="设施台账",
    model=SortingFacility,
    columns=(
        *PLACE_COLUMNS,
        Column(KIND, "kind", choice_cell(FACILITY_KINDS)),
        Column(COUNT, "count", required_count_cell),
        Column(CAPACITY, "capacity", capacity_cell),
        Column(CAPACITY_UNIT, "capacity_unit", text_cell(20)),
        Column(RECORDED_ON, "recorded_on", required_date_cell),
        Column(NOTE, "note", text_cell(300)),
    ),
    key=(*PLACE_KEY, "kind", "recorded_on"),
    date="recorded_on",
)
PUBLICITY = LedgerSheet(
    slug="publicity",
    title="宣传台账",
    model=PublicityActivity,
    columns=(
        Column(DATE, "held_on", required_date_cell),
        *PLACE_COLUMNS,
        Column(KIND, "kind", choice_cell(PUBLICITY_KINDS)),
        Column(TITLE, "title", text_cell(200, required=True)),
        Column(AUDIENCE, "audience", count_cell),
        Column(MATERIALS, "materials", count_cell),
        Column(NOTE, "note", text_cell(300)),
    ),
    key=("held_on", *PLACE_KEY, "title"),
    date="held_on",
)
PEOPLE = LedgerSheet(
    slug="people",
    title="人员台账",
    model=SortingPerson,
    columns=(
        Column(NAME, "name", text_cell(50, required=True)),
        Column(ROLE, "role", choice_cell(PERSON_ROLES)),
        Column(POST, "post", text_cell(100)),
        *PLACE_COLUMNS,
        Column(PHONE, "phone", text_cell(30)),
        Column(SINCE, "since", date_cell),
        Column(ACTIVE, "active", yes_no_cell),
    ),
    key=(*PLACE_KEY, "name", "role"),
    date=None,
)
SHEETS = {sheet.slug: sheet for sheet in (FACILITIES, COLLECTION, PUBLICITY, PEOPLE)}
