"""Create the three role groups with their permissions (clemency/accounts/roles.py)."""

from django.db import migrations

from clemency.accounts.roles import apply_role_permissions

# A frozen copy of ROLE_PERMISSIONS as it stood when this migration was written.
ROLE_PERMISSIONS = {
    "intake_staff": ["accounts.use_screening_workspace"],
    "coordinators": ["accounts.use_coordination_workspace", "accounts.view_user"],
    "volunteer_attorneys": ["accounts.use_attorney_workspace"],
}


def create_groups(apps, schema_editor):
    apply_role_permissions(apps, ROLE_PERMISSIONS)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
