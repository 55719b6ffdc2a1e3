#!/usr/bin/env bash
# FluxGate benchmark: builds Release, starts the DevHost graph, drives POST /order with wrk, measures the
# Redis ceiling, prints a markdown table and writes bench/results/latest.json. See bench/README.md.
#
#   bench/run.sh [scenario…]     scenarios: accept-heavy sold-out duplicate flash-sale rate-limited (default: all)
#
# Environment: WRK_THREADS (2) WRK_CONNECTIONS (64) WRK_DURATION (20s) WRK_WARMUP (5s) CEILING_REQUESTS (2000000)
#              CEILING_PIPELINE (16) DRAIN_TIMEOUT (300 s) BENCH_ENVIRONMENT (Production) BENCH_NO_BUILD (unset)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_DIR/.." && pwd)"
RESULTS_DIR="$BENCH_DIR/results"
HARNESS=(python3 "$BENCH_DIR/harness/bench.py")
ENVIRONMENT="${BENCH_ENVIRONMENT:-Production}"
DEVHOST_DLL="$REPO_ROOT/src/FluxGate.DevHost/bin/Release/net10.0/FluxGate.DevHost.dll"

log() { printf '[bench] %s\n' "$*" >&2; }

# --- what the machine needs -------------------------------------------------------------------------------
install_missing() {
  local packages=()
  command -v wrk >/dev/null || packages+=(wrk)
  command -v redis-benchmark >/dev/null || packages+=(redis-tools)
  command -v redis-cli >/dev/null || packages+=(redis-tools)
  command -v redis-server >/dev/null || packages+=(redis-server)
  command -v psql >/dev/null || packages+=(postgresql-client)
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || packages+=(postgresql)
  if ((${#packages[@]})); then
    log "installing ${packages[*]}"
    local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
  fi
  command -v python3 >/dev/null || { log "python3 is required"; exit 1; }
  command -v dotnet >/dev/null || { log "the .NET SDK (dotnet) is required"; exit 1; }
}

# --- the DevHost graph --------------------------------------------------------------------------------------
DEVHOST_PID=""
STATE_DIR=""

stop_graph() {
  [[ -n "$DEVHOST_PID" ]] || return 0
  local pid="$DEVHOST_PID" children
  DEVHOST_PID=""
  children="$("${HARNESS[@]}" descendants "$pid" 2>/dev/null || true)"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping the DevHost (pid $pid) with SIGTERM"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 240); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      log "the DevHost did not stop within 120 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      STOP_FAILED=1
    fi
    wait "$pid" 2>/dev/null || true
  fi
  # Nothing of the graph may outlive it.
  local left=()
  for child in $children; do
    if kill -0 "$child" 2>/dev/null && [[ "$(cut -d' ' -f3 "/proc/$child/stat" 2>/dev/null)" != "Z" ]]; then
      left+=("$child")
    fi
  done
  if ((${#left[@]})); then
    log "processes left behind by the DevHost: ${left[*]} — killing them"
    for child in "${left[@]}"; do ps -o pid=,args= -p "$child" >&2 || true; kill -KILL "$child" 2>/dev/null || true; done
    STOP_FAILED=1
  fi
  [[ -n "$STATE_DIR" ]] && rm -rf "$STATE_DIR"
  STATE_DIR=""
}
STOP_FAILED=0
trap 'stop_graph' EXIT
trap 'exit 130' INT TERM

start_graph() {
  local graph="$1" ports settings=()
  read -r api_port waitingroom_port persister_port redis_port postgres_port < <("${HARNESS[@]}" free-ports 5)
  while read -r setting; do settings+=(--setting "$setting"); done < <("${HARNESS[@]}" devhost-settings "$graph")
  STATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/fluxgate-bench.XXXXXX")"
  chmod 755 "$STATE_DIR"
  local devhost_log="$RESULTS_DIR/devhost-$graph.log"
  log "starting the DevHost graph '$graph' (environment $ENVIRONMENT, api on port $api_port, state in $STATE_DIR)"
  dotnet "$DEVHOST_DLL" \
    --api-port "$api_port" --waitingroom-port "$waitingroom_port" --persister-port "$persister_port" \
    --redis-port "$redis_port" --postgres-port "$postgres_port" \
    --state-dir "$STATE_DIR" --fresh --environment "$ENVIRONMENT" \
    "${settings[@]}" --admin-api-key >"$devhost_log" 2>&1 &
  DEVHOST_PID=$!
  local endpoints="$STATE_DIR/endpoints.json"
  for _ in $(seq 1 600); do
    [[ -s "$endpoints" ]] && break
    if ! kill -0 "$DEVHOST_PID" 2>/dev/null; then
      log "the DevHost exited before the graph was up; last lines of $devhost_log:"
      tail -n 40 "$devhost_log" >&2
      DEVHOST_PID=""
      return 1
    fi
    sleep 0.5
  done
  [[ -s "$endpoints" ]] || { log "no $endpoints after 300 s; see $devhost_log"; return 1; }
  sleep 0.5 # the file is written in one go, but give the writer its close
  ENDPOINTS="$endpoints"
}

# --- main ---------------------------------------------------------------------------------------------------
cd "$REPO_ROOT"
mkdir -p "$RESULTS_DIR"
install_missing
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average at start: $LOAD_AT_START ($(nproc) cores)"

SCENARIOS=("$@")
mapfile -t GRAPHS_NEEDED < <("${HARNESS[@]}" plan "${SCENARIOS[@]}")

if [[ -z "${BENCH_NO_BUILD:-}" ]]; then
  log "dotnet build -c Release (the DevHost builds the api, persister and waitingroom with it)"
  dotnet build "$REPO_ROOT/src/FluxGate.DevHost/FluxGate.DevHost.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
fi
[[ -f "$DEVHOST_DLL" ]] || { log "$DEVHOST_DLL is missing after the build"; exit 1; }
if [[ -z "${BENCH_NO_BUILD:-}" ]]; then
  dotnet build "$BENCH_DIR/tools/RuntimeCounters/RuntimeCounters.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly >&2 \
    || log "bench/tools/RuntimeCounters did not build: the results will have no allocation and GC figures"
fi

PARTIALS=()
FAILED=0
for graph in "${GRAPHS_NEEDED[@]}"; do
  partial="$RESULTS_DIR/partial-$graph.json"
  rm -f "$partial"
  if start_graph "$graph"; then
    ceiling=(); [[ "$graph" == "throughput" ]] && ceiling=(--ceiling)
    "${HARNESS[@]}" measure --endpoints "$ENDPOINTS" --devhost-pid "$DEVHOST_PID" --graph "$graph" \
      "${ceiling[@]}" --out "$partial" "${SCENARIOS[@]}" || FAILED=1
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
