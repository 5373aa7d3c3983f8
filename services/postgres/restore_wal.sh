#!/bin/sh
# The restore_command of a recovering HailMary PostgreSQL:
#   restore_wal.sh %f %p ARCHIVE_DIR
# Copies a WAL file out of the archive after checking it against its recorded
# sha256. Exit 1 means "not in the archive" (the normal end of the WAL). A file
# that does not match its checksum exits 200: above 125, PostgreSQL stops the
# recovery with an error instead of ending it early at that file, so a damaged
# archive is never replayed, and never silently cut short either.
set -u
name=$1
dest=$2
dir=$3
src=$dir/$name
if [ ! -f "$src" ]; then
  # the segment pg_receivewal is still writing (stream mode) is NAME.partial; the last one of a
  # timeline a restore left behind is NAME.partial.ended
  for partial in "$src.partial" "$src.partial.ended"; do
    if [ -f "$partial" ]; then
      cp "$partial" "$dest" || exit 1
      exit 0
    fi
  done
  exit 1
fi
cp "$src" "$dest" || exit 1
if [ -f "$src.sha256" ]; then
  read -r want _ <"$src.sha256"
  # openssl uses the CPU's SHA instructions (3x sha256sum's speed here)
  if command -v openssl >/dev/null 2>&1; then
    set -- $(openssl dgst -sha256 -r "$dest")
  else
    set -- $(sha256sum "$dest")
  fi
  if [ "$1" != "$want" ]; then
    rm -f "$dest"
    echo "restore_wal: WAL file $name in the archive does not match its recorded sha256 (recorded $want, found $1): refusing to replay it" >&2
    exit 200
  fi
fi
exit 0
