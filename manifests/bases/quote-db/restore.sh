#!/bin/bash
# Restore one dump from the backup volume into its database; playbooks/restore-db.yml
# runs it as a Job. RESTORE_DATABASE names the database (default: PGDATABASE, the quote
# app's), RESTORE_DUMP the file (empty: that database's newest dump).
# The current contents are dumped first as pre-restore-*.dump (outside the backup
# retention pattern), so restoring the wrong file can itself be undone.
set -euo pipefail

: "${PGDATABASE:?}"
dir=${BACKUP_DIR:-/backups}
db=${RESTORE_DATABASE:-$PGDATABASE}
if [ -n "${RESTORE_DUMP:-}" ]; then
  dump="$dir/$(basename -- "$RESTORE_DUMP")"
  case "$(basename -- "$dump")" in
    "$db"-*.dump) ;;
    *) echo "restore: $(basename -- "$dump") is not a dump of $db (names are $db-<time>.dump)" >&2; exit 2 ;;
  esac
else
  dump=$(find "$dir" -maxdepth 1 -name "$db-*.dump" | sort -r | head -n 1)
fi
if [ -z "$dump" ] || [ ! -f "$dump" ]; then
  echo "restore: no dump ${RESTORE_DUMP:-named $db-*.dump} in $dir; these exist:" >&2
  ls -1 "$dir" >&2
  exit 2
fi

# The database's owner (the app's login role) must own what is restored, as it did.
owner=$(psql --no-psqlrc --tuples-only --no-align --set=db="$db" <<<"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :'db'")
if [ -z "$owner" ]; then
  echo "restore: there is no database $db on ${PGHOST:-the server}" >&2
  exit 2
fi

# A truncated or foreign file fails here, before the database is touched.
pg_restore --list "$dump" >/dev/null

safety="$dir/pre-restore-$db-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --dbname="$db" --file="$safety"
echo "restore: saved the current database $db to $safety"

# One transaction: an error leaves the database as it was.
pg_restore --clean --if-exists --no-owner --role="$owner" --single-transaction --exit-on-error \
  --dbname="$db" "$dump"
echo "restore: restored $dump into $db (owner $owner)"
