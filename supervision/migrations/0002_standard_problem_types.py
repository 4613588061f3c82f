"""The problem types inspectors find, as the district offices name them; editable afterwards."""

from django.db import migrations

# The list as it stands when this migration was written; later edits are made in the admin.
from supervision.problem_types import STANDARD_PROBLEM_TYPES



def create(apps, schema_editor):
    ProblemType = apps.get_model("supervision", "ProblemType")
    for order, (code, name, severity) in enumerate(STANDARD_PROBLEM_TYPES):
        ProblemType.objects.get_or_create(code=code, defaults={"name": name, "severity": severity, "order": order})


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
