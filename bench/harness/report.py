"""bench/results/latest.json and the markdown table printed on stdout."""

import json
import os
import platform
import subprocess
import time

# Issue 6's targets on a 2-core machine with the load generator on the same cores.
TARGETS = {
    "accept_heavy_orders_per_s": 37_500,
    "accept_heavy_p99_ms": 5.0,
    "sold_out_rps": 64_000,
    "api_cpu_us_per_order": 30.0,
    "api_rss_mb": 300.0,
}


def machine_info(load_at_start):
    def read(path):
        with open(path) as handle:
            return handle.read()

    model = next((line.split(":", 1)[1].strip() for line in read("/proc/cpuinfo").splitlines()
                  if line.startswith("model name")), platform.processor())
    mem_kb = int(next(line.split()[1] for line in read("/proc/meminfo").splitlines() if line.startswith("MemTotal:")))
    try:
        dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except OSError:
        dotnet = None
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu_model": model,
        "kernel": platform.release(),
        "dotnet_version": dotnet,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_avg_at_start": load_at_start,
        "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
    }


def _fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def _statuses(statuses, accepted, ignored):
    parts = []
    for status, count in statuses.items():
        if status == "200" and (accepted or ignored):
            detail = "+".join(p for p in (f"{accepted:,} ok" if accepted else "", f"{ignored:,} dup" if ignored else "") if p)
            parts.append(f"200×{count:,} ({detail})")
        else:
            parts.append(f"{status}×{count:,}")
    return " ".join(parts)


