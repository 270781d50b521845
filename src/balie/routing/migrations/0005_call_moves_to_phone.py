"""``Call`` moves to the phone channel's own app (#9): routing forgets the model, the table
``routing_call`` stays where it is with its rows (``phone.0001`` takes the state over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("routing", "0004_call_per_conversation_many"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Call")],
            database_operations=[],
        ),
    ]
