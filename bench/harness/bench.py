#!/usr/bin/env python3
"""The harness behind bench/run.sh. run.sh (bench/lib.sh) owns the AppHost's lifecycle; this file knows the
scenarios, measures them against a running graph, and writes the results.

  bench.py plan [scenario…]                 graphs needed, in order (one per line)
  bench.py graph-settings <graph>           the --setting arguments of a graph (one per line), then its own AppHost
                                            switches (lines starting with --)
  bench.py graph-pids <pid>                 live processes of the AppHost <pid>'s graph (with DCP's, which are not
                                            its descendants)
  bench.py api-pid <pid>                    the api process (FluxGate.Api itself, not its `dotnet run`) of that graph
  bench.py measure …                        run one graph's scenarios, write a partial result
  bench.py drive …                          load without measuring (for bench/profile.sh)
  bench.py report …                         merge partial results: latest.json + markdown on stdout
"""

import argparse
import json
import os
import sys
import time
import traceback

import load
import measure
import procstat
import report
from clients import Api, Postgres, Redis, RedisCluster
from scenarios import DEFAULT_ORDER, GRAPHS, OPT_IN, SCENARIOS

ROLES_REQUIRED = ["api", "persister", "redis", "postgres"]


def required_roles(graph, cluster):
    """ROLES_REQUIRED, with the cluster's masters (redis:<port>, at least three) in place of `redis`."""
    if not cluster:
        return ROLES_REQUIRED
    shards = [r for r in graph.pids if r.startswith("redis:")]
    return [r for r in ROLES_REQUIRED if r != "redis"] + (shards if len(shards) >= 3 else ["redis:<3 masters>"])


def selected(names):
    names = names or DEFAULT_ORDER
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(DEFAULT_ORDER + OPT_IN)}")
    return names


def cmd_plan(args):
    graphs = []
    for name in selected(args.scenarios):
        if SCENARIOS[name].graph not in graphs:
            graphs.append(SCENARIOS[name].graph)
    print("\n".join(graphs))


def cmd_graph_settings(args):
    for key, value in GRAPHS[args.graph].api_settings.items():
        print(f"api:{key}={value}")
    for key, value in GRAPHS[args.graph].apphost_switches.items():
        print(f"--{key}={value}")


def cmd_graph_pids(args):
    print(" ".join(str(p) for p in procstat.graph_pids(args.pid)))


def cmd_api_pid(args):
    pid = procstat.Graph(args.pid).pids.get("api")
    if pid is None:
        sys.exit(f"no api process in the graph of AppHost pid {args.pid}")
    print(pid)


def load_endpoints(path):
    """endpoints.json, with the services' URLs on 127.0.0.1: the AppHost says localhost, which the services listen on
    in both families, and wrk and urllib would pick ::1 first (the DevHost's figures were on IPv4 loopback)."""
    with open(path) as handle:
        endpoints = json.load(handle)
    for name in ("api", "persister", "waitingroom"):
        if isinstance(endpoints.get(name), str):
            endpoints[name] = endpoints[name].replace("://localhost:", "://127.0.0.1:")
    return endpoints


def wrk_settings():
    return load.WrkSettings(
        threads=int(os.environ.get("WRK_THREADS", "2")),
        connections=int(os.environ.get("WRK_CONNECTIONS", "64")),
        duration=os.environ.get("WRK_DURATION", "20s"),
        warmup=os.environ.get("WRK_WARMUP", "5s"),
    )


