#!/usr/bin/env bash
# Runs the whole FluxGate graph on this machine: redis-server, PostgreSQL, the Kafka mock cluster, api (3000),
# persister (3100), waitingroom (4000). Ctrl+C stops everything. Options: ./run.sh --help
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-prerequisites.sh redis postgresql
exec dotnet run --project src/FluxGate.DevHost -- "$@"
