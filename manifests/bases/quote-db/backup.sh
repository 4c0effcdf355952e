#!/bin/bash
# pg_dump every database on the lab's PostgreSQL server (the quote app's and each app's own,
# as workload_secrets creates them) to the backup volume, then keep the newest BACKUP_KEEP
# dumps of each. Custom format: compressed, and pg_restore can restore it table by table.
# Each file is written under a temporary name first so a failed dump never looks like a
# good one to the restore playbook. One database failing does not stop the others; the
# run then exits 1, so the Job shows the failure.
set -euo pipefail

: "${PGDATABASE:?}" "${BACKUP_KEEP:?}"
dir=${BACKUP_DIR:-/backups}
stamp=$(date -u +%Y%m%dT%H%M%SZ)

# Every database that takes connections, but the maintenance database.
databases=$(psql --no-psqlrc --tuples-only --no-align --command \
  "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres' ORDER BY datname")
if [ -z "$databases" ]; then
  echo "backup: no database to dump on ${PGHOST:-the server}" >&2
  exit 1
fi

failed=()
while read -r db; do
  target="$dir/$db-$stamp.dump"
  if ! pg_dump --format=custom --dbname="$db" --file="$target.partial"; then
    rm -f -- "$target.partial"
    echo "backup: dumping $db failed" >&2
    failed+=("$db")
    continue
  fi
  mv "$target.partial" "$target"
  echo "backup: wrote $target ($(stat -c %s "$target") bytes)"

  # Names embed a UTC timestamp, so name order is age order.
  find "$dir" -maxdepth 1 -name "$db-*.dump" | sort -r | tail -n +"$((BACKUP_KEEP + 1))" |
    while read -r old; do
      rm -f -- "$old"
      echo "backup: removed $old (retention: newest $BACKUP_KEEP)"
    done
done <<<"$databases"

if [ ${#failed[@]} -gt 0 ]; then
  echo "backup: not backed up: ${failed[*]}" >&2
  exit 1
fi
