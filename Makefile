# Two commands for a newcomer: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 or newer: pyenv honours .python-version; otherwise the first python3.12 on PATH.
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
LANGS := es fr ht ar bn
PG_URL := postgres://postgres@127.0.0.1:5432/clemency

.PHONY: help install messages run test lint format check check-deploy check-messages \
        makemessages lock bench clean backup backup-key restore

help:
	@echo "make run    - install, migrate a local SQLite database, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   - the full test suite (PostgreSQL when it answers, else SQLite)"
	@echo "make bench  - benchmarks; results in docs/benchmarks.md"
	@echo "make backup-key OUT=FILE | backup | restore BACKUP=FILE KEY=FILE - encrypted backups"
	@echo "make lint | format | check | check-messages | makemessages | lock | clean"

$(STAMP): requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || \
	  { echo "Python 3.12 or newer is needed (found $$($(PYTHON) --version))." >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	touch $(STAMP)

install: $(STAMP)

# Compile the translation catalogues (locale/*/LC_MESSAGES/django.po -> .mo).
messages: install
	$(PY) -m clemency.i18n compile

# Always the local SQLite database in development mode, whatever the shell has exported.
VAR ?= $(CURDIR)/var
RUN_ENV := DJANGO_ENV=development VAR_DIR=$(VAR) DATABASE_URL=sqlite:///$(VAR)/db.sqlite3 KEY_SOURCE=directory KEY_DIR=$(VAR)/keys

# The web server and, beside it, the background worker that opens sent applications (and sends
# what tasks send); Ctrl-C stops both.
run: install messages
	mkdir -p $(VAR)
	$(RUN_ENV) $(PY) manage.py keys init --if-missing
	$(RUN_ENV) $(PY) manage.py migrate --no-input
	@test -s $(VAR)/demo-password || $(PY) -c 'import secrets; print(secrets.token_urlsafe(12))' > $(VAR)/demo-password
	@chmod 600 $(VAR)/demo-password
	$(RUN_ENV) DEMO_PASSWORD="$$(cat $(VAR)/demo-password)" $(PY) manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ with the background worker beside it. Ctrl-C stops both."
	@$(RUN_ENV) $(PY) manage.py db_worker --interval 1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# Encrypted backups (ADR 0016) of the `make run` site, or of the one the environment names
# (DATABASE_URL, KEY_DIR, ...): `make backup-key OUT=FILE` once (FILE goes offline), then
# `make backup` writes $(VAR)/backups/; `make restore BACKUP=FILE KEY=FILE` into an empty site.
SITE_ENV = $(if $(DATABASE_URL),,$(RUN_ENV))

backup-key: install
	@test -n "$(OUT)" || { echo "usage: make backup-key OUT=/media/offline/pardon-backup.key" >&2; exit 2; }
	$(SITE_ENV) $(PY) manage.py keys backup-key --out "$(OUT)"

backup: install
	$(SITE_ENV) $(PY) manage.py backup create --into $(VAR)/backups

restore: install
	@test -n "$(BACKUP)" -a -n "$(KEY)" || { echo "usage: make restore BACKUP=FILE KEY=OFFLINE_KEY_FILE" >&2; exit 2; }
	mkdir -p $(VAR)
	$(SITE_ENV) $(PY) manage.py backup restore "$(BACKUP)" --private-key "$(KEY)"
	$(SITE_ENV) $(PY) manage.py migrate --no-input
	$(SITE_ENV) $(PY) manage.py keys verify

# DATABASE_URL wins; else the local PostgreSQL if it lets user postgres in; else SQLite, with a
# warning.
DB_URL = $(or $(DATABASE_URL),$(shell $(PY) -c 'import psycopg; psycopg.connect("$(PG_URL:/clemency=/postgres)", connect_timeout=3).close()' 2>/dev/null && echo $(PG_URL)))
WITH_DB = $(if $(DB_URL),DATABASE_URL=$(DB_URL),$(warning No DATABASE_URL and no PostgreSQL on 127.0.0.1:5432: using SQLite.))

test: install messages
	@echo "Testing on $(if $(DB_URL),$(firstword $(subst :, ,$(DB_URL))),SQLite)"
	@$(WITH_DB) $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Migrations in step with the models, and the production deployment checklist.
check: install
	mkdir -p var
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	$(MAKE) --no-print-directory check-deploy

check-deploy: install
	@test -d var/check-keys || $(PY) -c 'from clemency.security.keys import init_directory; init_directory("var/check-keys")'
	KEY_DIR=var/check-keys DJANGO_ENV=production SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  ALLOWED_HOSTS=pardon.example.org DATABASE_URL=sqlite:///var/check.sqlite3 \
	  $(PY) manage.py check --deploy --fail-level WARNING

# Fails when `makemessages` would change the committed catalogues.
check-messages: install
	$(PY) -m clemency.i18n check $(LANGS)

makemessages: install
	$(PY) -m clemency.i18n update $(LANGS)

# Re-resolve the pinned, hashed dependency files from pyproject.toml.
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.12 --generate-hashes --quiet -o requirements/base.txt
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.12 --generate-hashes --quiet -o requirements/dev.txt

bench: install messages
	@$(WITH_DB) $(PY) -m bench $(BENCH)

clean:
	rm -rf $(VENV) var/static .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
