#!/usr/bin/env bash
# Benchmark: `./ops health` against the shell health check the seed scripts
# did (pg_isready, authenticated redis-cli ping, curl on _cluster/health and on
# web's and the ingestor's /health), run alternately on a running stack;
# prints the median wall times and the ratio. (bench/startup/run.ts runs the
# same pair on a private stack, with the other start-path pairs.)
# Usage: bench/health/run.sh [RUNS] [ENV]     (default 40 runs, env local; `./ops up` first)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-40}
env=${2:-local}
export PATH="$PWD/.ops/bin:$PATH" NO_COLOR=1 OPS_ENV="$env"

status=$(deno task -q status --json)
port() { printf '%s' "$status" | deno eval --quiet "const s = JSON.parse(await new Response(Deno.stdin.readable).text()); console.log(s.services.find((x) => x.name === '$1').port)"; }
pg=$(port postgres) redis=$(port redis) os=$(port opensearch)
extra=()
for app in web ingestor; do
  p=$(port "$app")
  [ "$p" != "undefined" ] && extra+=("http://127.0.0.1:$p/health")
done
state_dir=$(deno eval --quiet "import { loadEnvironment } from './lib/config/mod.ts'; console.log((await loadEnvironment('$env')).stateDir)")
REDISCLI_AUTH=$(cat "$state_dir/secrets/redis-password")
export REDISCLI_AUTH

./ops health >/dev/null || { echo "the stack is not healthy: run ./ops up first" >&2; exit 1; }
bench/health/shell_health.sh "$pg" "$redis" "$os" "${extra[@]}" || { echo "the shell check fails on this stack" >&2; exit 1; }

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
ops_times=() shell_times=()
for _ in $(seq "$runs"); do
  ops_times+=("$(ms ./ops health)")
  shell_times+=("$(ms bench/health/shell_health.sh "$pg" "$redis" "$os" "${extra[@]}")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
o=$(median "${ops_times[@]}") s=$(median "${shell_times[@]}")
awk -v o="$o" -v s="$s" -v n="$runs" -v c="$((3 + ${#extra[@]}))" 'BEGIN {
  printf "runs: %d each, alternating; services checked: %d\n", n, c
  printf "./ops health:        median %.1f ms\n", o / 1000
  printf "shell health check: median %.1f ms\n", s / 1000
  printf "ratio (ops / shell): %.2f\n", o / s
}'
