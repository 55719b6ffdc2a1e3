"""The api's .NET runtime counters over the measured window, through bench/tools/RuntimeCounters
(an EventPipe client: what dotnet-counters shows, which the NuGet mirror here does not carry)."""

import json
import subprocess
import time
from pathlib import Path

TOOL = Path(__file__).resolve().parent.parent / "tools" / "RuntimeCounters" / "bin" / "Release" / "net10.0" / "RuntimeCounters"


class RuntimeCounters:
    def __init__(self, pid):
        self.process = None
        if not TOOL.exists():
            return
        self.process = subprocess.Popen([str(TOOL), str(pid)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            self.process.kill()
            self.process = None

    def stop(self, requests):
        """Counters since start, with allocations per request; None when the tool is not built."""
        if self.process is None:
            return None
        time.sleep(1.2)  # the counters report once a second: let the last loaded interval arrive
        output, _ = self.process.communicate(timeout=60)
        data = json.loads(output.strip().splitlines()[-1])
        sums, peaks = data["sums"], data["peaks"]
        allocated = sums.get("alloc-rate", 0)
        return {
            "alloc_bytes": int(allocated),
            "alloc_bytes_per_req": round(allocated / requests) if requests else None,
            "gen0_gcs": int(sums.get("gen-0-gc-count", 0)),
            "gen1_gcs": int(sums.get("gen-1-gc-count", 0)),
            "gen2_gcs": int(sums.get("gen-2-gc-count", 0)),
            "gc_pause_ms": round(sums.get("total-pause-time-by-gc", 0), 1),
            "time_in_gc_peak_pct": peaks.get("time-in-gc"),
            "gc_heap_peak_mb": round(peaks.get("gc-heap-size", 0), 1),
            "working_set_peak_mb": round(peaks.get("working-set", 0), 1),
            "threadpool_threads_peak": peaks.get("threadpool-thread-count"),
            "threadpool_queue_peak": peaks.get("threadpool-queue-length"),
            "threadpool_items": int(sums.get("threadpool-completed-items-count", 0)),
            "lock_contentions": int(sums.get("monitor-lock-contention-count", 0)),
            "exceptions": int(sums.get("exception-count", 0)),
            # The api's own histograms (meter FluxGate.Api), e.g. "fluxgate.kafka.produce.duration succeeded=True":
            # count-weighted means of the per-second p50/p95/p99, in the instrument's unit (ms).
            "histograms": data.get("histograms", {}),
        }
