"""A site's history (created, each field edited, deleted, restored) on its page, and soft deletion:
a deleted site leaves the registry's lists, counts and API, its name may be given again, and it can
be restored unless that name was taken meanwhile."""

import importlib
import json
from datetime import date

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classification import ledgers, selectors, services
from classification.campaign import campaign_progress, coverage_by_street
from classification.models import HouseholdParticipation, Site, SiteKind
from sanitation.core.history import history_of, record
from sanitation.core.models import Change, ChangeAction
from sanitation.organisations.models import Role, Unit

from ..factories import SiteFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_zh(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


@pytest.fixture
def street(district_a):
    return Unit.objects.get(code="A-JD1")


@pytest.fixture
def garden(street, clerk_a):
    return services.site_create(by=clerk_a, street=street, name="阳光花园", kind=SiteKind.MANAGED_ESTATE)


def lines(site) -> list[tuple]:
    return [(c.action, c.field, c.old, c.new, c.user) for c in reversed(history_of(site))]


def test_adding_and_editing_a_site_on_its_pages_leave_one_line_per_field(client, clerk_a, street):
    client.force_login(clerk_a)
    client.post("/sorting/sites/new/", {"street": street.pk, "name": "幸福里", "kind": "open_estate"})
    site = Site.objects.get(name="幸福里")
    data = {"street": street.pk, "name": "幸福里", "kind": "school", "covered_since": "2026-06-20"}
    assert client.post(f"/sorting/sites/{site.pk}/edit/", data).status_code == 302
    assert client.post(f"/sorting/sites/{site.pk}/edit/", data).status_code == 302  # nothing changed: no line
    assert lines(site) == [
        (ChangeAction.CREATED, "", "", "幸福里", clerk_a),
        (ChangeAction.CHANGED, "kind", "open_estate", "school", clerk_a),
        (ChangeAction.CHANGED, "covered_since", "", "2026-06-20", clerk_a),
    ]


def test_the_site_page_shows_its_history_in_chinese_and_another_district_gets_404(client_zh, garden, clerk_a, clerk_b):
    services.site_update(site=garden, by=clerk_a, kind=SiteKind.SCHOOL)
    leader = member(Unit.objects.get(code="A"), Role.LEADER, username="leader_a")
    client_zh.force_login(leader)
    page = client_zh.get(f"/sorting/sites/{garden.pk}/").content.decode()
    history = page[page.index('id="history"') :]
    assert "修改记录" in history and "阳光花园" in history
    assert "学校" in history  # the kind's label in the reader's language, not its code
    assert str(clerk_a) in history
    client_zh.force_login(clerk_b)
    assert client_zh.get(f"/sorting/sites/{garden.pk}/").status_code == 404


def test_the_site_page_queries_do_not_grow_with_its_history(client, garden, clerk_a):
    client.force_login(clerk_a)
    client.get(f"/sorting/sites/{garden.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/sorting/sites/{garden.pk}/")
    for n in range(20):
        record(garden, by=clerk_a, field="households", old=n, new=n + 1)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/sorting/sites/{garden.pk}/")
    assert len(many) == len(few)


def test_a_deleted_site_leaves_the_lists_the_page_and_the_api_but_is_kept(client, garden, clerk_a):
    other = SiteFactory(street=garden.street, name="老街片区", kind=SiteKind.OPEN_ESTATE)
    services.site_delete(site=garden, by=clerk_a, reason="已拆迁")
    kept = Site.all_objects.get(pk=garden.pk)
    assert kept.is_deleted and kept.deleted_by == clerk_a and kept.name == "阳光花园"
    assert lines(kept)[-1] == (ChangeAction.DELETED, "", "", "已拆迁", clerk_a)

    client.force_login(clerk_a)
    assert [s.pk for s in client.get("/sorting/sites/").context["page"]] == [other.pk]
    assert client.get(f"/sorting/sites/{garden.pk}/").status_code == 404
    assert client.get(f"/sorting/sites/{garden.pk}/edit/").status_code == 404
    assert [row["name"] for row in client.get("/api/v1/sites/").json()["results"]] == ["老街片区"]
    assert client.get(f"/api/v1/sites/{garden.pk}/").status_code == 404
    assert list(selectors.sites_visible_to(clerk_a)) == [other]


def test_a_deleted_site_no_longer_counts_in_coverage_targets_or_participation(garden, clerk_a, district_a):
    street = garden.street
    covered = SiteFactory(street=street, name="老街片区", covered_since=date(2026, 1, 1))
    campaign = services.campaign_create(district=district_a, year=2026, title="全覆盖")
    services.street_target_set(campaign=campaign, street=street, sites=[garden, covered])
    HouseholdParticipation.objects.create(site=garden, counted_on=date(2026, 5, 1), households=30)
    on = date(2026, 6, 1)

    def street_row(rows):
        return next(row for row in rows if row.street == street)

    before = street_row(coverage_by_street(district=district_a, on=on, campaign=campaign))
    assert (before.total, before.covered) == (2, 1)
    assert street_row(coverage_by_street(district=district_a, on=on)).total == 2
    services.site_delete(site=garden, by=clerk_a)

    after = street_row(coverage_by_street(district=district_a, on=on, campaign=campaign))
    assert (after.total, after.covered, after.rate) == (1, 1, 100)
    assert street_row(coverage_by_street(district=district_a, on=on)).total == 1
    phases = campaign_progress(campaign=campaign, on=on)
    assert all("阳光花园" not in street_row(phase.streets).uncovered_sites for phase in phases)
    assert ledgers.participation_visible_to(clerk_a).count() == 0
    # Still on the target list: restoring the site puts it back where it was.
    services.site_restore(site=garden, by=clerk_a)
    assert street_row(coverage_by_street(district=district_a, on=on, campaign=campaign)).total == 2


def test_a_deleted_sites_name_may_be_given_again_and_then_it_cannot_be_restored(garden, clerk_a):
    services.site_delete(site=garden, by=clerk_a)
    again = services.site_create(by=clerk_a, street=garden.street, name="阳光花园", kind=SiteKind.SCHOOL)
    with pytest.raises(ValidationError) as refused:
        services.site_restore(site=garden, by=clerk_a)
    assert "阳光花园" in refused.value.messages[0]
    assert Site.all_objects.get(pk=garden.pk).is_deleted
    with pytest.raises(ValidationError):  # two live sites of one name in a street: still refused
        services.site_create(by=clerk_a, street=garden.street, name="阳光花园", kind=SiteKind.SCHOOL)
    services.site_update(site=again, by=clerk_a, name="阳光新苑")
    restored = services.site_restore(site=garden, by=clerk_a)
    assert not restored.is_deleted and lines(restored)[-1][:1] == (ChangeAction.RESTORED,)


def test_admin_delete_of_a_site_is_soft_and_the_admin_restores_it(admin_client, admin_user, garden):
    assert admin_client.post(f"/admin/classification/site/{garden.pk}/delete/", {"post": "yes"}).status_code == 302
    assert Site.all_objects.get(pk=garden.pk).deleted_by == admin_user
    assert not Site.objects.filter(pk=garden.pk).exists()
    listed = admin_client.get("/admin/classification/site/?deleted=yes").context["cl"].result_list
    assert [site.pk for site in listed] == [garden.pk]
    admin_client.post("/admin/classification/site/", {"action": "restore_sites", "_selected_action": [garden.pk]})
    assert Site.objects.filter(pk=garden.pk).exists()
    assert [c.action for c in history_of(garden)][:2] == [ChangeAction.RESTORED, ChangeAction.DELETED]


def test_admin_restore_says_why_a_site_whose_name_was_taken_stays_deleted(admin_client, garden, clerk_a):
    services.site_delete(site=garden, by=clerk_a)
    SiteFactory(street=garden.street, name="阳光花园")
    response = admin_client.post(
        "/admin/classification/site/", {"action": "restore_sites", "_selected_action": [garden.pk]}, follow=True
    )
    assert "阳光花园" in " ".join(str(m) for m in response.context["messages"])
    assert Site.all_objects.get(pk=garden.pk).is_deleted


def test_admin_edit_of_a_site_goes_into_its_history(admin_client, admin_user, garden):
    url = f"/admin/classification/site/{garden.pk}/change/"
    data = {"street": garden.street_id, "name": "阳光花园", "kind": "managed_estate", "households": "320"}
    assert admin_client.post(url, data).status_code == 302
    assert lines(garden)[-1] == (ChangeAction.CHANGED, "households", "", "320", admin_user)


def test_the_migration_turns_the_sites_admin_log_into_history(garden, clerk_a):
    Change.objects.all().delete()
    site_type = ContentType.objects.get_for_model(Site)
    common = {"user": clerk_a, "content_type": site_type, "object_id": str(garden.pk), "object_repr": "阳光花园"}
    LogEntry.objects.create(action_flag=ADDITION, change_message=json.dumps([{"added": {}}]), **common)
    changed = [{"changed": {"fields": ["households", "address"]}}]
    LogEntry.objects.create(action_flag=CHANGE, change_message=json.dumps(changed), **common)
    migration = importlib.import_module("classification.migrations.0004_site_history_from_admin_log")
    migration.forwards(apps, None)
    assert sorted((c.action, c.field, c.new, c.user) for c in history_of(garden)) == [
        (ChangeAction.CHANGED, "address", "", clerk_a),
        (ChangeAction.CHANGED, "households", "", clerk_a),
        (ChangeAction.CREATED, "", "阳光花园", clerk_a),
    ]
