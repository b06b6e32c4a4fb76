"""Run every benchmark module (bench/bench_*.py) and write docs/benchmarks.md.

    python -m bench               # all, and write docs/benchmarks.md
    python -m bench pages         # only bench/bench_pages.py (printed; the file is left as it is)

Each module has ``TITLE``, ``DESCRIPTION`` and ``run() -> list[dict]``; the rows become a table.
Modules with ``LAST = True`` (they empty the cases) run after the others.
Benchmarks run against a throw-away test database on DATABASE_URL (SQLite when unset), with a
throw-away key set.
"""

import importlib
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "benchmarks.md"


def _table(rows: list[dict]) -> str:
    if not rows:
        return "(no rows)\n"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row[column]) for column in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main(selected: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clemency.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import (
        override_settings,
        setup_test_environment,
        teardown_test_environment,
    )

    from clemency.security.keys import init_directory

    names = sorted(path.stem for path in (ROOT / "bench").glob("bench_*.py"))
    if selected:
        names = [name for name in names if name.removeprefix("bench_") in selected]
    if not names:
        print("No benchmark modules matched.", file=sys.stderr)
        return 1

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    sections = []
    scratch = tempfile.TemporaryDirectory()
    keys = Path(scratch.name) / "keys"
    init_directory(keys)
    overrides = override_settings(KEY_SOURCE="directory", KEY_DIR=keys)
    overrides.enable()
    try:
        # Modules that empty the cases they measure on (LAST = True) run after the others.
        modules = [importlib.import_module(f"bench.{name}") for name in names]
        modules.sort(key=lambda module: getattr(module, "LAST", False))
        for module in modules:
            name = module.__name__.removeprefix("bench.")
            print(f"running {name} ...", flush=True)
            rows = module.run()
            sections.append(f"## {module.TITLE}\n\n{module.DESCRIPTION.strip()}\n\n{_table(rows)}")
            print(_table(rows))
    finally:
        overrides.disable()
        scratch.cleanup()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    header = (
        "# Benchmarks\n\n"
        "Written by `make bench`; do not edit by hand. "
        f"Last run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} "
        f"({os.cpu_count()} cores), Python {platform.python_version()}, "
        f"database {connection.vendor}.\n\n"
    )
    if selected:
        return 0  # a partial run must not replace the full results
    OUTPUT.write_text(header + "\n".join(sections), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
