#!/bin/bash
# Restore one dump from the backup volume into the database; playbooks/restore-db.yml
# runs it as a Job. RESTORE_DUMP names the file (empty: the newest dump).
# The current contents are dumped first as pre-restore-*.dump (outside the backup
# retention pattern), so restoring the wrong file can itself be undone.
set -euo pipefail

: "${PGDATABASE:?}"
dir=/backups
if [ -n "${RESTORE_DUMP:-}" ]; then
  dump="$dir/$(basename -- "$RESTORE_DUMP")"
else
  dump=$(find "$dir" -maxdepth 1 -name "$PGDATABASE-*.dump" | sort -r | head -n 1)
fi
if [ -z "$dump" ] || [ ! -f "$dump" ]; then
  echo "restore: no dump ${RESTORE_DUMP:-named $PGDATABASE-*.dump} in $dir; these exist:" >&2
  ls -1 "$dir" >&2
  exit 2
fi

# A truncated or foreign file fails here, before the database is touched.
pg_restore --list "$dump" >/dev/null

safety="$dir/pre-restore-$PGDATABASE-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --file="$safety"
echo "restore: saved the current database to $safety"

# One transaction: an error leaves the database as it was.
pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error \
  --dbname="$PGDATABASE" "$dump"
echo "restore: restored $dump into $PGDATABASE"
