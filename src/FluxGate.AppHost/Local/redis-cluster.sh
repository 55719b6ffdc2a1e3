#!/usr/bin/env bash
# The AppHost's local Redis Cluster: one redis-server per node (cluster mode, append-only file, a folder each), in the
# foreground until stopped (SIGTERM/SIGINT stop every node).
#   redis-cluster.sh <folder> <replicas per master> <node timeout ms> <port>:<bus port> <port>:<bus port> …
# First start (no node knows another, no slot assigned): the nodes are joined by `redis-cli --cluster create` with that
# many replicas per master. Later starts keep each node's nodes.conf, so the cluster is the one from before (no create);
# the nodes meet one another again at their addresses now, in case a port changed. Nodes that disagree (a node's folder
# deleted, a create that was interrupted) are an error: start fresh.
# A node that exits: without replicas its slots have no one else to serve them, so every node stops (the resource
# fails); with replicas the cluster fails over, and the node is started again from its folder, as a container
# orchestrator would, and rejoins as a replica.
set -euo pipefail
for tool in redis-server redis-cli setpriv; do
    if ! command -v "$tool" > /dev/null; then
        echo "redis-cluster: $tool is not on PATH (apt-get install -y redis-server redis-tools; ./run.sh installs them)" >&2
        exit 1
    fi
done
# One node in the foreground. --pdeathsig: a node stops with its parent even when that is killed (SIGKILL runs no trap).
run_node() { # <folder> <node> <port> <bus port> <node timeout ms>
    local dir=$1/node-$2
    exec setpriv --pdeathsig TERM -- redis-server --port "$3" --bind 127.0.0.1 --dir "$dir" --daemonize no --logfile "" \
        --pidfile "$dir/redis.pid" --save "" --appendonly yes \
        --cluster-enabled yes --cluster-config-file nodes.conf --cluster-port "$4" --cluster-node-timeout "$5"
}

# With replicas, each node runs under this script again in this mode (itself with a parent-death signal): the node is
# started again after it exits, until the supervisor is stopped. It waits twice the node timeout first, so that its
# replica has taken over (as when a machine is replaced) and the node rejoins as a replica.
if [ "${1:-}" = --supervise ]; then
    shift
    trap 'exit 0' TERM INT
    restart_after=$(($5 * 2 / 1000 + 1))
    while true; do
        (run_node "$@") &
        wait $! || echo "redis-cluster: node-$2 exited (status $?); starting it again in $restart_after s"
        sleep "$restart_after" & wait $!
    done
fi

