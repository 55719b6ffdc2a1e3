"""One scenario against a running graph: warm up, measure, then check the invariants and the persister's drain."""

import os
import time

import load
import procstat
from clients import Postgres, Redis, key_slot
from runtime_counters import RuntimeCounters

DRAIN_POLL_SECONDS = 0.2
NO_SCHEMA_TIMEOUT = 30


def _seconds(duration):
    units = {"s": 1, "m": 60, "h": 3600}
    return float(duration[:-1]) * units[duration[-1]] if duration[-1] in units else float(duration)


def wait_for_rows(postgres, product_id, target, timeout):
    """The time at which PostgreSQL held `target` orders of the product (None on timeout), the last count,
    and the first count (what was already there when the wait began). Without an orders table after
    NO_SCHEMA_TIMEOUT seconds the persister is not doing its job: no point waiting the full timeout."""
    started = time.time()
    deadline = started + timeout
    rows = first = postgres.order_rows(product_id)
    while (rows is None or rows < target) and time.time() < deadline:
        if rows is None and time.time() - started > NO_SCHEMA_TIMEOUT:
            raise RuntimeError("PostgreSQL has no orders table: is the persister running and migrating its schema?")
        time.sleep(DRAIN_POLL_SECONDS)
        rows = postgres.order_rows(product_id)
    return (time.time() if rows >= target else None), rows, first or 0


def _redis_io(before, after, requests):
    delta = {name: after[name] - before[name] for name in before if name in after}
    commands, reads = delta.get("total_commands_processed"), delta.get("total_reads_processed")
    return {
        **delta,
        "commands_per_req": round(commands / requests, 2) if commands is not None and requests else None,
        "commands_per_read": round(commands / reads, 2) if commands is not None and reads else None,
    }


def _load_figures(scenario, product, wrk, duration, accepted):
    """What wrk saw of a measured run, the same for every graph: rates, latency percentiles, statuses."""
    return {
        "name": scenario.name,
        "graph": scenario.graph,
        "product_id": product,
        "duration_s": round(duration, 2),
        "requests": wrk["requests"],
        "rps": round(wrk["requests"] / duration, 1),
        "orders_per_s": round(accepted / duration, 1),
        "p50_ms": wrk["latency_us"]["p50"] / 1000,
        "p90_ms": wrk["latency_us"]["p90"] / 1000,
        "p99_ms": wrk["latency_us"]["p99"] / 1000,
        "p999_ms": wrk["latency_us"]["p999"] / 1000,
        "max_ms": wrk["latency_us"]["max"] / 1000,
        "statuses": dict(sorted(wrk["statuses"].items())),
        "accepted": accepted,
        "duplicates_ignored": wrk["ignored"],
        "socket_errors": {k: v for k, v in wrk["errors"].items() if k != "status" and v},
    }


def _warm_up_and_measure(scenario, run_id, api, redis_stats, postgres, graph, settings, drain_timeout, product, warmup_product):
    """The warm-up on its own product, then the measured wrk run with every process's CPU, Redis's stats (redis_stats:
    one server's or every master's), the load average, the api's runtime counters and peak RSS around it."""
    # Warm-up on its own product: JIT, connection pools and Kafka batches settle; the measured product stays clean.
    warmup = load.run_wrk(api.url, settings, settings.warmup, warmup_product, scenario.mode, f"{run_id}w")
    if warmup.result["accepted"]:
        # Let the persister catch up so the measured window does not pay for the warm-up's backlog.
        wait_for_rows(postgres, warmup_product, warmup.result["accepted"], drain_timeout)

    api_pid = graph.pids.get("api")
    procstat.reset_peak_rss(api_pid)
    counters = RuntimeCounters(api_pid)
    load_before = os.getloadavg()
    redis_before = redis_stats()
    before = graph.snapshot()
    run = load.run_wrk(api.url, settings, settings.duration, product, scenario.mode, f"{run_id}m")
    after = graph.snapshot()
    redis_after = redis_stats()
    load_after = os.getloadavg()
    return (warmup, run, counters, before, after, redis_before, redis_after, load_before, load_after,
            procstat.peak_rss_mb(api_pid))


