"""Who sees and changes what in supervision (supervision/access.py), and the services refusing
what the doors refuse."""

import datetime
import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from sanitation.organisations.models import Role, Unit
from supervision import access, inspections
from supervision import rectifications as service
from supervision.inspections import ProblemInput, inspection_record
from supervision.models import (
    AssessmentScheme,
    Inspection,
    RankAward,
    Rectification,
    RectificationState,
    SchemeStatus,
    SubsidyRule,
)
from supervision.photos import photo_accept
from tests.factories import SiteFactory, UserFactory, member

from .conftest import scheme_build

WHEN = timezone.make_aware(datetime.datetime(2026, 6, 10, 10))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def photo_of(user):
    out = io.BytesIO()
    Image.new("RGB", (40, 30)).save(out, format="JPEG")
    return photo_accept(upload=SimpleUploadedFile("p.jpg", out.getvalue()), by=user)


@pytest.fixture
def world(scheme, sites, clerk, outsider, problem_types):
    """An inspection with a problem (and a photo) at a site of A-JD1, one at A-JD2, one in district B."""
    scheme_build(Unit.objects.get(code="B"))
    site_b = SiteFactory(street=Unit.objects.get(code="B-JD1"), name="B花园")

    def inspect(site, by):
        photo = photo_of(by)
        inspection = inspection_record(
            site=site,
            recorded_by=by,
            inspected_at=WHEN,
            problems=[ProblemInput(problem_types["mixed-disposal"], photos=[photo])],
        )
        return inspection, inspection.problems.get().rectification, photo

    return {
        "jd1": inspect(sites[0], clerk),
        "jd2": inspect(sites[3], clerk),
        "b": inspect(site_b, outsider),
    }


def ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def of(world, *keys, index):
    return {world[key][index].pk for key in keys}


INSPECTION, RECTIFICATION, PHOTO = 0, 1, 2


def test_a_clerk_sees_the_whole_district_and_nothing_of_another(world, clerk):
    assert ids(access.inspections_visible_to(clerk)) == of(world, "jd1", "jd2", index=INSPECTION)
    assert ids(access.rectifications_visible_to(clerk)) == of(world, "jd1", "jd2", index=RECTIFICATION)
    assert ids(access.photos_visible_to(clerk)) == of(world, "jd1", "jd2", index=PHOTO)


def test_another_districts_clerk_sees_only_their_district(world, outsider):
    assert ids(access.inspections_visible_to(outsider)) == of(world, "b", index=INSPECTION)
    assert ids(access.rectifications_visible_to(outsider)) == of(world, "b", index=RECTIFICATION)
    assert ids(access.rectifications_reviewable_by(outsider)) == of(world, "b", index=RECTIFICATION)
    assert ids(access.photos_visible_to(outsider)) == of(world, "b", index=PHOTO)


def test_a_street_sees_only_its_own_inspections_and_rectifications(world, street_user, other_street_user):
    assert ids(access.inspections_visible_to(street_user)) == of(world, "jd1", index=INSPECTION)
    assert ids(access.rectifications_visible_to(street_user)) == of(world, "jd1", index=RECTIFICATION)
    assert ids(access.photos_visible_to(street_user)) == of(world, "jd1", index=PHOTO)
    assert ids(access.inspections_visible_to(other_street_user)) == of(world, "jd2", index=INSPECTION)
    assert ids(access.rectifications_visible_to(other_street_user)) == of(world, "jd2", index=RECTIFICATION)


def test_a_community_under_the_street_does_not_see_the_streets_rectifications(world):
    community_user = member(Unit.objects.get(code="A-JD1-SQ1"), Role.UNIT_STAFF, username="sq1")
    assert ids(access.rectifications_visible_to(community_user)) == set()
    assert ids(access.inspections_visible_to(community_user)) == set()


def test_a_street_may_answer_but_not_review(world, street_user):
    assert ids(access.rectifications_answerable_by(street_user)) == of(world, "jd1", index=RECTIFICATION)
    assert ids(access.rectifications_reviewable_by(street_user)) == set()
    assert ids(access.sites_inspectable_by(street_user)) == set()


def test_a_clerk_may_review_but_not_answer(world, clerk, sites):
    assert ids(access.rectifications_reviewable_by(clerk)) == of(world, "jd1", "jd2", index=RECTIFICATION)
    assert ids(access.rectifications_answerable_by(clerk)) == set()
    assert ids(access.sites_inspectable_by(clerk)) == {site.pk for site in sites}


def test_a_leader_reads_but_changes_nothing(world, leader, scheme):
    assert ids(access.inspections_visible_to(leader)) == of(world, "jd1", "jd2", index=INSPECTION)
    assert ids(access.rectifications_visible_to(leader)) == of(world, "jd1", "jd2", index=RECTIFICATION)
    assert ids(access.schemes_visible_to(leader)) == {scheme.pk}
    assert ids(access.rectifications_answerable_by(leader)) == set()
    assert ids(access.rectifications_reviewable_by(leader)) == set()
    assert ids(access.sites_inspectable_by(leader)) == set()
    assert ids(access.schemes_changeable_by(leader)) == set()


