"""A branch's history moves from BranchChange to the shared history (core.Change), which the
branch's page shows as every other record's. The "created" key becomes the "created" action;
terms, targets and assessments keep their keys (Branch.HISTORY_LABELS names them)."""

from django.db import migrations

BATCH = 2000
CREATED = "created"


def branch_history_to_changes(apps, schema_editor):
    BranchChange = apps.get_model("branches", "BranchChange")
    if not BranchChange.objects.exists():
        return  # a new database: nothing to move
    ContentType = apps.get_model("contenttypes", "ContentType")
    Change = apps.get_model("core", "Change")
    branch_type, _created = ContentType.objects.get_or_create(app_label="branches", model="branch")
    lines = []
    for row in BranchChange.objects.order_by("pk").iterator(chunk_size=BATCH):
        created = row.field == CREATED
        lines.append(
            Change(
                content_type=branch_type,
                object_id=row.branch_id,
                action=CREATED if created else "changed",
                field="" if created else row.field,
                old=row.old,
                new=row.new,
                user_id=row.user_id,
                at=row.at,
            )
        )
        if len(lines) == BATCH:
            Change.objects.bulk_create(lines)
            lines = []
    Change.objects.bulk_create(lines)


def changes_to_branch_history(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Change = apps.get_model("core", "Change")
    BranchChange = apps.get_model("branches", "BranchChange")
    Branch = apps.get_model("branches", "Branch")
    branch_type = ContentType.objects.filter(app_label="branches", model="branch").first()
    if branch_type is None:
        return
    lines = Change.objects.filter(content_type=branch_type)
    branches = set(Branch.objects.values_list("pk", flat=True))
    kept = [
        line
        for line in lines.filter(action__in=[CREATED, "changed"]).order_by("at", "pk")
        if line.object_id in branches and (line.action == CREATED or line.field)
    ]
    rows = BranchChange.objects.bulk_create(
        [
            BranchChange(
                branch_id=line.object_id,
                user_id=line.user_id,
                field=CREATED if line.action == CREATED else line.field,
                old=line.old,
                new=line.new,
            )
            for line in kept
        ],
        batch_size=BATCH,
    )
    for row, line in zip(rows, kept, strict=True):
        row.at = line.at  # auto_now_add stamped the insert's time
    BranchChange.objects.bulk_update(rows, ["at"], batch_size=BATCH)
    lines.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0001_branches"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0003_change"),
    ]

    operations = [
        migrations.RunPython(branch_history_to_changes, changes_to_branch_history),
        migrations.DeleteModel(
            name="BranchChange",
        ),
    ]
