"""Cells of the branch sheet: its columns, and the widgets that turn cells into values."""

import re

import tablib
from django.utils.translation import gettext_lazy as _
from import_export import widgets

from sanitation.core import spreadsheets
from sanitation.core.spreadsheets import REQUIRED, cell_text

from ...plan_text import NUMERALS, chinese_number
from ..models import BranchTier

NAME, FIELD, SCOPE, FOUNDED, TIER = "名称", "专业领域", "业务范围", "成立日期", "分级"
TERM_NUMBER, TERM_STARTS, TERM_ENDS, CHAIR, SECRETARY = "本届届次", "本届开始", "本届结束", "主任委员", "秘书长"
HEADERS = (NAME, FIELD, SCOPE, FOUNDED, TIER, TERM_NUMBER, TERM_STARTS, TERM_ENDS, CHAIR, SECRETARY)
COLUMN_WIDTHS = {NAME: 28, FIELD: 16, SCOPE: 50, FOUNDED: 12, TERM_STARTS: 12, TERM_ENDS: 12}
BRANCH_FIELDS = ("name", "field", "scope", "founded_on", "tier")
TERM_FIELDS = {"term_number": "number", "term_starts_on": "starts_on", "term_ends_on": "ends_on"}
TERM_FIELDS |= {"chair": "chair", "secretary_general": "secretary_general"}
TERM_NUMBER_TEXT = re.compile(rf"^第?\s*(\d{{1,4}}|[{NUMERALS}十]+)\s*届?$")
# What the sheet may write for a tier: A, a, A类, 一类 …
TIER_NAMES = {tier.value: tier.value for tier in BranchTier} | {"一类": "A", "二类": "B", "三类": "C"}

UNKNOWN_TIER = _("“%(value)s” is not a tier: write A, B or C.")
BAD_TERM_NUMBER = _("“%(value)s” is not a term number such as 3 or 第三届.")
TERM_NOT_CURRENT = _("the current term is %(current)s: a row gives the current term or a later one.")
TERM_INCOMPLETE = _("a term needs its number, start and end.")
NEW_TERM = _("new term")
DUPLICATE_ROW = _("row %(other)s has the same name.")


def sheet_read(content: bytes) -> tablib.Dataset:
    """The first sheet's rows, with the Excel row number of each in ROW_COLUMN."""
    return spreadsheets.sheet_read(content, required=HEADERS)


# Cells → values ---------------------------------------------------------------------------


class TextWidget(widgets.Widget):
    def __init__(self, *, required: bool = False, max_length: int | None = None):
        super().__init__()
        self.required = required
        self.max_length = max_length

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if self.required and not text:
            raise ValueError(REQUIRED)
        if self.max_length is not None and len(text) > self.max_length:
            raise ValueError(spreadsheets.TOO_LONG % {"value": text[:20] + "…", "limit": self.max_length})
        return text

    def render(self, value, obj=None, **kwargs):
        return value or ""


class TierWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            raise ValueError(REQUIRED)
        key = text.upper().removesuffix("类") if text[0].isascii() else text
        if key not in TIER_NAMES:
            raise ValueError(UNKNOWN_TIER % {"value": text})
        return TIER_NAMES[key]

    def render(self, value, obj=None, **kwargs):
        return value


class TermNumberWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        match = TERM_NUMBER_TEXT.match(text)
        number = (int(match[1]) if match[1].isdigit() else chinese_number(match[1])) if match else 0
        if not 1 <= number <= 999:
            raise ValueError(BAD_TERM_NUMBER % {"value": text})
        return number

    def render(self, value, obj=None, **kwargs):
        return value
