"""The phone app takes ``Call`` over from routing (#9): the state only, on the existing table
``routing_call`` (created by ``routing.0002``); no row is copied."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("channels", "0002_initial"),
        ("conversations", "0002_initial"),
        ("organisations", "0002_initial"),
        ("routing", "0005_call_moves_to_phone"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Call",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("call_id", models.CharField(max_length=128)),
                        ("queued_at", models.DateTimeField()),
                        ("answered_at", models.DateTimeField(blank=True, null=True)),
                        ("ended_at", models.DateTimeField(blank=True, null=True)),
                        ("abandoned", models.BooleanField(default=False)),
                        ("wait_s", models.FloatField(blank=True, null=True)),
                        ("talk_s", models.FloatField(blank=True, null=True)),
                        (
                            "agent",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="organisations.agent",
                            ),
                        ),
                        (
                            "channel",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="channels.channel",
                            ),
                        ),
                        (
                            "conversation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="calls",
                                to="conversations.conversation",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "call",
                        "verbose_name_plural": "calls",
                        "db_table": "routing_call",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("channel", "call_id"), name="call_once_per_channel"
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
