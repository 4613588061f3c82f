from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanitation.core.credit_code import credit_code_normalise
from sanitation.core.forms import DateField
from sanitation.organisations.models import Unit

from .models import CREDIT_CODE_TAKEN, CouncilPosition, Member, MemberKind, MemberStatus
from .services import EDITABLE_FIELDS, PAYMENT_IN_FUTURE

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
UNIT_FIELDS = ("credit_code", "organisation_type", "contact_person")
INDIVIDUAL_FIELDS = ("category", "title", "speciality", "employer")


class MemberForm(forms.ModelForm):
    """A member's fields for the secretariat; the status is changed on the member's page, with a reason."""

    organisation = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Organisation"), required=False)

    class Meta:
        model = Member
        fields = EDITABLE_FIELDS
        widgets = {"joined_on": DATE_INPUT}
        field_classes = {"joined_on": DateField}

    def __init__(self, *args, organisation: Unit, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        # Only someone keeping several organisations' registries chooses where a new member goes.
        if self.instance.pk or organisations is None or len(organisations) < 2:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations
            self.fields["organisation"].required = True

    def clean_credit_code(self):
        return credit_code_normalise(self.cleaned_data.get("credit_code", ""))

    def clean(self):
        data = super().clean()
        organisation = data.get("organisation") or self.organisation
        code = data.get("credit_code")
        if code and organisation is not None:
            others = Member.objects.filter(organisation=organisation, credit_code=code).exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error("credit_code", CREDIT_CODE_TAKEN)
        return data

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}

    @property
    def unit_fields(self):
        return [self[name] for name in UNIT_FIELDS]

    @property
    def individual_fields(self):
        return [self[name] for name in INDIVIDUAL_FIELDS]

    @property
    def common_fields(self):
        skip = {*UNIT_FIELDS, *INDIVIDUAL_FIELDS}
        return [field for field in self if field.name not in skip]


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=MemberStatus.choices)
    changed_on = DateField(label=_("Effective on"), widget=DATE_INPUT)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class DuesPaymentForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    amount = forms.DecimalField(label=_("Amount"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    paid_on = DateField(label=_("Paid on"), widget=DATE_INPUT)

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise forms.ValidationError(PAYMENT_IN_FUTURE)
        return paid_on


def _choices(choices) -> list:
    return [("", _("All")), *choices]


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Kind of member"), required=False, choices=_choices(MemberKind.choices))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=_choices(MemberStatus.choices))
    council_position = forms.ChoiceField(
        label=_("Council position"), required=False, choices=_choices(CouncilPosition.choices)
    )
    region = forms.ChoiceField(label=_("Region"), required=False)
    joined_year = forms.IntegerField(label=_("Joined in"), required=False, min_value=1900, max_value=2100)

    def __init__(self, *args, regions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = _choices([(region, region) for region in regions])

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)

    @classmethod
    def year_of(cls, data) -> int:
        """The year asked for, or this year when none (or nonsense) is given."""
        form = cls(data)
        return form.cleaned_data["year"] if form.is_valid() else timezone.localdate().year
