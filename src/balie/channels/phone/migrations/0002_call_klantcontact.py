"""The after-call form completes the call's one klantcontact (#9): which one, and when."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('conversations', '0002_initial'),
        ('phone', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='call',
            name='klantcontact',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='call', to='conversations.klantcontact'),
        ),
        migrations.AddField(
            model_name='call',
            name='wrapped_up_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='after-call form sent at'),
        ),
    ]
