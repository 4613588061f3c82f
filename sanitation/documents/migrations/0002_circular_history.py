"""The circulars written before the shared history get their first lines in it: created, and
issued with the number, by whom and when the circular itself says."""

from django.db import migrations


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Circular = apps.get_model("documents", "Circular")
    Change = apps.get_model("core", "Change")
    if not Circular.objects.exists():
        return
    circular_type, _created = ContentType.objects.get_or_create(app_label="documents", model="circular")
    lines = []
    for circular in Circular.objects.order_by("pk").iterator():
        common = {"content_type": circular_type, "object_id": circular.pk}
        lines.append(
            Change(action="created", new=circular.title, user_id=circular.created_by_id, at=circular.created_at, **common)
        )
        if circular.status == "issued" and circular.issued_at is not None:
            lines.append(
                Change(
                    action="issued",
                    field="number",
                    new=circular.number,
                    user_id=circular.issued_by_id,
                    at=circular.issued_at,
                    **common,
                )
            )
            if circular.supersedes_id:
                lines.append(
                    Change(
                        content_type=circular_type,
                        object_id=circular.supersedes_id,
                        action="issued",
                        field="corrected_by",
                        new=circular.number,
                        user_id=circular.issued_by_id,
                        at=circular.issued_at,
                    )
                )
    Change.objects.bulk_create(lines, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        ("core", "0003_change"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
