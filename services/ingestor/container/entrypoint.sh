#!/bin/sh
# Runs a HailMary Deno app in a container as the hailmary user. Passwords come
# from the Docker secrets into the variables the app reads (HAILMARY_*_PASSWORD),
# never from a command line or the compose file.
set -eu
if [ -r /run/secrets/postgres_password ]; then
  HAILMARY_PG_PASSWORD=$(cat /run/secrets/postgres_password)
  export HAILMARY_PG_PASSWORD
fi
if [ -r /run/secrets/redis_password ]; then
  HAILMARY_REDIS_PASSWORD=$(cat /run/secrets/redis_password)
  export HAILMARY_REDIS_PASSWORD
fi
# one consumer name per replica (scaled workers must not share one)
: "${HAILMARY_INGESTOR_CONSUMER:=$(hostname)}"
export HAILMARY_INGESTOR_CONSUMER
exec setpriv --reuid=hailmary --regid=hailmary --init-groups -- "$@"