def run_scenario(scenario, run_id, api, redis: Redis, postgres: Postgres, graph: procstat.Graph, settings, drain_timeout):
    product = f"bench-{scenario.name}-{run_id}"
    warmup_product = f"{product}-warmup"
    stock_key = f"fg:{{{product}}}:stock"

    api.init_stock(warmup_product, scenario.stock)
    api.init_stock(product, scenario.stock)

    (warmup, run, counters, before, after, redis_before, redis_after, load_before, load_after, api_rss) = _warm_up_and_measure(
        scenario, run_id, api, redis.stats, postgres, graph, settings, drain_timeout, product, warmup_product)

    # Invariants: every reservation (stock taken) was accepted (key 'a:'), is a row in PostgreSQL, and wrk saw
    # the 200s - except for responses still in flight when wrk stopped (at most one per connection).
    # The drain is timed first, from the end of the load; everything slower comes after it.
    stock_left = redis.get_int(stock_key)
    stock_taken = scenario.stock - (stock_left or 0)
    drain_before = graph.snapshot()
    drained_at, rows, rows_at_end = wait_for_rows(postgres, product, stock_taken, drain_timeout)
    drain_cpu = procstat.cpu_seconds(drain_before, graph.snapshot())
    # From the end of the load to the poll that saw the last row (resolution: one poll, ~0.2 s).
    drain_seconds = None if drained_at is None else 0.0 if stock_taken == 0 else drained_at - run.ended
    api_runtime = counters.stop(run.result["requests"])

    wrk = run.result
    duration = wrk["duration_us"] / 1e6
    cpu = procstat.cpu_seconds(before, after, {"wrk": run.cpu_seconds})
    api_cpu = cpu.get("api")
    result = {
        **_load_figures(scenario, product, wrk, duration, wrk["accepted"]),
        "cpu_seconds": cpu,
        "api_cpu_us_per_req": round(api_cpu * 1e6 / wrk["requests"], 1) if api_cpu is not None and wrk["requests"] else None,
        # Per accepted order only where (nearly) every request is one; elsewhere it divides by a handful.
        "api_cpu_us_per_order": (round(api_cpu * 1e6 / wrk["accepted"], 1)
                                 if api_cpu is not None and wrk["accepted"] and scenario.sustained_accepts else None),
        "api_rss_mb": round(api_rss, 1) if api_rss is not None else None,
        "redis_cpu_us_per_req": round(cpu["redis"] * 1e6 / wrk["requests"], 1) if cpu.get("redis") is not None and wrk["requests"] else None,
        # Everything the box spent per request (graph + wrk, not "other"): 2 cores ÷ this bounds the rate on this box.
        "box_cpu_us_per_req": round(sum(v for k, v in cpu.items() if k != "other") * 1e6 / wrk["requests"], 1) if wrk["requests"] else None,
        "api_runtime": api_runtime,
        # Commands per request counts the round trips' contents; commands per read shows how well they were
        # batched on the way in (each read is a syscall and an event-loop turn for the single-threaded server).
        "redis_io": _redis_io(redis_before, redis_after, wrk["requests"]),
        # Rewrites of the file during the run make this meaningless: BENCH_REDIS_CONFIG="auto-aof-rewrite-percentage 0".
        "aof_bytes_per_accepted": (round((redis_after["aof_current_size"] - redis_before["aof_current_size"]) / wrk["accepted"], 1)
                                   if wrk["accepted"] and "aof_current_size" in redis_before and "aof_current_size" in redis_after else None),
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in load_after],
        "warmup": {"duration": settings.warmup, "requests": warmup.result["requests"], "accepted": warmup.result["accepted"]},
    }

    server_accepted, pending = redis.idempotency_states(product)
    unanswered = server_accepted - wrk["accepted"]
    checks = {
        "accepted_by_wrk": wrk["accepted"],
        "accepted_in_redis": server_accepted,
        "pending_in_redis": pending,
        "stock_taken_in_redis": stock_taken,
        "rows_in_postgres": rows,
        "unanswered_at_cutoff": unanswered,
    }
    failures = []
    if not (rows == stock_taken == server_accepted):
        failures.append("rows in orders, stock taken and accepted keys differ")
    if pending:
        failures.append(f"{pending} keys still pending")
    if not 0 <= unanswered <= settings.connections:
        failures.append(f"accepted keys minus wrk's accepted = {unanswered}, outside 0..{settings.connections}")
    if scenario.expect_accepted is not None and server_accepted != scenario.expect_accepted:
        failures.append(f"expected {scenario.expect_accepted} accepted, found {server_accepted}")
    if stock_left is not None and stock_left < 0:
        failures.append(f"stock went negative ({stock_left})")
    result.update({
        "invariants_ok": not failures,
        "invariants": {**checks, "failures": failures},
        "drain_seconds": round(drain_seconds, 2) if drain_seconds is not None else None,
        "persister_backlog_at_end": stock_taken - rows_at_end,
        "drain_cpu_seconds": {k: v for k, v in drain_cpu.items() if k in ("persister", "postgres", "apphost")},
    })
    if scenario.sustained_accepts and drain_seconds is not None:
        # Orders arrive at a steady rate for the whole run: rows per second from the start of the load to the last row.
        result["persister_rows_per_s"] = round(rows / (duration + drain_seconds), 1)
    return result


