#!/usr/bin/env bash
# FluxGate benchmark: builds Release, starts the graph through FluxGate.AppHost (--no-dashboard
# --no-otlp), drives POST /order with wrk, measures the Redis ceiling, prints a markdown table and writes
# bench/results/latest.json. See bench/README.md.
#
#   bench/run.sh [scenario…]     scenarios: accept-heavy sold-out duplicate flash-sale rate-limited (default: these),
#                                hot-product-k1 hot-product-k3 (only when named: Redis as a three-master cluster)
#
# Environment: WRK_THREADS (2) WRK_CONNECTIONS (64) WRK_DURATION (20s) WRK_WARMUP (5s) CEILING_REQUESTS (2000000; 0 skips the ceiling)
#              CEILING_PIPELINE (16) DRAIN_TIMEOUT (300 s) BENCH_ENVIRONMENT (Production) BENCH_NO_BUILD (unset)
#              BENCH_APPHOST_ARGS (extra AppHost arguments, e.g. "--setting api:Kafka:Producer:LingerMs=5";
#              BENCH_DEVHOST_ARGS is the old name) BENCH_REDIS_APPENDONLY (unset; "no" turns Redis's AOF off)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
trap 'stop_graph' EXIT
trap 'exit 130' INT TERM

# --- main ---------------------------------------------------------------------------------------------------
cd "$REPO_ROOT"
mkdir -p "$RESULTS_DIR"
install_missing
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average at start: $LOAD_AT_START ($(nproc) cores)"

SCENARIOS=("$@")
mapfile -t GRAPHS_NEEDED < <("${HARNESS[@]}" plan "${SCENARIOS[@]}")

build_release

PARTIALS=()
FAILED=0
for graph in "${GRAPHS_NEEDED[@]}"; do
  partial="$RESULTS_DIR/partial-$graph.json"
  rm -f "$partial"
  if start_graph "$graph"; then
    # The redis-benchmark ceiling: on the single Redis (throughput), and per master on the cluster (K = 1 and 3).
    ceiling=(); [[ ("$graph" == "throughput" || "$graph" == "cluster") && "${CEILING_REQUESTS:-1}" != "0" ]] && ceiling=(--ceiling)
    "${HARNESS[@]}" measure --endpoints "$ENDPOINTS" --apphost-pid "$APPHOST_PID" --graph "$graph" \
      "${ceiling[@]}" --out "$partial" "${SCENARIOS[@]}" || { FAILED=1; show_service_trouble; }
  else
    FAILED=1
  fi
  stop_graph
  [[ -f "$partial" ]] && PARTIALS+=(--partial "$partial")
done

"${HARNESS[@]}" report "${PARTIALS[@]}" --out "$RESULTS_DIR/latest.json" --load-at-start "$LOAD_AT_START" \
  "${SCENARIOS[@]}" || FAILED=1
rm -f "$RESULTS_DIR"/partial-*.json
log "wrote $RESULTS_DIR/latest.json"
((STOP_FAILED == 0)) || { log "the graph did not stop cleanly"; FAILED=1; }
exit "$FAILED"
