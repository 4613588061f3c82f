from django import forms
from django.utils.translation import gettext_lazy as _

from sanitation.core.forms import NOTE_LENGTH, DateField, text_limit

from .models import Circular, CircularKind, CircularStatus
from .services import DRAFT_FIELDS

# A circular is a few pages; twenty thousand characters is fifteen, and a PDF still made in seconds.
BODY_LENGTH = 20_000


class CircularForm(forms.ModelForm):
    class Meta:
        model = Circular
        # The draft fields staff write; figures come from reports, never from a form.
        fields = ["issuer", *(name for name in DRAFT_FIELDS if name != "figures")]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 18}),
            "attachments": forms.Textarea(attrs={"rows": 3}),
            "copy_to": forms.Textarea(attrs={"rows": 2}),
            "written_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "printed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        field_classes = {"written_on": DateField, "printed_on": DateField}

    def __init__(self, *args, issuers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = issuers
        self.fields["issuer"].empty_label = None
        text_limit(self.fields["body"], BODY_LENGTH)
        text_limit(self.fields["attachments"], NOTE_LENGTH)
        if self.instance.pk:
            self.fields["issuer"].disabled = True  # the number belongs to the issuer chosen at first

    def clean_body(self):
        body = self.cleaned_data["body"]
        if "\x00" in body:
            raise forms.ValidationError(_("The text holds a NUL character; paste it again as plain text."))
        return body


class CircularFilterForm(forms.Form):
    issuer = forms.ModelChoiceField(queryset=None, required=False, label=_("Issuer"), empty_label=_("All issuers"))
    kind = forms.ChoiceField(choices=[("", _("All kinds")), *CircularKind.choices], required=False, label=_("Kind"))
    year = forms.IntegerField(required=False, min_value=2000, max_value=2100, label=_("Year"))
    status = forms.ChoiceField(
        choices=[("", _("All states")), *CircularStatus.choices], required=False, label=_("Status")
    )

    def __init__(self, *args, issuers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = issuers

    def filters(self) -> dict:
        self.is_valid()  # an invalid field is shown with its error and left out; the others still filter
        data = getattr(self, "cleaned_data", {})
        return {
            "issuer": data["issuer"].pk if data.get("issuer") else None,
            "kind": data.get("kind"),
            "year": data.get("year"),
            "status": data.get("status"),
        }
