"""Personas shared by every test: staff, coordinator, two attorneys, an administrator, anonymous."""

import os

import pytest
from django.test import override_settings

from clemency.accounts.roles import Role
from clemency.security.keys import init_directory
from tests.factories import UserFactory

pytest_plugins = ["tests.s3"]  # s3_server, s3_storage: a real SeaweedFS server on loopback

# Playwright's synchronous API keeps an event loop in the test thread; Django's ORM would
# otherwise refuse to run there. The live server itself runs in its own thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def key_directory(tmp_path_factory):
    """A complete key set for the test session, as `manage.py keys init` makes it."""
    directory = tmp_path_factory.mktemp("keys") / "keys"
    init_directory(directory)
    with override_settings(KEY_SOURCE="directory", KEY_DIR=directory):
        yield directory


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path_factory):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = settings.STORAGES | {
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path_factory.mktemp("documents"), "base_url": None},
        }
    }


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@example.org", role=Role.INTAKE_STAFF)


@pytest.fixture
def coordinator(db):
    return UserFactory(email="coordinator@example.org", role=Role.COORDINATOR)


@pytest.fixture
def attorney(db):
    return UserFactory(email="attorney1@example.org", role=Role.VOLUNTEER_ATTORNEY)


@pytest.fixture
def other_attorney(db):
    return UserFactory(email="attorney2@example.org", role=Role.VOLUNTEER_ATTORNEY)


@pytest.fixture
def administrator(db):
    return UserFactory(email="admin@example.org", is_staff=True, is_superuser=True)


PERSONAS = ["staff", "coordinator", "attorney", "other_attorney"]


@pytest.fixture
def client_for(client, request, db):
    """A test client signed in as the named persona (or anonymous for "anonymous")."""

    def sign_in(persona: str):
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(persona))
        return client

    return sign_in


@pytest.fixture
def migrated_rows(transactional_db):
    """Tests with a real transaction empty the database after each test: put back what
    migrations made (the role groups and the audit log's head row).

    (Serialized rollback cannot be used: Django's connections are context-local, and Playwright's
    event loop gives the test a different context from the one that set up the database.)
    """
    from django.apps import apps

    from clemency.accounts.roles import ROLE_PERMISSIONS, apply_role_permissions

    apply_role_permissions(apps, ROLE_PERMISSIONS)
    apps.get_model("audit", "AuditHead").objects.get_or_create(pk=1)
