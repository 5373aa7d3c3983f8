#!/bin/sh
# The WAL receiver of HailMary's PostgreSQL in stream mode (services.postgres.pitr.mode: stream),
# run beside the server as the service user: by the native runtime as a companion, and in a
# container by the image's entrypoint (services/postgres/container/entrypoint.sh):
#   wal_receiver.sh BIN_DIR SOCKET_DIR PORT SUPERUSER ARCHIVE_DIR SLOT SYNCHRONOUS(0|1)
# pg_receivewal streams the WAL into the archive as it is written (NAME.partial, renamed to NAME
# when the segment is full), from a replication slot, so the server keeps the WAL it has not sent
# while the receiver is down. With SYNCHRONOUS=1 it flushes on every write and reports it
# (application_name = SLOT, named in synchronous_standby_names): a commit returns only once its
# WAL is on the archive's disk. This loop starts it again when it stops (the server restarted, a
# connection dropped) and records the sha256 of every finished segment in NAME.sha256.
set -u
bin=$1
socket=$2
port=$3
user=$4
dir=$5
slot=$6
synchronous=$7
conninfo="host=$socket port=$port user=$user application_name=$slot"

# sha256 of a file: openssl uses the CPU's SHA instructions (3x sha256sum's speed here)
if command -v openssl >/dev/null 2>&1; then
  digest() { openssl dgst -sha256 -r "$1"; }
else
  digest() { sha256sum "$1"; }
fi

checksums() {
  for f in "$dir"/[0-9A-F]*; do
    case $f in *.partial | *.sha256 | *.tmp) continue ;; esac
    [ -f "$f" ] && [ ! -e "$f.sha256" ] || continue
    set -- $(digest "$f")
    case ${1-} in [0-9a-f]*) [ ${#1} -eq 64 ] || continue ;; *) continue ;; esac
    echo "$1  ${f##*/}" >"$f.sha256.tmp" && sync "$f.sha256.tmp" && mv -f "$f.sha256.tmp" "$f.sha256"
  done
}

(while :; do
  checksums
  sleep 1
done) &

while :; do
  "$bin/pg_receivewal" -d "$conninfo" --no-password -S "$slot" --create-slot --if-not-exists \
    >/dev/null 2>&1
  if [ "$synchronous" = 1 ]; then
    "$bin/pg_receivewal" -d "$conninfo" --no-password -D "$dir" -S "$slot" -n --synchronous
  else
    "$bin/pg_receivewal" -d "$conninfo" --no-password -D "$dir" -S "$slot" -n
  fi
  echo "wal_receiver: pg_receivewal exited with $?, starting it again in 1 s" >&2
  sleep 1
done
