"""docker-compose.yml and the Dockerfile agree with what the settings read.

No Docker engine runs here, so the file is checked by reading it and by running the same commands
with the same environment the containers would get.
"""

import ipaddress
import json
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

from deploy.make_secrets import make_secrets
from tests.clemency.subprocess_env import ROOT, clean_environ, run, run_python

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["migrate", "intake", "staff", "worker", "scheduler", "backup"]
STAFF_SIDE = ["migrate", "staff", "worker", "scheduler", "backup"]
WEB_SERVICES = ["intake", "staff"]
# Values that must never be written into the compose file, only read from secret files.
SECRET_NAMES = {
    "SECRET_KEY",
    "DATABASE_URL",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "EMAIL_HOST_PASSWORD",
    "POSTGRES_PASSWORD",
    "KEKS",
    "BLIND_INDEX_KEY",
    "AUDIT_KEY",
    "INTAKE_PRIVATE_KEY",
}
SAMPLE_VARIABLES = {"INTAKE_HOST": "pardon.example.org", "STAFF_HOST": "staff.pardon.example.org"}


def interpolate(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, with sample values for VAR."""

    def replace(match: re.Match) -> str:
        name, operator, word = match.group(1), match.group(2), match.group(3) or ""
        if name in SAMPLE_VARIABLES:
            return SAMPLE_VARIABLES[name]
        assert operator != ":?", f"{name} is required by docker-compose.yml: add a sample value"
        return word if operator == ":-" else ""

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", replace, str(value))


def test_services():
    assert set(SERVICES) == {
        "db",
        "s3",
        "migrate",
        "intake",
        "staff",
        "worker",
        "scheduler",
        "backup",
        "proxy",
    }
    # The image's pg_dump (Debian bookworm's postgresql-client) must not be older than the server.
    assert SERVICES["db"]["image"] == "postgres:15"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.12-slim-bookworm" in dockerfile
    assert "postgresql-client" in dockerfile
    assert SERVICES["s3"]["image"].startswith("chrislusf/seaweedfs:")


def test_only_the_proxy_is_published():
    published = {name: s["ports"] for name, s in SERVICES.items() if "ports" in s}
    assert published == {"proxy": ["80:80", "443:443"]}


def test_the_app_believes_only_the_proxy_about_client_addresses():
    proxy = SERVICES["proxy"]["networks"]["default"]["ipv4_address"]
    subnet = COMPOSE["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(proxy) in ipaddress.ip_network(subnet)
    for name in APP_SERVICES:
        assert SERVICES[name]["environment"]["TRUSTED_PROXIES"] == proxy
    for name in WEB_SERVICES:
        assert f"--forwarded-allow-ips={proxy}" in SERVICES[name]["command"]
    assert SERVICES["proxy"]["environment"]["INTAKE_UPSTREAM"] == "intake:8000"
    assert SERVICES["proxy"]["environment"]["STAFF_UPSTREAM"] == "staff:8000"
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in SERVICES["proxy"]["volumes"]


def test_long_running_services_have_health_checks():
    for name, service in SERVICES.items():
        if name in {"migrate", "backup"}:
            assert service["restart"] == "no"
        else:
            assert service["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}, name


def test_app_waits_for_database_migrations_and_storage():
    assert SERVICES["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("intake", "staff", "worker", "scheduler"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["s3"]["condition"] == "service_healthy"


def test_secrets_come_from_files_only():
    declared = COMPOSE["secrets"]
    for name, secret in declared.items():
        assert set(secret) == {"file"}, name
        assert secret["file"] == f"./secrets/{name}"
    for name, service in SERVICES.items():
        environment = service.get("environment", {})
        assert not SECRET_NAMES & set(environment), f"{name} has a secret in plain text"
        for key, value in environment.items():
            if key.endswith("_FILE"):
                secret = value.removeprefix("/run/secrets/")
                assert secret in service["secrets"], f"{name}: {key} needs secret {secret}"
                assert secret in declared


def test_commands_exist():
    assert SERVICES["migrate"]["command"][:2] == ["sh", "-c"]
    assert SERVICES["migrate"]["command"][2] == (
        "python -m clemency.security.init_keys && python manage.py migrate --no-input && "
        "python manage.py db_grants --app pardon_app --intake pardon_intake"
    )
    assert {"db_grants", "keys", "daily", "backup"} <= set(get_commands())
    assert SERVICES["worker"]["command"] == ["python", "manage.py", "db_worker"]
    assert "db_worker" in get_commands()
    assert SERVICES["scheduler"]["command"] == ["python", "manage.py", "daily", "--forever"]
    assert SERVICES["scheduler"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "manage.py",
        "daily",
        "--check",
    ]
    backup = SERVICES["backup"]["command"]
    assert backup == ["python", "manage.py", "backup", "create", "--into", "/backups"]
    assert interpolate(SERVICES["backup"]["environment"]["BACKUP_KEEP_DAYS"]) == "30"
    assert SERVICES["backup"]["profiles"] == ["backup"]  # not started by `up`
    for name in WEB_SERVICES:
        web = SERVICES[name]["command"]
        assert web[:2] == ["gunicorn", "clemency.wsgi:application"]
        assert "--bind=0.0.0.0:8000" in web
    s3 = SERVICES["s3"]["command"]
    assert "-s3.config=/run/secrets/seaweedfs_s3_config" in s3
    assert "-s3.port=8333" in s3


def test_worker_health_check_is_the_queue_check():
    assert SERVICES["worker"]["healthcheck"]["test"][1:4] == [
        "python",
        "manage.py",
        "worker_health",
    ]


def test_health_checks_use_the_app_probe():
    for name in WEB_SERVICES:
        test = " ".join(SERVICES[name]["healthcheck"]["test"])
        assert "http://127.0.0.1:8000/healthz" in test
    assert "http://127.0.0.1:8333/healthz" in " ".join(SERVICES["s3"]["healthcheck"]["test"])


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("deploy") / "secrets"
    make_secrets(directory)
    return directory


def test_make_secrets_is_consistent_and_private(secrets_dir):
    assert secrets_dir.stat().st_mode & 0o777 == 0o700
    password = (secrets_dir / "postgres_password").read_text().strip()
    owner_url = (secrets_dir / "owner_database_url").read_text()
    assert f"pardon:{password}@db:5432/pardon" in owner_url
    for url, role, secret in (
        ("database_url", "pardon_app", "app_db_password"),
        ("intake_database_url", "pardon_intake", "intake_db_password"),
    ):
        role_password = (secrets_dir / secret).read_text().strip()
        assert f"{role}:{role_password}@db:5432/pardon" in (secrets_dir / url).read_text()
    config = json.loads((secrets_dir / "seaweedfs_s3_config").read_text())
    credentials = config["identities"][0]["credentials"][0]
    assert credentials["accessKey"] == (secrets_dir / "s3_access_key_id").read_text().strip()
    assert credentials["secretKey"] == (secrets_dir / "s3_secret_access_key").read_text().strip()
    assert set(COMPOSE["secrets"]) == {path.name for path in secrets_dir.iterdir()}
    before = (secrets_dir / "django_secret_key").read_text()
    make_secrets(secrets_dir)
    assert (secrets_dir / "django_secret_key").read_text() == before


BOOT = """
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("check", "--deploy", "--fail-level", "WARNING")
from clemency.env import NAMES
print(json.dumps({
    "names": sorted(NAMES),
    "engine": settings.DATABASES["default"]["ENGINE"],
    "host": settings.DATABASES["default"]["HOST"],
    "documents": settings.STORAGES["documents"]["BACKEND"],
    "endpoint": settings.STORAGES["documents"]["OPTIONS"]["endpoint_url"],
    "ssl_header": settings.SECURE_PROXY_SSL_HEADER,
    "key_source": settings.KEY_SOURCE,
    "role": settings.SITE_ROLE,
    "apps": settings.INSTALLED_APPS,
}))
"""


def service_environment(service: str, secrets_dir: Path, volumes: Path) -> dict[str, str]:
    """The service's environment as compose gives it, with its secret files and volumes at
    their places on this machine."""
    mounts = {}
    for mount in SERVICES[service].get("volumes", []):
        volume, target = mount.split(":")[:2]
        mounts[target] = volumes / volume
    environment = {}
    for key, value in SERVICES[service]["environment"].items():
        value = interpolate(value)
        if key.endswith("_FILE"):
            value = str(secrets_dir / Path(value).name)
        for target, local in mounts.items():
            if value == target or value.startswith(target + "/"):
                value = str(local) + value.removeprefix(target)
        environment[key] = value
    return clean_environ() | environment


@pytest.fixture(scope="module")
def volumes(secrets_dir, tmp_path_factory):
    """The volumes after the migrate job's first step made the key set."""
    volumes = tmp_path_factory.mktemp("volumes")
    for name in ("keys", "intake-public"):
        (volumes / name).mkdir(mode=0o700)
    env = service_environment("migrate", secrets_dir, volumes) | {"VAR_DIR": str(volumes / "var")}
    first_step = SERVICES["migrate"]["command"][2].split(" && ")[0].split()
    assert first_step == ["python", "-m", "clemency.security.init_keys"]
    result = run(first_step[1:], env)
    assert result.returncode == 0, result.stderr
    assert "Published intake public key 1" in result.stdout
    return volumes


@pytest.mark.parametrize("service", APP_SERVICES)
def test_compose_environment_boots_production_settings(service, secrets_dir, volumes, tmp_path):
    environment = service_environment(service, secrets_dir, volumes)
    env = environment | {"VAR_DIR": str(tmp_path)}
    result = run_python(BOOT, env)
    assert result.returncode == 0, result.stderr
    booted = json.loads(result.stdout.splitlines()[-1])

    assert booted["engine"] == "django.db.backends.postgresql"
    assert booted["host"] == "db"
    assert booted["documents"] == "storages.backends.s3.S3Storage"
    assert booted["endpoint"] == "http://s3:8333"
    assert booted["ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert booted["key_source"] == "directory"
    assert booted["role"] == ("intake" if service == "intake" else "staff")
    assert ("cases" in booted["apps"]) == (service != "intake")
    # Every variable compose sets is one the settings read: no typos, nothing dead.
    read = set(booted["names"])
    for key in SERVICES[service]["environment"]:
        assert key.removesuffix("_FILE") in read, f"settings never read {key}"


def test_the_intake_volume_holds_the_public_key_and_nothing_else(volumes):
    assert sorted(p.name for p in (volumes / "intake-public").iterdir()) == ["intake.pub"]


def test_dockerfile_installs_the_hashed_lock_and_runs_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.12" in dockerfile
    assert "--require-hashes --requirement requirements/base.txt" in dockerfile
    assert "collectstatic" in dockerfile
    assert "python -m clemency.i18n compile" in dockerfile
    assert "ENV DJANGO_ENV=production" in dockerfile
    assert re.search(r"^USER app$", dockerfile, re.MULTILINE)
    base = (ROOT / "requirements" / "base.txt").read_text()
    for package in ("gunicorn==", "django-tasks-db==", "psycopg==", "whitenoise=="):
        assert package in base


def test_only_the_key_writers_can_change_the_keys_and_the_intake_sees_only_the_public_key():
    mounts = {name: SERVICES[name]["volumes"] for name in APP_SERVICES}
    assert mounts == {
        "migrate": ["keys:/keys", "intake-public:/public"],
        "scheduler": ["keys:/keys", "intake-public:/public"],
        "staff": ["keys:/keys:ro"],
        "worker": ["keys:/keys:ro"],
        "backup": ["keys:/keys:ro", "backup-keys:/backup-keys", "backups:/backups"],
        "intake": ["intake-public:/public:ro"],
    }
    for name in APP_SERVICES:
        environment = SERVICES[name]["environment"]
        assert environment["KEY_SOURCE"] == "directory"
        assert environment["KEY_DIR"] == ("/public" if name == "intake" else "/keys")
        assert not {k for k in environment if k.startswith(("KEKS", "INTAKE_PRIVATE"))}
    for name in ("migrate", "scheduler"):
        assert SERVICES[name]["environment"]["INTAKE_PUBLIC_KEY_EXPORT"] == "/public/intake.pub"
    intake = SERVICES["intake"]
    assert intake["environment"]["SITE_ROLE"] == "intake"
    # Its own Django secret key: nothing the public site signs is trusted by the staff site.
    assert (
        intake["environment"]["SECRET_KEY_FILE"]
        != SERVICES["staff"]["environment"]["SECRET_KEY_FILE"]
    )
    # Only the backup service can sign backups.
    assert SERVICES["backup"]["environment"]["BACKUP_PUBLIC_KEY"] == "/backup-keys/backup.pub"
    for name in ("staff", "worker", "scheduler", "intake", "migrate"):
        assert "BACKUP_PUBLIC_KEY" not in SERVICES[name]["environment"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "chown app /app/var /keys /public /backup-keys /backups" in dockerfile
    assert "chmod 700 /keys /backup-keys /backups" in dockerfile


def test_the_proxy_serves_both_sites_from_the_tested_configuration(tmp_path):
    import shutil
    import subprocess

    caddyfile = ROOT / "deploy" / "Caddyfile"
    environment = {k: interpolate(v) for k, v in SERVICES["proxy"]["environment"].items()}
    assert environment["INTAKE_ADDRESS"] == "pardon.example.org"
    assert environment["STAFF_ADDRESS"] == "staff.pardon.example.org"
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed (tests/clemency/test_proxy.py fails in CI without it)")
    adapted = subprocess.run(
        [caddy, "adapt", "--config", str(caddyfile), "--adapter", "caddyfile"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **environment},
        capture_output=True,
        text=True,
        check=True,
    )
    config = json.loads(adapted.stdout)
    text = json.dumps(config)
    for host, upstream in (
        ("pardon.example.org", "intake:8000"),
        ("staff.pardon.example.org", "staff:8000"),
    ):
        assert f'"{host}"' in text
        assert f'"dial": "{upstream}"' in text


def test_each_process_connects_as_its_own_database_role(secrets_dir):
    urls = {
        name: SERVICES[name]["environment"]["DATABASE_URL_FILE"].removeprefix("/run/secrets/")
        for name in APP_SERVICES
    }
    assert urls == {
        "migrate": "owner_database_url",
        "backup": "owner_database_url",  # pg_dump reads every table
        "intake": "intake_database_url",
        "staff": "database_url",
        "worker": "database_url",
        "scheduler": "database_url",
    }
    users = {
        name: (secrets_dir / url).read_text().split("//")[1].split(":")[0]
        for name, url in urls.items()
    }
    assert users == {
        "migrate": "pardon",
        "backup": "pardon",
        "intake": "pardon_intake",
        "staff": "pardon_app",
        "worker": "pardon_app",
        "scheduler": "pardon_app",
    }
    # The database makes the roles the migrate job grants to, with the passwords in the URLs.
    roles = (ROOT / "deploy" / "postgres" / "roles.sh").read_text()
    for role, password in (
        ("pardon_app", "app_db_password"),
        ("pardon_intake", "intake_db_password"),
    ):
        assert f"CREATE ROLE {role} LOGIN" in roles
        assert f"/run/secrets/{password}" in roles
        assert password in SERVICES["db"]["secrets"]
    assert (
        "./deploy/postgres/roles.sh:/docker-entrypoint-initdb.d/roles.sh:ro"
        in SERVICES["db"]["volumes"]
    )
