# Shared by bench/run.sh and bench/profile.sh: machine prerequisites, the Release build, and the graph's lifecycle
# through FluxGate.AppHost (start on free ports in a throw-away state folder, wait for endpoints.json, stop, check
# nothing is left). The AppHost runs as ./run.sh runs it, with ./run.sh's options, plus --no-dashboard --no-otlp;
# bench/README.md ("The graph") says what differs. Expects BENCH_DIR (the bench/ folder) to be set by the sourcing script.

REPO_ROOT="$(cd "$BENCH_DIR/.." && pwd)"
RESULTS_DIR="$BENCH_DIR/results"
HARNESS=(python3 "$BENCH_DIR/harness/bench.py")

ENVIRONMENT="${BENCH_ENVIRONMENT:-Production}"
APPHOST_PROJECT="$REPO_ROOT/src/FluxGate.AppHost/FluxGate.AppHost.csproj"
APPHOST_BIN="$REPO_ROOT/src/FluxGate.AppHost/bin/Release/net10.0/FluxGate.AppHost"
# Extra AppHost arguments for an experiment; BENCH_DEVHOST_ARGS is the old name.
BENCH_APPHOST_ARGS="${BENCH_APPHOST_ARGS:-${BENCH_DEVHOST_ARGS:-}}"

log() { printf '[bench] %s\n' "$*" >&2; }

# --- what the machine needs -------------------------------------------------------------------------------
install_missing() {
  "$REPO_ROOT/scripts/install-prerequisites.sh" redis postgresql bench
  command -v python3 >/dev/null || { log "python3 is required"; exit 1; }
  command -v dotnet >/dev/null || { log "the .NET SDK (dotnet) is required"; exit 1; }
}

# --- the AppHost graph --------------------------------------------------------------------------------------
APPHOST_PID=""
STATE_DIR=""

# What the services said about trouble (exits, exceptions, errors): for the log of a failed run.
show_service_trouble() {
  [[ -f "${APPHOST_LOG:-}" ]] || return 0
  log "last service errors in $APPHOST_LOG:"
  grep -E 'Resources\.(api|persister|waitingroom|redis|postgres|kafka)|^[0-9:.]+ (fail|crit|warn)' "$APPHOST_LOG" \
    | grep -i -E -A3 'fail|crit|exception|exit|error|unhandled|killed' | tail -n 40 >&2 || true
}

stop_graph() {
  if [[ -n "$APPHOST_PID" ]]; then
    stop_apphost "$APPHOST_PID"
    APPHOST_PID=""
  fi
  # BENCH_KEEP_STATE=1 keeps the state folder (Redis's append-only file for bench/harness/aof_bytes.py).
  [[ -n "$STATE_DIR" && -z "${BENCH_KEEP_STATE:-}" ]] && rm -rf "$STATE_DIR"
  STATE_DIR=""
}

