"""The three staff roles, what each may do, and where each lands after signing in.

Roles are Django groups; what a role may do is the set of permissions its group holds. The groups
and their permissions are created by data migrations; a test checks that the database agrees with
ROLE_PERMISSIONS, so a change here needs a migration that calls ``apply_role_permissions``.
"""

from collections.abc import Iterable, Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # The value is the group name.
    INTAKE_STAFF = "intake_staff", _("Intake staff")
    COORDINATOR = "coordinators", _("Coordinator")
    VOLUNTEER_ATTORNEY = "volunteer_attorneys", _("Volunteer attorney")


# Attorneys get no case permission here: they hold view_case and work_on_case on the cases
# assigned to them only (django-guardian object permissions, cases/services.py).
ROLE_PERMISSIONS: Mapping[Role, frozenset[str]] = {
    Role.INTAKE_STAFF: frozenset(
        {"accounts.use_screening_workspace", "cases.view_all_cases", "cases.screen_case"}
    ),
    Role.COORDINATOR: frozenset(
        {
            "accounts.use_coordination_workspace",
            "accounts.view_user",
            "cases.view_all_cases",
            "cases.screen_case",
            "cases.coordinate_case",
        }
    ),
    Role.VOLUNTEER_ATTORNEY: frozenset({"accounts.use_attorney_workspace"}),
}

# Where each role lands after signing in; the first role a user holds wins.
ROLE_HOMES: Mapping[Role, str] = {
    Role.COORDINATOR: "cases:coordination",
    Role.INTAKE_STAFF: "cases:pipeline",
    Role.VOLUNTEER_ATTORNEY: "cases:my-cases",
}


def apply_role_permissions(apps, mapping: Mapping[str, Iterable[str]]) -> None:
    """Create the role groups and give each exactly the listed permissions.

    For data migrations: ``apps`` is the historical app registry, ``mapping`` a literal copy of
    ROLE_PERMISSIONS as it stood when the migration was written. With the live registry and
    ROLE_PERMISSIONS it restores the groups, as tests that empty the database need.
    """
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations have run; make sure they exist now.
    # Historical app configs have no models module, which create_permissions would skip.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, perms in mapping.items():
        group, _created = group_model.objects.get_or_create(name=group_name)
        wanted = []
        for perm in sorted(perms):
            app_label, codename = perm.split(".")
            wanted.append(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
