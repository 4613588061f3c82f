"""Plans and items become soft-deletable, and an item's history moves from ItemChange to the
shared history (core.Change), which the item's page shows with every other record's."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BATCH = 2000


def item_history_to_changes(apps, schema_editor):
    ItemChange = apps.get_model("plans", "ItemChange")
    if not ItemChange.objects.exists():
        return  # a new database: nothing to move, and no content type to make for it
    ContentType = apps.get_model("contenttypes", "ContentType")
    Change = apps.get_model("core", "Change")
    item_type, _created = ContentType.objects.get_or_create(app_label="plans", model="item")
    lines = []
    for row in ItemChange.objects.order_by("pk").iterator(chunk_size=BATCH):
        lines.append(
            Change(
                content_type=item_type,
                object_id=row.item_id,
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


def changes_to_item_history(apps, schema_editor):
    """Back to ItemChange: the field changes; lines it had no place for (created, deleted) go."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Change = apps.get_model("core", "Change")
    ItemChange = apps.get_model("plans", "ItemChange")
    Item = apps.get_model("plans", "Item")
    item_type = ContentType.objects.filter(app_label="plans", model="item").first()
    if item_type is None:
        return
    lines = Change.objects.filter(content_type=item_type)
    items = set(Item.objects.values_list("pk", flat=True))
    kept = [
        line
        for line in lines.filter(action="changed").exclude(field="").order_by("at", "pk")
        if line.object_id in items
    ]
    rows = ItemChange.objects.bulk_create(
        [
            ItemChange(item_id=line.object_id, user_id=line.user_id, field=line.field, old=line.old, new=line.new)
            for line in kept
        ],
        batch_size=BATCH,
    )
    for row, line in zip(rows, kept, strict=True):
        row.at = line.at  # auto_now_add stamped the insert's time
    ItemChange.objects.bulk_update(rows, ["at"], batch_size=BATCH)
    lines.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0003_change"),
        ("plans", "0003_reminders"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(item_history_to_changes, changes_to_item_history),
        migrations.RemoveConstraint(
            model_name="plan",
            name="plan_unique_title",
        ),
        migrations.AddField(
            model_name="item",
            name="deleted_at",
            field=models.DateTimeField(blank=True, db_index=True, editable=False, null=True, verbose_name="deleted at"),
        ),
        migrations.AddField(
            model_name="item",
            name="deleted_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="deleted by",
            ),
        ),
        migrations.AddField(
            model_name="plan",
            name="deleted_at",
            field=models.DateTimeField(blank=True, db_index=True, editable=False, null=True, verbose_name="deleted at"),
        ),
        migrations.AddField(
            model_name="plan",
            name="deleted_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="deleted by",
            ),
        ),
        migrations.AddConstraint(
            model_name="plan",
            constraint=models.UniqueConstraint(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=("issuer", "year", "title"),
                name="plan_unique_title",
            ),
        ),
        migrations.DeleteModel(
            name="ItemChange",
        ),
    ]
