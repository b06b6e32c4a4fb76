"""The public side cannot open what it seals (DESIGN.md §3, §4).

A public intake deployment (SITE_ROLE=intake) holds only the intake public key, does not install
cases, and never loads code that unseals a submission or decrypts a case: not at start-up, not by
importing any module of intake/, not by serving a request.
"""

import ast
import json
import shutil
from pathlib import Path

from clemency.security.keys import init_directory
from tests.clemency.subprocess_env import ROOT, clean_environ, run_python

# Modules the public side must never load: unsealing (the intake private key), casekeys (case
# keys; also behind clemency.security.fields and .middleware) and anything of the cases app.
FORBIDDEN = ("clemency.security.unsealing", "clemency.security.casekeys", "cases")


def forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def imported_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
    return []


def test_intake_modules_import_nothing_forbidden_at_module_level():
    """Functions may import staff code (the worker's task opens submissions); modules may not."""
    offences = []
    for path in sorted((ROOT / "intake").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level: what importing the module pulls in
            names = imported_names(node)
            offences += [f"{path.relative_to(ROOT)} imports {n}" for n in names if forbidden(n)]
    assert offences == []


def test_security_imports_nothing_from_cases():
    """clemency/security sits below cases: not even a function of it imports case code."""
    offences = []
    for path in sorted((ROOT / "clemency" / "security").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            cases = [n for n in imported_names(node) if n.split(".")[0] == "cases"]
            offences += [f"{path.relative_to(ROOT)} imports {n}" for n in cases]
    assert offences == []


# Runs in a fresh process as one site: loads the WSGI application (settings, apps, middleware),
# checks the keys the role needs, imports every module under intake/, walks the whole URLconf and
# serves a few pages; then reports what it found and which modules ended up loaded.
PROBE = """
import importlib, json, pkgutil, sys

from clemency.wsgi import application  # django.setup() and the middleware chain

from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, get_resolver, resolve, reverse

from clemency.security.provider import check_keys
import intake

modules = ["intake"]
for info in pkgutil.walk_packages(intake.__path__, "intake."):
    importlib.import_module(info.name)
    modules.append(info.name)
commands = {name: app for name, app in get_commands().items() if app.startswith("intake")}
for name, app in commands.items():
    load_command_class(app, name)

def routes(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from routes(pattern, route)
        else:
            yield route

resolves = []
for path in ("/cases/", "/cases/pipeline/"):
    try:
        resolves.append(f"{path} -> {resolve(path).view_name}")
    except Resolver404:
        pass
try:
    resolves.append("cases:pipeline -> " + reverse("cases:pipeline"))
except NoReverseMatch:
    pass

client = Client(HTTP_HOST="localhost")
paths = ["/", "/status/", "/cases/", "/accounts/login/", "/accounts/home/"]
paths += ["/admin/", "/admin/login/"]
pages = {path: client.get(path).status_code for path in paths}
landing = client.get("/").content.decode()

print(json.dumps({
    "role": settings.SITE_ROLE,
    "key_problems": check_keys(),
    "apps": settings.INSTALLED_APPS,
    "modules": modules,
    "commands": sorted(commands),
    "routes": sorted(routes(get_resolver())),
    "namespaces": sorted(get_resolver().namespace_dict),
    "resolves": resolves,
    "pages": pages,
    "sign_in_links": [m for m in ("/accounts/login/", "staff.example.org") if m in landing],
    "loaded": sorted(sys.modules),
}))
"""


def probe(role: str, key_dir: Path, tmp_path: Path) -> dict:
    env = clean_environ() | {
        "SITE_ROLE": role,
        "STAFF_SITE_URL": "https://staff.example.org",
        "KEY_DIR": str(key_dir),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",  # the pages need no table
    }
    result = run_python(PROBE, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_public_site_loads_no_unsealing_and_no_case_code(tmp_path):
    init_directory(tmp_path / "keys")
    public_only = tmp_path / "public-only"
    public_only.mkdir()
    shutil.copy(tmp_path / "keys" / "intake.pub", public_only / "intake.pub")

    seen = probe("intake", public_only, tmp_path)

    assert seen["role"] == "intake"
    assert seen["key_problems"] == []  # the public key is all it needs
    assert "cases" not in seen["apps"]
    # The walk really covered intake/: views, services, tasks, models, migrations, commands...
    for module in ("views", "services", "tasks", "models", "forms", "steps", "session", "urls"):
        assert f"intake.{module}" in seen["modules"]
    assert any(m.startswith("intake.migrations.") for m in seen["modules"])
    assert "delete_expired_drafts" in seen["commands"]
    assert "intake.management.commands.delete_expired_drafts" in seen["loaded"]
    assert seen["pages"] == {
        "/": 200,
        "/status/": 200,
        "/cases/": 404,
        "/accounts/login/": 404,
        "/accounts/home/": 404,
        "/admin/": 404,
        "/admin/login/": 404,
    }
    # Staff are sent to their own site to sign in.
    assert seen["sign_in_links"] == ["/accounts/login/", "staff.example.org"]

    assert [m for m in seen["loaded"] if forbidden(m)] == []
    assert "clemency.security.sealing" in seen["loaded"]  # the public side does seal

    assert "cases" not in seen["namespaces"]
    assert [r for r in seen["routes"] if r.startswith(("cases", "accounts", "admin"))] == []
    assert seen["resolves"] == []


def test_the_probe_sees_case_code_on_the_staff_side(tmp_path):
    """The same probe as staff finds what the public side lacks: it is able to see it."""
    init_directory(tmp_path / "keys")
    seen = probe("staff", tmp_path / "keys", tmp_path)
    assert seen["key_problems"] == []
    assert "cases" in seen["apps"]
    assert "clemency.security.casekeys" in seen["loaded"]  # the middleware's case-key scope
    assert "cases.urls" in seen["loaded"]
    assert "cases" in seen["namespaces"]
    assert any(r.startswith("cases/") for r in seen["routes"])
    assert "/cases/ -> cases:pipeline" in seen["resolves"]
    assert seen["pages"]["/cases/"] == 302  # to the sign-in page
