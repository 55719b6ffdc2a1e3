#!/usr/bin/env bash
# Builds FluxGate and runs every test (unit, integration against real Redis/PostgreSQL/Kafka mock, end to end through
# the DevHost; chromium is installed for browser tests). Extra arguments go to dotnet test, e.g. --filter DevHost.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-prerequisites.sh redis postgresql chromium
started=$SECONDS
dotnet build FluxGate.sln -nologo -v:q
dotnet test FluxGate.sln --no-build -nologo "$@"
echo "test.sh: build and tests took $((SECONDS - started)) s"
