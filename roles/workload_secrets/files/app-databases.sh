#!/bin/bash
# One login role and one database per app on this PostgreSQL server, run as its
# superuser (PGHOST, PGUSER, PGPASSWORD, PGDATABASE). Idempotent: creates what is
# missing and (re)sets each role's password from its Secret, so re-running after a
# rotation applies the new password. APP_DATABASES lists env prefixes; for each
# prefix P the variables P_DB, P_USER and P_PASSWORD name the app's database.
set -euo pipefail

: "${APP_DATABASES:?}" "${PGUSER:?}" "${PGDATABASE:?}"
reserved=" postgres template0 template1 $PGDATABASE "

for _ in $(seq 60); do pg_isready -q && break; sleep 2; done
pg_isready

for app in $APP_DATABASES; do
  db_var="${app}_DB" user_var="${app}_USER" password_var="${app}_PASSWORD"
  db="${!db_var:?$db_var is not set}" user="${!user_var:?$user_var is not set}"
  : "${!password_var:?$password_var is not set}"
  if [ "$user" = "$PGUSER" ] || [[ "$reserved" == *" $db "* ]]; then
    echo "app-databases: $app may not use the superuser or database $db" >&2
    exit 2
  fi
  # Values reach psql through its environment (\getenv), never its command line.
  APP_DB="$db" APP_USER="$user" APP_PASSWORD="${!password_var}" \
    psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 <<'SQL'
\getenv db APP_DB
\getenv role APP_USER
\getenv password APP_PASSWORD
SELECT format('CREATE ROLE %I', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"role";
-- Only its owner (and the superuser) may connect: apps cannot reach each other's data.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
  echo "app-databases: $app -> database $db, role $user"
done
# The server's own database is the quote app's: no other role connects to it either.
psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 <<'SQL'
\getenv admin_db PGDATABASE
REVOKE CONNECT ON DATABASE :"admin_db" FROM PUBLIC;
SQL
