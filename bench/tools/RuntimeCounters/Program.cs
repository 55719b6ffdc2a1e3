using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text.Json;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

// RuntimeCounters <pid> [--allocations]: what dotnet-counters would show (the NuGet mirror here has no dotnet-counters).
// Subscribes to the process's System.Runtime event counters (1 s interval), prints "ready", and when stdin closes
// prints one JSON object: per counter the sum of its increments (rates: allocated bytes, GC counts, exceptions,
// lock contentions) or the peak and last of its mean (gauges: heap size, threads, queue length).
// --allocations also samples allocations by type (the runtime's GCAllocationTick, one event per ~100 KB allocated).
// The process's own histograms of meter FluxGate.* (e.g. Kafka produce latency) come through System.Diagnostics.Metrics:
// per instrument and tag set, the count-weighted mean of each 1-second interval's p50/p95/p99, and the count.
if (args.Length is < 1 or > 2 || !int.TryParse(args[0], CultureInfo.InvariantCulture, out var pid)
    || (args.Length == 2 && args[1] != "--allocations"))
{
    Console.Error.WriteLine("usage: RuntimeCounters <pid> [--allocations]   (stop: close stdin)");
    return 2;
}
var sampleAllocations = args.Length == 2;

var sums = new Dictionary<string, double>();
var peaks = new Dictionary<string, double>();
var lasts = new Dictionary<string, double>();
var allocatedByType = new Dictionary<string, long>();
var intervals = 0;
var histograms = new Dictionary<string, HistogramSummary>();
var metricsSession = Guid.NewGuid().ToString();

List<EventPipeProvider> providers =
[
    new("System.Runtime", EventLevel.Verbose, 0, new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" }),
    new("System.Diagnostics.Metrics", EventLevel.Informational, 0x2 /* values */, new Dictionary<string, string>
    {
        ["SessionId"] = metricsSession,
        ["ClientId"] = metricsSession,
        ["Metrics"] = "FluxGate.Api;FluxGate.Persister",
        ["RefreshInterval"] = "1",
        ["MaxTimeSeries"] = "1000",
        ["MaxHistograms"] = "100",
    }),
];
if (sampleAllocations)
{
    providers.Add(new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.GC));
}

var client = new DiagnosticsClient(pid);
using var session = client.StartEventPipeSession(providers, requestRundown: false);
using var source = new EventPipeEventSource(session.EventStream);
source.Dynamic.All += traceEvent =>
{
    if (traceEvent.ProviderName == "System.Diagnostics.Metrics")
    {
        if (traceEvent.EventName == "HistogramValuePublished" && (string)traceEvent.PayloadByName("sessionId") == metricsSession)
        {
            var key = $"{traceEvent.PayloadByName("instrumentName")} {traceEvent.PayloadByName("tags")}".Trim();
            var count = traceEvent.PayloadByName("count") is int c ? c : 0;
            lock (sums)
            {
                histograms.TryGetValue(key, out var summary);
                histograms[key] = (summary ?? new HistogramSummary()).Add((string)traceEvent.PayloadByName("quantiles"), count);
            }
        }
        return;
    }
    // The counter's fields sit in a dictionary "Payload" inside the event's one field.
    if (traceEvent.EventName != "EventCounters"
        || traceEvent.PayloadValue(0) is not IDictionary<string, object> outer
        || !outer.TryGetValue("Payload", out var inner) || inner is not IDictionary<string, object> payload)
    {
        return;
    }
    var name = (string)payload["Name"];
    lock (sums)
    {
        if (name == "cpu-usage")
        {
            intervals++;
        }
        if (payload.TryGetValue("Increment", out var increment))
        {
            sums[name] = sums.GetValueOrDefault(name) + Convert.ToDouble(increment, CultureInfo.InvariantCulture);
        }
        else if (payload.TryGetValue("Mean", out var mean))
        {
            var value = Convert.ToDouble(mean, CultureInfo.InvariantCulture);
            peaks[name] = Math.Max(peaks.GetValueOrDefault(name, double.MinValue), value);
            lasts[name] = value;
        }
    }
};
source.Clr.GCAllocationTick += tick =>
{
    lock (sums)
    {
        var type = tick.TypeName ?? "?";
        allocatedByType[type] = allocatedByType.GetValueOrDefault(type) + tick.AllocationAmount64;
    }
};
var processing = Task.Run(source.Process);

Console.WriteLine("ready");
await Console.In.ReadToEndAsync();
await session.StopAsync(CancellationToken.None);
await processing;

lock (sums)
{
    var sampledTypes = allocatedByType.OrderByDescending(pair => pair.Value).Take(40)
        .Select(pair => new { type = pair.Key, sampledBytes = pair.Value }).ToList();
    var histogramMeans = histograms.ToDictionary(pair => pair.Key, pair => pair.Value.Means());
    Console.WriteLine(JsonSerializer.Serialize(new { intervals, sums, peaks, lasts, sampledTypes, histograms = histogramMeans }));
}
return 0;

/// <summary>Count-weighted means of the per-interval quantiles ("0.5=1.2;0.95=3.4;0.99=5.6") of one histogram.</summary>
internal sealed class HistogramSummary
{
    private readonly Dictionary<string, double> _weighted = new();
    private long _count;

    public HistogramSummary Add(string quantiles, int count)
    {
        if (count <= 0 || string.IsNullOrEmpty(quantiles))
        {
            return this;
        }
        foreach (var part in quantiles.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            if (equals > 0 && double.TryParse(part.AsSpan(equals + 1), CultureInfo.InvariantCulture, out var value)
                && double.TryParse(part.AsSpan(0, equals), CultureInfo.InvariantCulture, out var quantile))
            {
                var name = "p" + (quantile * 100).ToString("0.#", CultureInfo.InvariantCulture);
                _weighted[name] = _weighted.GetValueOrDefault(name) + value * count;
            }
        }
        _count += count;
        return this;
    }

    public Dictionary<string, double> Means()
    {
        var means = _weighted.ToDictionary(pair => pair.Key, pair => Math.Round(pair.Value / Math.Max(1, _count), 3));
        means["count"] = _count;
        return means;
    }
}