def test_schemes_are_read_by_the_whole_district_and_changed_by_its_office(world, scheme, clerk, street_user, outsider):
    b_scheme = Inspection.objects.get(pk=world["b"][INSPECTION].pk).scheme
    assert ids(access.schemes_visible_to(street_user)) == {scheme.pk}
    assert ids(access.schemes_visible_to(outsider)) == {b_scheme.pk}
    assert ids(access.schemes_changeable_by(clerk)) == {scheme.pk}
    assert ids(access.schemes_changeable_by(street_user)) == set()


def test_staged_photos_are_seen_only_by_their_uploader(world, clerk, second_clerk):
    staged = photo_of(second_clerk)
    assert staged.pk in ids(access.photos_visible_to(second_clerk))
    assert staged.pk not in ids(access.photos_visible_to(clerk))


def test_anonymous_and_users_without_membership_see_nothing(world):

    for user in (AnonymousUser(), UserFactory()):
        assert ids(access.inspections_visible_to(user)) == set()
        assert ids(access.rectifications_visible_to(user)) == set()
        assert ids(access.schemes_visible_to(user)) == set()


# The services refuse what the doors refuse, and nothing changes ----------------------------------


def assert_unchanged(rectification: Rectification, state=RectificationState.PENDING, version=1):
    rectification.refresh_from_db()
    assert (rectification.state, rectification.version, rectification.events.count()) == (state, version, 1)


def refused(constant, call):
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.messages == [str(constant)]


def test_a_clerk_may_not_answer_for_the_street(world, clerk):
    rectification = world["jd1"][RECTIFICATION]
    refused(
        service.NOT_PERMITTED,
        lambda: service.rectification_answer(rectification=rectification, by=clerk, text="代为整改"),
    )
    assert_unchanged(rectification)


def test_a_street_may_not_close_its_own_rectification(world, street_user):
    rectification = world["jd1"][RECTIFICATION]
    service.rectification_answer(rectification=rectification, by=street_user, text="已整改")
    refused(service.NOT_PERMITTED, lambda: service.rectification_close(rectification=rectification, by=street_user))
    refused(
        service.NOT_PERMITTED,
        lambda: service.rectification_send_back(rectification=rectification, by=street_user, text="x"),
    )
    rectification.refresh_from_db()
    assert (rectification.state, rectification.version) == (RectificationState.AWAITING_REVIEW, 2)


def test_another_street_and_a_leader_may_not_answer(world, other_street_user, leader):
    rectification = world["jd1"][RECTIFICATION]
    for user in (other_street_user, leader):
        refused(
            service.NOT_PERMITTED,
            lambda user=user: service.rectification_answer(rectification=rectification, by=user, text="已整改"),
        )
    assert_unchanged(rectification)


def test_street_staff_may_not_record_inspections(world, street_user, sites):
    refused(
        inspections.NOT_PERMITTED, lambda: inspection_record(site=sites[0], recorded_by=street_user, inspected_at=WHEN)
    )
    assert Inspection.objects.count() == 3


# The admin: for staff superusers ---------------------------------------------------------------


@pytest.fixture
def superuser_client(client, db):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_every_supervision_admin_page_renders(world, superuser_client, scheme):
    rule = SubsidyRule.objects.create(district=scheme.district, year=2026, title="2026年奖补", pool=100_000)
    RankAward.objects.create(rule=rule, rank=1, amount=20_000)
    inspection, rectification, photo = world["jd1"]
    models = [model for model in admin.site._registry if model._meta.app_label == "supervision"]
    assert len(models) >= 9
    for model in models:
        opts = model._meta
        response = superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code == 200, opts.model_name
    for obj in (scheme, inspection, rectification, photo, rule):
        opts = obj._meta
        response = superuser_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert response.status_code == 200, opts.model_name
    page = superuser_client.get(reverse("admin:supervision_rectification_change", args=[rectification.pk]))
    assert rectification.site.name in page.content.decode()


def test_a_scheme_in_force_is_read_only_in_the_admin_and_a_new_version_is_an_action(world, superuser_client, scheme):
    url = reverse("admin:supervision_assessmentscheme_change", args=[scheme.pk])
    page = superuser_client.get(url).content.decode()
    assert 'name="title"' not in page  # shown, not editable
    assert 'name="criteria-0-points"' not in page
    response = superuser_client.post(
        reverse("admin:supervision_assessmentscheme_changelist"),
        {"action": "make_new_version", "_selected_action": [scheme.pk]},
    )
    assert response.status_code == 302
    draft = AssessmentScheme.objects.get(district=scheme.district, year=2026, version=2)
    assert draft.status == SchemeStatus.DRAFT
    page = superuser_client.get(reverse("admin:supervision_assessmentscheme_change", args=[draft.pk])).content.decode()
    assert 'name="title"' in page
    assert 'name="criteria-0-points"' in page
