"""Recording an inspection: scores under the scheme in force, problems, photos, rectifications."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from sanitation.organisations.models import Role, Unit
from supervision import inspections
from supervision.inspections import ProblemInput, inspection_record
from supervision.models import (
    Assignment,
    CriterionScore,
    Inspection,
    InspectionKind,
    Photo,
    Problem,
    Rectification,
    RectificationAction,
    RectificationState,
    Severity,
)
from supervision.photos import NOT_STAGED, photo_accept
from tests.factories import SiteFactory, member

from .conftest import scheme_build

ON = datetime.date(2026, 6, 10)


def at(day: datetime.date = ON, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def message(error: pytest.ExceptionInfo) -> str:
    return " ".join(error.value.messages)


def jpeg_upload(name="现场.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 30)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def estate(sites):
    return sites[0]  # A第1街道花园, managed estate of 花园物业


@pytest.fixture
def school(sites):
    return sites[1]


def criterion(scheme, name):
    return scheme.criteria.get(name=name)


def test_managed_estate_with_two_problems_scores_90(scheme, estate, clerk, problem_types):
    inspection = inspection_record(
        site=estate,
        recorded_by=clerk,
        inspected_at=at(),
        problems=[
            ProblemInput(problem_types["mixed-disposal"], note="厨余桶内有塑料袋"),
            ProblemInput(problem_types["damaged-bins"], note="其他垃圾桶盖破损"),
        ],
    )

    inspection.refresh_from_db()
    assert (inspection.score, inspection.max_score, inspection.percent) == (Decimal(90), Decimal(100), Decimal("90.00"))
    assert inspection.problem_count == 2
    assert inspection.scheme == scheme
    assert inspection.street == estate.street
    assert inspection.kind == InspectionKind.DAILY
    assert list(inspection.inspectors.all()) == [clerk]
    scores = {s.criterion.name: (s.score, s.entered) for s in inspection.criterion_scores.select_related("criterion")}
    assert scores == {
        "宣传动员": (Decimal(15), False),
        "设施投放": (Decimal(15), False),
        "标识指引": (Decimal(15), False),
        "台账建立": (Decimal(15), False),
        "示范创建": (Decimal(10), False),
        "分类效果": (Decimal(20), False),
    }
    problems = list(inspection.problems.select_related("criterion", "problem_type").order_by("id"))
    assert [(p.problem_type.name, p.criterion.name, p.deduction, p.severity) for p in problems] == [
        ("混投", "分类效果", Decimal(5), Severity.GENERAL),
        ("桶点破损", "设施投放", Decimal(5), Severity.GENERAL),
    ]

    rectifications = list(Rectification.objects.filter(problem__inspection=inspection).order_by("problem_id"))
    assert len(rectifications) == 2
    for rectification, problem in zip(rectifications, problems, strict=True):
        assert rectification.problem == problem
        assert rectification.unit == estate.street
        assert rectification.site == estate
        assert rectification.responsible_party == "花园物业"
        assert rectification.state == RectificationState.PENDING
        assert rectification.deadline == datetime.date(2026, 6, 17)  # general: 7 days
        assert rectification.opened_at == at()
        event = rectification.events.get()
        assert (event.action, event.from_state, event.to_state, event.actor) == (
            RectificationAction.OPEN,
            "",
            RectificationState.PENDING,
            clerk,
        )
    assert rectifications[0].events.get().text == "厨余桶内有塑料袋"


def test_a_school_is_scored_without_demonstration_out_of_90(scheme, school, clerk, problem_types):
    inspection = inspection_record(
        site=school, recorded_by=clerk, inspected_at=at(), problems=[ProblemInput(problem_types["mixed-disposal"])]
    )
    assert inspection.max_score == Decimal(90)
    assert inspection.score == Decimal(85)
    assert inspection.percent == Decimal("94.44")
    names = set(CriterionScore.objects.filter(inspection=inspection).values_list("criterion__name", flat=True))
    assert "示范创建" not in names
    assert len(names) == 5


def test_a_typed_score_overrides_the_computed_one(scheme, estate, clerk, problem_types):
    publicity = criterion(scheme, "宣传动员")
    inspection = inspection_record(
        site=estate,
        recorded_by=clerk,
        inspected_at=at(),
        # 督导员不在岗 costs 宣传动员 5 points, but the typed 12 is what counts.
        problems=[ProblemInput(problem_types["supervisor-absent"])],
        scores={publicity.pk: Decimal(12)},
    )
    row = inspection.criterion_scores.get(criterion=publicity)
    assert (row.score, row.entered) == (Decimal(12), True)
    assert inspection.score == Decimal(97)
    assert inspection.percent == Decimal("97.00")


def test_a_typed_score_above_the_points_is_refused_and_nothing_is_written(scheme, estate, clerk, problem_types):
    publicity = criterion(scheme, "宣传动员")
    with pytest.raises(ValidationError) as error:
        inspection_record(
            site=estate,
            recorded_by=clerk,
            inspected_at=at(),
            scores={publicity.pk: Decimal(16)},
            problems=[ProblemInput(problem_types["mixed-disposal"])],
        )
    assert error.value.messages == [str(inspections.SCORE_OUT_OF_RANGE) % {"name": "宣传动员", "points": "15"}]
    assert not Inspection.objects.exists()
    assert not Problem.objects.exists()
    assert not Rectification.objects.exists()


@pytest.mark.parametrize("value", [Decimal(-1), "abc", Decimal("15.1")])
def test_other_bad_typed_scores_are_refused(scheme, estate, clerk, value):
    with pytest.raises(ValidationError) as error:
        inspection_record(
            site=estate, recorded_by=clerk, inspected_at=at(), scores={criterion(scheme, "宣传动员").pk: value}
        )
    assert error.value.messages == [str(inspections.SCORE_OUT_OF_RANGE) % {"name": "宣传动员", "points": "15"}]


def test_a_typed_score_of_a_criterion_that_does_not_apply_is_refused(scheme, school, clerk):
    with pytest.raises(ValidationError) as error:
        inspection_record(
            site=school, recorded_by=clerk, inspected_at=at(), scores={criterion(scheme, "示范创建").pk: Decimal(5)}
        )
    assert error.value.messages == [str(inspections.UNKNOWN_CRITERION)]


def test_blank_typed_scores_mean_computed(scheme, estate, clerk):
    inspection = inspection_record(
        site=estate, recorded_by=clerk, inspected_at=at(), scores={criterion(scheme, "宣传动员").pk: None}
    )
    assert inspection.score == Decimal(100)
    assert not inspection.criterion_scores.filter(entered=True).exists()


def test_deductions_never_take_a_criterion_below_zero(scheme, estate, clerk, problem_types):
    mixed_loading = problem_types["mixed-loading"]  # 分类效果 −10 each, serious
    inspection = inspection_record(
        site=estate, recorded_by=clerk, inspected_at=at(), problems=[ProblemInput(mixed_loading)] * 3
    )
    assert inspection.criterion_scores.get(criterion__name="分类效果").score == Decimal(0)
    assert inspection.score == Decimal(75)
    deadlines = set(Rectification.objects.values_list("deadline", flat=True))
    assert deadlines == {datetime.date(2026, 6, 13)}  # serious: 3 days


def test_severity_given_for_a_problem_sets_its_deadline(scheme, estate, clerk, problem_types):
    inspection_record(
        site=estate,
        recorded_by=clerk,
        inspected_at=at(),
        problems=[
            ProblemInput(problem_types["mixed-disposal"], severity=Severity.SERIOUS),
            ProblemInput(problem_types["missing-signs"]),  # usually minor: 15 days
        ],
    )
    got = sorted(Rectification.objects.values_list("problem__severity", "deadline"))
    assert got == [(Severity.MINOR, datetime.date(2026, 6, 25)), (Severity.SERIOUS, datetime.date(2026, 6, 13))]


def test_a_problem_without_a_rule_takes_nothing_off_but_is_rectified(scheme, estate, clerk, problem_types):
    inspection = inspection_record(
        site=estate, recorded_by=clerk, inspected_at=at(), problems=[ProblemInput(problem_types["odour"])]
    )
    problem = inspection.problems.get()
    assert (problem.criterion, problem.deduction) == (None, Decimal(0))
    assert inspection.score == Decimal(100)
    assert problem.rectification.deadline == datetime.date(2026, 6, 25)


def test_an_inactive_problem_type_is_refused(scheme, estate, clerk, problem_types):
    odour = problem_types["odour"]
    odour.is_active = False
    odour.save()
    with pytest.raises(ValidationError) as error:
        inspection_record(site=estate, recorded_by=clerk, inspected_at=at(), problems=[ProblemInput(odour)])
    assert error.value.messages == [str(inspections.PROBLEM_TYPE_INACTIVE) % {"name": "异味"}]


def test_an_unknown_severity_or_kind_is_refused(scheme, estate, clerk, problem_types):
    with pytest.raises(ValidationError) as error:
        inspection_record(
            site=estate,
            recorded_by=clerk,
            inspected_at=at(),
            problems=[ProblemInput(problem_types["odour"], severity="x")],
        )
    assert error.value.messages == [str(inspections.UNKNOWN_SEVERITY)]
    with pytest.raises(ValidationError) as error:
        inspection_record(site=estate, recorded_by=clerk, inspected_at=at(), kind="party")
    assert error.value.messages == [str(inspections.UNKNOWN_KIND)]


def test_kind_location_note_and_inspectors_are_kept(scheme, estate, clerk, second_clerk):
    inspection = inspection_record(
        site=estate,
        recorded_by=clerk,
        inspected_at=at(),
        kind=InspectionKind.JOINT,
        inspectors=[second_clerk, clerk],
        latitude=Decimal("30.5728531"),
        longitude=104.066801,
        accuracy_m=12.4,
        note="  与城管联合执法  ",
    )
    inspection.refresh_from_db()
    assert inspection.kind == InspectionKind.JOINT
    assert (inspection.latitude, inspection.longitude) == (Decimal("30.572853"), Decimal("104.066801"))
    assert inspection.location_accuracy_m == 12
    assert inspection.note == "与城管联合执法"
    assert set(inspection.inspectors.all()) == {clerk, second_clerk}


@pytest.mark.parametrize(
    ("latitude", "longitude", "expected"),
    [
        (Decimal("90.5"), Decimal(0), inspections.LATITUDE_OUT_OF_RANGE),
        (Decimal("-91"), Decimal(0), inspections.LATITUDE_OUT_OF_RANGE),
        (Decimal(0), Decimal("180.01"), inspections.LONGITUDE_OUT_OF_RANGE),
        (Decimal(0), "east", inspections.LONGITUDE_OUT_OF_RANGE),
    ],
)
def test_a_location_off_the_globe_is_refused(scheme, estate, clerk, latitude, longitude, expected):
    with pytest.raises(ValidationError) as error:
        inspection_record(site=estate, recorded_by=clerk, inspected_at=at(), latitude=latitude, longitude=longitude)
    assert error.value.messages == [str(expected)]
    assert not Inspection.objects.exists()


def test_the_edges_of_the_globe_are_accepted(scheme, estate, clerk):
    inspection = inspection_record(
        site=estate, recorded_by=clerk, inspected_at=at(), latitude=Decimal(-90), longitude=Decimal(180)
    )
    assert (inspection.latitude, inspection.longitude) == (Decimal(-90), Decimal(180))


@pytest.fixture
def scheme_this_year(scheme, district):
    """A scheme in force today, whatever the year the tests run in."""
    today = timezone.localdate()
    if today.year == scheme.year:
        return scheme
    return scheme_build(district, year=today.year, in_force_from=datetime.date(today.year, 1, 1))


def test_a_time_in_the_future_is_refused_but_a_phone_a_little_ahead_is_not(scheme_this_year, estate, clerk):
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        inspection_record(site=estate, recorded_by=clerk, inspected_at=now + datetime.timedelta(minutes=6))
    assert error.value.messages == [str(inspections.IN_THE_FUTURE)]
    inspection = inspection_record(site=estate, recorded_by=clerk, inspected_at=now + datetime.timedelta(minutes=4))
    assert inspection.pk


def test_a_time_in_the_future_is_refused_before_the_scheme_is_looked_up(estate, clerk):
    with pytest.raises(ValidationError) as error:
        inspection_record(site=estate, recorded_by=clerk, inspected_at=timezone.now() + datetime.timedelta(days=1))
    assert error.value.messages == [str(inspections.IN_THE_FUTURE)]


def test_the_time_defaults_to_now(scheme_this_year, estate, clerk):
    before = timezone.now()
    inspection = inspection_record(site=estate, recorded_by=clerk)
    assert before <= inspection.inspected_at <= timezone.now()


def test_no_scheme_in_force_is_refused_with_the_date(scheme, estate, clerk, english):
    day = datetime.date(2025, 12, 31)
    with pytest.raises(ValidationError) as error:
        inspection_record(site=estate, recorded_by=clerk, inspected_at=at(day))
    assert error.value.messages == [str(inspections.NO_SCHEME_IN_FORCE) % {"date": day}]


def test_the_scheme_is_the_one_of_the_sites_district(scheme, other_district, outsider):
    """District B has no scheme: its sites cannot be scored by district A's."""
    site_b = SiteFactory(street=Unit.objects.get(code="B-JD1"), name="B花园")
    with pytest.raises(ValidationError) as error:
        inspection_record(site=site_b, recorded_by=outsider, inspected_at=at())
    assert error.value.messages == [str(inspections.NO_SCHEME_IN_FORCE) % {"date": ON}]


