"""Translation catalogue tasks for the Makefile.

    python -m clemency.i18n compile          # .po -> .mo, pure Python: no GNU gettext needed
    python -m clemency.i18n update es fr ...  # makemessages (needs GNU gettext)
    python -m clemency.i18n check es fr ...   # fails if `update` would change a catalogue

Compiling refuses a catalogue whose translations drop or invent a %(name)s / {name} placeholder,
which is what `msgfmt --check-format` would catch.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{(\w*)\}")
# Lines that makemessages rewrites on every run without any change of content.
VOLATILE = ("POT-Creation-Date:",)
MAKEMESSAGES = [
    "makemessages",
    "--no-obsolete",
    "--add-location=file",
    "--ignore=tests/*",
    "--ignore=bench/*",
    "--ignore=var/*",
]


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text))


def problems(po: polib.POFile) -> list[str]:
    found = []
    for entry in po.translated_entries():
        if "python-format" not in entry.flags and "python-brace-format" not in entry.flags:
            continue
        expected = placeholders(entry.msgid)
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if placeholders(text) != expected:
                found.append(f"{po.fpath}: placeholders differ in {entry.msgid!r}")
    return found


def compile_all() -> int:
    errors = []
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        po = polib.pofile(str(po_path))
        errors += problems(po)
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


def update(languages: list[str]) -> int:
    args = [sys.executable, "manage.py", *MAKEMESSAGES]
    for language in languages:
        args += ["-l", language]
    env = {**os.environ, "DJANGO_ENV": "development"}
    return subprocess.run(args, cwd=ROOT, env=env, check=False).returncode  # noqa: S603


def _stable(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.strip('"').startswith(VOLATILE))


def check(languages: list[str]) -> int:
    paths = [LOCALE / lang / "LC_MESSAGES" / "django.po" for lang in languages]
    before = {path: path.read_text(encoding="utf-8") if path.exists() else "" for path in paths}
    try:
        if update(languages) != 0:
            return 1
        changed = [
            path
            for path in paths
            if _stable(path.read_text(encoding="utf-8")) != _stable(before[path])
        ]
    finally:
        for path, text in before.items():
            path.write_text(text, encoding="utf-8")
    for path in changed:
        print(f"{path.relative_to(ROOT)} is out of date: run `make makemessages`.", file=sys.stderr)
    return 1 if changed else 0


def main(argv: list[str]) -> int:
    command, *languages = argv or ["compile"]
    if command == "compile":
        return compile_all()
    if command == "update":
        return update(languages)
    if command == "check":
        return check(languages)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