def cmd_measure(args):
    endpoints = load_endpoints(args.endpoints)
    strings = endpoints["connectionStrings"]
    api = Api(endpoints["api"], endpoints.get("adminApiKey"))
    cluster = GRAPHS[args.graph].redis_cluster
    redis = RedisCluster(strings["redis"]) if cluster else Redis(strings["redis"])
    postgres = Postgres(strings["fluxgate"])
    graph = procstat.Graph(args.apphost_pid)
    roles = required_roles(graph, cluster)
    missing = graph.missing(roles)
    if missing:
        sys.exit(f"could not find the graph's {', '.join(missing)} process(es) of AppHost pid {args.apphost_pid}")
    print(f"[bench] graph {args.graph}: " + ", ".join(f"{k}={v}" for k, v in graph.pids.items()), file=sys.stderr)

    settings = wrk_settings()
    partial = {"graph": args.graph, "graph_description": GRAPHS[args.graph].description,
               "settings": vars(settings), "pids": graph.pids, "scenarios": []}
    run_id = time.strftime("%H%M%S")

    if args.ceiling and not cluster:
        requests = int(os.environ.get("CEILING_REQUESTS", "2000000"))
        print(f"[bench] ceiling: redis-benchmark EVALSHA order_batch.lua, {requests:,} calls", file=sys.stderr)
        partial["ceiling"] = load.redis_ceiling(redis, settings.connections, int(os.environ.get("CEILING_PIPELINE", "16")),
                                                requests, 600_000)
        print(f"[bench] ceiling: {partial['ceiling']['rps']:,.0f} calls/s", file=sys.stderr)

    for name in selected(args.scenarios):
        scenario = SCENARIOS[name]
        if scenario.graph != args.graph:
            continue
        print(f"[bench] {name}: {scenario.description}", file=sys.stderr)
        try:
            run_scenario = measure.run_cluster_scenario if cluster else measure.run_scenario
            result = run_scenario(scenario, run_id, api, redis, postgres, graph, settings, args.drain_timeout)
            print(f"[bench] {name}: {result['rps']:,.0f} req/s, {result['orders_per_s']:,.0f} orders/s, "
                  f"p99 {result['p99_ms']} ms, statuses {result['statuses']}, invariants "
                  f"{'ok' if result['invariants_ok'] else result['invariants']['failures']}", file=sys.stderr)
        except Exception as error:  # one scenario failing must not hide the others' results
            traceback.print_exc()
            result = {"name": name, "graph": args.graph, "error": str(error)}
        partial["scenarios"].append(result)
        dead = [role for role in roles if not procstat.alive(graph.pids[role])]
        if dead:
            print(f"[bench] {', '.join(dead)} exited during {name}: stopping this graph's scenarios", file=sys.stderr)
            result.setdefault("error", f"{', '.join(dead)} exited during the scenario (see bench/results/apphost-{args.graph}.log)")
            break

    # The ceiling last: its millions of keys would otherwise sit in Redis (and grow its tables) during the scenarios.
    if args.ceiling and cluster:
        requests = int(os.environ.get("CEILING_REQUESTS", "2000000"))
        print(f"[bench] cluster ceiling: redis-benchmark EVALSHA order_batch.lua on K = 1 and 3 stock buckets (one "
              f"master each), {requests:,} decisions per run", file=sys.stderr)
        try:
            shard_pids = {int(role.split(":")[1]): pid for role, pid in graph.pids.items() if role.startswith("redis:")}
            partial["cluster_ceiling"] = load.cluster_ceiling(redis, settings.connections, int(os.environ.get("CEILING_PIPELINE", "16")),
                                                              requests, 60_000, shard_pids)
            for k in ("k1", "k3"):
                if k in partial["cluster_ceiling"]:
                    one, batch = partial["cluster_ceiling"][k]["one_per_call"], partial["cluster_ceiling"][k][f"calls_of_{load.BATCH}"]
                    print(f"[bench] cluster ceiling {k}: {one['decisions_per_s_wall']:,} decisions/s one per call, "
                          f"{batch['decisions_per_s_wall']:,} in calls of {load.BATCH}", file=sys.stderr)
        except Exception as error:
            traceback.print_exc()
            partial["ceiling_error"] = str(error)
    elif args.ceiling:
        requests = int(os.environ.get("CEILING_REQUESTS", "2000000"))
        print(f"[bench] ceiling: redis-benchmark EVALSHA order_batch.lua, {requests:,} calls", file=sys.stderr)
        try:
            partial["ceiling"] = load.redis_ceiling(redis, settings.connections, int(os.environ.get("CEILING_PIPELINE", "16")),
                                                    requests, 60_000)
            print(f"[bench] ceiling: {partial['ceiling']['rps']:,.0f} decisions/s one per call, "
                  f"{partial['ceiling']['batch_decisions_per_s']:,.0f} in calls of {partial['ceiling']['batch']} "
                  f"(one repeated key: {partial['ceiling']['duplicate_path_rps']:,.0f})", file=sys.stderr)
        except Exception as error:
            traceback.print_exc()
            partial["ceiling_error"] = str(error)

    with open(args.out, "w") as handle:
        json.dump(partial, handle, indent=2)
    if "ceiling_error" in partial or any("error" in s for s in partial["scenarios"]):
        return 1


def cmd_drive(args):
    """Load without measurement (for profiling): init the product, then wrk for a while."""
    endpoints = load_endpoints(args.endpoints)
    api = Api(endpoints["api"], endpoints.get("adminApiKey"))
    if args.stock is not None:
        api.init_stock(args.product, args.stock)
    run = load.run_wrk(api.url, wrk_settings(), args.duration, args.product, args.mode, f"d{time.strftime('%H%M%S')}")
    print(json.dumps(run.result))


