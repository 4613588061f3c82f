"""The clerk's day: today's assigned sites (done or not), the rectifications waiting for
re-inspection, the inspections recorded so far; leaders read, unit staff go elsewhere."""

import datetime
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision import rectifications
from supervision.day_views import REASONS
from supervision.inspections import ProblemInput, inspection_record
from supervision.models import Assignment, RectificationState
from supervision.rotation import REASON_DUE
from tests.factories import SiteFactory

from .conftest import scheme_build

DAY_URL = "/supervision/"


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def scheme_now(district):
    year = timezone.localdate().year
    return scheme_build(district, year=year, in_force_from=datetime.date(year, 1, 1))


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def row_of(page: str, site) -> str:
    match = re.search(rf'<li class="card-row assignment[^"]*" data-site="{site.pk}">.*?</li>', page, re.S)
    assert match, site.name
    return match.group(0)


def awaiting_rectification(site, clerk, street_user, problem_type):
    inspection = inspection_record(site=site, recorded_by=clerk, problems=[ProblemInput(problem_type)])
    rectification = inspection.problems.get().rectification
    return rectifications.rectification_answer(rectification=rectification, by=street_user, text="已整改")


def test_reverse_name():
    assert reverse("supervision:day") == DAY_URL


def test_a_clerk_gets_todays_sites_with_inspect_links(client, clerk, scheme_now, sites, english):
    client.force_login(clerk)
    page = page_of(client.get(DAY_URL))
    today = timezone.localdate()
    # Nothing was ever inspected: every site is due today, and the only clerk gets them all.
    assert set(Assignment.objects.filter(day=today, clerk=clerk).values_list("site_id", flat=True)) == {
        s.pk for s in sites
    }
    for site in sites:
        row = row_of(page, site)
        assert site.name in row and site.street.name in row and site.get_kind_display() in row
        assert f'href="{reverse("supervision:inspect", args=[site.pk])}"' in row
        assert str(REASONS[REASON_DUE]) in row
        assert "done-mark" not in row
    assert "0/9" in page
    # A second visit keeps the same list.
    page_of(client.get(DAY_URL))
    assert Assignment.objects.filter(day=today).count() == 9


def test_two_clerks_share_the_streets(client, clerk, second_clerk, scheme_now, sites):
    seen = {}
    for user in (clerk, second_clerk):
        client.force_login(user)
        page = page_of(client.get(DAY_URL))
        seen[user.pk] = {site.pk for site in sites if f'data-site="{site.pk}"' in page}
    assert seen[clerk.pk] and seen[second_clerk.pk]
    assert seen[clerk.pk].isdisjoint(seen[second_clerk.pk])
    assert seen[clerk.pk] | seen[second_clerk.pk] == {site.pk for site in sites}
    # A street's sites go to one clerk.
    for pks in seen.values():
        streets = {site.street_id for site in sites if site.pk in pks}
        assert {site.pk for site in sites if site.street_id in streets} == pks


def test_done_sites_awaiting_reviews_and_inspections_of_the_day(
    client, clerk, street_user, scheme_now, sites, problem_types, english
):
    client.force_login(clerk)
    page_of(client.get(DAY_URL))  # the day's list is made
    rectification = awaiting_rectification(sites[0], clerk, street_user, problem_types["mixed-disposal"])
    assert rectification.state == RectificationState.AWAITING_REVIEW

    page = page_of(client.get(DAY_URL))
    row = row_of(page, sites[0])
    assert 'class="card-row assignment done"' in row and "done-mark" in row and "inspect-button again" in row
    assert "1/9" in page
    awaiting = page.split('id="awaiting-review"')[1].split("</section>")[0]
    assert reverse("supervision:rectification-detail", args=[rectification.pk]) in awaiting
    assert "A第1街道花园 · 混投" in awaiting
    done = page.split('id="inspections-done"')[1].split("</section>")[0]
    inspection = rectification.problem.inspection
    assert reverse("supervision:inspection-detail", args=[inspection.pk]) in done
    assert "95.00%" in done and "A第1街道花园" in done


def test_another_day_is_shown_not_planned(client, clerk, scheme_now, sites, english):
    client.force_login(clerk)
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    Assignment.objects.create(day=yesterday, site=sites[4], clerk=clerk, reason=REASON_DUE)
    page = page_of(client.get(DAY_URL, {"day": yesterday.isoformat()}))
    assert f'data-site="{sites[4].pk}"' in page and page.count('class="card-row assignment') == 1
    assert yesterday.isoformat() in page
    tomorrow = today + datetime.timedelta(days=1)
    page = page_of(client.get(DAY_URL, {"day": tomorrow.isoformat()}))
    assert 'id="not-planned"' in page
    assert not Assignment.objects.exclude(day=yesterday).exists()
    page = page_of(client.get(DAY_URL, {"day": "not-a-date"}))
    assert today.isoformat() in page and Assignment.objects.filter(day=today).count() == 9


def test_unit_staff_go_to_their_rectifications(client, street_user, scheme_now, sites):
    client.force_login(street_user)
    response = client.get(DAY_URL)
    assert response.status_code == 302 and response.url == reverse("supervision:rectification-list")
    assert not Assignment.objects.exists()


def test_a_leader_reads_the_day_without_assignments(
    client, clerk, leader, street_user, scheme_now, sites, problem_types
):
    rectification = awaiting_rectification(sites[0], clerk, street_user, problem_types["odour"])
    client.force_login(leader)
    page = page_of(client.get(DAY_URL))
    assert not Assignment.objects.exists()
    assert 'id="assignments"' not in page and "/inspect/" not in page
    assert reverse("supervision:rectification-detail", args=[rectification.pk]) in page
    assert reverse("supervision:inspection-detail", args=[rectification.problem.inspection_id]) in page
    assert "李督查" in page  # who recorded it


def test_another_district_sees_nothing_of_this_one(
    client, clerk, outsider, street_user, scheme_now, sites, problem_types
):
    rectification = awaiting_rectification(sites[0], clerk, street_user, problem_types["odour"])
    client.force_login(outsider)
    page = page_of(client.get(DAY_URL))
    assert not Assignment.objects.filter(clerk=outsider).exists()
    for site in sites:
        assert site.name not in page
    assert reverse("supervision:rectification-detail", args=[rectification.pk]) not in page


def test_anonymous_is_sent_to_login(client):
    response = client.get(DAY_URL)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(DAY_URL).status_code == 200
    return len(captured)


def _grow(clerk, street_user, streets, problem_types, n: int):
    for k in range(n):
        site = SiteFactory(street=streets[0], name=f"加量{n}-{k}", property_company="物业")
        awaiting_rectification(site, clerk, street_user, problem_types["odour"])
        SiteFactory(street=streets[k % 3], name=f"未查{n}-{k}")


def test_the_day_has_constant_queries(client, clerk, street_user, scheme_now, streets, sites, problem_types):
    client.force_login(clerk)
    _grow(clerk, street_user, streets, problem_types, 1)
    planning_small = _queries(client)  # makes today's list
    small = _queries(client)

    Assignment.objects.all().delete()
    _grow(clerk, street_user, streets, problem_types, 8)
    planning_large = _queries(client)
    large = _queries(client)
    assert Assignment.objects.count() == 9 + 1 + 8  # the sites inspected today are not due
    assert (planning_large, large) == (planning_small, small)
