from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanitation.core.credit_code import credit_code_normalise
from sanitation.core.forms import NOTE_LENGTH, DateField

from .models import Criterion, Enterprise, Facility, RatingScheme

SCORE_LABEL = _("%(criterion)s (at most %(max)s)")


class FacilityForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = ["name", "kind", "province", "city", "address", "capacity", "operator_name", "operator_credit_code"]

    def clean_operator_credit_code(self):
        return credit_code_normalise(self.cleaned_data["operator_credit_code"])


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = ["name", "credit_code", "region", "business", "contact_person", "contact_phone"]

    def clean_credit_code(self):
        return credit_code_normalise(self.cleaned_data["credit_code"])


class RoundForm(forms.Form):
    scheme = forms.ModelChoiceField(label=_("Scheme"), queryset=RatingScheme.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Leave empty for the usual title.")
    )

    def __init__(self, *args, schemes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = schemes
        self.fields["year"].initial = timezone.localdate().year


class ApplicationForm(forms.Form):
    """A facility or enterprise of the registry applies in the round."""

    subject = forms.ModelChoiceField(label=_("Applicant"), queryset=Facility.objects.none())
    submitted_on = DateField(
        label=_("Submitted on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )

    def __init__(self, *args, subjects, label, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects
        self.fields["subject"].label = label


class ScoresForm(forms.Form):
    """One expert's points: one number field per criterion, named criterion_<position>."""

    expert = forms.CharField(label=_("Expert"), max_length=50)

    def __init__(self, *args, criteria: list[Criterion], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"criterion_{criterion.position}"] = forms.DecimalField(
                label=SCORE_LABEL % {"criterion": criterion.name, "max": criterion.max_text},
                min_value=0,
                max_digits=5,
                decimal_places=1,
                # The browser keeps to the maximum; the service checks it, in its own words.
                widget=forms.NumberInput(attrs={"max": criterion.max_text}),
            )

    def scores(self) -> dict[Criterion, object]:
        return {criterion: self.cleaned_data[f"criterion_{criterion.position}"] for criterion in self.criteria}


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the revocation"), widget=forms.Textarea(attrs={"rows": 3}), max_length=NOTE_LENGTH
    )
