"""The procedure's messages in Dutch (u and je) and English, editable in the admin."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from balie.conduct.defaults import TEXTS


def seed(apps: Any, schema_editor: Any) -> None:
    template = apps.get_model("conduct", "ConductTemplate")
    rows = dict(TEXTS)
    for (step, language, tone), body in TEXTS.items():
        if language == "en":  # English has one register: the same text for u and je
            rows[(step, language, "je")] = body
    template.objects.bulk_create(
        template(step=step, language=language, tone=tone, body=body)
        for (step, language, tone), body in rows.items()
    )


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("conduct", "ConductTemplate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("conduct", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
