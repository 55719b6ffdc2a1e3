#!/usr/bin/env bash
# Where the api's time goes under accept-heavy load: starts the throughput graph (api with a perf map for JIT'd
# code), warms up, then under steady wrk load takes
#   1. the api's runtime counters with allocations sampled by type (bench/tools/RuntimeCounters --allocations),
#   2. a CPU profile of the api (perf record -g, cpu-clock: this VM has no hardware counters),
# Reports land in bench/results/profile/; api-areas.txt (bench/harness/perf_stacks.py) splits the api's CPU by
# area of the order path (Kafka, Redis, Kestrel, JSON, telemetry, thread-pool spin, GC…), then by symbol.
# Needs perf (Debian linux-perf; installed if missing).
#
#   bench/profile.sh [scenario]        accept-heavy (default) | sold-out | duplicate
# Environment: PROFILE_SECONDS (15) per phase, plus run.sh's WRK_* and BENCH_* variables.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
LOAD_PID=""
stop_all() {
  if [[ -n "$LOAD_PID" ]]; then
    kill "$LOAD_PID" 2>/dev/null || true
    wait "$LOAD_PID" 2>/dev/null || true
    LOAD_PID=""
  fi
  stop_graph
}
trap stop_all EXIT
trap 'exit 130' INT TERM

SCENARIO="${1:-accept-heavy}"
case "$SCENARIO" in
  accept-heavy) STOCK=2000000000 MODE=unique ;;
  sold-out) STOCK=0 MODE=unique ;;
  duplicate) STOCK=2000000000 MODE=duplicate ;;
  *) log "profile.sh profiles accept-heavy, sold-out or duplicate"; exit 2 ;;
esac
SECONDS_PER_PHASE="${PROFILE_SECONDS:-15}"
OUT="$RESULTS_DIR/profile"
mkdir -p "$OUT"

cd "$REPO_ROOT"
install_missing
"$REPO_ROOT/scripts/install-prerequisites.sh" perf
build_release
log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# The perf map names JIT'd code; with W^X on, that code runs from a memfd double mapping that perf does not
# match against the map, so W^X is off for the profiled api.
start_graph throughput --setting api:DOTNET_PerfMapEnabled=1 --setting api:DOTNET_EnableWriteXorExecute=0
# The FluxGate.Api process itself, not the `dotnet run` Aspire starts it with.
API_PID="$("${HARNESS[@]}" api-pid "$APPHOST_PID")"
PRODUCT="profile-$SCENARIO-$(date +%H%M%S)"
log "api pid $API_PID; warming up on $PRODUCT"
"${HARNESS[@]}" drive --endpoints "$ENDPOINTS" --product "$PRODUCT" --stock "$STOCK" --mode "$MODE" --duration 10s >/dev/null

# One long load; the phases sample it one after another.
TOTAL=$((2 * SECONDS_PER_PHASE + 12))
"${HARNESS[@]}" drive --endpoints "$ENDPOINTS" --product "$PRODUCT" --mode "$MODE" --duration "${TOTAL}s" >"$OUT/load.json" &
LOAD_PID=$!
sleep 3

log "phase 1: runtime counters and allocations by type (${SECONDS_PER_PHASE}s)"
(sleep "$SECONDS_PER_PHASE") | "$BENCH_DIR/tools/RuntimeCounters/bin/Release/net10.0/RuntimeCounters" "$API_PID" --allocations \
  | tail -n 1 >"$OUT/counters.json"

log "phase 2: perf record -g of the api (${SECONDS_PER_PHASE}s)"
perf record -q -e cpu-clock -F 999 -g -p "$API_PID" -o "$OUT/api.perf.data" -- sleep "$SECONDS_PER_PHASE" 2>"$OUT/perf.log" \
  || { log "perf record of the api failed:"; cat "$OUT/perf.log" >&2; }

wait "$LOAD_PID" || log "the load generator failed: $(cat "$OUT/load.json")"
LOAD_PID=""
# Reports before the graph stops: perf resolves JIT'd frames through /tmp/perf-<api pid>.map.
perf report -i "$OUT/api.perf.data" --stdio --no-children --sort dso,sym --percent-limit 0.4 -g none 2>/dev/null \
  | grep -v '^$' >"$OUT/api-self.txt" || true
perf report -i "$OUT/api.perf.data" --stdio --children --sort sym --percent-limit 2 -g none 2>/dev/null \
  | grep -v '^$' >"$OUT/api-inclusive.txt" || true
perf report -i "$OUT/api.perf.data" --stdio --no-children --sort dso -g none 2>/dev/null | grep -v '^$' >"$OUT/api-dso.txt" || true
perf report -i "$OUT/api.perf.data" --stdio --no-children --sort comm -g none 2>/dev/null | grep -v '^$' >"$OUT/api-threads.txt" || true
perf script -i "$OUT/api.perf.data" -F comm,ip,sym 2>/dev/null | python3 "$BENCH_DIR/harness/perf_stacks.py" >"$OUT/api-areas.txt" || true
stop_graph
rm -f "/tmp/perf-$API_PID.map" "/tmp/perfinfo-$API_PID.map"

python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
load = json.load(open(f"{out}/load.json"))
counters = json.loads(open(f"{out}/counters.json").read())
seconds = load["duration_us"] / 1e6
rps = load["requests"] / seconds
alloc_rate = counters["sums"].get("alloc-rate", 0) / max(1, counters["intervals"])
print(f"load: {rps:,.0f} req/s, {load['accepted'] / seconds:,.0f} orders/s, p99 {load['latency_us']['p99'] / 1000} ms")
print(f"allocated {alloc_rate / 1e6:,.1f} MB/s ≈ {alloc_rate / rps:,.0f} B/request; "
      f"GCs gen0/1/2 {counters['sums'].get('gen-0-gc-count')}/{counters['sums'].get('gen-1-gc-count')}/{counters['sums'].get('gen-2-gc-count')} "
      f"in {counters['intervals']} s; time in GC peak {counters['peaks'].get('time-in-gc')}%; "
      f"threadpool threads peak {counters['peaks'].get('threadpool-thread-count')}, "
      f"lock contentions {counters['sums'].get('monitor-lock-contention-count')}")
total = sum(t["sampledBytes"] for t in counters["sampledTypes"]) or 1
print("allocations by type (sampled):")
for t in counters["sampledTypes"][:20]:
    print(f"  {100 * t['sampledBytes'] / total:5.1f}%  {t['type']}")
PY
echo
head -n 40 "$OUT/api-areas.txt"
log "reports: $OUT/api-areas.txt (by area, self, inclusive), api-self.txt api-inclusive.txt api-dso.txt api-threads.txt"
