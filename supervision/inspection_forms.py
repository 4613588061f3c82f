"""Forms of the clerk's pages: the inspection form (made for a phone) and the inspection list's filters.
The inspection form is one InspectionForm and any number of ProblemForm groups, prefixed
``p-<n>-``. The groups are numbered by the page (the script adds groups with new numbers), so
the view reads the numbers from what was posted instead of a formset's management form.
"""

import datetime
import re
import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from classification.forms import DATE_INPUT, UnitChoiceField
from sanitation.core.forms import DateField
from sanitation.organisations.models import Unit

from .models import Criterion, DeductionRule, InspectionKind, ProblemType, Severity

PROBLEM_PREFIX = "p"
PROBLEM_FIELD = re.compile(rf"^{PROBLEM_PREFIX}-(\d{{1,4}})-")
MAX_PROBLEMS = 50  # more groups than any real visit finds: what a page may post
# An inspection saved later (the connection dropped) keeps the time it was begun at, within a day.
STARTED_AT_WINDOW = datetime.timedelta(hours=24)

PROBLEM_TYPE_MISSING = _("Choose what the problem is.")
PHOTO_IDS_INVALID = _("The list of photos is damaged; add the photos again.")
TOO_MANY_PROBLEMS = _("At most %(count)d problems can be recorded in one inspection.")


def problem_indices(data, files=None) -> list[int]:
    """The numbers of the problem groups posted, in order."""
    found = set()
    for name in [*data.keys(), *(files.keys() if files is not None else [])]:
        match = PROBLEM_FIELD.match(name)
        if match:
            found.add(int(match.group(1)))
    return sorted(found)


def photo_ids_parse(value: str) -> list[int]:
    """'12,15' → [12, 15]; ValueError on anything else."""
    return list(dict.fromkeys(int(part) for part in value.split(",") if part.strip()))


