"""Cells of the registries' sheets → values, with a message a clerk understands."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _
from import_export import widgets

from sanitation.core.credit_code import credit_code_normalise
from sanitation.core.spreadsheets import REQUIRED, cell_text

BAD_CHOICE = _("“%(value)s” is not one of %(choices)s.")
BAD_CAPACITY = _("“%(value)s” is not a number of tonnes per day.")


class TextWidget(widgets.Widget):
    def __init__(self, *, required: bool = False):
        super().__init__()
        self.required = required

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if self.required and not text:
            raise ValueError(REQUIRED)
        return text

    def render(self, value, obj=None, **kwargs):
        return value or ""


class CreditCodeWidget(TextWidget):
    """As people type it; the model's validator checks the check character."""

    def clean(self, value, row=None, **kwargs):
        return credit_code_normalise(super().clean(value, row, **kwargs))


class ChoiceWidget(widgets.Widget):
    """A choice by its Chinese name (焚烧厂) or its stored value."""

    def __init__(self, names: dict[str, str]):
        super().__init__()
        self.names = names
        self.values = {value: name for name, value in names.items()}

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            raise ValueError(REQUIRED)
        if text in self.values:
            return text
        if text not in self.names:
            raise ValueError(BAD_CHOICE % {"value": text, "choices": "、".join(self.names)})
        return self.names[text]

    def render(self, value, obj=None, **kwargs):
        return self.values.get(value, value)


class CapacityWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        try:
            capacity = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError(BAD_CAPACITY % {"value": text}) from None
        if not capacity.is_finite() or capacity < 0:
            raise ValueError(BAD_CAPACITY % {"value": text})
        return capacity

    def render(self, value, obj=None, **kwargs):
        return value
