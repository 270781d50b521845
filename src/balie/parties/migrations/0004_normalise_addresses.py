"""Fill ``DigitalAddress.normalised`` for the addresses stored before it existed."""

from django.db import migrations

from balie.parties.normalise import normalise

BATCH = 2000


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    DigitalAddress = apps.get_model("parties", "DigitalAddress")
    rows = DigitalAddress.objects.filter(kind__in=["phone", "whatsapp", "email"]).order_by("pk")
    batch = []
    for address in rows.only("pk", "kind", "value").iterator(chunk_size=BATCH):
        address.normalised = normalise(address.kind, address.value)
        if address.normalised:
            batch.append(address)
        if len(batch) >= BATCH:
            DigitalAddress.objects.bulk_update(batch, ["normalised"])
            batch = []
    DigitalAddress.objects.bulk_update(batch, ["normalised"])


class Migration(migrations.Migration):
    dependencies = [("parties", "0003_party_merge")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