def markdown(document):
    machine = document["machine"]
    settings = document["settings"]
    ceiling = document.get("ceiling") or {}
    lines = [
        f"FluxGate bench — {machine['date']} — {machine['cores']} cores {machine['cpu_model']}, "
        f"{machine['memory_gib']} GiB, .NET SDK {machine['dotnet_version']}; load average at start "
        f"{machine['load_avg_at_start']}, at end {machine['load_avg_at_end']}"
        + (" — MACHINE BUSY (other work took >10% of a core during a run, or load ≥ 2 at start; see 'other'): "
           "numbers are provisional" if document.get("machine_busy") else ""),
        f"wrk -t{settings['threads']} -c{settings['connections']} -d{settings['duration']} "
        f"(warm-up {settings['warmup']})"
        + (f"; ceiling: redis-benchmark EVALSHA order_batch.lua -c{ceiling.get('connections', '?')} "
           f"-P{ceiling.get('pipeline', '?')} = {_fmt(ceiling.get('rps'))} decisions/s one per call with a new key each, "
           f"{_fmt(ceiling.get('batch_decisions_per_s'))} in calls of {ceiling.get('batch', '?')} "
           f"(one repeated key, the duplicate path: {_fmt(ceiling.get('duplicate_path_rps'))} calls/s)"
           if ceiling else "; no single-Redis ceiling in this run"),
        "",
        "| scenario | req/s | orders/s | p50 ms | p90 ms | p99 ms | p99.9 ms | statuses | api µs/req | api µs/order "
        "| api RSS MB | ÷ ceiling | invariants | drain s |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|",
    ]
    for s in document["scenarios"]:
        if "error" in s:
            lines.append(f"| {s['name']} | FAILED: {s['error']} |" + " |" * 12)
            continue
        lines.append(
            f"| {s['name']} | {_fmt(s['rps'], 0)} | {_fmt(s['orders_per_s'], 0)} | {_fmt(s['p50_ms'], 2)} "
            f"| {_fmt(s['p90_ms'], 2)} | {_fmt(s['p99_ms'], 2)} | {_fmt(s['p999_ms'], 2)} "
            f"| {_statuses(s['statuses'], s['accepted'], s['duplicates_ignored'])} "
            f"| {_fmt(s['api_cpu_us_per_req'])} | {_fmt(s['api_cpu_us_per_order'])} | {_fmt(s['api_rss_mb'], 0)} "
            f"| {_fmt(s.get('ratio_to_ceiling'), 3)} | {'ok' if s['invariants_ok'] else 'FAIL'} "
            f"| {_fmt(s['drain_seconds'], 2)} |")

    roles = ["api", "redis", "persister", "postgres", "apphost", "dcp", "waitingroom", "wrk", "other"]
    lines += [
        "",
        "CPU seconds per process during the measured run (apphost = the AppHost process, which hosts the Kafka mock "
        "broker; dcp = Aspire's orchestrator and the `dotnet run` wrappers of the services; other = the rest of the "
        "machine meanwhile); box µs/req = all of them but other, per request, and "
        "cores ÷ that = the most this box could serve; the api's allocations and GCs:",
        "",
        "| scenario | " + " | ".join(roles) + " | redis µs/req | redis cmds/req | cmds/read | box µs/req | 2-core bound req/s | allocs B/req | gen0/1/2 GCs |",
        "|---|" + "---:|" * len(roles) + "---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in document["scenarios"]:
        if "error" in s:
            continue
        runtime = s.get("api_runtime") or {}
        gcs = "/".join(str(runtime.get(k, "–")) for k in ("gen0_gcs", "gen1_gcs", "gen2_gcs")) if runtime else "–"
        box = s.get("box_cpu_us_per_req")
        redis_io = s.get("redis_io") or {}
        bound = round(machine["cores"] * 1e6 / box) if box else None
        # On the cluster graph `redis` is the sum of its masters (each in the shards table below).
        cpu = {**s["cpu_seconds"], "redis": s["cpu_seconds"].get("redis", s.get("redis_cpu_seconds"))}
        lines.append(f"| {s['name']} | " + " | ".join(_fmt(cpu.get(r), 2) for r in roles)
                     + f" | {_fmt(s.get('redis_cpu_us_per_req'))} | {_fmt(redis_io.get('commands_per_req'), 2)}"
                     + f" | {_fmt(redis_io.get('commands_per_read'), 2)} | {_fmt(box)} | {_fmt(bound)}"
                     + f" | {_fmt(runtime.get('alloc_bytes_per_req'), 0)} | {gcs} |")

    lines += shard_lines(document["scenarios"])
    lines += cluster_ceiling_lines(document.get("cluster_ceiling"))

    latency_lines = []
    for s in document["scenarios"]:
        histograms = (s.get("api_runtime") or {}).get("histograms") or {}
        parts = [f"{name.replace('fluxgate.', '')}: p50 {h.get('p50', 0):.2f} / p95 {h.get('p95', 0):.2f} / p99 {h.get('p99', 0):.2f} ms "
                 f"(n={int(h.get('count', 0)):,})" for name, h in sorted(histograms.items()) if h.get("count")]
        if parts:
            latency_lines.append(f"- {s['name']}: " + "; ".join(parts))
    if latency_lines:
        lines += ["", "Inside the api (its own histograms, meter FluxGate.Api; mean of per-second quantiles):"] + latency_lines

    failures = [(s["name"], s["invariants"]["failures"]) for s in document["scenarios"]
                if "error" not in s and s["invariants"]["failures"]]
    if failures:
        lines += ["", "Invariant failures:"] + [f"- {name}: {'; '.join(f)}" for name, f in failures]

    lines += ["", "Targets (issue 6):"] + [f"- {line}" for line in target_lines(document["scenarios"])]
    return "\n".join(lines)


def shard_lines(scenarios):
    """The cluster graph's scenarios: one row per master (redis-server process)."""
    clustered = [s for s in scenarios if "error" not in s and s.get("shards")]
    if not clustered:
        return []
    lines = [
        "",
        "Redis Cluster, per master (one redis-server each) during the measured run: CPU per order is over all the run's "
        "orders; 'own' divides by the orders its buckets decided (initial + received − given − stock of each bucket it "
        "owns); commands from INFO stats and INFO commandstats, each redis.call inside a script counted; evalsha = the "
        "batched decision and confirm calls; other = the other commands per order, those inside the scripts included "
        "(the status index is written by the confirm script, in the slot of the order's bucket):",
        "",
        "| scenario | K | master | slots | buckets | orders decided (share) | CPU s | µs/order | µs/own order "
        "| cmds/order | cmds/read | evalsha calls | µs/evalsha | other cmds/order (top) |",
        "|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in clustered:
        orders = s["accepted"] or 0
        for shard in s["shards"]:
            others = {name: v["calls"] for name, v in shard["commandstats"].items() if name != "evalsha"}
            top = ", ".join(f"{name} {calls / orders:.2f}" for name, calls in sorted(others.items(), key=lambda kv: -kv[1])[:3]
                            if orders) or "–"
            per_call = round(shard["evalsha_usec"] / shard["evalsha_calls"], 1) if shard["evalsha_calls"] else None
            lines.append(
                f"| {s['name']} | {s.get('stock_buckets', 1)} | :{shard['port']} | {shard['slots']} "
                f"| {' '.join(shard['buckets']) or '–'} | {_fmt(shard['orders_decided'])} ({shard['share_of_orders']:.0%}) "
                f"| {_fmt(shard['cpu_seconds'], 2)} | {_fmt(shard['cpu_us_per_order'])} | {_fmt(shard['cpu_us_per_own_order'])} "
                f"| {_fmt(shard['commands_per_order'], 2)} | {_fmt(shard['commands_per_read'], 2)} | {_fmt(shard['evalsha_calls'])} "
                f"| {_fmt(per_call)} | {top} |")
        lines.append(
            f"| {s['name']} | {s.get('stock_buckets', 1)} | **all** | | | {_fmt(orders)} accepted "
            f"| {_fmt(s.get('redis_cpu_seconds'), 2)} | {_fmt(s.get('redis_cpu_us_per_order'))} | "
            f"| {_fmt((s.get('redis_io') or {}).get('commands_per_req'), 2)} | {_fmt((s.get('redis_io') or {}).get('commands_per_read'), 2)} "
            f"| | | settled {_fmt((s['invariants'] or {}).get('settle_seconds'), 2)} s after the drain |")
    return lines


def cluster_ceiling_lines(ceiling):
    if not ceiling:
        return []
    lines = [
        "",
        f"Cluster ceiling: redis-benchmark EVALSHA order_batch.lua, one hot product over K stock buckets, one "
        f"redis-benchmark per bucket at once (each on its bucket's master, -c{ceiling['connections']}/K "
        f"-P{ceiling['pipeline']}, {ceiling['requests']:,} decisions per run in all); decisions/s = all decisions ÷ the "
        f"slowest process's wall time; per master: its own rate, its CPU µs per decision:",
        "",
        "| K | per call | decisions/s | per master |",
        "|---:|---|---:|---|",
    ]
    for k in ("k1", "k3"):
        for mode, runs in (ceiling.get(k) or {}).items():
            per = "; ".join(f":{s['port']} {s['decisions_per_s']:,}/s {_fmt(s.get('cpu_us_per_decision'), 2)} µs"
                            for s in runs["shards"])
            lines.append(f"| {k[1:]} | {mode.replace('_', ' ')} | {_fmt(runs['decisions_per_s_wall'])} | {per} |")
    return lines


def target_lines(scenarios):
    by_name = {s["name"]: s for s in scenarios if "error" not in s}
    out = []

    def check(label, value, target, higher_is_better=True, unit=""):
        if value is None:
            out.append(f"{label}: not measured")
            return
        met = value >= target if higher_is_better else value <= target
        ratio = value / target if target else 0
        out.append(f"{label}: {value:,.1f}{unit} vs {'≥' if higher_is_better else '≤'} {target:,}{unit} — "
                   f"{'met' if met else 'MISSED'} ({ratio:.0%} of target)")

    accept = by_name.get("accept-heavy")
    sold = by_name.get("sold-out")
    check("accept-heavy orders/s", accept and accept["orders_per_s"], TARGETS["accept_heavy_orders_per_s"])
    check("accept-heavy p99", accept and accept["p99_ms"], TARGETS["accept_heavy_p99_ms"], False, " ms")
    check("sold-out req/s", sold and sold["rps"], TARGETS["sold_out_rps"])
    check("api CPU per accepted order (accept-heavy)", accept and accept["api_cpu_us_per_order"],
          TARGETS["api_cpu_us_per_order"], False, " µs")
    peak = max((s["api_rss_mb"] for s in by_name.values() if s.get("api_rss_mb") is not None), default=None)
    check("api peak RSS (any scenario)", peak, TARGETS["api_rss_mb"], False, " MB")
    if accept and accept.get("drain_seconds") is not None:
        # Keeping up: whatever was still unwritten when the load stopped is written within a second
        # (or 5% of the load's duration), so the persister's rate is at least the api's.
        allowed = max(1.0, 0.05 * accept["duration_s"])
        met = accept["drain_seconds"] <= allowed
        out.append(f"persister keeps up (accept-heavy): backlog {accept.get('persister_backlog_at_end', '?'):,} rows when "
                   f"the load stopped, drained {accept['drain_seconds']:.2f} s later (≤ {allowed:.1f} s) — "
                   f"{'met' if met else 'MISSED'}; {accept.get('persister_rows_per_s', 0):,.0f} rows/s over load + drain "
                   f"vs {accept['orders_per_s']:,.0f} orders/s")
    elif accept:
        out.append("persister keeps up: MISSED — it did not drain within the timeout")
    return out


def write(document, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
