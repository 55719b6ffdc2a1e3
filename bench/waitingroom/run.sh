#!/usr/bin/env bash
# Waiting-room poll cost: builds the room (Release), starts a throw-away redis-server and the room on free ports,
# builds a line with wrk, then measures GET /api/queue/{p}/tickets/{t} (the poll every waiting page makes) and the
# server-rendered page. Prints requests/s, latency, room CPU µs per poll and the poll script's own µs inside Redis
# (INFO commandstats). A benchmark, not a test: numbers depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
RATE="${RATE:-50}"

scripts/install-prerequisites.sh redis bench

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

dotnet build src/FluxGate.WaitingRoom -c Release -v q -nologo >/dev/null

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.1; done

room_port=$(free_port)
ConnectionStrings__redis="127.0.0.1:$redis_port" \
Admission__SigningKey="$(head -c 32 /dev/urandom | base64)" \
WaitingRoom__AdmissionRatePerSecond="$RATE" \
ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="http://127.0.0.1:$room_port" Urls="http://127.0.0.1:$room_port" \
Logging__LogLevel__Default=Warning \
  dotnet src/FluxGate.WaitingRoom/bin/Release/net10.0/FluxGate.WaitingRoom.dll >"$work/room.log" 2>&1 &
room_pid=$!
pids+=($room_pid)
room="http://127.0.0.1:$room_port"
until curl -sf "$room/alive" >/dev/null; do sleep 0.2; done

product=bench-product
redis-cli -p "$redis_port" set "fg:{$product}:stock" 1000000 >/dev/null

# A line of thousands, then one more shopper whose ticket the pages poll.
line=0
while [ "${line:-0}" -lt "${LINE:-5000}" ]; do
  wrk -t2 -c32 -d2s -s bench/waitingroom/join.lua "$room/api/queue/$product/join" >/dev/null
  line=$(redis-cli -p "$redis_port" get "fg:{$product}:wr:issued")
done
ticket=$(curl -s -X POST "$room/api/queue/$product/join" | jq -r .ticket)
line=$(redis-cli -p "$redis_port" get "fg:{$product}:wr:issued")

measure() { # name url
  local before after out rps
  redis-cli -p "$redis_port" config resetstat >/dev/null
  before=$(cpu_ticks "$room_pid")
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$2")
  after=$(cpu_ticks "$room_pid")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  local requests; requests=$(awk '/requests in/ {print $1}' <<<"$out")
  local p50 p99; p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  local hz; hz=$(getconf CLK_TCK)
  local cpu_us; cpu_us=$(awk -v t=$((after - before)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.0f", t * 1000000 / hz / n }')
  local script_us; script_us=$(redis-cli -p "$redis_port" info commandstats | tr -d '\r' | awk -F'[=,]' '/^cmdstat_evalsha:/ {print $6}')
  printf '| %-26s | %9s | %7s | %7s | %12s | %15s |\n' "$1" "$rps" "$p50" "$p99" "$cpu_us" "${script_us:-n/a}"
}

echo
echo "Line: $line tickets; load average $(cut -d' ' -f1-3 /proc/loadavg); admission rate $RATE/s; wrk -t2 -c$CONNECTIONS -d$DURATION on $(nproc) cores (load generator on the same cores)."
echo
echo "| endpoint                   | req/s     | p50     | p99     | room CPU µs/req | EVALSHA µs/call |"
echo "|----------------------------|-----------|---------|---------|-----------------|-----------------|"
measure "poll (JSON)" "$room/api/queue/$product/tickets/$ticket"
measure "page (server-rendered)" "$room/?productId=$product&ticket=$ticket"
