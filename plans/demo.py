"""Demo plans: the association's 2022 plan, imported as the importer reads it and linked to
the circular that issued it. The district center's plan is left for the user to import
(the first journey of the secretariat)."""

from pathlib import Path

from django.conf import settings
from django.db import transaction

from sanitation.documents.models import Circular
from sanitation.organisations.models import Unit

from .models import Plan
from .services import plan_circular_link, plan_import, plan_preview

SEED_PLANS = [
    # seed file, issuing unit, number of the circular that issued it
    ("association-2022-key-work.txt", "CUEA", "中环卫〔2022〕03号"),
]


@transaction.atomic
def seed() -> dict:
    """Import each seed plan once; a plan already there is left as it is."""
    created = 0
    for name, issuer_code, number in SEED_PLANS:
        issuer = Unit.objects.get(code=issuer_code)
        if Plan.objects.filter(issuer=issuer).exists():
            continue
        text = (Path(settings.SEEDS_DIR) / name).read_text(encoding="utf-8")
        plan = plan_import(plan_preview(text, issuer=issuer))
        circular = Circular.objects.filter(number=number).first()
        if circular is not None:
            plan_circular_link(plan, circular)
        created += 1
    return {"plans": created}
