"""Writes of waste sorting: sites and the coverage campaign. Each write is atomic. A site's writes
go into its history (sanitation.core.history), which its page shows; the campaign's leave an admin
log entry naming who made them."""

import json
from datetime import date
from decimal import Decimal

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from sanitation.core.deletion import restore, soft_delete
from sanitation.core.history import record, record_changes
from sanitation.core.models import ChangeAction
from sanitation.organisations.models import Unit, UnitKind

from .campaign import SEED_PHASES
from .models import Campaign, CampaignPhase, Site, StreetTarget

SITE_FIELDS = (
    "street",
    "community",
    "name",
    "kind",
    "households",
    "property_company",
    "contact_name",
    "contact_phone",
    "address",
    "covered_since",
    "is_demonstration",
)
NOT_A_DISTRICT = _("A campaign belongs to a district.")
CAMPAIGN_EXISTS = _("This district already has a campaign for that year.")
DEADLINE_OUTSIDE_YEAR = _("Each deadline must fall in the campaign's year.")
SITE_OF_ANOTHER_STREET = _("Only sites of the street itself can be on its target list.")
STREET_OUTSIDE_DISTRICT = _("The street does not belong to the campaign's district.")
SITE_NAME_TAKEN = _("The street already has a site named %(name)s; rename one of them first.")


def _log(*, by, obj, flag: int, fields: list[str] | None = None) -> None:
    if by is None or not by.pk:
        return
    message = [{"added": {}}] if flag == ADDITION else [{"changed": {"fields": fields or []}}]
    LogEntry.objects.create(
        user=by,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=flag,
        change_message=json.dumps(message),
    )


@transaction.atomic
def site_create(*, by=None, **fields) -> Site:
    """A new site; raises ValidationError (community outside the street, name taken in the street…)."""
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise ValueError(f"not site fields: {', '.join(sorted(unknown))}")
    site = Site(**fields)
    site.full_clean()
    site.save()
    record(site, by=by, action=ChangeAction.CREATED, new=site.name)
    return site


@transaction.atomic
def site_update(*, site: Site, by=None, **changes) -> list[str]:
    """Change a site's fields; returns the names of the fields that changed."""
    site = Site.objects.select_for_update().get(pk=site.pk)
    changed = {}
    for name, value in changes.items():
        if name not in SITE_FIELDS:
            raise ValueError(f"{name} is not a site field")
        if getattr(site, name) != value:
            changed[name] = (getattr(site, name), value)
            setattr(site, name, value)
    if not changed:
        return []
    site.full_clean()
    site.save()
    record_changes(site, changed, by=by)
    return list(changed)


@transaction.atomic
def site_delete(*, site: Site, by=None, reason: str = "") -> None:
    """Take a site out of the registry (soft): its page, the lists, the rotation and the counts no
    longer have it. Its inspections and rectifications stay as they were."""
    soft_delete(Site.all_objects.select_for_update().get(pk=site.pk), by=by, reason=reason)


@transaction.atomic
def site_restore(*, site: Site, by=None) -> Site:
    """Bring a deleted site back, unless another site of its street has taken its name meanwhile."""
    locked = Site.all_objects.select_for_update().get(pk=site.pk)
    if locked.deleted_at is not None and Site.objects.filter(street_id=locked.street_id, name=locked.name).exists():
        raise ValidationError(SITE_NAME_TAKEN, code="name_taken", params={"name": locked.name})
    restore(locked, by=by)
    return locked


def seed_phases(year: int) -> list[dict]:
    """The seed's three phases for a year: 6月30日 demonstration sites, 9月30日 and 11月30日 full coverage."""
    return [
        {"kind": kind, "deadline": date(year, month, day), "target_rate": target, "demonstration_sites_due": due}
        for kind, month, day, target, due in SEED_PHASES
    ]


@transaction.atomic
def campaign_create(*, district: Unit, year: int, title: str, phases: list[dict] | None = None, by=None) -> Campaign:
    """A district's campaign for a year with its phases (the seed's when none are given)."""
    if district.kind != UnitKind.DISTRICT:
        raise ValidationError({"district": NOT_A_DISTRICT})
    if Campaign.objects.filter(district=district, year=year).exists():
        raise ValidationError({"year": CAMPAIGN_EXISTS})
    phases = seed_phases(year) if phases is None else phases
    if any(phase["deadline"].year != year for phase in phases):
        raise ValidationError(DEADLINE_OUTSIDE_YEAR)
    campaign = Campaign(district=district, year=year, title=title.strip())
    campaign.full_clean()
    campaign.save()
    CampaignPhase.objects.bulk_create(
        CampaignPhase(
            campaign=campaign,
            kind=phase["kind"],
            deadline=phase["deadline"],
            target_rate=Decimal(phase.get("target_rate") or 0),
            demonstration_sites_due=bool(phase.get("demonstration_sites_due")),
        )
        for phase in phases
    )
    _log(by=by, obj=campaign, flag=ADDITION)
    return campaign


@transaction.atomic
def street_target_set(*, campaign: Campaign, street: Unit, sites: list[Site], note: str = "", by=None) -> StreetTarget:
    """Set the list of sites a street must cover in the campaign (replacing the previous list)."""
    if street.kind != UnitKind.STREET or not street.path.startswith(campaign.district.path):
        raise ValidationError(STREET_OUTSIDE_DISTRICT)
    if any(site.street_id != street.pk for site in sites):
        raise ValidationError(SITE_OF_ANOTHER_STREET)
    target, _created = StreetTarget.objects.select_for_update().get_or_create(
        campaign=campaign, street=street, defaults={"note": note.strip()}
    )
    if target.note != note.strip():
        target.note = note.strip()
        target.save(update_fields=["note"])
    target.sites.set(sites)
    _log(by=by, obj=target, flag=CHANGE, fields=["sites", "note"])
    return target
