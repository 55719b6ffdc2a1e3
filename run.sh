#!/usr/bin/env bash
# Runs all of FluxGate through its Aspire AppHost: redis-server, PostgreSQL, Kafka (the librdkafka mock, or containers
# where a container runtime answers), api :3000, persister :3100, waitingroom :4000, and the Aspire dashboard.
# Ctrl+C stops everything. ./run.sh --help lists the options; the AppHost reads them (Hosting/AppHostArguments.cs).
set -euo pipefail
cd "$(dirname "$0")"

# dotnet run's build configuration is the one option read here; the AppHost gets every argument unchanged.
configuration=Debug
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    -c|--configuration) configuration="${args[i + 1]:-Debug}" ;;
  esac
done

scripts/install-prerequisites.sh redis postgresql
exec dotnet run --project src/FluxGate.AppHost --configuration "$configuration" --launch-profile http -- "$@"