def test_staged_photos_are_attached_to_their_problems(scheme, estate, clerk, problem_types):
    first, second, third = (photo_accept(upload=jpeg_upload(), by=clerk) for _ in range(3))
    inspection = inspection_record(
        site=estate,
        recorded_by=clerk,
        inspected_at=at(),
        problems=[
            ProblemInput(problem_types["mixed-disposal"], photos=[first, second]),
            ProblemInput(problem_types["damaged-bins"], photos=[third]),
        ],
    )
    mixed, damaged = inspection.problems.order_by("id")
    assert set(mixed.photos.all()) == {first, second}
    assert list(damaged.photos.all()) == [third]


def test_a_photo_of_someone_else_is_refused_and_nothing_is_written(scheme, estate, clerk, second_clerk, problem_types):
    theirs = photo_accept(upload=jpeg_upload(), by=second_clerk)
    with pytest.raises(ValidationError) as error:
        inspection_record(
            site=estate,
            recorded_by=clerk,
            inspected_at=at(),
            problems=[ProblemInput(problem_types["mixed-disposal"], photos=[theirs])],
        )
    assert error.value.messages == [str(NOT_STAGED)]
    assert not Inspection.objects.exists()
    theirs.refresh_from_db()
    assert theirs.problem is None


def test_a_photo_already_attached_is_refused(scheme, estate, clerk, problem_types):
    photo = photo_accept(upload=jpeg_upload(), by=clerk)
    inspection_record(
        site=estate,
        recorded_by=clerk,
        inspected_at=at(),
        problems=[ProblemInput(problem_types["mixed-disposal"], photos=[photo])],
    )
    with pytest.raises(ValidationError) as error:
        inspection_record(
            site=estate,
            recorded_by=clerk,
            inspected_at=at(hour=11),
            problems=[ProblemInput(problem_types["odour"], photos=[photo])],
        )
    assert error.value.messages == [str(NOT_STAGED)]
    assert Inspection.objects.count() == 1


