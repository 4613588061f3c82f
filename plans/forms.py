from django import forms
from django.utils.translation import gettext_lazy as _

from sanitation.core.forms import LONG_TEXT_LENGTH, DateField
from sanitation.documents.models import Circular
from sanitation.organisations.models import Unit

from .models import Category, Item
from .selectors import ItemStatus
from .sources import MAX_DOCUMENT_BYTES, MAX_DOCUMENT_CHARS, UnreadableDocument, document_text


class PlanDocumentForm(forms.Form):
    issuer = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Issuing unit"))
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    document = forms.FileField(label=_("Document (.txt, .md, .docx)"), required=False)
    text = forms.CharField(
        label=_("Or paste the text"),
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        max_length=MAX_DOCUMENT_CHARS,
    )

    def __init__(self, *args, issuers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = issuers

    def clean(self):
        data = super().clean()
        upload = data.get("document")
        if upload:
            if upload.size > MAX_DOCUMENT_BYTES:
                raise forms.ValidationError(_("The file is larger than 10 MB."))
            try:
                data["text"] = document_text(upload.name, upload.read())
            except UnreadableDocument as error:
                raise forms.ValidationError(str(error)) from error
        if "text" not in self.errors and not (data.get("text") or "").strip():  # a refused text says why
            raise forms.ValidationError(_("Upload the plan's document or paste its text."))
        return data


class PlanIssueForm(forms.Form):
    recipients = forms.CharField(
        label=_("Recipients"), required=False, max_length=Circular._meta.get_field("recipients").max_length
    )


class ItemForm(forms.Form):
    title = forms.CharField(label=_("Short title"), max_length=200)
    text = forms.CharField(label=_("Full text"), widget=forms.Textarea(attrs={"rows": 6}), max_length=LONG_TEXT_LENGTH)
    category = forms.ModelChoiceField(queryset=Category.objects.all(), label=_("Category"), required=False)
    deadline = DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    lead_units = forms.ModelMultipleChoiceField(queryset=Unit.objects.none(), label=_("Lead units"), required=False)
    assisting_units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.none(), label=_("Assisting units"), required=False
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_units"].queryset = units
        self.fields["assisting_units"].queryset = units

    @classmethod
    def initial_for(cls, item: Item) -> dict:
        return {
            "title": item.title,
            "text": item.text,
            "category": item.category_id,
            "deadline": item.deadline,
            "lead_units": list(item.lead_units.all()),
            "assisting_units": list(item.assisting_units.all()),
        }


class BoardFilterForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.all(), label=_("Category"), required=False)
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Unit"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["status"].choices = [("", "---------"), *ItemStatus.CHOICES]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


class ProgressReportForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Reporting for"), empty_label=None)
    month = DateField(
        label=_("Month"), input_formats=["%Y-%m"], widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    )
    percent = forms.IntegerField(label=_("Percent done"), min_value=0, max_value=100)
    text = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    attachment = forms.FileField(label=_("Attachment (PDF, Word, Excel, photo; at most 10 MB)"), required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class IndicatorValueForm(forms.Form):
    indicator = forms.IntegerField(widget=forms.HiddenInput)
    value = forms.DecimalField(label=_("Actual value"), max_digits=12, decimal_places=2, min_value=0)


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_on = DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