class ProblemTypeSelect(forms.Select):
    """Options carry the criterion and points a problem type costs, for the score preview."""

    def __init__(self, *args, rules: dict[int, DeductionRule] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = rules or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        rule = self.rules.get(int(str(value))) if str(value).isdigit() else None
        if rule is not None:
            option["attrs"]["data-criterion"] = rule.criterion_id
            option["attrs"]["data-deduction"] = format(rule.points.normalize(), "f")
        return option


class MultiplePhotoInput(forms.FileInput):
    """The no-script way to add photos: the phone offers its camera, several at once."""

    allow_multiple_selected = True

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/*", "capture": "environment", "multiple": True, **(attrs or {})})


class InspectionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of inspection"),
        choices=InspectionKind.choices,
        initial=InspectionKind.DAILY,
        widget=forms.RadioSelect,
    )
    types = forms.MultipleChoiceField(
        label=_("Problems found"), required=False, widget=forms.CheckboxSelectMultiple(attrs={"class": "chip-input"})
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    inspectors = forms.MultipleChoiceField(
        label=_("Also inspecting"), required=False, widget=forms.CheckboxSelectMultiple
    )
    # Filled by the page's script; without it (or without permission) the inspection has no location.
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)
    accuracy = forms.CharField(required=False, widget=forms.HiddenInput)
    started_at = forms.CharField(required=False, widget=forms.HiddenInput)
    # One per opened form: sending the same form twice records one inspection.
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        criteria: list[Criterion],
        problem_types: list[ProblemType],
        fellow_clerks=(),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4())
        self.criteria = criteria
        self.problem_types = {str(t.pk): t for t in problem_types}
        self.fields["types"].choices = [(str(t.pk), t.name) for t in problem_types]
        self.fields["inspectors"].choices = [(str(u.pk), str(u)) for u in fellow_clerks]
        self.fellow_clerks = {str(u.pk): u for u in fellow_clerks}
        if not fellow_clerks:
            del self.fields["inspectors"]
        for criterion in criteria:
            points = format(criterion.points.normalize(), "f")
            self.fields[self.score_name(criterion)] = forms.DecimalField(
                label=criterion.name,
                required=False,
                min_value=Decimal(0),
                max_value=criterion.points,
                max_digits=4,
                decimal_places=1,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "autocomplete": "off",
                        "placeholder": points,
                        "data-points": points,
                        "data-criterion": criterion.pk,
                        "class": "score-input",
                    }
                ),
            )

    @staticmethod
    def score_name(criterion: Criterion) -> str:
        return f"score-{criterion.pk}"

    def score_fields(self) -> list[tuple[Criterion, forms.BoundField]]:
        return [(criterion, self[self.score_name(criterion)]) for criterion in self.criteria]

    def chips(self) -> list:
        return list(self["types"])

    def scores(self) -> dict[int, Decimal]:
        """criterion id → the score typed; blank ones are left to the problems."""
        typed = {}
        for criterion in self.criteria:
            value = self.cleaned_data.get(self.score_name(criterion))
            if value is not None:
                typed[criterion.pk] = value
        return typed

    def chosen_types(self) -> list[ProblemType]:
        return [self.problem_types[pk] for pk in self.cleaned_data.get("types", []) if pk in self.problem_types]

    def chosen_inspectors(self) -> list:
        return [self.fellow_clerks[pk] for pk in self.cleaned_data.get("inspectors", []) if pk in self.fellow_clerks]

    def location(self) -> dict:
        """Latitude, longitude and accuracy as the phone gave them, or nothing if they make no sense:
        a hidden field nobody can correct must not stop the inspection from being saved."""
        try:
            latitude = Decimal(self.cleaned_data["latitude"]).quantize(Decimal("0.000001"))
            longitude = Decimal(self.cleaned_data["longitude"]).quantize(Decimal("0.000001"))
        except (ArithmeticError, ValueError, KeyError):
            return {}
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return {}
        location = {"latitude": latitude, "longitude": longitude}
        try:
            accuracy = round(Decimal(self.cleaned_data["accuracy"]))
        except (ArithmeticError, ValueError, KeyError):
            accuracy = None
        if accuracy is not None and 0 <= accuracy < 2**31:
            location["accuracy_m"] = accuracy
        return location

    def inspected_at(self, now: datetime.datetime | None = None) -> datetime.datetime | None:
        """When the clerk began the form, if within the last day; otherwise None (the time of saving)."""
        value = self.cleaned_data.get("started_at") or ""
        try:
            started = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        if timezone.is_naive(started):
            return None
        now = now or timezone.now()
        if not now - STARTED_AT_WINDOW <= started <= now:
            return None
        return started


class ProblemForm(forms.Form):
    problem_type = forms.ChoiceField(label=_("Problem"), required=False)
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("Usual severity")), *Severity.choices],
        widget=forms.Select(attrs={"class": "severity"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("What, where (optional)"), "autocomplete": "off"}),
    )
    photo_ids = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"data-photo-ids": ""}))
    # Read by the view (each file through photo_accept), never cleaned here.
    photos = forms.FileField(label=_("Photos"), required=False, widget=MultiplePhotoInput)

    def __init__(self, *args, problem_types: list[ProblemType], rules=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.problem_types = {str(t.pk): t for t in problem_types}
        field = self.fields["problem_type"]
        field.choices = [("", "—"), *((str(t.pk), t.name) for t in problem_types)]
        field.widget = ProblemTypeSelect(rules=rules, choices=field.choices, attrs={"data-problem-type": ""})
        self.fields["photos"].widget.attrs["data-photo-input"] = ""
        self.staged_photos: list = []  # Photo rows shown as thumbnails (set by the view)

    def clean_photos(self):
        return None

    def clean_photo_ids(self) -> list[int]:
        try:
            return photo_ids_parse(self.cleaned_data["photo_ids"])
        except ValueError as error:
            raise forms.ValidationError(PHOTO_IDS_INVALID, code="photo_ids") from error

    def clean(self):
        data = super().clean()
        has_content = bool(data.get("note") or data.get("photo_ids"))
        if not data.get("problem_type") and has_content:
            self.add_error("problem_type", forms.ValidationError(PROBLEM_TYPE_MISSING, code="problem_type"))
        return data

    @property
    def is_blank(self) -> bool:
        """A group nothing was chosen or typed in: ignored, as the spare groups of the page are."""
        if not self.is_bound:
            return True
        values = [self.data.get(self.add_prefix(name), "") for name in ("problem_type", "note", "photo_ids")]
        return not any(value.strip() for value in values)

    def chosen_type(self) -> ProblemType | None:
        return self.problem_types.get(self.cleaned_data.get("problem_type") or "")


# The inspection list -------------------------------------------------------------------------

YES_NO = [("", _("All")), ("yes", _("Yes")), ("no", _("No"))]


class InspectionFilterForm(forms.Form):
    street = UnitChoiceField(queryset=Unit.objects.none(), label=_("Street"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *InspectionKind.choices])
    date_from = DateField(label=_("From"), required=False, widget=DATE_INPUT)
    date_to = DateField(label=_("To"), required=False, widget=DATE_INPUT)
    problems = forms.ChoiceField(label=_("Problems found"), required=False, choices=YES_NO)

    def __init__(self, *args, streets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "street": data["street"],
            "kind": data["kind"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "has_problems": {"yes": True, "no": False}.get(data["problems"]),
        }
