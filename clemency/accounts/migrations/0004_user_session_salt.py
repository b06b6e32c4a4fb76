import secrets

from django.db import migrations, models

import clemency.accounts.models


def give_each_user_a_salt(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.only("pk"):
        User.objects.filter(pk=user.pk).update(session_salt=secrets.token_hex(16))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_case_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="session_salt",
            field=models.CharField(
                default=clemency.accounts.models.new_session_salt, editable=False, max_length=32
            ),
        ),
        migrations.RunPython(give_each_user_a_salt, migrations.RunPython.noop),
    ]