def machine_busy(scenarios, load_at_start, busy_load):
    """Busy: others used more than a tenth of a core during any measured run, or the load was high at the start."""
    shares = [s["cpu_seconds"].get("other", 0) / s["duration_s"] for s in scenarios if "error" not in s and s.get("duration_s")]
    return bool((shares and max(shares) > 0.1) or (load_at_start and load_at_start[0] >= busy_load))


def cmd_report(args):
    partials = []
    for path in args.partial:
        with open(path) as handle:
            partials.append(json.load(handle))
    results = {s["name"]: s for p in partials for s in p["scenarios"]}
    ceiling = next((p["ceiling"] for p in partials if p.get("ceiling")), None)
    cluster_ceiling = next((p["cluster_ceiling"] for p in partials if p.get("cluster_ceiling")), None)
    scenarios = []
    for name in selected(args.scenarios):
        scenario = results.get(name) or {"name": name, "error": "not run (its graph did not start?)"}
        if "error" not in scenario:
            scenario["ceiling_rps"] = ceiling["rps"] if ceiling else None
            # The decision script's ceiling is an order decision per call: compare it with decisions per second.
            # It is measured on the single Redis, not on a cluster's shard: no ratio for the cluster's scenarios.
            if ceiling and not GRAPHS[SCENARIOS[name].graph].redis_cluster:
                rate = scenario["orders_per_s"] if SCENARIOS[name].sustained_accepts else scenario["rps"]
                scenario["ratio_to_ceiling"] = round(rate / ceiling["rps"], 3)
        scenarios.append(scenario)

    load_at_start = [float(x) for x in args.load_at_start.split()] if args.load_at_start else None
    document = {
        "machine": report.machine_info(load_at_start),
        "machine_busy": machine_busy(scenarios, load_at_start, args.busy_load),
        "settings": partials[0]["settings"] if partials else vars(wrk_settings()),
        "graphs": {p["graph"]: p["graph_description"] for p in partials},
        "ceiling": ceiling,
        "scenarios": scenarios,
    }
    if cluster_ceiling:
        document["cluster_ceiling"] = cluster_ceiling
    report.write(document, args.out)
    print(report.markdown(document))
    failed = [s["name"] for s in scenarios if "error" in s or not s.get("invariants_ok")]
    if failed:
        print(f"\n[bench] FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plan"); p.add_argument("scenarios", nargs="*"); p.set_defaults(run=cmd_plan)
    p = sub.add_parser("graph-settings"); p.add_argument("graph", choices=GRAPHS); p.set_defaults(run=cmd_graph_settings)
    p = sub.add_parser("graph-pids"); p.add_argument("pid", type=int); p.set_defaults(run=cmd_graph_pids)
    p = sub.add_parser("api-pid"); p.add_argument("pid", type=int); p.set_defaults(run=cmd_api_pid)
    p = sub.add_parser("measure")
    p.add_argument("--endpoints", required=True)
    p.add_argument("--apphost-pid", type=int, required=True, help="appHostPid of endpoints.json")
    p.add_argument("--graph", choices=GRAPHS, required=True)
    p.add_argument("--ceiling", action="store_true", help="also measure the redis-benchmark ceiling on this graph's Redis")
    p.add_argument("--drain-timeout", type=float, default=float(os.environ.get("DRAIN_TIMEOUT", "300")))
    p.add_argument("--out", required=True)
    p.add_argument("scenarios", nargs="*")
    p.set_defaults(run=cmd_measure)
    p = sub.add_parser("drive")
    p.add_argument("--endpoints", required=True)
    p.add_argument("--product", required=True)
    p.add_argument("--stock", type=int)
    p.add_argument("--mode", default="unique", choices=["unique", "duplicate"])
    p.add_argument("--duration", default="20s")
    p.set_defaults(run=cmd_drive)
    p = sub.add_parser("report")
    p.add_argument("--partial", action="append", default=[], help="a measure --out file; repeatable")
    p.add_argument("--out", required=True)
    p.add_argument("--load-at-start", default="")
    p.add_argument("--busy-load", type=float, default=2.0, help="1-min load average at start that marks the machine busy")
    p.add_argument("scenarios", nargs="*")
    p.set_defaults(run=cmd_report)
    args = parser.parse_args()
    sys.exit(args.run(args) or 0)


if __name__ == "__main__":
    main()
