# The web app and task worker image (docker-compose.yml). Production dependencies only, pinned
# and hash-checked; static files collected and translations compiled at build time.
FROM python:3.12-slim-bookworm

ENV DJANGO_ENV=production \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# pg_dump and psql for backups (manage.py backup; the same major version as the db service).
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

COPY requirements/base.txt requirements/base.txt
RUN pip install --require-hashes --requirement requirements/base.txt

COPY . .
# Build-time settings and throw-away keys only: nothing here reaches the running containers.
RUN python -c "from clemency.security.keys import init_directory; init_directory('/tmp/build-keys')" \
    && SECRET_KEY=build-only-not-secret ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 KEY_DIR=/tmp/build-keys \
    sh -c "python -m clemency.i18n compile && python manage.py collectstatic --no-input" \
    && rm -rf /tmp/build-keys /tmp/build.sqlite3 \
    && useradd --system --uid 10001 --home-dir /app app \
    && mkdir -p /app/var /keys /public /backup-keys /backups \
    && chown app /app/var /keys /public /backup-keys /backups \
    && chmod 700 /keys /backup-keys /backups
# /keys, /public, /backup-keys and /backups are volumes in docker-compose.yml: a new volume
# takes its owner and mode from here.

USER app
EXPOSE 8000
CMD ["gunicorn", "clemency.wsgi:application", "--bind=0.0.0.0:8000"]
