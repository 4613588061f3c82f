"""The circular that publishes a round's list: 关于公布2026年度…评价结果的通知, one sentence and
a table of the rated facilities or enterprises, best grade first, then by name."""

from datetime import date

from django.utils import timezone

from sanitation.documents.models import Circular, CircularKind, DocumentIssuer
from sanitation.documents.services import circular_create

from .models import Programme, RatingApplication, RatingRound

RECIPIENTS = "各会员单位、各有关单位"
FACILITY_HEADER = ("序号", "设施名称", "运营单位", "所在地", "等级", "有效期至")
CREDIT_HEADER = ("序号", "企业名称", "统一社会信用代码", "所在地区", "等级", "有效期至")


def round_list_title(rating_round: RatingRound) -> str:
    return f"关于公布{rating_round.title}结果的通知"


def round_list_body(*, rating_round: RatingRound, rated: list[RatingApplication]) -> str:
    scheme = rating_round.scheme
    ranks = {threshold.grade: rank for rank, threshold in enumerate(scheme.thresholds.order_by("-min_total"))}
    rated = sorted(rated, key=lambda a: (ranks.get(a.grade, len(ranks)), a.subject.name))
    facilities = scheme.programme == Programme.FACILITY
    what = "个设施" if facilities else "家企业"
    sentence = (
        f"根据《{scheme.title}》，经申报、专家评审，{rating_round.title}共评定{len(rated)}{what}。"
        "现将评价结果予以公布，有效期内如发生重大责任事故或严重失信行为，将撤销其评价等级。"
    )
    header = FACILITY_HEADER if facilities else CREDIT_HEADER
    lines = [sentence, _row(header), _row(["---"] * len(header))]
    for number, application in enumerate(rated, start=1):
        lines.append(_row([str(number), *_cells(application), application.grade, _written(application.valid_until)]))
    return "\n".join(lines)


def _cells(application: RatingApplication) -> list[str]:
    if application.facility_id:
        facility = application.facility
        return [facility.name, facility.operator_name, facility.location]
    enterprise = application.enterprise
    return [enterprise.name, enterprise.credit_code, enterprise.region]


def _row(cells) -> str:
    # A | inside a name would split the table's cell.
    return "| " + " | ".join(str(cell).replace("|", "｜").strip() or "—" for cell in cells) + " |"


def _written(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def round_list_circular(
    *, rating_round: RatingRound, rated: list[RatingApplication], issuer: DocumentIssuer, user, written_on: date | None
) -> Circular:
    """The draft circular of the round's list; the caller issues it."""
    return circular_create(
        issuer=issuer,
        user=user,
        kind=CircularKind.NOTICE,
        title=round_list_title(rating_round),
        recipients=RECIPIENTS,
        body=round_list_body(rating_round=rating_round, rated=rated),
        written_on=written_on or timezone.localdate(),
    )
