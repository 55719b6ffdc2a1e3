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

List<EventPipeProvider> providers =
[
    new("System.Runtime", EventLevel.Verbose, 0, new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" }),
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
    Console.WriteLine(JsonSerializer.Serialize(new { intervals, sums, peaks, lasts, sampledTypes }));
}
return 0;
