"""Demo issuers, and the association's 2022 key-work circular issued from the seed document."""

from pathlib import Path

from django.conf import settings
from django.db import transaction

from sanitation.organisations.models import Unit

from .models import Circular, DocumentIssuer, NumberCounter
from .services import circular_create, circular_issue
from .text_format import parse_document

ISSUERS = [
    # unit code, prefix, padding, mark, signature, printing office
    ("CUEA", "中环卫", 2, "中国城市环境卫生协会文件", "中国城市环境卫生协会", "中国城市环境卫生协会秘书处"),
    ("CD-HWZX", "城东环卫", 0, "城东区环卫事务中心文件", "城东区环卫事务中心", "城东区环卫事务中心办公室"),
    (
        "CD-FLB",
        "城东分类办",
        0,
        "城东区生活垃圾分类工作领导小组办公室",
        "城东区生活垃圾分类工作领导小组办公室",
        "城东区生活垃圾分类工作领导小组办公室",
    ),
]
SEED = "association-2022-key-work.txt"


@transaction.atomic
def seed() -> dict:
    issuers = 0
    for code, prefix, padding, mark, signature, printed_by in ISSUERS:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            continue
        _, created = DocumentIssuer.objects.get_or_create(
            unit=unit,
            defaults={
                "prefix": prefix,
                "number_padding": padding,
                "mark": mark,
                "signature": signature,
                "printed_by": printed_by,
            },
        )
        issuers += created
    return {"document issuers": issuers, "circulars": _seed_association_circular()}


def _seed_association_circular() -> int:
    issuer = DocumentIssuer.objects.filter(unit__code="CUEA").first()
    path = Path(settings.SEEDS_DIR) / SEED
    if issuer is None or not path.exists():
        return 0
    content = parse_document(path.read_text(encoding="utf-8"))
    if Circular.objects.filter(issuer=issuer, title=content.title).exists():
        return 0
    # 01号 and 02号 of 2022 were issued on paper before the system: the seed is 03号.
    NumberCounter.objects.get_or_create(issuer=issuer, year=2022, defaults={"last_number": 2})
    draft = circular_create(
        issuer=issuer,
        title=content.title,
        recipients=content.recipients,
        body=content.body,
        copy_to=content.copy_to,
        printed_by=content.printed_by,
        written_on=content.printed_on,
        printed_on=content.printed_on,
    )
    circular_issue(draft.pk)
    return 1
