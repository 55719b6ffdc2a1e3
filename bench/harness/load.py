"""Load generators: wrk against POST /order, and redis-benchmark running the decision script (the ceiling)."""

import hashlib
import json
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import procstat
from clients import key_slot

BENCH_DIR = Path(__file__).resolve().parent.parent
WRK_SCRIPT = BENCH_DIR / "wrk" / "order.lua"
REPO_ROOT = BENCH_DIR.parent
ORDER_SCRIPT = REPO_ROOT / "src" / "FluxGate.Api" / "Redis" / "Scripts" / "order_batch.lua"


@dataclass
class WrkSettings:
    threads: int
    connections: int
    duration: str
    warmup: str
    timeout: str = "5s"


@dataclass
class WrkRun:
    result: dict           # the @@BENCH line of wrk/order.lua's done()
    cpu_seconds: float     # wrk's own user+system CPU
    started: float
    ended: float


def run_wrk(api_url, settings, duration, product_id, mode, run_tag):
    command = [
        "wrk", f"-t{settings.threads}", f"-c{settings.connections}", f"-d{duration}", f"--timeout={settings.timeout}",
        "--latency", "-s", str(WRK_SCRIPT), api_url, "--", product_id, mode, run_tag,
    ]
    # wrk is the only child reaped in between, so the children's rusage delta is wrk's own CPU.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.communicate()
    ended = time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    line = next((l for l in stdout.splitlines() if l.startswith("@@BENCH ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({process.returncode}): {stderr.strip() or stdout.strip()}")
    return WrkRun(json.loads(line[len("@@BENCH "):]), round(cpu, 2), started, ended)


def script_sha(path=ORDER_SCRIPT):
    """SHA1 of the script as the api loads it (the file's exact bytes)."""
    return hashlib.sha1(path.read_bytes()).hexdigest()


BATCH = 32
ORDER_ARGS = ["__rand_int__", "n", "bench-customer", ""]  # order id, tier, customer id, admission ticket


def load_order_script(redis):
    sha = redis.call("SCRIPT", "LOAD", ORDER_SCRIPT.read_text())
    if sha != script_sha():
        raise RuntimeError(f"SCRIPT LOAD returned {sha}, expected {script_sha()}")
    return sha


def _shared_keys(tag):
    # order_batch.lua (OrderBatchCall.cs): 7 shared keys (no tiers: both tier buckets are the product's). The records
    # hash only has to be in the product's slot: the product's own tag serves.
    return [f"{tag}:stock", f"{tag}:orders", f"{tag}:purchases", f"{tag}:ledger", f"{tag}:keys-until", f"{tag}:rate", f"{tag}:rate"]


def _shared_args(idempotency_ttl_ms, decisions):
    # 11 shared values: no confirms, the decisions, TTLs, rates far out of the way, no per-shopper limit.
    return ["0", str(decisions), str(idempotency_ttl_ms), "3600000", "600000", "100000000", "100000000",
            "100000000", "100000000", "0", "1"]


def order_args(redis, sha, product_id, idempotency_ttl_ms):
    """The values order_batch.lua takes per decision: order id, tier, customer id, admission ticket, and the count of
    stock buckets the api routed the order by (1: the product has no stockBuckets in its ledger)."""
    return ORDER_ARGS + ["1"]


def prepare_ceiling_product(redis, product_id, stock=10**15):
    tag = f"fg:{{{product_id}}}"
    redis.call("SET", f"{tag}:stock", stock)
    redis.call("DEL", f"{tag}:rate", f"{tag}:purchases", f"{tag}:orders")


def benchmark_command(redis, sha, product_id, per_decision, idempotency_ttl_ms, connections, pipeline, count,
                      decisions=1, random_keys=True):
    """redis-benchmark EVALSHA order_batch.lua: `decisions` orders per call on one product (or stock bucket), each
    with a new idempotency key (__rand_int__: redis-benchmark gives each occurrence its own number)."""
    tag = f"fg:{{{product_id}}}"
    keys = _shared_keys(tag) + [f"{tag}:idem:__rand_int__"] * decisions
    args = _shared_args(idempotency_ttl_ms, decisions) + per_decision * decisions
    command = ["redis-benchmark", *redis.cli_args(), "-c", str(connections), "-P", str(pipeline), "-n", str(count), "--csv"]
    if random_keys:
        command += ["-r", "2000000000"]
    return command + ["EVALSHA", sha, str(len(keys)), *keys, *args]


def benchmark_rps(stdout):
    # --csv: a header line, then "EVALSHA …","<rps>",… for the one test.
    rows = [line for line in stdout.splitlines() if line.startswith('"EVALSHA')]
    if not rows:
        raise RuntimeError(f"redis-benchmark printed no result: {stdout.strip()}")
    return float(rows[-1].split('","')[1].strip('"'))


def redis_ceiling(redis, connections, pipeline, requests, idempotency_ttl_ms, product_id="bench-ceiling"):
    """The decision script alone: redis-benchmark EVALSHA order_batch.lua deciding one order per call, each with a
    unique key (the reservation path: a new key, a stock decrement, a token), on a product whose stock and rate never
    run out. Returns decisions/s for one order per call (what the api does when idle), for BATCH orders per call (what
    it does under load: the batched decision), and for reference one order per call on one repeated key (the duplicate
    path: one GET), which is what a redis-benchmark run without -r measures."""
    sha = load_order_script(redis)
    tag = f"fg:{{{product_id}}}"
    stock_key = f"{tag}:stock"
    prepare_ceiling_product(redis, product_id)
    per_decision = order_args(redis, sha, product_id, idempotency_ttl_ms)
    prepare_ceiling_product(redis, product_id)

    def run(random_keys, count, decisions=1):
        command = benchmark_command(redis, sha, product_id, per_decision, idempotency_ttl_ms, connections, pipeline,
                                    count, decisions, random_keys)
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"redis-benchmark failed: {result.stderr.strip()}")
        return benchmark_rps(result.stdout)

    rps = run(True, requests)
    taken = 10**15 - redis.get_int(stock_key)
    if taken < requests * 0.99:
        raise RuntimeError(f"redis-benchmark reserved only {taken} of {requests} calls: the script did not decide as expected")
    batch_rps = run(True, max(1, requests // BATCH), BATCH) * BATCH
    # The records of millions of reservations would otherwise sit in Redis during the scenarios.
    redis.call("DEL", f"{tag}:orders")
    duplicate_rps = run(False, requests)
    return {"rps": rps, "requests": requests, "reserved": taken, "connections": connections, "pipeline": pipeline,
            "sha": sha, "batch": BATCH, "batch_decisions_per_s": batch_rps, "duplicate_path_rps": duplicate_rps}


def cluster_ceiling(cluster, connections, pipeline, requests, idempotency_ttl_ms, shard_pids=None,
                    product_id="bench-ceiling", bucket_counts=(1, 3)):
    """The decision script alone on the cluster, one hot product split over K stock buckets: K redis-benchmark
    processes at once, each on one bucket's tag owned by a different master (bucket 0 = the product's own tag, bucket
    b = the first <product>#n on the next master), requests and connections divided among them. Per K: decisions/s one
    per call and in calls of BATCH (sum of the processes' own rates, and all decisions ÷ the wall time of the
    slowest), per master its rate and its CPU per decision (/proc, `shard_pids` {port: pid})."""
    owners = cluster.slot_owners()
    masters = sorted({port for _, _, port in owners}, key=lambda port: min(a for a, _, p in owners if p == port))
    first = cluster.owner_of(key_slot(product_id), owners)
    order = masters[masters.index(first):] + masters[:masters.index(first)]
    tags, n = [product_id], 0
    for port in order[1:]:
        while True:
            n += 1
            if cluster.owner_of(key_slot(f"{product_id}#{n}"), owners) == port:
                tags.append(f"{product_id}#{n}")
                break
    shas = {}
    per_decision = None
    for tag, port in zip(tags, order):
        node = cluster.node(port)
        shas[port] = load_order_script(node)
        prepare_ceiling_product(node, tag)
        per_decision = per_decision or order_args(node, shas[port], tag, idempotency_ttl_ms)
        prepare_ceiling_product(node, tag)

    def run_together(k, decisions):
        calls = max(1, requests // decisions // k)
        processes, cpu_before, stock_before = [], {}, {}
        for tag, port in list(zip(tags, order))[:k]:
            node = cluster.node(port)
            stock_before[port] = node.get_int(f"fg:{{{tag}}}:stock")
            command = benchmark_command(node, shas[port], tag, per_decision, idempotency_ttl_ms, max(1, connections // k),
                                        pipeline, calls, decisions)
            if shard_pids and port in shard_pids:
                cpu_before[port] = procstat.cpu_ticks(shard_pids[port], include_reaped_children=True)
            processes.append((tag, port, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        started = time.time()
        shards, ended = [], started
        for tag, port, process in processes:
            stdout, stderr = process.communicate(timeout=900)
            ended = max(ended, time.time())
            if process.returncode != 0:
                raise RuntimeError(f"redis-benchmark on :{port} failed: {stderr.strip()}")
            # As redis_ceiling: the calls must have reserved, else the script answered something else (its layout).
            taken = stock_before[port] - cluster.node(port).get_int(f"fg:{{{tag}}}:stock")
            if taken < calls * decisions * 0.99:
                raise RuntimeError(f"redis-benchmark on :{port} reserved only {taken} of {calls * decisions} decisions: "
                                   "the script did not decide as expected")
            shards.append({"port": port, "tag": tag, "decisions": calls * decisions,
                           "decisions_per_s": round(benchmark_rps(stdout) * decisions)})
        for shard in shards:
            if shard["port"] in cpu_before:
                ticks = procstat.cpu_ticks(shard_pids[shard["port"]], include_reaped_children=True) - cpu_before[shard["port"]]
                shard["cpu_us_per_decision"] = round(ticks / procstat.CLOCK_TICKS * 1e6 / shard["decisions"], 2)
        wall = ended - started
        return {"decisions_per_s_sum": sum(s["decisions_per_s"] for s in shards),
                "decisions_per_s_wall": round(sum(s["decisions"] for s in shards) / wall) if wall > 0 else None,
                "shards": shards}

    results = {}
    for k in bucket_counts:
        if k > len(order):
            continue
        results[f"k{k}"] = {"one_per_call": run_together(k, 1), f"calls_of_{BATCH}": run_together(k, BATCH)}
        for tag, port in list(zip(tags, order))[:k]:
            cluster.node(port).call("DEL", f"fg:{{{tag}}}:orders")
    return {"requests": requests, "connections": connections, "pipeline": pipeline, "batch": BATCH,
            "tags": dict(zip(tags, order)), **results}
