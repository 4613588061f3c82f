"""A member's history moves from MemberChange to the shared history (core.Change), which the
member's page shows as every other record's. Status changes stay in MemberStatusChange: they
are the registry's own data (effective date, reason)."""

from django.db import migrations

BATCH = 2000


def member_history_to_changes(apps, schema_editor):
    MemberChange = apps.get_model("members", "MemberChange")
    if not MemberChange.objects.exists():
        return  # a new database: nothing to move
    ContentType = apps.get_model("contenttypes", "ContentType")
    Change = apps.get_model("core", "Change")
    member_type, _created = ContentType.objects.get_or_create(app_label="members", model="member")
    lines = []
    for row in MemberChange.objects.order_by("pk").iterator(chunk_size=BATCH):
        lines.append(
            Change(
                content_type=member_type,
                object_id=row.member_id,
                action="changed",
                field=row.field,
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


def changes_to_member_history(apps, schema_editor):
    """Back to MemberChange: the field changes and payments; "created" lines go."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Change = apps.get_model("core", "Change")
    MemberChange = apps.get_model("members", "MemberChange")
    Member = apps.get_model("members", "Member")
    member_type = ContentType.objects.filter(app_label="members", model="member").first()
    if member_type is None:
        return
    lines = Change.objects.filter(content_type=member_type)
    members = set(Member.objects.values_list("pk", flat=True))
    kept = [
        line
        for line in lines.filter(action="changed").exclude(field="").order_by("at", "pk")
        if line.object_id in members
    ]
    rows = MemberChange.objects.bulk_create(
        [
            MemberChange(member_id=line.object_id, user_id=line.user_id, field=line.field, old=line.old, new=line.new)
            for line in kept
        ],
        batch_size=BATCH,
    )
    for row, line in zip(rows, kept, strict=True):
        row.at = line.at  # auto_now_add stamped the insert's time
    MemberChange.objects.bulk_update(rows, ["at"], batch_size=BATCH)
    lines.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0003_change"),
        ("members", "0001_members"),
    ]

    operations = [
        migrations.RunPython(member_history_to_changes, changes_to_member_history),
        migrations.DeleteModel(
            name="MemberChange",
        ),
    ]
