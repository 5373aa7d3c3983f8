#!/usr/bin/env bash
# The seed scripts' health check, as an operator would write it: the same
# checks `./ops health` does, one client program each.
# Usage: shell_health.sh PG_PORT REDIS_PORT OPENSEARCH_PORT [HTTP_HEALTH_URL...]
#        (REDISCLI_AUTH holds the Redis password; the URLs are web's and ingestor's /health)
set -u
ok=0
pg_isready -q -h 127.0.0.1 -p "$1" -U app -d app || ok=1
[ "$(redis-cli -h 127.0.0.1 -p "$2" --no-auth-warning ping 2>/dev/null)" = "PONG" ] || ok=1
curl -fsS --max-time 3 "http://127.0.0.1:$3/_cluster/health" | grep -Eq '"status":"(green|yellow)"' || ok=1
shift 3
for url in "$@"; do
  curl -fsS --max-time 3 -o /dev/null "$url" || ok=1
done
exit $ok
