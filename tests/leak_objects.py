"""The leak matrix's world and registry: the demo organisations (district 城东区 CD and the
association CUEA) own every object; the outsiders belong to district B and to a second
association. Each registry entry makes (or picks) one object of the demo organisations for a
URL pattern with an object id in its kwargs."""

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Model
from PIL import Image

from classification.models import Campaign, CollectionRecord, PublicityActivity, Site, SortingFacility, StreetTarget
from plans.branches.models import Branch
from plans.members.models import Member, MemberDues
from plans.models import Item, Plan, ProgressReport
from plans.ratings.models import Enterprise, Facility, Programme, RatingApplication, RatingRound
from plans.ratings.selectors import published
from sanitation.core.models import Notification
from sanitation.documents.models import Circular, CircularStatus, DocumentIssuer
from sanitation.documents.services import circular_create
from sanitation.organisations.models import Role, Unit, UnitKind, User
from supervision.models import AssessmentScheme, Inspection, Photo, Problem, Rectification
from supervision.models.cycle import Cycle, CycleReport, CycleRun, ReportState, RunState, RunTrigger
from supervision.photos import photo_accept
from tests.factories import UnitFactory, district_with_streets, member

# Methods tried on an HTML page or download; API routes use the methods the router maps.
PAGE_METHODS = ("get", "post")


@dataclass(frozen=True)
class Entry:
    """How to get an object of the demo organisations, and the URL kwargs that name it."""

    make: Callable[[], Model]
    kwargs: Callable[[Model], dict] | None = None
    extra: dict = field(default_factory=dict)

    def url_kwargs(self, obj: Model, id_kwarg: str) -> dict:
        if self.kwargs is not None:
            return self.kwargs(obj)
        return {id_kwarg: obj.pk, **self.extra}


