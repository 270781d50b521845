"""Bounded retries of stored webhook events: attempts, the next attempt, parking."""

from django.db import migrations, models
from django.utils import timezone

import balie.channels.whatsapp.models


def due_now(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Events still waiting when this runs are due at once; processed ones never again."""
    WebhookEvent = apps.get_model("whatsapp", "WebhookEvent")
    WebhookEvent.objects.filter(processed_at__isnull=True).update(next_attempt_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("whatsapp", "0001_initial")]

    operations = [
        migrations.RenameField("webhookevent", "error", "last_error"),
        migrations.AlterField(
            model_name="webhookevent",
            name="last_error",
            field=models.TextField(blank=True, verbose_name="processing error"),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="failed attempts"),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="parked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="parked at"),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="next attempt at"),
        ),
        migrations.RunPython(due_now, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="webhookevent",
            name="next_attempt_at",
            field=models.DateTimeField(
                blank=True,
                default=balie.channels.whatsapp.models.first_sweep_at,
                null=True,
                verbose_name="next attempt at",
            ),
        ),
        migrations.AddIndex(
            model_name="webhookevent",
            index=models.Index(
                condition=models.Q(("parked_at__isnull", True), ("processed_at__isnull", True)),
                fields=["attempts", "id"],
                name="wa_event_due_idx",
            ),
        ),
        migrations.AlterModelOptions(
            name="webhookevent",
            options={
                "permissions": [("retry_webhookevent", "Can process parked webhook events again")],
                "verbose_name": "WhatsApp webhook event",
                "verbose_name_plural": "WhatsApp webhook events",
            },
        ),
    ]
