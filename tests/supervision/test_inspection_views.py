"""The clerk's inspection pages: the phone form (with and without its script), the list, one
inspection, photo upload and download; scoping and query counts."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from sanitation.organisations.models import Membership, Role, Unit
from supervision import inspection_views, photos
from supervision.inspection_forms import PROBLEM_TYPE_MISSING
from supervision.inspections import NO_SCHEME_IN_FORCE, ProblemInput, inspection_record
from supervision.models import (
    Inspection,
    InspectionKind,
    Photo,
    Rectification,
    RectificationState,
    SchemeStatus,
    Severity,
)
from tests.factories import SiteFactory

from .conftest import scheme_build


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def scheme_now(district):
    """The district's scheme in force this year (the pages score by today's date)."""
    year = timezone.localdate().year
    return scheme_build(district, year=year, in_force_from=datetime.date(year, 1, 1))


@pytest.fixture
def estate(sites):
    return sites[0]  # A第1街道花园: managed estate, 花园物业


@pytest.fixture
def school(sites):
    return sites[1]  # schools skip 示范创建


def jpeg(name="现场.jpg", size=(64, 48)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 30)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def text_file_renamed(name="假照片.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "这不是照片，只是一段文字。".encode() * 20, content_type="image/jpeg")


def huge_png(name="六千万像素.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("1", (8000, 7500), 1).save(out, format="PNG", optimize=True)  # 60 megapixels, a few kB
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def inspect_url(site) -> str:
    return reverse("supervision:inspect", args=[site.pk])


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def hidden_value(page: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', page
    )
    return match.group(1) if match else ""


# The form ------------------------------------------------------------------------------------


def test_form_shows_the_site_and_the_criteria_of_its_kind(client, clerk, scheme_now, estate, school, problem_types):
    client.force_login(clerk)
    page = page_of(client.get(inspect_url(estate)))
    assert "A第1街道花园" in page
    for name in ("宣传动员", "设施投放", "标识指引", "台账建立", "示范创建", "分类效果"):
        assert f">{name}</label>" in page
    for name in ("混投", "满溢", "督导员不在岗"):
        assert f"<span>{name}</span>" in page  # a chip per problem type
    assert 'inputmode="decimal"' in page
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    assert 'value="daily"' in page and re.search(r'value="daily"[^>]*checked|checked[^>]*value="daily"', page)
    assert 'id="problem-template"' in page and "p-__n__-problem_type" in page
    assert f'data-draft-key="inspection-draft:{clerk.pk}:{estate.pk}"' in page
    assert "js/inspection_form.js" in page and "<script>" not in page  # no inline script

    page = page_of(client.get(inspect_url(school)))
    assert "A第1街道小学" in page
    assert ">分类效果</label>" in page and "示范创建" not in page


def test_saving_two_problems_opens_two_rectifications_and_shows_scores(
    client, clerk, scheme_now, estate, problem_types
):
    client.force_login(clerk)
    staged = photos.photo_accept(upload=jpeg(), by=clerk)  # uploaded by the script beforehand
    mixed, bins = problem_types["mixed-disposal"], problem_types["damaged-bins"]
    response = client.post(
        inspect_url(estate),
        {
            "kind": "daily",
            "types": [mixed.pk, bins.pk],
            "p-3-problem_type": mixed.pk,
            "p-3-severity": "",
            "p-3-note": "厨余桶内有塑料袋",
            "p-3-photo_ids": str(staged.pk),
            "p-4-problem_type": bins.pk,
            "p-4-severity": Severity.SERIOUS,
            "p-4-note": "",
            "p-4-photo_ids": "",
            "note": "整体尚可",
            "latitude": "30.2741501",
            "longitude": "120.1551",
            "accuracy": "12.4",
        },
    )
    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("supervision:inspection-detail", args=[inspection.pk])
    assert (inspection.score, inspection.max_score, inspection.percent) == (Decimal(90), Decimal(100), Decimal("90.00"))
    assert inspection.note == "整体尚可"
    assert (inspection.latitude, inspection.longitude, inspection.location_accuracy_m) == (
        Decimal("30.274150"),
        Decimal("120.155100"),
        12,
    )
    problems = list(inspection.problems.order_by("id"))
    assert [(p.problem_type.name, p.severity, p.note) for p in problems] == [
        ("混投", Severity.GENERAL, "厨余桶内有塑料袋"),
        ("桶点破损", Severity.SERIOUS, ""),
    ]
    staged.refresh_from_db()
    assert staged.problem == problems[0]
    rectifications = list(Rectification.objects.order_by("problem_id"))
    assert [(r.unit, r.state, r.responsible_party) for r in rectifications] == [
        (estate.street, RectificationState.PENDING, "花园物业")
    ] * 2

    page = page_of(client.get(response.url))
    assert "90.00%" in page and "90 / 100" in page
    assert re.search(
        r'data-criterion="分类效果">\s*<td>分类效果</td>\s*<td class="num">25</td>\s*<td class="num score">20</td>',
        page,
    )
    assert re.search(
        r'data-criterion="设施投放">\s*<td>设施投放</td>\s*<td class="num">20</td>\s*<td class="num score">15</td>',
        page,
    )
    assert "混投" in page and "厨余桶内有塑料袋" in page and "桶点破损" in page
    assert "分类效果 −5" in page and "设施投放 −5" in page
    assert reverse("supervision:photo-thumbnail", args=[staged.pk]) in page
    for rectification in rectifications:
        assert reverse("supervision:rectification-detail", args=[rectification.pk]) in page
    assert page.count("state-pending") == 2
    # The draft the phone kept is cleared once, by the page after the save.
    assert f'data-clear-draft="inspection-draft:{clerk.pk}:{estate.pk}"' in page
    assert "data-clear-draft" not in page_of(client.get(response.url))


def test_a_chip_alone_is_one_problem_of_usual_severity(client, clerk, scheme_now, estate, problem_types):
    client.force_login(clerk)
    loading = problem_types["mixed-loading"]
    response = client.post(inspect_url(estate), {"kind": "unannounced", "types": [loading.pk]})
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.kind == InspectionKind.UNANNOUNCED
    problem = inspection.problems.get()
    assert (problem.problem_type, problem.severity, problem.deduction) == (loading, Severity.SERIOUS, Decimal(10))
    assert inspection.percent == Decimal("90.00")
    assert Rectification.objects.get().problem == problem


def test_no_problem_and_typed_scores(client, clerk, scheme_now, estate):
    client.force_login(clerk)
    criteria = {c.name: c for c in scheme_now.criteria.all()}
    response = client.post(
        inspect_url(estate), {"kind": "daily", f"score-{criteria['宣传动员'].pk}": "12.5", "p-0-problem_type": ""}
    )
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.problem_count == 0 and not Rectification.objects.exists()
    assert inspection.score == Decimal("97.5")
    score = inspection.criterion_scores.get(criterion__name="宣传动员")
    assert (score.score, score.entered) == (Decimal("12.5"), True)


def test_without_script_the_photos_come_with_the_form(client, clerk, scheme_now, estate, problem_types):
    client.force_login(clerk)
    response = client.post(
        inspect_url(estate),
        {
            "kind": "daily",
            "p-0-problem_type": problem_types["overflowing"].pk,
            "p-0-note": "桶满未清",
            "p-0-photos": [jpeg("一.jpg"), jpeg("二.jpg")],
            "p-1-problem_type": "",  # the spare group left empty
        },
    )
    assert response.status_code == 302
    problem = Inspection.objects.get().problems.get()
    assert sorted(problem.photos.values_list("original_name", flat=True)) == ["一.jpg", "二.jpg"]


def test_a_refused_photo_is_explained_and_everything_typed_is_kept(
    client, clerk, scheme_now, estate, problem_types, english
):
    client.force_login(clerk)
    criteria = {c.name: c for c in scheme_now.criteria.all()}
    mixed, signs = problem_types["mixed-disposal"], problem_types["missing-signs"]
    data = {
        "kind": "special",
        "types": [mixed.pk, signs.pk],
        "note": "复查上周问题",
        f"score-{criteria['台账建立'].pk}": "11",
        "started_at": "",
        "p-0-problem_type": mixed.pk,
        "p-0-severity": Severity.SERIOUS,
        "p-0-note": "其他垃圾桶内有厨余",
        "p-0-photos": [jpeg("好照片.jpg")],
        "p-1-problem_type": signs.pk,
        "p-1-note": "标识脱落",
        "p-1-photos": [text_file_renamed()],
    }
    response = client.post(inspect_url(estate), data)
    page = page_of(response)
    assert not Inspection.objects.exists() and not Rectification.objects.exists()
    assert f"假照片.jpg: {photos.NOT_AN_IMAGE}" in page
    # Everything typed is still there …
    assert "复查上周问题</textarea>" in page
    assert 'value="11"' in page
    assert re.search(r'value="special"[^>]*checked', page)
    assert 'value="其他垃圾桶内有厨余"' in page and 'value="标识脱落"' in page
    assert re.search(rf'<option value="{mixed.pk}"[^>]*selected', page)
    assert re.search(rf'<option value="{Severity.SERIOUS}" selected', page)
    assert re.search(rf'value="{mixed.pk}"[^>]*checked', page) and re.search(rf'value="{signs.pk}"[^>]*checked', page)
    # … and the accepted photo is kept as staged, shown, and travels with the next post.
    good = Photo.objects.get(original_name="好照片.jpg")
    assert (good.problem, good.uploaded_by) == (None, clerk)
    assert hidden_value(page, "p-0-photo_ids") == str(good.pk)
    assert reverse("supervision:photo-thumbnail", args=[good.pk]) in page
    assert page.count('data-bound="1"') == 1

    data.pop("p-0-photos")
    data.pop("p-1-photos")
    data["p-0-photo_ids"] = hidden_value(page, "p-0-photo_ids")
    assert client.post(inspect_url(estate), data).status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.kind == InspectionKind.SPECIAL and inspection.note == "复查上周问题"
    assert inspection.criterion_scores.get(criterion__name="台账建立").score == Decimal(11)
    assert list(inspection.problems.get(problem_type=mixed).photos.all()) == [good]
    assert Rectification.objects.count() == 2


def test_a_60_megapixel_photo_is_refused_with_its_message(client, clerk, scheme_now, estate, problem_types):
    client.force_login(clerk)
    response = client.post(
        inspect_url(estate),
        {"kind": "daily", "p-0-problem_type": problem_types["odour"].pk, "p-0-photos": [huge_png()]},
    )
    page = page_of(response)
    assert f"六千万像素.png: {photos.TOO_MANY_PIXELS}" in page
    assert not Inspection.objects.exists() and not Photo.objects.exists()


def test_bad_scores_and_a_note_without_problem_type_are_form_errors(
    client, clerk, scheme_now, estate, problem_types, english
):
    client.force_login(clerk)
    criteria = {c.name: c for c in scheme_now.criteria.all()}
    response = client.post(
        inspect_url(estate),
        {
            "kind": "daily",
            f"score-{criteria['示范创建'].pk}": "12",
            f"score-{criteria['宣传动员'].pk}": "abc",
            "p-0-problem_type": "",
            "p-0-note": "门口堆放",
        },
    )
    page = page_of(response)
    assert not Inspection.objects.exists()
    assert "Ensure this value is less than or equal to 10." in page
    assert "Enter a number." in page
    assert str(PROBLEM_TYPE_MISSING) in page
    assert 'value="门口堆放"' in page and 'value="12"' in page and 'value="abc"' in page
    assert re.search(r'<details class="block" id="scores" open', page)


def test_a_photo_already_used_is_dropped_with_a_message(client, clerk, scheme_now, estate, problem_types):
    client.force_login(clerk)
    used = photos.photo_accept(upload=jpeg(), by=clerk)
    inspection_record(
        site=estate,
        recorded_by=clerk,
        problems=[ProblemInput(problem_types["odour"], photos=[used])],
    )
    response = client.post(
        inspect_url(estate),
        {"kind": "daily", "p-0-problem_type": problem_types["odour"].pk, "p-0-photo_ids": str(used.pk)},
    )
    page = page_of(response)
    assert str(photos.NOT_STAGED) in page
    assert hidden_value(page, "p-0-photo_ids") == ""
    assert Inspection.objects.count() == 1


def test_the_time_the_form_was_begun_is_kept_within_a_day(client, clerk, scheme_now, estate):
    client.force_login(clerk)
    begun = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=2)
    client.post(inspect_url(estate), {"kind": "daily", "started_at": begun.isoformat()})
    assert Inspection.objects.get().inspected_at == begun

    Inspection.objects.all().delete()
    before = timezone.now()
    client.post(
        inspect_url(estate),
        {"kind": "daily", "started_at": (before - datetime.timedelta(days=3)).isoformat(), "latitude": "north"},
    )
    inspection = Inspection.objects.get()
    assert inspection.inspected_at >= before
    assert inspection.latitude is None  # a location that makes no sense is left out, not an error


def test_no_scheme_in_force_is_said_on_the_form(client, clerk, district, estate, english):
    year = timezone.localdate().year
    scheme_build(district, year=year, in_force_from=datetime.date(year, 1, 1), status=SchemeStatus.DRAFT)
    client.force_login(clerk)
    page = page_of(client.get(inspect_url(estate)))
    message = str(NO_SCHEME_IN_FORCE) % {"date": timezone.localdate().isoformat()}
    assert message in page and 'id="inspection-form"' not in page
    client.post(inspect_url(estate), {"kind": "daily"})
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "street_user", "leader"])
def test_only_the_district_clerks_reach_the_form(request, client, scheme_now, estate, problem_types, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(inspect_url(estate)).status_code == 404
    response = client.post(inspect_url(estate), {"kind": "daily", "types": [problem_types["odour"].pk]})
    assert response.status_code == 404
    assert not Inspection.objects.exists() and not Rectification.objects.exists()


def test_anonymous_is_sent_to_login(client, estate):
    response = client.get(inspect_url(estate))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# Photos --------------------------------------------------------------------------------------


def test_upload_answers_id_and_thumbnail(client, clerk):
    client.force_login(clerk)
    response = client.post(reverse("supervision:photo-upload"), {"photo": jpeg("手机.jpg")})
    assert response.status_code == 200
    photo = Photo.objects.get()
    assert response.json() == {
        "id": photo.pk,
        "thumbnail_url": reverse("supervision:photo-thumbnail", args=[photo.pk]),
    }
    assert (photo.uploaded_by, photo.original_name, photo.problem, photo.event) == (clerk, "手机.jpg", None, None)


@pytest.mark.parametrize(
    ("upload", "message"),
    [(text_file_renamed, photos.NOT_AN_IMAGE), (huge_png, photos.TOO_MANY_PIXELS), (None, inspection_views.NO_PHOTO)],
)
def test_upload_refusals_are_400_with_the_message(client, clerk, upload, message):
    client.force_login(clerk)
    response = client.post(reverse("supervision:photo-upload"), {"photo": upload()} if upload else {})
    assert response.status_code == 400
    assert response.json() == {"error": str(message)}
    assert not Photo.objects.exists()


def test_upload_is_for_clerks_and_units_only(client, leader, street_user):
    client.force_login(leader)
    response = client.post(reverse("supervision:photo-upload"), {"photo": jpeg()})
    assert response.status_code == 403 and not Photo.objects.exists()
    client.force_login(street_user)  # answers rectifications with photos
    assert client.post(reverse("supervision:photo-upload"), {"photo": jpeg()}).status_code == 200
    assert client.get(reverse("supervision:photo-upload")).status_code == 405


def test_photos_are_served_only_to_who_sees_them(
    client, clerk, second_clerk, street_user, other_street_user, outsider, scheme_now, estate, problem_types, media
):
    attached = photos.photo_accept(upload=jpeg(size=(800, 600)), by=clerk)
    inspection_record(
        site=estate, recorded_by=clerk, problems=[ProblemInput(problem_types["odour"], photos=[attached])]
    )
    staged = photos.photo_accept(upload=jpeg(), by=clerk)
    photo_url = reverse("supervision:photo", args=[attached.pk])
    thumbnail_url = reverse("supervision:photo-thumbnail", args=[attached.pk])
    staged_url = reverse("supervision:photo", args=[staged.pk])

    for user in (clerk, second_clerk, street_user):
        client.force_login(user)
        response = client.get(photo_url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content) == (media / attached.image.name).read_bytes()
        thumbnail = client.get(thumbnail_url)
        with Image.open(io.BytesIO(b"".join(thumbnail.streaming_content))) as image:
            assert image.size == (320, 240)
    for user in (other_street_user, outsider):
        client.force_login(user)
        assert client.get(photo_url).status_code == 404
        assert client.get(thumbnail_url).status_code == 404
    # A staged photo is its uploader's alone.
    client.force_login(second_clerk)
    assert client.get(staged_url).status_code == 404
    client.force_login(clerk)
    assert client.get(staged_url).status_code == 200
    page = page_of(client.get(reverse("supervision:inspection-detail", args=[Inspection.objects.get().pk])))
    assert thumbnail_url in page and photo_url in page and "/media/" not in page


# The list and one inspection -------------------------------------------------------------------


def _inspect(site, clerk, *, types=(), when=None, kind=InspectionKind.DAILY):
    return inspection_record(
        site=site, recorded_by=clerk, inspected_at=when, kind=kind, problems=[ProblemInput(t) for t in types]
    )


def test_list_filters(client, clerk, scheme_now, sites, streets, problem_types):
    now = timezone.now()
    yesterday = now - datetime.timedelta(days=1)
    _inspect(sites[0], clerk, types=[problem_types["odour"]], when=now)
    _inspect(sites[3], clerk, when=yesterday, kind=InspectionKind.SPECIAL)
    _inspect(sites[6], clerk, when=now - datetime.timedelta(days=5))
    client.force_login(clerk)
    url = reverse("supervision:inspection-list")

    def names(query=None):
        response = client.get(url, query or {})
        assert response.status_code == 200
        return [inspection.site.name for inspection in response.context["page"]]

    assert names() == ["A第1街道花园", "A第2街道花园", "A第3街道花园"]
    assert names({"street": streets[1].pk}) == ["A第2街道花园"]
    assert names({"kind": "special"}) == ["A第2街道花园"]
    assert names({"problems": "yes"}) == ["A第1街道花园"]
    assert names({"problems": "no"}) == ["A第2街道花园", "A第3街道花园"]
    day = timezone.localdate(yesterday).isoformat()
    assert names({"date_from": day, "date_to": day}) == ["A第2街道花园"]
    assert names({"date_from": day}) == ["A第1街道花园", "A第2街道花园"]
    page = page_of(client.get(url))
    assert client.get(url).context["page"].paginator.count == 3
    assert reverse("supervision:inspection-detail", args=[Inspection.objects.get(site=sites[0]).pk]) in page


def test_list_and_detail_are_scoped(client, clerk, other_street_user, outsider, scheme_now, sites, problem_types):
    inspection = _inspect(sites[0], clerk, types=[problem_types["odour"]])  # street A-JD1
    client.force_login(outsider)
    assert list(client.get(reverse("supervision:inspection-list")).context["page"]) == []
    assert client.get(reverse("supervision:inspection-detail", args=[inspection.pk])).status_code == 404
    client.force_login(other_street_user)
    assert list(client.get(reverse("supervision:inspection-list")).context["page"]) == []
    assert client.get(reverse("supervision:inspection-detail", args=[inspection.pk])).status_code == 404


def test_list_pages_by_50(client, clerk, scheme_now, estate):
    now = timezone.now()
    for minutes in range(51):
        _inspect(estate, clerk, when=now - datetime.timedelta(minutes=minutes))
    client.force_login(clerk)
    first = client.get(reverse("supervision:inspection-list"))
    assert len(first.context["page"]) == 50 and first.context["page"].paginator.num_pages == 2
    assert len(client.get(reverse("supervision:inspection-list"), {"page": 2}).context["page"]) == 1


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_has_constant_queries(client, clerk, second_clerk, scheme_now, streets, problem_types):
    client.force_login(clerk)
    url = reverse("supervision:inspection-list")
    site = SiteFactory(street=streets[0], name="计数小区")
    _inspect(site, clerk, types=[problem_types["odour"]])
    small = _queries(client, url)
    for n in range(12):
        recorder = clerk if n % 2 else second_clerk
        _inspect(SiteFactory(street=streets[n % 3], name=f"计数{n}"), recorder, types=[problem_types["odour"]])
    assert _queries(client, url) == small


def test_detail_has_constant_queries(client, clerk, scheme_now, estate, problem_types):
    client.force_login(clerk)
    one = _inspect(estate, clerk, types=[problem_types["odour"]])
    many = inspection_record(
        site=estate,
        recorded_by=clerk,
        problems=[
            ProblemInput(problem_types[code], photos=[photos.photo_accept(upload=jpeg(), by=clerk)])
            for code in ("odour", "mixed-disposal", "overflowing", "damaged-bins")
        ],
    )
    few = _queries(client, reverse("supervision:inspection-detail", args=[one.pk]))
    assert _queries(client, reverse("supervision:inspection-detail", args=[many.pk])) == few


def test_other_inspectors_may_be_named(client, clerk, second_clerk, outsider, scheme_now, estate):
    client.force_login(clerk)
    page = page_of(client.get(inspect_url(estate)))
    assert "王督查" in page and "clerk_b" not in page
    client.post(inspect_url(estate), {"kind": "joint", "inspectors": [second_clerk.pk]})
    assert set(Inspection.objects.get().inspectors.all()) == {clerk, second_clerk}


# In a phone-sized browser ------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


def chip(page, name: str):
    return page.locator("#problem-chips").get_by_text(name, exact=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_form_keeps_everything_and_uploads_each_photo(
    live_server, client, clerk, district, sites, problem_types, tmp_path, settings
):
    """At 360 px: chips add problems, a photo uploads at once, a refused one is explained next to
    its problem, a reload restores the draft, saving clears it and makes the rectifications."""
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    from playwright.sync_api import expect, sync_playwright

    settings.MEDIA_ROOT = tmp_path / "media"
    year = timezone.localdate().year
    scheme_build(district, year=year, in_force_from=datetime.date(year, 1, 1))
    estate = sites[0]
    good = tmp_path / "桶.jpg"
    Image.new("RGB", (640, 480), (20, 90, 200)).save(good, format="JPEG")
    bad = tmp_path / "伪装.jpg"
    bad.write_bytes(b"not a photo at all " * 50)
    client.force_login(clerk)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, has_touch=True, is_mobile=True, locale="en-US"
        )
        context.add_cookies(
            [
                {"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url},
                {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url},
            ]
        )
        page = context.new_page()
        errors, csp_violations = [], []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # Chrome reports what the Content-Security-Policy refused on the console.
        page.on(
            "console", lambda message: "Content Security Policy" in message.text and csp_violations.append(message.text)
        )
        page.goto(live_server.url + inspect_url(estate))
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        # Tapping two chips makes two problem groups; the save button is at the bottom, large.
        chip(page, "混投").click()
        chip(page, "满溢").click()
        groups = page.locator("#problems [data-problem]")
        assert groups.count() == 2
        box = page.locator("#save-inspection").bounding_box()
        assert box["height"] >= 44 and box["y"] + box["height"] > 700
        assert page.locator(".chip span").first.bounding_box()["height"] >= 44
        total = page.locator("#inspection-form").get_attribute("data-text-total")
        expected_total = total.format(score="92", max="100", percent="92.00")  # 100 − 5 (混投) − 3 (满溢)
        assert page.locator("[data-score-total]").inner_text() == expected_total

        first = groups.nth(0)
        first.locator('input[name$="-note"]').fill("桶旁散落垃圾")
        first.locator('input[type="file"]').set_input_files(str(good))
        # Locator assertions, not wait_for_function: that one evals, which the page's CSP refuses.
        expect(first.locator("[data-photo-ids]")).not_to_have_value("")
        photo_id = first.locator("[data-photo-ids]").input_value()
        assert first.locator("[data-thumbs] img").get_attribute("src").endswith(f"/photos/{photo_id}/thumbnail/")

        second = groups.nth(1)
        second.locator('input[type="file"]').set_input_files(str(bad))
        second.locator("[data-photo-error] p").wait_for()
        refusal = second.locator("[data-photo-error]").inner_text()
        assert first.locator('input[name$="-note"]').input_value() == "桶旁散落垃圾"

        # No connection: the photo waits with a retry button and a message; nothing else changes.
        context.set_offline(True)
        second.locator('input[type="file"]').set_input_files(str(good))
        second.locator(".thumb-retry").wait_for()
        offline = second.locator("[data-photo-error]").inner_text()
        no_connection = page.locator("#inspection-form").get_attribute("data-text-network")
        assert second.locator("[data-photo-ids]").input_value() == ""
        context.set_offline(False)
        second.locator(".thumb-retry").click()
        expect(second.locator("[data-photo-ids]")).not_to_have_value("")
        assert second.locator("[data-photo-error]").inner_text() == ""

        # The connection drops … the page is opened again: everything typed comes back.
        page.locator("#id_note").fill("下午复查")
        page.reload()
        page.locator("[data-draft-notice]").wait_for()
        groups = page.locator("#problems [data-problem]")
        assert groups.count() == 2
        assert groups.nth(0).locator('input[name$="-note"]').input_value() == "桶旁散落垃圾"
        assert groups.nth(0).locator("[data-photo-ids]").input_value() == photo_id
        assert groups.nth(0).locator("[data-thumbs] img").count() == 1
        assert page.locator("#id_note").input_value() == "下午复查"
        assert page.locator('input[name="types"]:checked').count() == 2

        # Unticking a chip removes its group (after asking: it has a photo); saving records the
        # rest and clears the draft.
        page.once("dialog", lambda dialog: dialog.accept())
        chip(page, "满溢").click()
        assert page.locator("#problems [data-problem]").count() == 1
        page.locator("#save-inspection").click()
        page.wait_for_url(re.compile(r".*/inspections/\d+/$"))
        assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('inspection-draft'))") == []
        browser.close()

    # The ORM is not called while Playwright's event loop runs in this thread.
    assert errors == []
    assert csp_violations == []
    with translation.override("en"):  # the browser asked for English
        assert refusal == f"伪装.jpg: {photos.NOT_AN_IMAGE}"
    assert offline == f"桶.jpg: {no_connection}"
    inspection = Inspection.objects.get()
    assert inspection.note == "下午复查" and inspection.percent == Decimal("95.00")
    problem = inspection.problems.get()
    assert (problem.problem_type.name, problem.note) == ("混投", "桶旁散落垃圾")
    assert [(photo.pk, photo.original_name) for photo in problem.photos.all()] == [(int(photo_id), "桶.jpg")]
    assert Rectification.objects.get().problem == problem


def test_unit_staff_of_a_street_reach_no_form(client, street_user, scheme_now, sites):
    assert Unit.objects.get(code="A-JD1") == sites[0].street
    client.force_login(street_user)
    assert client.get(inspect_url(sites[0])).status_code == 404
    Membership.objects.create(unit=Unit.objects.get(code="A-FLB"), role=Role.CLERK, user=street_user)  # a clerk too
    assert client.get(inspect_url(sites[0])).status_code == 200
