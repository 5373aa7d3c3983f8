#!/bin/sh
# Starts PostgreSQL for HailMary in a container: creates the cluster on the
# first start, applies init/*.sql on every start (idempotent: it also keeps the
# app password in step with the secret), then runs the server as postgres; in
# stream mode it stays as PID 1 beside it and keeps the WAL receiver running.
# Runs as root only to prepare the mounted folders.
set -eu
data=/var/lib/postgresql/data
port=${HAILMARY_POSTGRES_PORT:-5432}
socket=${HAILMARY_POSTGRES_SOCKET_DIR:-/var/run/postgresql}
superuser=${HAILMARY_POSTGRES_SUPERUSER:-postgres}
secret=/run/secrets/postgres_password
mode=${HAILMARY_POSTGRES_PITR_MODE:-off}

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
log() { echo "hailmary-postgres: $*" >&2; }

if [ ! -r "$secret" ]; then
  log "the secret postgres_password is missing (declare it in the compose file)"
  exit 1
fi
mkdir -p "$data" "$socket"
chown postgres:postgres "$data" "$socket"
chmod 0700 "$data" "$socket"

# stream mode: pg_receivewal resumes on the timeline of the archive's newest segment and asks the
# server for its history, which a server restored from a base backup may not hold (as natively)
if [ "$mode" = stream ] && [ -d "$data/pg_wal" ]; then
  for f in "${HAILMARY_WAL_ARCHIVE_DIR:?set by the compose file}"/[0-9A-F]*.history; do
    [ -f "$f" ] && [ ! -e "$data/pg_wal/${f##*/}" ] || continue
    as_postgres cp "$f" "$data/pg_wal/${f##*/}"
  done
fi

if [ ! -s "$data/PG_VERSION" ]; then
  log "creating the cluster in $data"
  as_postgres initdb -D "$data" -U "$superuser" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-instructions >/dev/null
fi

set -- -D "$data" -c config_file=/etc/hailmary/postgresql.conf -c "port=$port" \
  -c "shared_buffers=${HAILMARY_POSTGRES_SHARED_BUFFERS:-256MB}" \
  -c "max_connections=${HAILMARY_POSTGRES_MAX_CONNECTIONS:-100}"

# point-in-time recovery (services.postgres.pitr): archive mode ships each finished WAL file into
# the environment's archive folder, mounted at the same path as on the host; stream mode has
# pg_receivewal stream it there (wal_receiver.sh, started below beside the server)
case $mode in
off) ;;
archive | stream)
  archive=${HAILMARY_WAL_ARCHIVE_DIR:?set by the compose file}
  mkdir -p "$archive"
  chown postgres:postgres "$archive"
  chmod 0700 "$archive"
  chmod o+x "$(dirname "$archive")"
  ;;
*)
  log "pitr mode '$mode' is unknown (use off, archive or stream)"
  exit 1
  ;;
esac
if [ "$mode" = archive ]; then
  set -- "$@" -c archive_mode=on \
    -c "archive_command=/usr/local/lib/hailmary/archive_wal.sh \"%p\" \"%f\" '$archive'" \
    -c "archive_timeout=${HAILMARY_POSTGRES_PITR_ARCHIVE_TIMEOUT:-60}"
fi

# a private, socket-only server for the init scripts: neither clients nor the
# health check (which uses the shared socket folder) see a half-made role
private=/var/run/postgresql
mkdir -p "$private"
chown postgres:postgres "$private"
setpriv --reuid=postgres --regid=postgres --init-groups -- postgres "$@" \
  -c listen_addresses= -c "unix_socket_directories=$private" &
setup_pid=$!
tries=0
until pg_isready -q -h "$private" -p "$port" -U "$superuser" -d postgres; do
  tries=$((tries + 1))
  if [ "$tries" -gt 120 ] || ! kill -0 "$setup_pid" 2>/dev/null; then
    log "the server did not accept connections for the init scripts"
    exit 1
  fi
  sleep 0.5
done
HAILMARY_APP_USER=${HAILMARY_POSTGRES_USER:-app}
HAILMARY_APP_DATABASE=${HAILMARY_POSTGRES_DATABASE:-app}
HAILMARY_APP_PASSWORD=$(cat "$secret")
export HAILMARY_APP_USER HAILMARY_APP_DATABASE HAILMARY_APP_PASSWORD
for file in /etc/hailmary/init/*.sql; do
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$private" -p "$port" -U "$superuser" \
    -d postgres -f "$file"
done
unset HAILMARY_APP_PASSWORD
kill -INT "$setup_pid"
wait "$setup_pid" || true

log "starting on port $port (socket $socket)"
if [ "$mode" != stream ]; then
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- postgres "$@" \
    -c "unix_socket_directories=$socket"
fi
slot=${HAILMARY_POSTGRES_WAL_RECEIVER:?set by the compose file}
synchronous=0
if [ "${HAILMARY_POSTGRES_PITR_SYNCHRONOUS:-false}" = true ]; then
  synchronous=1
  # only now: the init scripts above did not wait for a receiver that was not there yet
  set -- "$@" -c "synchronous_standby_names=$slot"
fi
exec /usr/local/lib/hailmary/supervise_stream.sh "$socket" "$port" "$superuser" "$archive" \
  "$slot" "$synchronous" postgres "$@" -c "unix_socket_directories=$socket"