stop_apphost() {
  local pid="$1" members
  # DCP (Aspire's orchestrator) and what it started are not descendants of the AppHost: graph-pids finds them too.
  members="$("${HARNESS[@]}" graph-pids "$pid" 2>/dev/null || true)"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping the AppHost (pid $pid) with SIGTERM"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 240); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      log "the AppHost did not stop within 120 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      STOP_FAILED=1
    fi
    wait "$pid" 2>/dev/null || true
  fi
  # Nothing of the graph may outlive it. DCP tears down what it started after the AppHost has gone: give it a moment.
  local left=()
  for _ in $(seq 1 20); do
    left=()
    for member in $members; do
      if [[ "$member" != "$pid" ]] && kill -0 "$member" 2>/dev/null \
        && [[ "$(cut -d' ' -f3 "/proc/$member/stat" 2>/dev/null)" != "Z" ]]; then
        left+=("$member")
      fi
    done
    ((${#left[@]})) || break
    sleep 0.5
  done
  if ((${#left[@]})); then
    log "processes left behind by the AppHost: ${left[*]} — killing them"
    for member in "${left[@]}"; do ps -o pid=,args= -p "$member" >&2 || true; kill -KILL "$member" 2>/dev/null || true; done
    STOP_FAILED=1
  fi
}
STOP_FAILED=0

# start_graph <graph> [extra AppHost options…]: sets APPHOST_PID, ENDPOINTS and APPHOST_LOG.
start_graph() {
  local graph="$1" options=()
  shift
  # A graph's api settings become --setting arguments; its own AppHost switches (--Key=Value) pass as they are.
  while read -r setting; do
    if [[ "$setting" == --* ]]; then options+=("$setting"); else options+=(--setting "$setting"); fi
  done < <("${HARNESS[@]}" graph-settings "$graph")
  # shellcheck disable=SC2206 # word splitting of the experiment's arguments is intended
  options+=("$@" ${BENCH_APPHOST_ARGS})
  STATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/fluxgate-bench.XXXXXX")"
  # As root PostgreSQL runs as the postgres user: it must be able to enter the folder (else its data goes to /var/tmp).
  chmod 755 "$STATE_DIR"
  APPHOST_LOG="$RESULTS_DIR/apphost-$graph.log"
  local apphost_log="$APPHOST_LOG" admin_key
  admin_key="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  log "starting the AppHost graph '$graph' (environment $ENVIRONMENT, state in $STATE_DIR)"
  # Service ports 0: free ones (the AppHost's default are 3000/3100/4000); Redis and PostgreSQL take free ones anyway.
  "$APPHOST_BIN" --no-dashboard --no-otlp --local --api-port 0 --persister-port 0 --waitingroom-port 0 \
    --state-dir "$STATE_DIR" --fresh --environment "$ENVIRONMENT" --admin-api-key "$admin_key" \
    "${options[@]}" >"$apphost_log" 2>&1 &
  APPHOST_PID=$!
  local endpoints="$STATE_DIR/endpoints.json"
  for _ in $(seq 1 600); do
    [[ -s "$endpoints" ]] && break
    if ! kill -0 "$APPHOST_PID" 2>/dev/null; then
      log "the AppHost exited before the graph was up; last lines of $apphost_log:"
      tail -n 40 "$apphost_log" >&2
      wait "$APPHOST_PID" 2>/dev/null || true
      # Whatever DCP had started is stopped by DCP itself (it monitors the AppHost); check it did.
      stop_graph
      return 1
    fi
    sleep 0.5
  done
  [[ -s "$endpoints" ]] || { log "no $endpoints after 300 s; see $apphost_log"; return 1; }
  sleep 0.5 # the file is written in one go, but give the writer its close
  ENDPOINTS="$endpoints"
  if [[ -n "${BENCH_REDIS_APPENDONLY:-}" ]]; then
    # The AppHost's local Redis keeps an append-only file (appendfsync everysec); "no" measures it without.
    # A cluster's connection string lists every master: each one.
    local redis
    for redis in $(python3 -c 'import json, sys; print(" ".join(p for p in json.load(open(sys.argv[1]))["connectionStrings"]["redis"].split(",") if "=" not in p))' "$endpoints"); do
      log "redis $redis: CONFIG SET appendonly $BENCH_REDIS_APPENDONLY"
      redis-cli -h "${redis%:*}" -p "${redis##*:}" config set appendonly "$BENCH_REDIS_APPENDONLY" >/dev/null
    done
  fi
  if [[ -n "${BENCH_REDIS_CONFIG:-}" ]]; then
    # Any other server setting for an experiment, e.g. "auto-aof-rewrite-percentage 0": CONFIG SET on every master.
    local redis
    for redis in $(python3 -c 'import json, sys; print(" ".join(p for p in json.load(open(sys.argv[1]))["connectionStrings"]["redis"].split(",") if "=" not in p))' "$endpoints"); do
      log "redis $redis: CONFIG SET $BENCH_REDIS_CONFIG"
      # shellcheck disable=SC2086 # the setting's words are CONFIG SET's arguments
      redis-cli -h "${redis%:*}" -p "${redis##*:}" config set $BENCH_REDIS_CONFIG >/dev/null
    done
  fi
}

build_release() {
  if [[ -n "${BENCH_NO_BUILD:-}" ]]; then
    log "BENCH_NO_BUILD set: using the existing Release build"
  else
    log "dotnet build -c Release src/FluxGate.AppHost (builds the api, persister and waitingroom with it)"
    dotnet build "$APPHOST_PROJECT" -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary" >&2
    dotnet build "$BENCH_DIR/tools/RuntimeCounters/RuntimeCounters.csproj" -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary" >&2 \
      || log "bench/tools/RuntimeCounters did not build: the results will have no allocation and GC figures"
  fi
  [[ -x "$APPHOST_BIN" ]] || { log "$APPHOST_BIN is missing: build first"; return 1; }
}
