#!/usr/bin/env bash
# Prints a shopper token of the development issuer for <userId>: the token's subject, signed with the AppHost's
# shopper-signing-key (user secrets; generated on the first ./run.sh), valid 8 hours. Only the token goes to stdout:
#   TOKEN=$(scripts/mint-token.sh user-42)
#   curl … -H "Authorization: Bearer $TOKEN"
set -euo pipefail
cd "$(dirname "$0")/.."
if (($# != 1)); then
  echo "usage: scripts/mint-token.sh <userId>" >&2
  exit 2
fi
build=()
[[ -f src/FluxGate.AppHost/bin/Debug/net10.0/FluxGate.AppHost.dll ]] && build=(--no-build)
exec dotnet run --project src/FluxGate.AppHost "${build[@]}" --no-launch-profile -- mint-token "$1"
