"""One scenario against a running graph: warm up, measure, then check the invariants and the persister's drain."""

import os
import time

import load
import procstat
from clients import Postgres, Redis
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


def run_scenario(scenario, run_id, api, redis: Redis, postgres: Postgres, graph: procstat.Graph, settings, drain_timeout):
    product = f"bench-{scenario.name}-{run_id}"
    warmup_product = f"{product}-warmup"
    stock_key = f"fg:{{{product}}}:stock"

    api.init_stock(warmup_product, scenario.stock)
    api.init_stock(product, scenario.stock)

    # Warm-up on its own product: JIT, connection pools and Kafka batches settle; the measured product stays clean.
    warmup = load.run_wrk(api.url, settings, settings.warmup, warmup_product, scenario.mode, f"{run_id}w")
    if warmup.result["accepted"]:
        # Let the persister catch up so the measured window does not pay for the warm-up's backlog.
        wait_for_rows(postgres, warmup_product, warmup.result["accepted"], drain_timeout)

    api_pid = graph.pids.get("api")
    procstat.reset_peak_rss(api_pid)
    counters = RuntimeCounters(api_pid)
    load_before = os.getloadavg()
    redis_before = redis.stats()
    before = graph.snapshot()
    run = load.run_wrk(api.url, settings, settings.duration, product, scenario.mode, f"{run_id}m")
    after = graph.snapshot()
    redis_after = redis.stats()
    load_after = os.getloadavg()
    api_rss = procstat.peak_rss_mb(api_pid)

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
        "name": scenario.name,
        "graph": scenario.graph,
        "product_id": product,
        "duration_s": round(duration, 2),
        "requests": wrk["requests"],
        "rps": round(wrk["requests"] / duration, 1),
        "orders_per_s": round(wrk["accepted"] / duration, 1),
        "p50_ms": wrk["latency_us"]["p50"] / 1000,
        "p90_ms": wrk["latency_us"]["p90"] / 1000,
        "p99_ms": wrk["latency_us"]["p99"] / 1000,
        "p999_ms": wrk["latency_us"]["p999"] / 1000,
        "max_ms": wrk["latency_us"]["max"] / 1000,
        "statuses": dict(sorted(wrk["statuses"].items())),
        "accepted": wrk["accepted"],
        "duplicates_ignored": wrk["ignored"],
        "socket_errors": {k: v for k, v in wrk["errors"].items() if k != "status" and v},
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