def test_the_same_photo_on_two_problems_is_refused(scheme, estate, clerk, problem_types):
    photo = photo_accept(upload=jpeg_upload(), by=clerk)
    with pytest.raises(ValidationError) as error:
        inspection_record(
            site=estate,
            recorded_by=clerk,
            inspected_at=at(),
            problems=[
                ProblemInput(problem_types["mixed-disposal"], photos=[photo]),
                ProblemInput(problem_types["odour"], photos=[photo]),
            ],
        )
    assert error.value.messages == [str(inspections.PHOTO_TWICE)]
    assert Photo.objects.get().problem is None


def test_the_days_assignment_of_the_site_is_marked_done(scheme, estate, school, clerk, second_clerk):
    mine = Assignment.objects.create(day=ON, site=estate, clerk=second_clerk, reason="due")
    other_site = Assignment.objects.create(day=ON, site=school, clerk=second_clerk, reason="due")
    next_day = Assignment.objects.create(day=ON + datetime.timedelta(days=1), site=estate, clerk=clerk, reason="due")
    # 23:30 local is still the 10th in the office, already the 10th at 15:30 UTC.
    inspection = inspection_record(site=estate, recorded_by=clerk, inspected_at=at(hour=23))
    for assignment in (mine, other_site, next_day):
        assignment.refresh_from_db()
    assert mine.inspection == inspection
    assert other_site.inspection is None
    assert next_day.inspection is None
    # A second visit the same day leaves the first inspection on the assignment.
    inspection_record(site=estate, recorded_by=clerk, inspected_at=at(hour=23) + datetime.timedelta(minutes=20))
    mine.refresh_from_db()
    assert mine.inspection == inspection