def jpeg(name: str = "现场.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def world_build() -> None:
    """The whole demo, plus what it does not make: a draft circular, a progress report with an
    attachment, a photo on a problem, a cycle report with its PDF and run, a notification."""
    call_command("seed_demo", stdout=io.StringIO())
    clerk = User.objects.get(username="clerk")
    circular_create(issuer=DocumentIssuer.objects.get(unit__code="CD-FLB"), title="草稿通知", body="请认真贯彻执行。")
    ProgressReport.objects.create(
        item=Item.objects.order_by("pk").first(),
        unit=Unit.objects.get(code="CD-HWZX-HWG"),
        month=datetime.date(2026, 11, 1),
        text="已完成",
        percent=50,
        attachment=ContentFile(b"%PDF-1.4\n%%EOF\n", name="progress.pdf"),
        attachment_name="进度.pdf",
    )
    photo = photo_accept(upload=jpeg(), by=clerk)
    photo.problem = Problem.objects.order_by("pk").first()
    photo.save()
    issuer = DocumentIssuer.objects.get(unit__code="CD-FLB")
    report = CycleReport.objects.create(
        cycle=Cycle.WEEKLY,
        issuer=issuer,
        district=Unit.objects.get(code="CD"),
        period_start=datetime.date(2026, 11, 16),
        period_end=datetime.date(2026, 11, 22),
        state=ReportState.DONE,
        title="城东区垃圾分类周报告",
    )
    report.pdf.save("weekly.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    CycleRun.objects.create(
        cycle=Cycle.WEEKLY,
        issuer=issuer,
        period_start=report.period_start,
        period_end=report.period_end,
        trigger=RunTrigger.WEB,
        started_by=clerk,
        state=RunState.DONE,
        report=report,
    )
    Notification.objects.create(user=clerk, key=f"report:{report.pk}", title=report.title, url="/")


def outsiders_build() -> dict[str, User]:
    """Users of district B and of a second association: none may see anything of the demo's."""
    district_with_streets("B", streets=1, communities=1)
    association = UnitFactory(code="XB", name="另一协会", kind=UnitKind.ASSOCIATION)
    secretariat = UnitFactory(code="XB-ZHB", name="综合部", kind=UnitKind.DEPARTMENT, parent=association)
    return {
        "clerk of B": member(Unit.objects.get(code="B-FLB"), Role.CLERK, username="leak_clerk_b"),
        "unit staff of B": member(Unit.objects.get(code="B-JD1"), Role.UNIT_STAFF, username="leak_staff_b"),
        "leader of B": member(Unit.objects.get(code="B"), Role.LEADER, username="leak_leader_b"),
        "secretariat of another association": member(secretariat, Role.SECRETARIAT, username="leak_secretariat_b"),
    }


def first(queryset):
    def pick():
        obj = queryset.order_by("pk").first()
        assert obj is not None, f"the leak world has no {queryset.model.__name__}"
        return obj

    return pick


def unit(code: str):
    return lambda: Unit.objects.get(code=code)


issued_circular = first(Circular.objects.filter(status=CircularStatus.ISSUED, issuer__unit__code__startswith="C"))
draft_circular = first(Circular.objects.filter(status=CircularStatus.DRAFT))
plan = first(Plan.objects.all())
item = first(Item.objects.all())
progress = first(ProgressReport.objects.exclude(attachment=""))
a_member = first(Member.objects.all())
dues = first(MemberDues.objects.all())
branch = first(Branch.objects.all())
rating_round = first(RatingRound.objects.all())
application = first(RatingApplication.objects.all())
site = first(Site.objects.all())
campaign = first(Campaign.objects.all())
street_target = first(StreetTarget.objects.all())
inspection = first(Inspection.objects.all())
photo = first(Photo.objects.filter(problem__isnull=False))
rectification = first(Rectification.objects.all())
scheme = first(AssessmentScheme.objects.all())
cycle_run = first(CycleRun.objects.all())
cycle_report = first(CycleReport.objects.exclude(pdf=""))
notification = first(Notification.objects.filter(user__username="clerk"))


def target_kwargs(target: StreetTarget) -> dict:
    return {"campaign_id": target.campaign_id, "street_id": target.street_id}


# URL name → how to make its object. HTML names carry their namespace; API names are the router's.
REGISTRY: dict[str, Entry] = {
    "organisations:unit-detail": Entry(unit("CD-HWZX")),
    "documents:circular-detail": Entry(issued_circular),
    "documents:circular-edit": Entry(draft_circular),
    "documents:circular-pdf": Entry(issued_circular),
    "documents:circular-issue": Entry(draft_circular),
    "documents:circular-correct": Entry(issued_circular),
    "plans:plan-issue": Entry(plan),
    "plans:item-edit": Entry(item),
    "plans:item-delete": Entry(item),
    "plans:board": Entry(plan),
    "plans:item": Entry(item),
    "plans:item-acknowledge": Entry(item),
    "plans:item-report": Entry(item),
    "plans:indicator-update": Entry(item),
    "plans:milestone-update": Entry(item),
    "plans:report-attachment": Entry(progress),
    "plans:unit-items": Entry(unit("CD-HWZX-HWG")),
    "plans:plan-items-export": Entry(plan),
    "plans:plan-items-import": Entry(plan),
    "members:member-detail": Entry(a_member),
    "members:member-edit": Entry(a_member),
    "members:member-status": Entry(a_member),
    "members:dues-pay": Entry(a_member),
    "branches:detail": Entry(branch),
    "branches:edit": Entry(branch),
    "branches:term-renew": Entry(branch),
    "branches:targets": Entry(branch),
    "branches:assess": Entry(branch),
    "ratings:round-detail": Entry(rating_round),
    "ratings:application-add": Entry(rating_round),
    "ratings:round-publish": Entry(rating_round),
    "ratings:application-detail": Entry(application),
    "ratings:application-scores": Entry(application),
    "ratings:application-rate": Entry(application),
    "ratings:application-revoke": Entry(application),
    "ratings:facility-detail": Entry(first(Facility.objects.all())),
    "ratings:facility-edit": Entry(first(Facility.objects.all())),
    "ratings:enterprise-detail": Entry(first(Enterprise.objects.all())),
    "ratings:enterprise-edit": Entry(first(Enterprise.objects.all())),
    "classification:site-detail": Entry(site),
    "classification:site-edit": Entry(site),
    "classification:campaign-detail": Entry(campaign),
    "classification:street-target-edit": Entry(street_target, kwargs=target_kwargs),
    "supervision:inspect": Entry(site),
    "supervision:inspection-detail": Entry(inspection),
    "supervision:photo": Entry(photo),
    "supervision:photo-thumbnail": Entry(photo),
    "supervision:qr-sheet": Entry(unit("CD-JD01")),
    "supervision:rectification-detail": Entry(rectification),
    "supervision:rectification-act": Entry(rectification, extra={"action": "answer"}),
    "supervision:scheme-detail": Entry(scheme),
    "supervision:scheme-new-version": Entry(scheme),
    "supervision:scheme-edit": Entry(scheme),
    "supervision:scheme-put-in-force": Entry(scheme),
    "supervision:cycle-run": Entry(cycle_run),
    "supervision:cycle-report": Entry(cycle_report),
    "supervision:cycle-report-pdf": Entry(cycle_report),
    "supervision:notification-read": Entry(notification),
    # /api/v1/
    "circular-detail": Entry(issued_circular),
    "plan-detail": Entry(plan),
    "plan-item-detail": Entry(item),
    "progress-report-detail": Entry(progress),
    "member-detail": Entry(a_member),
    "member-dues-detail": Entry(dues),
    "branch-detail": Entry(branch),
    "facility-rating-detail": Entry(first(published(RatingApplication.objects.all(), programme=Programme.FACILITY))),
    "credit-rating-detail": Entry(first(published(RatingApplication.objects.all(), programme=Programme.CREDIT))),
    "site-detail": Entry(site),
    "campaign-detail": Entry(campaign),
    "collection-record-detail": Entry(first(CollectionRecord.objects.all())),
    "sorting-facility-detail": Entry(first(SortingFacility.objects.all())),
    "publicity-activity-detail": Entry(first(PublicityActivity.objects.all())),
    "inspection-detail": Entry(inspection),
    "rectification-detail": Entry(rectification),
    "rectification-answer": Entry(rectification),
    "rectification-close": Entry(rectification),
    "rectification-send-back": Entry(rectification),
    "rectification-start": Entry(rectification),
    "assessment-scheme-detail": Entry(scheme),
    "cycle-report-detail": Entry(cycle_report),
    "notification-detail": Entry(notification),
    "notification-read": Entry(notification),
}

# URL names with an id kwarg that the matrix does not try, and why.
EXEMPT: dict[str, str] = {
    "problem-type-detail": "problem types are one national list shared by every district, not an organisation's",
}
