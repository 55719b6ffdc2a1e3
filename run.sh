#!/usr/bin/env bash
# Runs all of FluxGate through its Aspire AppHost: redis-server, PostgreSQL, Kafka (the librdkafka mock, or containers
# where a container runtime answers), api :3000, persister :3100, waitingroom :4000, and the Aspire dashboard.
# Ctrl+C stops everything. ./run.sh --help lists the options; they become AppHost configuration switches.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  cat <<'USAGE'
./run.sh [options] [--FluxGate:<Key>=<value> …]

  --api-port N, --persister-port N, --waitingroom-port N   service ports (3000, 3100, 4000; 0 = a free one)
  --redis-port N, --postgres-port N                        local server ports (default: free ones)
  --redis CS, --kafka BOOTSTRAP, --postgres CS             existing servers instead of local ones
                                                           (ConnectionStrings:redis / kafka / fluxgate)
  --containers, --local                                    backing services in containers / as local processes
                                                           (default: containers when a container runtime answers)
  --redis-cluster                                          redis as a local Redis Cluster of three masters
                                                           (FluxGate:RedisTopology=Cluster; --redis-port N: N..N+2)
  --redis-replicas N                                       with --redis-cluster: N replicas per master (0..5) and
                                                           automatic failover (FluxGate:RedisReplicas)
  --replicas api=N,persister=N,waitingroom=N              processes per service (1..16, default 1); more than one
                                                           run behind Aspire's proxy on the service's port
  --admin-api-key [KEY]                                    protect POST /init (x-api-key); without KEY one is generated
  --setting [service:]Key=Value                            configuration for api, persister, waitingroom or all,
                                                           e.g. --setting api:RateLimit:PermitsPerSecond=100000
  --environment NAME                                       ASPNETCORE_ENVIRONMENT of the services (Development)
  --state-dir DIR                                          state folder (.fluxgate/): local data, endpoints.json
  --fresh                                                  start the local Redis and PostgreSQL empty
  --only redis,kafka,postgres                              only these backing services, no FluxGate service
                                                           (to run a service from an IDE against them)
  -c, --configuration NAME                                 build configuration (Debug; the bench uses Release)
USAGE
}

configuration=Debug
switches=()
while (($#)); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --api-port) switches+=("--FluxGate:Ports:Api=$2"); shift ;;
    --persister-port) switches+=("--FluxGate:Ports:Persister=$2"); shift ;;
    --waitingroom-port) switches+=("--FluxGate:Ports:WaitingRoom=$2"); shift ;;
    --redis-port) switches+=("--FluxGate:Ports:Redis=$2"); shift ;;
    --postgres-port) switches+=("--FluxGate:Ports:Postgres=$2"); shift ;;
    --redis) switches+=("--ConnectionStrings:redis=$2"); shift ;;
    --kafka) switches+=("--ConnectionStrings:kafka=$2"); shift ;;
    --postgres) switches+=("--ConnectionStrings:fluxgate=$2"); shift ;;
    --containers) switches+=("--FluxGate:BackingServices=Containers") ;;
    --local) switches+=("--FluxGate:BackingServices=Local") ;;
    --redis-cluster) switches+=("--FluxGate:RedisTopology=Cluster") ;;
    --redis-replicas) switches+=("--FluxGate:RedisReplicas=$2"); shift ;;
    --admin-api-key)
      if (($# > 1)) && [[ "$2" != --* ]]; then switches+=("--FluxGate:AdminApiKey=$2"); shift
      else switches+=("--FluxGate:AdminApiKey=generate"); fi ;;
    --setting)
      setting="$2"; shift
      scope=all
      case "${setting%%:*}" in api|persister|waitingroom) scope="${setting%%:*}"; setting="${setting#*:}" ;; esac
      switches+=("--FluxGate:Settings:$scope:$setting") ;;
    --environment) switches+=("--FluxGate:Environment=$2"); shift ;;
    --state-dir) switches+=("--FluxGate:StateDirectory=$(realpath -m "$2")"); shift ;;
    --fresh) switches+=("--FluxGate:Fresh=true") ;;
    --replicas)
      IFS=, read -r -a replicas <<< "$2"; shift
      for replica in "${replicas[@]}"; do
        count="${replica#*=}"
        if [[ "$replica" != *=* || ! "$count" =~ ^[0-9]+$ ]]; then
          echo "run.sh: --replicas takes api=N,persister=N,waitingroom=N (not '$replica')" >&2; exit 2
        fi
        case "${replica%%=*}" in
          api) switches+=("--FluxGate:Replicas:Api=$count") ;;
          persister) switches+=("--FluxGate:Replicas:Persister=$count") ;;
          waitingroom) switches+=("--FluxGate:Replicas:WaitingRoom=$count") ;;
          *) echo "run.sh: --replicas takes api=N,persister=N,waitingroom=N (not '$replica')" >&2; exit 2 ;;
        esac
      done ;;
    --only)
      IFS=, read -r -a only <<< "$2"; shift
      for i in "${!only[@]}"; do switches+=("--FluxGate:BackingServicesOnly:$i=${only[$i]}"); done ;;
    -c|--configuration) configuration="$2"; shift ;;
    --*=*) switches+=("$1") ;;
    *) echo "run.sh: unknown option '$1' (see ./run.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

scripts/install-prerequisites.sh redis postgresql
exec dotnet run --project src/FluxGate.AppHost --configuration "$configuration" --launch-profile http -- "${switches[@]}"