def test_a_leader_and_another_districts_clerk_may_not_record(scheme, estate, leader, outsider):
    for user in (leader, outsider):
        with pytest.raises(ValidationError) as error:
            inspection_record(site=estate, recorded_by=user, inspected_at=at())
        assert error.value.messages == [str(inspections.NOT_PERMITTED)]
    assert not Inspection.objects.exists()


def test_an_administrator_of_the_district_may_record(scheme, estate, district):
    admin = member(Unit.objects.get(code="A-FLB"), Role.ADMIN, username="admin_a")
    assert inspection_record(site=estate, recorded_by=admin, inspected_at=at()).score == Decimal(100)


def test_an_inactive_street_is_refused(scheme, estate, clerk):
    Unit.objects.filter(pk=estate.street_id).update(is_active=False)
    estate.street.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        inspection_record(site=estate, recorded_by=clerk, inspected_at=at())
    assert error.value.messages == [str(inspections.STREET_INACTIVE)]


def test_the_number_of_queries_does_not_grow_with_criteria_scores(scheme, estate, clerk, problem_types):
    """Scores and problems are written in bulk; only rectifications cost a few queries each."""

    def count(problems: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            inspection_record(
                site=estate,
                recorded_by=clerk,
                inspected_at=at(hour=8 + problems),
                problems=[ProblemInput(problem_types["odour"])] * problems,
            )
        return len(queries)

    count(0)  # the recorder's memberships are read once and kept on the user
    one, three = count(1), count(3)
    assert three - one == 2 * 2  # per extra problem: its rectification and its OPEN event


def test_the_same_form_sent_twice_records_one_inspection(scheme, estate, clerk, problem_types):
    key = "0b7d6c8e-3f57-4d0a-9a55-2f4f8d8f1a11"
    first = inspection_record(
        site=estate,
        recorded_by=clerk,
        inspected_at=at(),
        problems=[ProblemInput(problem_type=problem_types["mixed-disposal"])],
        submission_key=key,
    )
    again = inspection_record(
        site=estate,
        recorded_by=clerk,
        inspected_at=at(),
        problems=[ProblemInput(problem_type=problem_types["mixed-disposal"])],
        submission_key=key,
    )
    assert again.pk == first.pk
    assert Inspection.objects.count() == 1
    assert Rectification.objects.count() == 1


def test_another_clerk_cannot_claim_a_submission_key(scheme, estate, clerk, second_clerk):
    key = "5c1e9a51-8d3b-4b8e-8a9f-1f7a2b9c0d3e"
    inspection_record(site=estate, recorded_by=clerk, inspected_at=at(), submission_key=key)
    with pytest.raises(ValidationError):
        inspection_record(site=estate, recorded_by=second_clerk, inspected_at=at(), submission_key=key)
    assert Inspection.objects.count() == 1
