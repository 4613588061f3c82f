"""Campaign pages: the list, a campaign's coverage and phases on a date, a new campaign with the
seed's phases, and a street's target list. Clerks of the district write; leaders read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from . import campaign, selectors, services
from .forms import CampaignForm, OnDateForm, StreetTargetForm
from .models import CampaignPhase, StreetTarget
from .site_views import _add_errors, _forbidden


@login_required
def campaign_list(request):
    campaigns = selectors.campaigns_visible_to(request.user).prefetch_related(
        Prefetch("phases", queryset=CampaignPhase.objects.order_by("deadline"))
    )
    context = {
        "campaigns": campaigns,
        "can_create": selectors.districts_changeable_by(request.user).exists(),
    }
    return render(request, "classification/campaign_list.html", context)


@login_required
def campaign_detail(request, campaign_id: int):
    the_campaign = get_object_or_404(selectors.campaigns_visible_to(request.user), pk=campaign_id)
    on = OnDateForm.date_of(request.GET)
    streets = campaign.coverage_by_street(district=the_campaign.district, on=on, campaign=the_campaign)
    context = {
        "campaign": the_campaign,
        "on": on,
        "on_form": OnDateForm(initial={"on": on}),
        "streets": streets,
        "district_rate": campaign.district_rate(streets),
        "demonstration_kinds": [row[0] for row in streets[0].demonstration_rows] if streets else [],
        "phases": campaign.campaign_progress(campaign=the_campaign, on=on),
        "can_change": selectors.campaigns_changeable_by(request.user).filter(pk=the_campaign.pk).exists(),
    }
    return render(request, "classification/campaign_detail.html", context)


@login_required
def campaign_create(request):
    districts = selectors.districts_changeable_by(request.user)
    if not districts.exists():
        return _forbidden(request)
    form = CampaignForm(request.POST or None, districts=districts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.campaign_create(
                district=data["district"], year=data["year"], title=data["title"], phases=form.phases(), by=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Campaign created: %(title)s.") % {"title": created.title})
            return redirect("classification:campaign-detail", created.pk)
    return render(request, "classification/campaign_form.html", {"form": form})


@login_required
def street_target_edit(request, campaign_id: int, street_id: int):
    the_campaign = get_object_or_404(selectors.campaigns_visible_to(request.user), pk=campaign_id)
    street = get_object_or_404(
        selectors.streets_visible_to(request.user).filter(path__startswith=the_campaign.district.path), pk=street_id
    )
    if not selectors.campaigns_changeable_by(request.user).filter(pk=the_campaign.pk).exists():
        return _forbidden(request)
    target = StreetTarget.objects.filter(campaign=the_campaign, street=street).first()
    initial = {"sites": list(target.sites.values_list("pk", flat=True)), "note": target.note} if target else {}
    form = StreetTargetForm(request.POST or None, street=street, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.street_target_set(
                campaign=the_campaign,
                street=street,
                sites=list(form.cleaned_data["sites"]),
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Target list of %(street)s saved: %(count)d sites.")
                % {"street": street.display_name, "count": len(form.cleaned_data["sites"])},
            )
            return redirect("classification:campaign-detail", the_campaign.pk)
    context = {"campaign": the_campaign, "street": street, "form": form, "target": target}
    return render(request, "classification/campaign_target_form.html", context)


urlpatterns = [
    path("campaigns/", campaign_list, name="campaign-list"),
    path("campaigns/new/", campaign_create, name="campaign-create"),
    path("campaigns/<int:campaign_id>/", campaign_detail, name="campaign-detail"),
    path("campaigns/<int:campaign_id>/streets/<int:street_id>/", street_target_edit, name="street-target-edit"),
]
