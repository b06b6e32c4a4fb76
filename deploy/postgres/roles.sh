#!/bin/sh
# Run once by the postgres image when it creates the database (docker-entrypoint-initdb.d), as
# the owner: the two roles the serving processes connect as. What each may do is set after every
# migration by `manage.py db_grants` (the compose file's migrate job).
set -eu
app_password=$(cat /run/secrets/app_db_password)
intake_password=$(cat /run/secrets/intake_db_password)
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE pardon_app LOGIN PASSWORD '$app_password';
CREATE ROLE pardon_intake LOGIN PASSWORD '$intake_password';
REVOKE ALL ON DATABASE "$POSTGRES_DB" FROM PUBLIC;
GRANT CONNECT ON DATABASE "$POSTGRES_DB" TO pardon_app, pardon_intake;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