folder=$1 replicas=$2 node_timeout=$3
shift 3
addresses=("$@")
count=${#addresses[@]}
ports=() buses=() pids=()
for address in "${addresses[@]}"; do
    ports+=("${address%%:*}")
    buses+=("${address#*:}")
done

stopping=0
stop_nodes() {
    stopping=1
    for i in "${!pids[@]}"; do
        kill -TERM "${pids[$i]}" 2> /dev/null || true
        # The node's own process, when its supervising loop runs it (with replicas).
        [ -f "$folder/node-$((i + 1))/redis.pid" ] && kill -TERM "$(cat "$folder/node-$((i + 1))/redis.pid")" 2> /dev/null || true
    done
    for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
}
trap 'stop_nodes; exit 0' TERM INT

fail() {
    echo "redis-cluster: $*" >&2
    stop_nodes
    exit 1
}

# One field of CLUSTER INFO, e.g. cluster_state.
cluster_info() {
    redis-cli -h 127.0.0.1 -p "$1" cluster info 2> /dev/null | tr -d '\r' | sed -n "s/^$2://p"
}

for i in "${!addresses[@]}"; do
    node=$((i + 1)) port=${ports[$i]} bus=${buses[$i]}
    dir=$folder/node-$node
    mkdir -p "$dir"
    # A server of this folder left running by a killed host (its working directory is the folder): stop it first.
    if [ -f "$dir/redis.pid" ]; then
        stale=$(cat "$dir/redis.pid")
        if [ -n "$stale" ] && [ "$(readlink "/proc/$stale/cwd" 2> /dev/null)" = "$(realpath "$dir")" ]; then
            echo "redis-cluster: stopping the redis-server left running in $dir (pid $stale)"
            kill -TERM "$stale" 2> /dev/null || true
            for _ in $(seq 1 100); do kill -0 "$stale" 2> /dev/null || break; sleep 0.1; done
            kill -KILL "$stale" 2> /dev/null || true
        fi
    fi
    if [ "$replicas" = 0 ]; then
        (run_node "$folder" "$node" "$port" "$bus" "$node_timeout") > >(sed -u "s/^/[node-$node :$port] /") 2>&1 &
    else
        setpriv --pdeathsig TERM -- bash "$0" --supervise "$folder" "$node" "$port" "$bus" "$node_timeout" \
            > >(sed -u "s/^/[node-$node :$port] /") 2>&1 &
    fi
    pids+=($!)
done

for i in "${!addresses[@]}"; do
    # PING answers PONG once the node has loaded its append-only file (LOADING before).
    until [ "$(redis-cli -h 127.0.0.1 -p "${ports[$i]}" ping 2> /dev/null)" = PONG ]; do
        kill -0 "${pids[$i]}" 2> /dev/null || fail "node-$((i + 1)) (port ${ports[$i]}) exited while starting"
        sleep 0.1
    done
done

alone=0 joined=0
for port in "${ports[@]}"; do
    known=$(cluster_info "$port" cluster_known_nodes)
    assigned=$(cluster_info "$port" cluster_slots_assigned)
    if [ "$known" = 1 ] && [ "$assigned" = 0 ]; then
        alone=$((alone + 1))
    elif [ "$known" = "$count" ]; then
        joined=$((joined + 1))
    fi
done

nodes=()
for port in "${ports[@]}"; do nodes+=("127.0.0.1:$port"); done
if [ "$alone" = "$count" ]; then
    echo "redis-cluster: creating the cluster of ${nodes[*]}"
    TERM=dumb redis-cli --cluster create "${nodes[@]}" --cluster-replicas "$replicas" --cluster-yes
elif [ "$joined" = "$count" ]; then
    echo "redis-cluster: the cluster in $folder exists (nodes.conf); its nodes meet again at ${nodes[*]}"
    for i in "${!ports[@]}"; do
        for j in "${!ports[@]}"; do
            if [ "$i" != "$j" ]; then
                redis-cli -h 127.0.0.1 -p "${ports[$i]}" cluster meet 127.0.0.1 "${ports[$j]}" "${buses[$j]}" > /dev/null
            fi
        done
    done
else
    for port in "${ports[@]}"; do
        echo "redis-cluster: 127.0.0.1:$port knows $(cluster_info "$port" cluster_known_nodes) node(s), $(cluster_info "$port" cluster_slots_assigned) slot(s) assigned" >&2
    done
    fail "the nodes in $folder are neither new nor one cluster of $count: start fresh (./run.sh --fresh, FluxGate:Fresh=true, or delete $folder)"
fi

# Ready when every node says cluster_state:ok and sees every node, connected, at its address now (after a port change,
# a node is ok on its old view before the meetings have landed), and every replica has synchronized with its master.
agrees() {
    [ "$(cluster_info "$1" cluster_state)" = ok ] || return 1
    local view
    view=$(redis-cli -h 127.0.0.1 -p "$1" cluster nodes 2> /dev/null | tr -d '\r')
    for j in "${!ports[@]}"; do
        grep -Eq "^[0-9a-f]+ 127\.0\.0\.1:${ports[$j]}@${buses[$j]}(,[^ ]*)? (myself,)?(master -|slave [0-9a-f]+) [0-9]+ [0-9]+ [0-9]+ connected" <<< "$view" || return 1
    done
    if redis-cli -h 127.0.0.1 -p "$1" info replication 2> /dev/null | tr -d '\r' | grep -q '^role:slave'; then
        redis-cli -h 127.0.0.1 -p "$1" info replication 2> /dev/null | tr -d '\r' | grep -q '^master_link_status:up' || return 1
    fi
}
for i in "${!ports[@]}"; do
    until agrees "${ports[$i]}"; do
        kill -0 "${pids[$i]}" 2> /dev/null || fail "node-$((i + 1)) (port ${ports[$i]}) exited"
        sleep 0.1
    done
done
echo "redis-cluster: ready, cluster_state:ok on ${nodes[*]}"

status=0
wait -n "${pids[@]}" || status=$?
[ "$stopping" = 1 ] && exit 0
echo "redis-cluster: a node exited (status $status): stopping the others" >&2
stop_nodes
exit $((status == 0 ? 1 : status))
