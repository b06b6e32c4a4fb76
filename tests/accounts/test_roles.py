import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from clemency.accounts.roles import ROLE_HOMES, ROLE_PERMISSIONS, Role
from tests.factories import UserFactory

HOMES = {
    "staff": "cases:pipeline",
    "coordinator": "cases:coordination",
    "attorney": "cases:my-cases",
}


def test_every_role_has_a_home():
    assert set(ROLE_HOMES) == set(Role)


def held_permissions() -> dict[str, set[str]]:
    """Every group in the database and the permissions it holds, as "app_label.codename"."""
    return {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }


EXPECTED = {role.value: set(perms) for role, perms in ROLE_PERMISSIONS.items()}


@pytest.mark.django_db
def test_groups_hold_exactly_the_role_permissions():
    assert held_permissions() == EXPECTED


@pytest.mark.parametrize("persona", list(HOMES))
def test_home_sends_each_role_to_its_page(client_for, persona):
    response = client_for(persona).get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response.url == reverse(HOMES[persona])


@pytest.mark.parametrize("owner", list(HOMES))
@pytest.mark.parametrize("visitor", [*HOMES, "other_attorney"])
def test_role_home_refuses_the_other_roles(client_for, owner, visitor):
    response = client_for(visitor).get(reverse(HOMES[owner]))
    allowed = (
        visitor == owner
        or (owner == "attorney" and visitor == "other_attorney")
        or (owner == "staff" and visitor == "coordinator")  # coordinators screen too
    )
    assert response.status_code == (200 if allowed else 403)


@pytest.mark.django_db
def test_user_in_two_roles_lands_on_the_first_and_may_use_both(client):
    user = UserFactory(role=Role.INTAKE_STAFF)
    user.groups.add(Group.objects.get(name=Role.COORDINATOR.value))
    client.force_login(user)
    assert client.get(reverse("accounts:home")).url == reverse("cases:coordination")
    assert client.get(reverse("cases:pipeline")).status_code == 200


@pytest.mark.django_db
def test_user_without_a_role_is_told_so(client):
    client.force_login(UserFactory())
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 200
    assert "no role yet" in response.text.lower()
    assert client.get(reverse("cases:pipeline")).status_code == 403


def test_administrator_without_role_lands_on_admin(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("accounts:home")).url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_refusal_page_is_translated(client_for):
    client = client_for("attorney")
    client.cookies["django_language"] = "es"
    response = client.get(reverse("cases:pipeline"))
    assert response.status_code == 403
    assert '<html lang="es"' in response.text
    assert "Not allowed" not in response.text


@pytest.mark.django_db
def test_apply_role_permissions_restores_emptied_groups():
    from django.apps import apps

    from clemency.accounts import models as accounts_models
    from clemency.accounts.roles import apply_role_permissions

    Group.objects.all().delete()
    assert held_permissions() == {}
    apply_role_permissions(apps, ROLE_PERMISSIONS)
    assert held_permissions() == EXPECTED
    apply_role_permissions(apps, ROLE_PERMISSIONS)  # twice is harmless
    assert held_permissions() == EXPECTED
    # It lends app configs a models module for a moment; the live one gets its own back.
    assert apps.get_app_config("accounts").models_module is accounts_models


@pytest.mark.parametrize("persona", ["staff", "coordinator", "attorney"])
def test_admin_site_refuses_role_users_without_a_loop(client_for, persona):
    client = client_for(persona)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) <= 2