# --- one hot product on the Redis Cluster (graph "cluster") --------------------------------------------------------

SETTLE_TIMEOUT = 60  # seconds after the drain for the api's invariant report to hold (in-flight resolved, set trimmed)


def stock_buckets(cluster, product_id):
    """The product's stock buckets as the cluster holds them, found on every master by their ledger
    (fg:{p}:ledger, fg:{p#n}:ledger): [{tag, slot, port, stock, ledger…, taken}], bucket 0 first."""
    found = cluster.scan_keys(f"fg:{{{product_id}[}}#]*:ledger")
    buckets = []
    for port, keys in found.items():
        node = cluster.node(port)
        for key in keys:
            tag = key[key.index("{") + 1:key.index("}")]
            if tag != product_id and not tag.startswith(product_id + "#"):
                continue
            ledger = {k: int(v) for k, v in node.hgetall(key).items() if v.lstrip("-").isdigit()}
            stock = node.get_int(f"fg:{{{tag}}}:stock")
            initial = ledger.get("initial", 0)
            taken = initial + ledger.get("received", 0) - ledger.get("given", 0) - (stock or 0)
            buckets.append({"tag": tag, "slot": key_slot(tag), "port": port, "stock": stock, "taken": taken,
                            **{k: ledger[k] for k in ("initial", "accepted", "cancelled", "given", "received", "stockBuckets")
                               if k in ledger}})
    return sorted(buckets, key=lambda b: (b["tag"] != product_id, b["tag"]))


def _commandstats_delta(before, after):
    delta = {}
    for name, now in after.items():
        was = before.get(name, {"calls": 0, "usec": 0})
        calls = now["calls"] - was["calls"]
        if calls > 0:
            delta[name] = {"calls": calls, "usec": now["usec"] - was["usec"]}
    return dict(sorted(delta.items(), key=lambda item: -item[1]["calls"]))


def wait_for_invariants(api, product_id, timeout):
    """Polls GET /admin/invariants/{productId} until the report holds (which needs it settled: nothing in flight,
    nothing unpersisted, the persister caught up with Kafka). Returns (seconds waited, last status, last report)."""
    started = time.time()
    while True:
        status, report = api.invariants(product_id)
        if status == 200 and isinstance(report, dict) and report.get("holds"):
            return time.time() - started, status, report
        if time.time() - started > timeout:
            return None, status, report
        time.sleep(0.5)


