"""Load generators: wrk against POST /order, and redis-benchmark running the decision script (the ceiling)."""

import hashlib
import json
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

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


def redis_ceiling(redis, connections, pipeline, requests, idempotency_ttl_ms, product_id="bench-ceiling"):
    """The decision script alone: redis-benchmark EVALSHA order_batch.lua deciding one order per call, each with a
    unique key (the reservation path: a new key, a stock decrement, a token), on a product whose stock and rate never
    run out. Returns decisions/s for one order per call (what the api does when idle), for BATCH orders per call (what
    it does under load: the batched decision), and for reference one order per call on one repeated key (the duplicate
    path: one GET), which is what a redis-benchmark run without -r measures."""
    sha = redis.call("SCRIPT", "LOAD", ORDER_SCRIPT.read_text())
    if sha != script_sha():
        raise RuntimeError(f"SCRIPT LOAD returned {sha}, expected {script_sha()}")
    tag = f"fg:{{{product_id}}}"
    stock_key = f"{tag}:stock"
    redis.call("SET", stock_key, 10**15)
    redis.call("DEL", f"{tag}:rate", f"{tag}:purchases", f"{tag}:inflight")

    def layout(decisions):
        # order_batch.lua: 8 shared keys (no tiers: both tier buckets are the product's), then one idempotency key per
        # decision (per-shopper buckets off, no admission ticket: the defaults); 11 shared values (no confirms), then
        # per decision: order id, tier, customer id, ticket. redis-benchmark gives every __rand_int__ its own number.
        keys = [stock_key, f"{tag}:inflight", f"{tag}:purchases", f"{tag}:unpersisted", f"{tag}:ledger", f"{tag}:keys-until",
                f"{tag}:rate", f"{tag}:rate"] + [f"{tag}:idem:__rand_int__"] * decisions
        args = ["0", str(decisions), str(idempotency_ttl_ms), "3600000", "600000", "100000000", "100000000",
                "100000000", "100000000", "0", "1"] + ["__rand_int__", "n", "bench-customer", ""] * decisions
        return keys, args

    def run(random_keys, count, decisions=1):
        keys, args = layout(decisions)
        command = ["redis-benchmark", *redis.cli_args(), "-c", str(connections), "-P", str(pipeline), "-n", str(count), "--csv"]
        if random_keys:
            command += ["-r", "2000000000"]
        command += ["EVALSHA", sha, str(len(keys)), *keys, *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"redis-benchmark failed: {result.stderr.strip()}")
        # --csv: a header line, then "EVALSHA …","<rps>",… for the one test.
        rows = [line for line in result.stdout.splitlines() if line.startswith('"EVALSHA')]
        if not rows:
            raise RuntimeError(f"redis-benchmark printed no result: {result.stdout.strip()}")
        return float(rows[-1].split('","')[1].strip('"'))

    rps = run(True, requests)
    taken = 10**15 - redis.get_int(stock_key)
    if taken < requests * 0.99:
        raise RuntimeError(f"redis-benchmark reserved only {taken} of {requests} calls: the script did not decide as expected")
    batch_rps = run(True, max(1, requests // BATCH), BATCH) * BATCH
    # The in-flight records of millions of reservations would otherwise sit in Redis during the scenarios.
    redis.call("DEL", f"{tag}:inflight")
    duplicate_rps = run(False, requests)
    return {"rps": rps, "requests": requests, "reserved": taken, "connections": connections, "pipeline": pipeline,
            "sha": sha, "batch": BATCH, "batch_decisions_per_s": batch_rps, "duplicate_path_rps": duplicate_rps}
