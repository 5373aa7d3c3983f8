#!/bin/sh
# Starts OpenSearch for HailMary in a container, as the opensearch user, with
# the heap from HAILMARY_OPENSEARCH_HEAP. Runs as root only to hand the mounted
# data and snapshot folders to that user.
set -eu
: "${HAILMARY_ENVIRONMENT:=compose}"
: "${HAILMARY_OPENSEARCH_PORT:=9200}"
: "${HAILMARY_OPENSEARCH_TRANSPORT_PORT:=9300}"
: "${HAILMARY_OPENSEARCH_SNAPSHOTS_DIR:=/var/lib/opensearch-snapshots}"
export HAILMARY_ENVIRONMENT HAILMARY_OPENSEARCH_PORT HAILMARY_OPENSEARCH_TRANSPORT_PORT \
  HAILMARY_OPENSEARCH_SNAPSHOTS_DIR
heap=${HAILMARY_OPENSEARCH_HEAP:-1g}
mkdir -p /var/lib/opensearch /opt/opensearch/logs "$HAILMARY_OPENSEARCH_SNAPSHOTS_DIR"
chown opensearch:opensearch /var/lib/opensearch /opt/opensearch/logs \
  "$HAILMARY_OPENSEARCH_SNAPSHOTS_DIR"
if [ -n "${JAVA_HOME:-}" ] && [ ! -x "$JAVA_HOME/bin/java" ]; then
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
fi
export OPENSEARCH_JAVA_HOME="$JAVA_HOME"
export OPENSEARCH_JAVA_OPTS="-Xms$heap -Xmx$heap ${OPENSEARCH_JAVA_OPTS:-}"
exec setpriv --reuid=opensearch --regid=opensearch --init-groups -- \
  /opt/opensearch/bin/opensearch
