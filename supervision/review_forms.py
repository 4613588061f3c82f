"""Forms of the review pages: rectification list and actions, score periods, scheme drafts."""

from django import forms
from django.forms import inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from classification.forms import DATE_INPUT, UnitChoiceField
from classification.models import SiteKind
from sanitation.core.forms import NOTE_LENGTH, DateField, text_limit
from sanitation.organisations.models import Unit

from . import scores
from .models import AssessmentScheme, Criterion, DeductionRule, ProblemType, RectificationState, ScoreSource

# Rectifications ---------------------------------------------------------------------------------

OPEN = ""  # the list's default: every state but closed
ALL = "all"


class RectificationFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[(OPEN, _("Open")), *RectificationState.choices, (ALL, _("All"))],
    )
    street = UnitChoiceField(queryset=Unit.objects.none(), label=_("Street"), required=False)

    def __init__(self, *args, streets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets

    def filters(self) -> dict:
        if not self.is_valid():
            return {"state": OPEN, "street": None}
        return {"state": self.cleaned_data["state"], "street": self.cleaned_data["street"]}


class PhotoInput(forms.FileInput):
    allow_multiple_selected = True

    def __init__(self, attrs=None):
        # The phone offers its camera first; any image the gallery holds is still accepted.
        super().__init__({"accept": "image/*", "capture": "environment", **(attrs or {})})


class PhotosField(forms.FileField):
    """Any number of files; their content is checked by photos.photo_accept, not here."""

    widget = PhotoInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(PhotosField, self).clean(upload, initial) for upload in files]


class RectificationActForm(forms.Form):
    """What every action posts: the version the user saw and, for photos, those already
    accepted by an earlier attempt that another photo spoilt (so they need not be taken again)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    staged = forms.CharField(widget=forms.HiddenInput, required=False)
    has_photos = False
    kept_photos = ()  # photos accepted by an earlier attempt, shown again as thumbnails

    def staged_ids(self) -> list[int]:
        raw = self.cleaned_data.get("staged", "") if hasattr(self, "cleaned_data") else ""
        # isdecimal, not isdigit: "²" is a digit that int() refuses; an id has at most 18 digits.
        return [int(part) for part in map(str.strip, raw.split(",")) if part.isdecimal() and len(part) <= 18]

    def arguments(self) -> dict:
        """Keyword arguments of the service, besides the rectification, user, photos and version."""
        return {"text": self.cleaned_data["text"]}


class RectificationStartForm(RectificationActForm):
    text = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RectificationAnswerForm(RectificationActForm):
    text = forms.CharField(label=_("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    photos = PhotosField(label=_("Photos"), required=False)
    has_photos = True


class RectificationCloseForm(RectificationActForm):
    text = forms.CharField(
        label=_("Re-inspection note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = PhotosField(label=_("Photos"), required=False)
    has_photos = True


class RectificationSendBackForm(RectificationActForm):
    text = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    deadline = DateField(
        label=_("New deadline"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Leave empty to keep the current deadline."),
    )
    photos = PhotosField(label=_("Photos"), required=False)
    has_photos = True

    def arguments(self) -> dict:
        return {"text": self.cleaned_data["text"], "deadline": self.cleaned_data["deadline"]}


# Scores and subsidies ---------------------------------------------------------------------------

PERIOD_KINDS = list(scores.PERIOD_KINDS.items())


class PeriodForm(forms.Form):
    kind = forms.ChoiceField(label=_("Period"), choices=PERIOD_KINDS, required=False)
    day = DateField(label=_("Containing the day"), widget=DATE_INPUT, required=False)
    district = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("District"), required=False)

    def __init__(self, *args, districts, default_kind: str = "week", **kwargs):
        # What the page shows when nothing is asked: the current period of the default kind.
        kwargs.setdefault("initial", {"kind": default_kind, "day": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.default_kind = default_kind
        self.districts = list(districts)
        self.fields["district"].queryset = districts
        if len(self.districts) < 2:
            # One district: nothing to choose.
            self.fields["district"].widget = forms.HiddenInput()

    def choice(self) -> tuple[str, object, Unit | None]:
        """(kind, day, district) asked for; the defaults for what is missing or nonsense."""
        data = self.cleaned_data if self.is_valid() else {}
        kind = data.get("kind") or self.default_kind
        day = data.get("day") or timezone.localdate()
        district = data.get("district") or (self.districts[0] if self.districts else None)
        return kind, day, district


# Schemes ------------------------------------------------------------------------------------------

SCHEME_FIELDS = (
    "title",
    "note",
    "serious_days",
    "general_days",
    "minor_days",
    "red_top",
    "red_min_score",
    "black_bottom",
    "black_max_score",
)


class SchemeForm(forms.ModelForm):
    class Meta:
        model = AssessmentScheme
        fields = SCHEME_FIELDS
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        text_limit(self.fields["note"], NOTE_LENGTH)


class PutInForceForm(forms.Form):
    on = DateField(label=_("In force from"), widget=DATE_INPUT)


class CriterionForm(forms.ModelForm):
    site_kinds = forms.MultipleChoiceField(
        label=_("Site kinds (none ticked: every kind)"),
        choices=SiteKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Criterion
        fields = ("name", "points", "site_kinds", "order")


class SourceForm(forms.ModelForm):
    class Meta:
        model = ScoreSource
        fields = ("kind", "name", "weight")


class DeductionRuleForm(forms.ModelForm):
    class Meta:
        model = DeductionRule
        fields = ("problem_type", "criterion", "points")

    def __init__(self, *args, problem_type_choices, criterion_choices, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are read once per page, not once per row.
        self.fields["problem_type"].queryset = ProblemType.objects.filter(is_active=True)
        self.fields["problem_type"].choices = problem_type_choices
        self.fields["criterion"].queryset = criteria
        self.fields["criterion"].choices = criterion_choices


CriterionFormSet = inlineformset_factory(
    AssessmentScheme, Criterion, form=CriterionForm, extra=1, can_delete=True, min_num=0
)
SourceFormSet = inlineformset_factory(AssessmentScheme, ScoreSource, form=SourceForm, extra=1, can_delete=True)
DeductionRuleFormSet = inlineformset_factory(
    AssessmentScheme, DeductionRule, form=DeductionRuleForm, extra=2, can_delete=True
)


def scheme_formsets(scheme: AssessmentScheme, data=None) -> dict:
    """The three formsets of a draft's edit page, bound to `data` when posted."""
    criteria = scheme.criteria.all()
    empty = [("", "---------")]
    problem_type_choices = empty + [(t.pk, t.name) for t in ProblemType.objects.filter(is_active=True)]
    criterion_choices = empty + [(c.pk, c.name) for c in criteria]
    return {
        "criteria": CriterionFormSet(data, instance=scheme, prefix="criteria", queryset=criteria),
        "sources": SourceFormSet(data, instance=scheme, prefix="sources", queryset=scheme.sources.all()),
        "rules": DeductionRuleFormSet(
            data,
            instance=scheme,
            prefix="rules",
            queryset=scheme.deduction_rules.select_related("problem_type", "criterion"),
            form_kwargs={
                "problem_type_choices": problem_type_choices,
                "criterion_choices": criterion_choices,
                "criteria": criteria,
            },
        ),
    }
