using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text.Json;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

// RuntimeCounters <pid>: subscribes to the process's System.Runtime event counters (1 s interval), prints "ready",
// and when stdin closes prints one JSON object: per counter the sum of its increments (rates: allocated bytes,
// GC counts, exceptions, lock contentions) or the peak and last of its mean (gauges: heap size, threads, queue).
if (args.Length != 1 || !int.TryParse(args[0], CultureInfo.InvariantCulture, out var pid))
{
    Console.Error.WriteLine("usage: RuntimeCounters <pid>   (stop: close stdin)");
    return 2;
}

var sums = new Dictionary<string, double>();
var peaks = new Dictionary<string, double>();
var lasts = new Dictionary<string, double>();
var intervals = 0;

var client = new DiagnosticsClient(pid);
var provider = new EventPipeProvider("System.Runtime", EventLevel.Verbose, 0,
    new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" });
using var session = client.StartEventPipeSession([provider], requestRundown: false);
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
var processing = Task.Run(source.Process);

Console.WriteLine("ready");
await Console.In.ReadToEndAsync();
await session.StopAsync(CancellationToken.None);
await processing;

lock (sums)
{
    Console.WriteLine(JsonSerializer.Serialize(new { intervals, sums, peaks, lasts }));
}
return 0;
