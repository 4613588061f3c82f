"""The sites' admin log entries (who added or changed a site, written by the services until now)
become lines of the shared history (core.Change), which the site page shows."""

import json

from django.db import migrations

ADDITION, CHANGE = 1, 2


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    LogEntry = apps.get_model("admin", "LogEntry")
    Change = apps.get_model("core", "Change")
    site_type = ContentType.objects.filter(app_label="classification", model="site").first()
    if site_type is None:
        return  # a new database: no site yet
    lines = []
    entries = LogEntry.objects.filter(content_type=site_type, action_flag__in=(ADDITION, CHANGE)).order_by("pk")
    for entry in entries.iterator():
        if not entry.object_id.isdigit():
            continue
        common = {"content_type": site_type, "object_id": int(entry.object_id), "user_id": entry.user_id}
        if entry.action_flag == ADDITION:
            lines.append(Change(action="created", new=entry.object_repr, at=entry.action_time, **common))
            continue
        try:
            message = json.loads(entry.change_message or "[]")
        except ValueError:
            message = []
        fields = [
            name for part in message if isinstance(part, dict) for name in part.get("changed", {}).get("fields", [])
        ]
        # The log kept which fields changed, not their values.
        lines += [Change(action="changed", field=name[:50], at=entry.action_time, **common) for name in fields]
    Change.objects.bulk_create(lines, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("classification", "0003_site_soft_delete"),
        ("core", "0003_change"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
