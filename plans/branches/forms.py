"""Forms of the branch pages. Each form of the detail page has a prefix, so that their
fields have distinct ids (term-starts_on, assessment-year …)."""

from datetime import date
from functools import reduce
from operator import or_

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sanitation.core.forms import LONG_TEXT_LENGTH, NOTE_LENGTH, DateField, text_limit
from sanitation.organisations.models import Unit, UnitKind

from .models import AssessmentGrade, Branch, BranchStatus, BranchTier, BranchYearPlan


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class BranchFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", _("All tiers")), *BranchTier.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *BranchStatus.choices]
    )
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, year) for year in years]

    def filters(self) -> dict:
        """The valid filters; an invalid one is left out (and its error shown)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: self.cleaned_data[name] for name in ("q", "tier", "status") if self.cleaned_data.get(name)}

    def chosen_year(self, default: int) -> int:
        if not self.is_bound:
            return default
        self.is_valid()
        return self.cleaned_data.get("year") or default


class BranchForm(forms.ModelForm):
    organisation = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Organisation"))

    class Meta:
        model = Branch
        fields = ["name", "field", "scope", "founded_on", "unit", "tier", "tier_reason", "status"]
        widgets = {"founded_on": DateInput(), "scope": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"founded_on": DateField}

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        text_limit(self.fields["scope"], NOTE_LENGTH)
        # The organisation is chosen only by someone keeping several, and only at creation.
        if self.instance.pk or len(organisations) < 2:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = Unit.objects.filter(pk__in=[o.pk for o in organisations])
        paths = [self.instance.organisation.path] if self.instance.pk else [o.path for o in organisations]
        within = reduce(or_, (Q(path__startswith=path) for path in paths), Q(pk__in=[]))
        self.fields["unit"].queryset = Unit.objects.filter(within, kind=UnitKind.BRANCH)

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class TermForm(forms.Form):
    number = forms.IntegerField(
        label=_("Term number"),
        required=False,
        min_value=1,
        max_value=999,
        help_text=_("Leave empty for the next number."),
    )
    starts_on = DateField(label=_("Starts on"), widget=DateInput())
    ends_on = DateField(label=_("Ends on"), widget=DateInput())
    chair = forms.CharField(label=_("Chair"), required=False, max_length=50)
    secretary_general = forms.CharField(label=_("Secretary-general"), required=False, max_length=50)


class TargetsForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    targets = forms.CharField(
        label=_("Work targets"), widget=forms.Textarea(attrs={"rows": 4}), max_length=LONG_TEXT_LENGTH
    )


class AssessmentForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    score = forms.IntegerField(label=_("Score (0–100)"), min_value=0, max_value=100)
    grade = forms.ChoiceField(
        label=_("Grade"),
        required=False,
        choices=[("", _("From the score")), *AssessmentGrade.choices],
        help_text=_("Empty: 90 and above excellent, 75 good, 60 satisfactory, below 60 unsatisfactory."),
    )
    comments = forms.CharField(
        label=_("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=NOTE_LENGTH
    )
    assessed_on = DateField(label=_("Assessed on"), widget=DateInput())

    def __init__(self, *args, plans: list[BranchYearPlan], today: date, **kwargs):
        super().__init__(*args, **kwargs)
        years = [plan.year for plan in plans if plan.year <= today.year]
        self.fields["year"].choices = [(year, year) for year in years]
        if years and "year" not in self.initial:
            # The year to assess: the last one that has ended, or this one.
            self.initial["year"] = next((year for year in years if year < today.year), years[0])
