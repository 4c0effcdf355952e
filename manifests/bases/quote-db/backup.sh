#!/bin/bash
# pg_dump to the backup volume, then keep only the newest BACKUP_KEEP dumps.
# Custom format: compressed, and pg_restore can restore it table by table.
# The file is written under a temporary name first so a failed dump never
# looks like a good one to the restore playbook.
set -euo pipefail

: "${PGDATABASE:?}" "${BACKUP_KEEP:?}"
dir=/backups
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$dir/$PGDATABASE-$stamp.dump"

pg_dump --format=custom --file="$target.partial"
mv "$target.partial" "$target"
echo "backup: wrote $target ($(stat -c %s "$target") bytes)"

# Names embed a UTC timestamp, so name order is age order.
find "$dir" -maxdepth 1 -name "$PGDATABASE-*.dump" | sort -r | tail -n +"$((BACKUP_KEEP + 1))" |
  while read -r old; do
    rm -f -- "$old"
    echo "backup: removed $old (retention: newest $BACKUP_KEEP)"
  done
