"""Personas shared by every test: staff, coordinator, two attorneys, an administrator, anonymous."""

import os
import time

import pytest
from django.test import Client, override_settings
from django.utils import translation

from clemency.accounts.roles import Role
from clemency.security.keys import init_directory
from clemency.texting import MemoryBackend
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


@pytest.fixture
def own_keys(settings, key_directory, tmp_path):
    """A private copy of the session's key set, so that rotation here touches nothing else."""
    import shutil

    directory = tmp_path / "keys"
    shutil.copytree(key_directory, directory)
    settings.KEY_DIR = directory
    settings.KEY_RELOAD_SECONDS = 0  # no other process to wait for here
    settings.BACKUP_PUBLIC_KEY = directory / "backup.pub"
    return directory


@pytest.fixture(autouse=True)
def _waiting_count_of_this_test():
    """The staff pages' count of waiting applications is kept for 30 seconds per process: one
    kept by an earlier test must not run out in the middle of this one (and add a query)."""
    from cases.context_processors import forget_count

    forget_count()


@pytest.fixture(autouse=True)
def _language_of_the_next_test_is_its_own():
    """A request in Arabic leaves Arabic active in this thread: the next test starts afresh."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path_factory):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.TEXT_MESSAGE_BACKEND = "clemency.texting.MemoryBackend"
    MemoryBackend.outbox.clear()
    settings.STORAGES = settings.STORAGES | {
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path_factory.mktemp("documents"), "base_url": None},
        }
    }


_force_login_password_only = Client.force_login


def _force_login(self, user, backend=None) -> None:
    """Sign in as `user` with both factors: their authenticator app (one is made if they have
    none) marks the session verified, as the verification page does."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clemency.accounts.twofactor import VERIFIED_AT

    _force_login_password_only(self, user, backend)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator app")
    session = self.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[VERIFIED_AT] = int(time.time())
    session.save()


@pytest.fixture(autouse=True)
def _second_factor_on_force_login(monkeypatch):
    """Every account needs a second factor, so `client.force_login(user)` gives both factors;
    `client.force_login_password_only(user)` gives the password only (for second-factor tests)."""
    monkeypatch.setattr(Client, "force_login", _force_login)
    monkeypatch.setattr(
        Client, "force_login_password_only", _force_login_password_only, raising=False
    )


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