def run_cluster_scenario(scenario, run_id, api, cluster, postgres: Postgres, graph: procstat.Graph, settings, drain_timeout):
    """run_scenario for one hot product on the Redis Cluster: the same load and figures, plus per shard (each master:
    its CPU, commands, the buckets it owns and the orders they decided). The books are checked through the api's
    invariant report (which reads each bucket where it lives) and each bucket's ledger on its master, not by SCAN of
    idempotency keys."""
    product = f"bench-{scenario.name}-{run_id}"
    warmup_product = f"{product}-warmup"
    bucket_count = scenario.stock_buckets

    api.init_stock(warmup_product, scenario.stock, bucket_count)
    api.init_stock(product, scenario.stock, bucket_count)
    owners = cluster.slot_owners()

    shard_roles = [r for r in graph.redis_roles() if r.startswith("redis:")]
    (warmup, run, counters, before, after, redis_before, redis_after, load_before, load_after, api_rss) = _warm_up_and_measure(
        scenario, run_id, api, cluster.stats, postgres, graph, settings, drain_timeout, product, warmup_product)

    # Drain: until PostgreSQL holds every unit the buckets gave out when the load stopped (reservations in flight
    # included), then until the api's own report holds.
    at_end = stock_buckets(cluster, product)
    stock_taken = sum(b["taken"] for b in at_end)
    drain_before = graph.snapshot()
    drained_at, rows, rows_at_end = wait_for_rows(postgres, product, stock_taken, drain_timeout)
    drain_cpu = procstat.cpu_seconds(drain_before, graph.snapshot())
    drain_seconds = None if drained_at is None else 0.0 if stock_taken == 0 else drained_at - run.ended
    settle_seconds, report_status, report = wait_for_invariants(api, product, SETTLE_TIMEOUT)
    api_runtime = counters.stop(run.result["requests"])
    buckets = stock_buckets(cluster, product)
    rows = postgres.order_rows(product)

    wrk = run.result
    duration = wrk["duration_us"] / 1e6
    cpu = procstat.cpu_seconds(before, after, {"wrk": run.cpu_seconds})
    api_cpu = cpu.get("api")
    redis_cpu = round(sum(cpu.get(r, 0) for r in shard_roles), 2)
    orders = wrk["accepted"]

    def per_order(value, digits=1):
        return round(value / orders, digits) if value is not None and orders else None

    shards = []
    total_commands = total_reads = 0
    for role in shard_roles:
        port = int(role.split(":")[1])
        stats_before, stats_after = redis_before.get(port, {}), redis_after.get(port, {})
        commands = stats_after.get("total_commands_processed", 0) - stats_before.get("total_commands_processed", 0)
        reads = stats_after.get("total_reads_processed", 0) - stats_before.get("total_reads_processed", 0)
        total_commands += commands
        total_reads += reads
        commandstats = _commandstats_delta(stats_before.get("commandstats", {}), stats_after.get("commandstats", {}))
        own = [b for b in buckets if b["port"] == port]
        decided = sum(b["taken"] for b in own)
        shard_cpu = cpu.get(role)
        evalsha = commandstats.get("evalsha", {"calls": 0, "usec": 0})
        shards.append({
            "role": role,
            "port": port,
            "pid": graph.pids.get(role),
            "slots": ",".join(f"{a}-{b}" for a, b, p in owners if p == port),
            "buckets": [b["tag"] for b in own],
            "orders_decided": decided,
            "share_of_orders": round(decided / max(1, sum(b["taken"] for b in buckets)), 3),
            "cpu_seconds": shard_cpu,
            "cpu_us_per_order": per_order(shard_cpu * 1e6 if shard_cpu is not None else None),
            "cpu_us_per_own_order": round(shard_cpu * 1e6 / decided, 1) if shard_cpu is not None and decided else None,
            "commands": commands,
            "commands_per_order": per_order(commands, 2),
            "commands_per_read": round(commands / reads, 2) if reads else None,
            "evalsha_calls": evalsha["calls"],
            "evalsha_usec": evalsha["usec"],
            "commandstats": commandstats,
        })

    result = {
        **_load_figures(scenario, product, wrk, duration, orders),
        "stock_buckets": bucket_count,
        "cpu_seconds": cpu,
        "api_cpu_us_per_req": round(api_cpu * 1e6 / wrk["requests"], 1) if api_cpu is not None and wrk["requests"] else None,
        "api_cpu_us_per_order": per_order(api_cpu * 1e6 if api_cpu is not None else None),
        "api_rss_mb": round(api_rss, 1) if api_rss is not None else None,
        "redis_cpu_seconds": redis_cpu,
        "redis_cpu_us_per_req": round(redis_cpu * 1e6 / wrk["requests"], 1) if wrk["requests"] else None,
        "redis_cpu_us_per_order": per_order(redis_cpu * 1e6),
        "box_cpu_us_per_req": round(sum(v for k, v in cpu.items() if k != "other") * 1e6 / wrk["requests"], 1) if wrk["requests"] else None,
        "api_runtime": api_runtime,
        "redis_io": {
            "total_commands_processed": total_commands,
            "total_reads_processed": total_reads,
            "commands_per_req": round(total_commands / wrk["requests"], 2) if wrk["requests"] else None,
            "commands_per_read": round(total_commands / total_reads, 2) if total_reads else None,
        },
        "shards": shards,
        "buckets": buckets,
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in load_after],
        "warmup": {"duration": settings.warmup, "requests": warmup.result["requests"], "accepted": warmup.result["accepted"]},
    }

    accepted = sum(b.get("accepted", 0) for b in buckets)
    taken = sum(b["taken"] for b in buckets)
    unanswered = accepted - orders
    checks = {
        "accepted_by_wrk": orders,
        "accepted_in_redis": accepted,
        "stock_taken_in_redis": taken,
        "rows_in_postgres": rows,
        "unanswered_at_cutoff": unanswered,
        "buckets_found": len(buckets),
        "api_report_status": report_status,
        "api_report": report,
        "settle_seconds": round(settle_seconds, 2) if settle_seconds is not None else None,
    }
    failures = []
    if report_status != 200 or not isinstance(report, dict) or not report.get("holds"):
        problems = report.get("problems") if isinstance(report, dict) else report
        failures.append(f"GET /admin/invariants did not hold within {SETTLE_TIMEOUT} s of the drain ({report_status}: {problems})")
    elif not ((report.get("accepted") or 0) - (report.get("cancelled") or 0) == report.get("persisted") == report.get("stockTaken")):
        failures.append("the api's report holds but its counts differ")
    if isinstance(report, dict) and report.get("accepted") is not None and report["accepted"] != accepted:
        failures.append(f"the api's report counts {report['accepted']} accepted, the buckets' ledgers {accepted}")
    if not (rows == taken == accepted):
        failures.append("rows in orders, stock taken and accepted (buckets' ledgers) differ")
    if not 0 <= unanswered <= settings.connections:
        failures.append(f"accepted in Redis minus wrk's accepted = {unanswered}, outside 0..{settings.connections}")
    if len(buckets) != bucket_count:
        failures.append(f"{len(buckets)} stock bucket(s) found on the cluster, expected {bucket_count}")
    if any(b.get("stockBuckets", 1) != bucket_count for b in buckets):
        failures.append(f"a bucket's ledger says another bucket count than {bucket_count}")
    if len({b["port"] for b in buckets}) != min(bucket_count, len(shard_roles)):
        failures.append("the buckets do not spread over as many masters as they could")
    if any(b["stock"] is not None and b["stock"] < 0 for b in buckets):
        failures.append("a bucket's stock went negative")
    result.update({
        "invariants_ok": not failures,
        "invariants": {**checks, "failures": failures},
        "drain_seconds": round(drain_seconds, 2) if drain_seconds is not None else None,
        "persister_backlog_at_end": stock_taken - (rows_at_end or 0),
        "drain_cpu_seconds": {k: v for k, v in drain_cpu.items() if k in ("persister", "postgres", "apphost")},
    })
    if drain_seconds is not None:
        result["persister_rows_per_s"] = round(rows / (duration + drain_seconds), 1)
    return result
