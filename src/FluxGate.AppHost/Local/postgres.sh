#!/usr/bin/env bash
# The AppHost's local PostgreSQL (a development server: trust authentication on loopback, no fsync).
#   postgres.sh init   makes the cluster in $POSTGRES_FOLDER/data once; clears a killed server's locks
#   postgres.sh run    runs the server in the foreground on $POSTGRES_PORT
# $POSTGRES_BIN is the server's bin folder. The folders come from the environment, not the command line, which the
# dashboard shows. PostgreSQL refuses to run as root: as root, both run as the postgres user on folders handed over to it.
set -euo pipefail
command=$1 bin=$POSTGRES_BIN folder=$POSTGRES_FOLDER
cluster=$folder/data
socket=$folder/run

as_server_user() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
    else
        "$@"
    fi
}

case "$command" in
init)
    mkdir -p "$folder" "$socket"
    # No PG_VERSION: nothing there, or an initdb that was interrupted.
    fresh=
    if [ ! -f "$cluster/PG_VERSION" ]; then
        rm -rf "$cluster"
        fresh=1
    fi
    if [ "$(id -u)" = 0 ]; then
        chown -R postgres:postgres "$folder"
    fi
    if [ -n "$fresh" ]; then
        cd "$folder"
        as_server_user "$bin/initdb" -D "$cluster" -U postgres --auth=trust -E UTF8 --no-locale --no-sync
    fi
    # A server of this cluster orphaned by a killed host is stopped; a lock whose process is gone is removed.
    if [ -f "$cluster/postmaster.pid" ]; then
        pid=$(head -n 1 "$cluster/postmaster.pid")
        if kill -0 "$pid" 2> /dev/null && grep -qa -- "$cluster" "/proc/$pid/cmdline"; then
            kill -QUIT "$pid"
            for _ in $(seq 1 150); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2> /dev/null || true
        fi
        rm -f "$cluster/postmaster.pid" "$socket"/.s.PGSQL.*
    fi
    ;;
run)
    port=$POSTGRES_PORT
    cd "$folder"
    server_command=("$bin/postgres" -D "$cluster" -p "$port" -k "$socket"
        -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300)
    # Started directly, not through a function (which would fork a subshell): $! must be the server itself.
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=postgres --regid=postgres --init-groups -- "${server_command[@]}" &
    else
        "${server_command[@]}" &
    fi
    server=$!
    # PostgreSQL's own SIGTERM waits until every client has left, and pooled clients never leave: stop fast instead.
    trap 'kill -INT "$server" 2> /dev/null' TERM INT
    status=0
    wait "$server" || status=$?
    # A wait that the trap interrupted returns at once: wait again for the server's own exit.
    if kill -0 "$server" 2> /dev/null; then
        status=0
        wait "$server" || status=$?
    fi
    exit "$status"
    ;;
*)
    echo "postgres.sh: unknown command '$command'" >&2
    exit 2
    ;;
esac
