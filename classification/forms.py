from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanitation.core.forms import DateField
from sanitation.organisations.models import Unit, UnitKind

from .campaign import SEED_PHASES
from .models import PhaseKind, Site, SiteKind
from .services import DEADLINE_OUTSIDE_YEAR, SITE_FIELDS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO = [("", _("All")), ("yes", _("Yes")), ("no", _("No"))]


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit: Unit) -> str:
        if unit.kind == UnitKind.COMMUNITY and unit.parent_id:
            return f"{unit.parent.display_name} · {unit.display_name}"
        return unit.display_name


class SiteForm(forms.ModelForm):
    street = UnitChoiceField(queryset=Unit.objects.none(), label=_("Street"))
    community = UnitChoiceField(queryset=Unit.objects.none(), label=_("Community"), required=False)

    class Meta:
        model = Site
        fields = SITE_FIELDS
        widgets = {"covered_since": DATE_INPUT}
        field_classes = {"covered_since": DateField}

    def __init__(self, *args, streets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets
        self.fields["community"].queryset = (
            Unit.objects.filter(kind=UnitKind.COMMUNITY, parent__in=streets).select_related("parent").order_by("path")
        )

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in SITE_FIELDS}


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class SiteFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    street = UnitChoiceField(queryset=Unit.objects.none(), label=_("Street"), required=False)
    community = UnitChoiceField(queryset=Unit.objects.none(), label=_("Community"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *SiteKind.choices])
    covered = forms.ChoiceField(label=_("Sorting"), required=False, choices=YES_NO)
    demonstration = forms.ChoiceField(label=_("Demonstration site"), required=False, choices=YES_NO)

    def __init__(self, *args, streets, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets
        self.fields["community"].queryset = communities

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "q": data["q"],
            "street": data["street"],
            "community": data["community"],
            "kind": data["kind"],
            "covered": _yes_no(data["covered"]),
            "demonstration": _yes_no(data["demonstration"]),
        }


class OnDateForm(forms.Form):
    on = DateField(label=_("As of"), widget=DATE_INPUT)

    @classmethod
    def date_of(cls, data) -> date:
        """The day asked for, or today when none (or nonsense) is given."""
        form = cls(data)
        return form.cleaned_data["on"] if form.is_valid() else timezone.localdate()


class CampaignForm(forms.Form):
    """A new campaign with the seed's three phases prefilled for the year."""

    district = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("District"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=200)

    def __init__(self, *args, districts, **kwargs):
        year = timezone.localdate().year
        initial = {"year": year, "district": districts.first()}
        for kind, month, day, target, due in SEED_PHASES:
            initial |= {
                f"{kind}_deadline": date(year, month, day),
                f"{kind}_target": target,
                f"{kind}_demonstration": due,
            }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["district"].queryset = districts
        # Each phase's fields sit under the phase's name (a fieldset), so their labels stay short.
        for kind, _label in PhaseKind.choices:
            self.fields[f"{kind}_deadline"] = DateField(label=_("Deadline"), widget=DATE_INPUT)
            self.fields[f"{kind}_target"] = forms.DecimalField(
                label=_("Coverage target (%)"), min_value=0, max_value=100, decimal_places=2
            )
            self.fields[f"{kind}_demonstration"] = forms.BooleanField(
                label=_("Demonstration sites due"), required=False
            )

    def clean(self):
        data = super().clean()
        year = data.get("year")
        for kind, _label in PhaseKind.choices:
            deadline = data.get(f"{kind}_deadline")
            if year and deadline and deadline.year != year:
                self.add_error(f"{kind}_deadline", DEADLINE_OUTSIDE_YEAR)
        return data

    def phases(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "kind": kind,
                "deadline": data[f"{kind}_deadline"],
                "target_rate": data[f"{kind}_target"],
                "demonstration_sites_due": data[f"{kind}_demonstration"],
            }
            for kind, _label in PhaseKind.choices
        ]

    def phase_rows(self) -> list[tuple[str, list]]:
        return [
            (label, [self[f"{kind}_deadline"], self[f"{kind}_target"], self[f"{kind}_demonstration"]])
            for kind, label in PhaseKind.choices
        ]


class StreetTargetForm(forms.Form):
    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.none(), label=_("Sites to cover"), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, street: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = Site.objects.filter(street=street).order_by("name")
