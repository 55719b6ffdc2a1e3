# Shared by bench/run.sh and bench/profile.sh: machine prerequisites, the Release build, and the DevHost graph's
# lifecycle (start on free ports in a throw-away state folder, wait for endpoints.json, stop, check nothing is left).
# Expects BENCH_DIR (the bench/ folder) to be set by the sourcing script.

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

# What the services said about trouble (exits, exceptions, errors): for the log of a failed run.
show_service_trouble() {
  [[ -f "${DEVHOST_LOG:-}" ]] || return 0
  log "last service errors in $DEVHOST_LOG:"
  grep -E '^\[(api|persister|devhost)\]' "$DEVHOST_LOG" | grep -i -E -A3 'fail|crit|exception|exit|error|unhandled|killed' \
    | tail -n 40 >&2 || true
}

stop_graph() {
  if [[ -n "$DEVHOST_PID" ]]; then
    stop_devhost "$DEVHOST_PID"
    DEVHOST_PID=""
  fi
  [[ -n "$STATE_DIR" ]] && rm -rf "$STATE_DIR"
  STATE_DIR=""
}

stop_devhost() {
  local pid="$1" children
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
}
STOP_FAILED=0

# start_graph <graph> [extra DevHost arguments…]: sets DEVHOST_PID, ENDPOINTS and DEVHOST_LOG.
start_graph() {
  local graph="$1" settings=()
  shift
  read -r api_port waitingroom_port persister_port redis_port postgres_port < <("${HARNESS[@]}" free-ports 5)
  while read -r setting; do settings+=(--setting "$setting"); done < <("${HARNESS[@]}" devhost-settings "$graph")
  STATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/fluxgate-bench.XXXXXX")"
  chmod 755 "$STATE_DIR"
  DEVHOST_LOG="$RESULTS_DIR/devhost-$graph.log"
  local devhost_log="$DEVHOST_LOG"
  log "starting the DevHost graph '$graph' (environment $ENVIRONMENT, api on port $api_port, state in $STATE_DIR)"
  dotnet "$DEVHOST_DLL" \
    --api-port "$api_port" --waitingroom-port "$waitingroom_port" --persister-port "$persister_port" \
    --redis-port "$redis_port" --postgres-port "$postgres_port" \
    --state-dir "$STATE_DIR" --fresh --environment "$ENVIRONMENT" \
    "${settings[@]}" "$@" ${BENCH_DEVHOST_ARGS:-} --admin-api-key >"$devhost_log" 2>&1 &
  DEVHOST_PID=$!
  local endpoints="$STATE_DIR/endpoints.json"
  for _ in $(seq 1 600); do
    [[ -s "$endpoints" ]] && break
    if ! kill -0 "$DEVHOST_PID" 2>/dev/null; then
      log "the DevHost exited before the graph was up; last lines of $devhost_log:"
      tail -n 40 "$devhost_log" >&2
      wait "$DEVHOST_PID" 2>/dev/null || true
      DEVHOST_PID=""
      stop_graph
      return 1
    fi
    sleep 0.5
  done
  [[ -s "$endpoints" ]] || { log "no $endpoints after 300 s; see $devhost_log"; return 1; }
  sleep 0.5 # the file is written in one go, but give the writer its close
  ENDPOINTS="$endpoints"
}

build_release() {
  if [[ -n "${BENCH_NO_BUILD:-}" ]]; then
    log "BENCH_NO_BUILD set: using the existing Release build"
  else
    log "dotnet build -c Release (the DevHost builds the api, persister and waitingroom with it)"
    dotnet build "$REPO_ROOT/src/FluxGate.DevHost/FluxGate.DevHost.csproj" -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary" >&2
    dotnet build "$BENCH_DIR/tools/RuntimeCounters/RuntimeCounters.csproj" -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary" >&2 \
      || log "bench/tools/RuntimeCounters did not build: the results will have no allocation and GC figures"
  fi
  [[ -f "$DEVHOST_DLL" ]] || { log "$DEVHOST_DLL is missing: build first"; return 1; }
}
