#!/usr/bin/env bash
# Installs (Debian/Ubuntu, apt-get) what FluxGate needs on this machine and is missing; does nothing when all is there.
#   scripts/install-prerequisites.sh redis postgresql [chromium] [bench]
#     redis       redis-server on PATH                     (package redis-server)
#     postgresql  server binaries /usr/lib/postgresql/*/bin (package postgresql)
#     chromium    /usr/bin/chromium, for the browser test   (package chromium)
#     bench       wrk, redis-cli/redis-benchmark, psql      (packages wrk, redis-tools, postgresql-client)
#     perf        perf, for bench/profile.sh                (package linux-perf)
# apt-get update runs only when something must be installed.
set -euo pipefail

has_postgres_server() {
    compgen -G "/usr/lib/postgresql/*/bin/postgres" > /dev/null
}

missing=()
for want in "$@"; do
    case "$want" in
        redis) command -v redis-server > /dev/null || [ -x /usr/bin/redis-server ] || missing+=(redis-server) ;;
        postgresql) has_postgres_server || missing+=(postgresql) ;;
        chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
        bench)
            command -v wrk > /dev/null || missing+=(wrk)
            { command -v redis-cli > /dev/null && command -v redis-benchmark > /dev/null; } || missing+=(redis-tools)
            command -v psql > /dev/null || missing+=(postgresql-client) ;;
        perf) command -v perf > /dev/null || missing+=(linux-perf) ;;
        *) echo "install-prerequisites: unknown prerequisite '$want'" >&2; exit 2 ;;
    esac
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get > /dev/null; then
    echo "Missing: ${missing[*]}. This script installs them with apt-get (Debian/Ubuntu); install them yourself here." >&2
    exit 1
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
    sudo=(sudo)
fi
echo "Installing ${missing[*]} (apt-get)…"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
echo "Installed ${missing[*]}."
