#!/bin/sh
# PID 1 of HailMary's PostgreSQL container in stream mode (services.postgres.pitr.mode: stream),
# run by the entrypoint once the cluster is ready, as root:
#   supervise_stream.sh SOCKET_DIR PORT SUPERUSER ARCHIVE_DIR SLOT SYNCHRONOUS(0|1) postgres ARGS...
# Runs the server and, beside it in its own process group, wal_receiver.sh (whose loop starts
# pg_receivewal again within a second when it stops), both as postgres. When the loop itself dies
# it is started again here: with synchronous commits a commit waits while no receiver runs, as
# natively, so a receiver must not stay away. SIGINT and SIGTERM (docker stop) go to the server;
# once the server is gone (its walsender hands the receiver the WAL up to the shutdown first) the
# receiver's group is stopped and this exits with the server's status.
set -u
socket=$1
port=$2
superuser=$3
archive=$4
slot=$5
synchronous=$6
shift 6
bin=$(dirname "$(command -v pg_receivewal)")
log() { echo "hailmary-postgres: $*" >&2; }

receiver=
start_receiver() {
  # setsid: a group of its own (the loop, pg_receivewal, the checksum loop), stopped as one
  setsid setpriv --reuid=postgres --regid=postgres --init-groups -- \
    /usr/local/lib/hailmary/wal_receiver.sh "$bin" "$socket" "$port" "$superuser" "$archive" \
    "$slot" "$synchronous" &
  receiver=$!
}

# setpriv directly (no function): $! must be the server itself, which gets the signals
setpriv --reuid=postgres --regid=postgres --init-groups -- "$@" &
server=$!
trap 'kill -INT "$server" 2>/dev/null || :' INT
trap 'kill -TERM "$server" 2>/dev/null || :' TERM
# the receiver once the server takes connections (its loop would retry, one error a second)
until pg_isready -q -h "$socket" -p "$port" -U "$superuser" -d postgres; do
  kill -0 "$server" 2>/dev/null || break
  sleep 0.2
done
start_receiver
log "WAL receiver started (slot $slot, synchronous $synchronous) into $archive"
while kill -0 "$server" 2>/dev/null; do
  if ! kill -0 "$receiver" 2>/dev/null; then
    log "the WAL receiver's loop ended: starting it again"
    kill -TERM -- "-$receiver" 2>/dev/null || :
    start_receiver
  fi
  # wait (not a plain sleep) reaps the children that ended and returns at once on a signal
  sleep 1 &
  wait $! || :
done
status=0
wait "$server" || status=$?
kill -TERM -- "-$receiver" 2>/dev/null || :
exit "$status"
