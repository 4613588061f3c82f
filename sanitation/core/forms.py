"""What every form accepts of dates and long texts, whichever app the form belongs to.

A date is a day between 1950 and 2100: the system's records (a member's joining, a branch's
founding, deadlines, inspections) all fall in it, and a year 0001 or 9999 that a slip of the
keyboard makes would break every period and deadline computed from it, or sort a record
before all others. Forms use DateField below, ModelForms name it in Meta.field_classes, and
the Excel imports check the same range (spreadsheets.WrittenDateWidget).
"""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

EARLIEST_DATE = date(1950, 1, 1)
LATEST_DATE = date(2100, 12, 31)
DATE_OUT_OF_RANGE = _("Enter a date from %(earliest)s to %(latest)s.")
# Free text that has no length of its own in the database (a note, a reason): enough for a page.
NOTE_LENGTH = 2000
LONG_TEXT_LENGTH = 5000


def date_in_range(value: date) -> None:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            DATE_OUT_OF_RANGE,
            code="date_out_of_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )


def date_kept(value: date | None) -> date | None:
    """The date if it is in the range above, else None: for a date a view reads from its address
    (?day=9999-12-31), whose next day or month would not exist."""
    return value if value is not None and EARLIEST_DATE <= value <= LATEST_DATE else None


class DateField(forms.DateField):
    """A day from EARLIEST_DATE to LATEST_DATE."""

    default_validators = [date_in_range]


def text_limit(field: forms.CharField, length: int) -> None:
    """Give a form field made from a TextField (which has no length) the length `length`."""
    field.max_length = length
    field.validators.append(MaxLengthValidator(length))
    field.widget.attrs["maxlength"] = str(length)
