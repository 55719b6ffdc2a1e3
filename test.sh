#!/usr/bin/env bash
# Builds FluxGate and runs every test (unit, integration against real Redis/PostgreSQL/Kafka mock, end to end through
# the AppHost; chromium is installed for browser tests). Extra arguments go to dotnet test, e.g. --filter Cluster.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-prerequisites.sh redis postgresql chromium
started=$SECONDS
dotnet build FluxGate.sln -nologo -v:q
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test FluxGate.sln --no-build -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo "test.sh: build and tests took $((SECONDS - started)) s"
# The plain summary line that any CI can read: "N passed, N failed, N skipped".
summary=$(grep -E '(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -n 1 || true)
if [ -n "$summary" ]; then
  count() { sed -E "s/.*$1: +([0-9]+).*/\1/" <<< "$summary"; }
  echo "$(count Passed) passed, $(count Failed) failed, $(count Skipped) skipped"
fi
exit "$status"
