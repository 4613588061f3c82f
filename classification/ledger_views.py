"""The ledgers' list pages (台账): facilities, collection, publicity, people, participation.

Each is filtered by street, community, date range and kind, paginated, and shows only the
rows of the user's streets; the collection ledger adds the totals of the filtered rows.
A page costs the same number of queries however many rows there are.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import ledgers
from .models import FacilityKind, PersonRole, PublicityKind, SiteKind

PAGE_SIZE = 50
FROM_AFTER_TO = _("The start date is after the end date.")


@dataclass(frozen=True)
class LedgerPage:
    slug: str
    title: str
    rows: Callable  # user → the ledger's rows the user sees
    kinds: list | None = None
    importable: bool = True


PAGES = {
    page.slug: page
    for page in (
        LedgerPage("facilities", _("Facilities ledger"), ledgers.facilities_visible_to, FacilityKind.choices),
        LedgerPage("collection", _("Collection ledger"), ledgers.collection_records_visible_to),
        LedgerPage("publicity", _("Publicity ledger"), ledgers.publicity_activities_visible_to, PublicityKind.choices),
        LedgerPage("people", _("People ledger"), ledgers.sorting_people_visible_to, PersonRole.choices),
        LedgerPage("participation", _("Household participation"), ledgers.participation_visible_to, None, False),
    )
}


class LedgerFilterForm(forms.Form):
    street = forms.ModelChoiceField(queryset=None, required=False, label=_("Street"))
    community = forms.ModelChoiceField(queryset=None, required=False, label=_("Community"))
    date_from = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(required=False, label=_("Kind"))
    site_kind = forms.ChoiceField(required=False, label=_("Site kind"), choices=[("", "—"), *SiteKind.choices])

    def __init__(self, *args, user, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = ledgers.ledger_streets(user)
        self.fields["community"].queryset = ledgers.ledger_communities(user)
        if kinds:
            self.fields["kind"].choices = [("", "—"), *kinds]
        else:
            del self.fields["kind"]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", FROM_AFTER_TO)
        return data

    def filters(self) -> dict:
        """The valid filters (an invalid one is shown with its error and not applied)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


def ledger_rows(request, page: LedgerPage):
    """(the filter form, the user's rows of the ledger narrowed by it)."""
    form = LedgerFilterForm(request.GET or None, user=request.user, kinds=page.kinds)
    return form, ledgers.ledger_filter(page.rows(request.user), **form.filters())


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def ledger_list(request, ledger: str):
    page = PAGES[ledger]
    form, rows = ledger_rows(request, page)
    context = {"ledger": page, "pages": PAGES.values(), "filter_form": form, "query": _query_without_page(request)}
    if ledger == "collection":
        context["totals"] = ledgers.collection_totals(rows)
        rows = rows.annotate(total_t=F("recyclable_t") + F("hazardous_t") + F("kitchen_t") + F("other_t"))
    if ledger == "participation":
        rows = rows.order_by("site__street__path", "site__name", "-counted_on")
    context["page"] = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context["can_import"] = page.importable and ledgers.ledger_streets(request.user, change=True).exists()
    return render(request, f"classification/ledger_{ledger}.html", context)


urlpatterns = [
    path(f"ledgers/{slug}/", ledger_list, {"ledger": slug}, name=f"ledger-{slug}")
    for slug in ("facilities", "collection", "publicity", "people", "participation")
]
