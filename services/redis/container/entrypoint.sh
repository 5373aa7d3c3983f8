#!/bin/sh
# Starts Redis for HailMary in a container, as the redis user. The config is
# the rendered template plus `requirepass` from the secret, read by the server
# from standard input so the password is never in a file or a command line.
set -eu
secret=/run/secrets/redis_password
if [ ! -r "$secret" ]; then
  echo "hailmary-redis: the secret redis_password is missing (declare it in the compose file)" >&2
  exit 1
fi
mkdir -p /data
chown redis:redis /data
chmod 0750 /data
append=no
case "${HAILMARY_REDIS_APPEND_ONLY:-false}" in true | yes | 1) append=yes ;; esac
escaped=$(sed 's/[\\"]/\\&/g' "$secret")
exec setpriv --reuid=redis --regid=redis --init-groups -- redis-server - \
  --port "${HAILMARY_REDIS_PORT:-6379}" \
  --maxmemory "${HAILMARY_REDIS_MAX_MEMORY:-512mb}" \
  --appendonly "$append" <<CONFIG
$(cat /etc/hailmary/redis.conf)
requirepass "$escaped"
CONFIG
