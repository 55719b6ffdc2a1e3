#!/usr/bin/env python3
"""Reads `perf script -F comm,ip,sym` of the api and says where its CPU goes: by area of the order path
(inclusive: a sample counts for the first area found walking from the leaf up), the top self-time symbols,
and the top inclusive .NET methods.

  perf script -i api.perf.data -F comm,ip,sym | perf_stacks.py
"""

import collections
import re
import sys

# Area of a sample, decided by the first frame (from the leaf) that matches; order matters.
AREAS = [
    ("thread pool idle spin (sched_yield, semaphore spin)", re.compile(r"LowLevelLifoSemaphore|LowLevelSpinWaiter|sched_yield|PortableThreadPool\+WorkerThread::WorkerThreadStart")),
    ("GC", re.compile(r"^(WKS|SVR)::|gc_heap|GCHeap|::gc\b|memset_repmovs|GarbageCollect|Alloc(Small|Large)|JIT_New")),
    ("JIT / tiering", re.compile(r"clrjit|TieredCompilation|CallCountingManager|MethodDesc::Prepare")),
    ("Kafka produce (Confluent.Kafka + librdkafka)", re.compile(r"Confluent\.Kafka|rd_kafka|rdkafka|OrderEventProducer")),
    ("Redis (StackExchange.Redis)", re.compile(r"StackExchange\.Redis|Pipelines\.Sockets|RedisScript|OrderGate")),
    ("OpenTelemetry / Activity / metrics", re.compile(r"OpenTelemetry|System\.Diagnostics\.(Activity|DiagnosticListener|DiagNode|Metrics)|HostingApplicationDiagnostics|Histogram|MetricsEventSource|OrderMetrics")),
    ("logging", re.compile(r"Microsoft\.Extensions\.Logging|LoggerMessage")),
    ("JSON (System.Text.Json)", re.compile(r"System\.Text\.Json|ApiJsonContext|OrderEventSerializer")),
    ("order handler (FluxGate.Api)", re.compile(r"FluxGate\.")),
    ("routing / endpoint / results (ASP.NET Core)", re.compile(r"Microsoft\.AspNetCore\.(Routing|Http\.(RequestDelegateFactory|HttpResults|Extensions|Results))|EndpointMiddleware")),
    ("Kestrel HTTP/1.1 (parse, headers, output)", re.compile(r"Kestrel|System\.IO\.Pipelines|HttpProtocol|Http1Connection")),
    ("sockets (System.Net.Sockets)", re.compile(r"System\.Net\.Sockets|SocketAsyncEngine|SocketAsyncContext")),
    ("async machinery / execution context", re.compile(r"System\.Threading\.(Tasks|ExecutionContext)|AsyncTaskMethodBuilder|AsyncStateMachineBox|ThreadPoolWorkQueue")),
    ("kernel network (send/recv/epoll)", re.compile(r"tcp_|sock_|__sys_(send|recv)|ep_poll|epoll|do_sys_poll|__poll")),
]

NET_FRAME = re.compile(r"\[[^\]]+\] ([^\s(]+)\(")


def short(symbol):
    match = NET_FRAME.search(symbol)
    if match:
        return match.group(1)
    return symbol.split("(")[0] if symbol else "?"


def read_samples(stream):
    comm, frames = None, []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
        elif not line.startswith(("\t", " ")):
            comm, frames = line.strip(), []
        else:
            parts = line.strip().split(" ", 1)
            frames.append(parts[1] if len(parts) > 1 else "[unknown]")
    if comm is not None:
        yield comm, frames


def main():
    areas = collections.Counter()
    threads = collections.Counter()
    selfs = collections.Counter()
    inclusive = collections.Counter()
    total = 0
    for comm, frames in read_samples(sys.stdin):
        total += 1
        threads[comm] += 1
        selfs[short(frames[0]) if frames else "?"] += 1
        for name in {short(f) for f in frames if NET_FRAME.search(f)}:
            inclusive[name] += 1
        area = "other (runtime, kernel scheduling, unresolved)"
        if comm.startswith("rdk:"):
            area = "Kafka produce (Confluent.Kafka + librdkafka)"
        else:
            for frame in frames:
                found = next((name for name, pattern in AREAS if pattern.search(frame)), None)
                if found:
                    area = found
                    break
        areas[area] += 1
    if not total:
        sys.exit("no samples")

    def table(title, counter, limit):
        print(f"\n{title}")
        for name, count in counter.most_common(limit):
            print(f"  {100 * count / total:5.1f}%  {name}")

    print(f"{total} samples")
    table("by area (first matching frame from the leaf; rdk:* threads are Kafka):", areas, 20)
    table("by thread:", threads, 8)
    table("top self symbols:", selfs, 25)
    table("top inclusive .NET methods:", inclusive, 40)


if __name__ == "__main__":
    main()
