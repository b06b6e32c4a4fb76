"""Give staff and coordinators their case permissions (clemency/accounts/roles.py)."""

from django.db import migrations

from clemency.accounts.roles import apply_role_permissions

# A frozen copy of ROLE_PERMISSIONS as it stood when this migration was written.
ROLE_PERMISSIONS = {
    "intake_staff": [
        "accounts.use_screening_workspace",
        "cases.view_all_cases",
        "cases.screen_case",
    ],
    "coordinators": [
        "accounts.use_coordination_workspace",
        "accounts.view_user",
        "cases.view_all_cases",
        "cases.screen_case",
        "cases.coordinate_case",
    ],
    "volunteer_attorneys": ["accounts.use_attorney_workspace"],
}
PREVIOUS = {
    "intake_staff": ["accounts.use_screening_workspace"],
    "coordinators": ["accounts.use_coordination_workspace", "accounts.view_user"],
    "volunteer_attorneys": ["accounts.use_attorney_workspace"],
}


def grant(apps, schema_editor):
    apply_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    apply_role_permissions(apps, PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_role_groups"),
        ("cases", "0005_pipeline"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
