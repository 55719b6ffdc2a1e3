// Persister drain benchmark: a backlog of OrderAccepted events in Kafka, then the persister started, then the time
// until every order is a row in PostgreSQL. One fresh graph per run, from FluxGate.AppHost (mock Kafka, PostgreSQL, persister).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using FluxGate.AppHost;
using FluxGate.Bench;
using FluxGate.Contracts;
using Npgsql;

var settings = DrainSettings.Parse(args);
Console.Error.WriteLine($"persister-drain: {settings.Count:N0} orders over {settings.Products} products, batch sizes {string.Join(", ", settings.BatchSizes)}, {settings.Repeat} run(s) each");

if (settings.WriterOnly)
{
    // The database half alone: the batch writer fed decoded messages in a loop, no Kafka and no consumer.
    Console.WriteLine("| batch size | orders | writer rows/s | ms per batch | writer µs CPU/order | postgres µs CPU/order | writer + postgres | other µs/order |");
    Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var batchSize in settings.BatchSizes)
    {
        var runs = new List<(double RowsPerSecond, double MsPerBatch, CpuPerOrder? Cpu)>();
        for (var run = 0; run < settings.Repeat; run++)
        {
            runs.Add(await WriterOnly.RunAsync(settings.Count, settings.Products, batchSize));
            var last = runs[^1];
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   writer: {last.RowsPerSecond:N0} rows/s, {last.MsPerBatch:0.0} ms per batch; µs CPU per order: writer {last.Cpu?.Bench:0.00}, postgres {last.Cpu?.Postgres:0.00}, other {last.Cpu?.Other:0.00}"));
        }
        var median = runs.OrderBy(run => run.RowsPerSecond).ElementAt(runs.Count / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {batchSize} | {settings.Count:N0} | {median.RowsPerSecond:N0} ({runs.Min(run => run.RowsPerSecond):N0}–{runs.Max(run => run.RowsPerSecond):N0}) | {median.MsPerBatch:0.0} | " +
            $"{Spread(runs.Select(run => run.Cpu?.Bench))} | {Spread(runs.Select(run => run.Cpu?.Postgres))} | " +
            $"{Spread(runs.Select(run => run.Cpu?.Bench + run.Cpu?.Postgres))} | {Spread(runs.Select(run => run.Cpu?.Other))} |"));
    }
    return 0;
}

var results = new List<DrainResult>();
foreach (var batchSize in settings.BatchSizes)
{
    for (var run = 0; run < settings.Repeat; run++)
    {
        results.Add(await DrainAsync(settings, batchSize));
    }
}

// Median run per batch size (by rows/s), with the range over the runs: the machine is shared, so single runs vary.
Console.WriteLine();
Console.WriteLine("| batch size | orders | runs | drain from start (s) | drain from first row (s) | rows/s median (min–max) | persister µs CPU/order | postgres µs CPU/order | persister + postgres | other µs/order | stock exact |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|");
foreach (var runs in results.GroupBy(result => result.BatchSize))
{
    var median = runs.OrderBy(result => result.RowsPerSecond).ElementAt(runs.Count() / 2);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {runs.Key} | {median.Orders:N0} | {runs.Count()} | {median.DrainFromStartSeconds:0.00} | {median.DrainFromFirstRowSeconds:0.00} | " +
        $"{median.RowsPerSecond:N0} ({runs.Min(result => result.RowsPerSecond):N0}–{runs.Max(result => result.RowsPerSecond):N0}) | " +
        $"{Spread(runs.Select(result => result.Cpu?.Persister))} | {Spread(runs.Select(result => result.Cpu?.Postgres))} | " +
        $"{Spread(runs.Select(result => result.Cpu?.Persister + result.Cpu?.Postgres))} | {Spread(runs.Select(result => result.Cpu?.Other))} | " +
        $"{(runs.All(result => result.StockExact) ? "yes" : "NO")} |"));
}

Directory.CreateDirectory(settings.ResultsDirectory);
var resultsPath = Path.Combine(settings.ResultsDirectory, "persister-drain.json");
await File.WriteAllTextAsync(resultsPath, JsonSerializer.Serialize(new
{
    machine = new { Environment.ProcessorCount, os = Environment.OSVersion.VersionString, dotnet = Environment.Version.ToString() },
    settings.Count,
    settings.Products,
    settings.WarmUp,
    loadAverage = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null,
    results,
}, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
Console.Error.WriteLine($"persister-drain: results in {resultsPath}");
return results.All(result => result.StockExact) ? 0 : 1;

static async Task<DrainResult> DrainAsync(DrainSettings settings, int batchSize)
{
    Console.Error.WriteLine($"-- batch size {batchSize}: starting kafka (mock), postgres, persister");
    var logLevel = Environment.GetEnvironmentVariable("DRAIN_LOG_LEVEL");
    await using var app = await DrainGraph.StartAsync(
        without: [ResourceNames.Redis, ResourceNames.Api, ResourceNames.WaitingRoom],
        ready: [ResourceNames.Persister],
        configuration: new Dictionary<string, string>
        {
            ["FluxGate:Settings:persister:Persister:BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture),
            ["FluxGate:Settings:persister:Logging:LogLevel:Default"] = logLevel ?? "Warning",
            ["FluxGate:Settings:persister:Logging:LogLevel:FluxGate"] = logLevel ?? "Warning",
        },
        onLog: ShowLog);

    // The backlog builds up while the persister is stopped (it has created the schema by then). With a warm-up, that
    // backlog is the warm-up's orders, and the measured ones are produced once the persister has drained it.
    await app.StopResourceAsync(ResourceNames.Persister);
    var products = Enumerable.Range(0, settings.Products).Select(i => $"drain-{i:D4}").ToArray();
    var kafka = await app.GetConnectionStringAsync(ResourceNames.Kafka);
    var total = settings.WarmUp + settings.Count;
    var backlog = settings.WarmUp > 0 ? settings.WarmUp : settings.Count;
    var produceWatch = Stopwatch.StartNew();
    Produce(kafka, [.. Inits(products, total), .. Orders(products, 0, backlog)]);
    produceWatch.Stop();
    Console.Error.WriteLine($"   produced {backlog:N0} orders (+{products.Length} inits) in {produceWatch.Elapsed.TotalSeconds:0.00} s");

    await using var database = NpgsqlDataSource.Create(await app.GetConnectionStringAsync(ResourceNames.Database));
    var drainWatch = Stopwatch.StartNew();
    Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss.fff}    starting the persister on the backlog");
    await app.StartResourceAsync(ResourceNames.Persister);
    TimeSpan measuredFrom;
    CpuSnapshot? cpuAtStart;
    long rowsAtStart;
    if (settings.WarmUp > 0)
    {
        await WaitForRowsAsync(app, database, settings.WarmUp, drainWatch, settings.Timeout);
        // Idle for a moment, so the runtime finishes compiling what the warm-up made hot before the measurement.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss.fff}    warmed up on {settings.WarmUp:N0} orders; producing the measured {settings.Count:N0} while it runs");
        (measuredFrom, cpuAtStart, rowsAtStart) = (drainWatch.Elapsed, GraphCpu.IsAvailable ? GraphCpu.Snapshot() : null, settings.WarmUp);
        Produce(kafka, Orders(products, settings.WarmUp, settings.Count));
    }
    else
    {
        rowsAtStart = await WaitForRowsAsync(app, database, 1, drainWatch, settings.Timeout);
        // The steady drain only: the persister's start-up (runtime, joining the group) is not per order.
        (measuredFrom, cpuAtStart) = (drainWatch.Elapsed, GraphCpu.IsAvailable ? GraphCpu.Snapshot() : null);
        Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss.fff}    first rows: {rowsAtStart:N0}");
    }
    var taken = await WaitForRowsAsync(app, database, total, drainWatch, settings.Timeout);
    var drained = drainWatch.Elapsed;
    var cpu = cpuAtStart is null ? null : GraphCpu.Snapshot().PerOrderSince(cpuAtStart, (int)(taken - rowsAtStart));

    var rows = await CountOrdersAsync(database);
    var fromFirstRow = drained - measuredFrom;
    var result = new DrainResult(batchSize, settings.Count, produceWatch.Elapsed.TotalSeconds, drained.TotalSeconds, fromFirstRow.TotalSeconds,
        settings.Count / Math.Max(fromFirstRow.TotalSeconds, 0.001), taken == total && rows == total, cpu);
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"   drained in {drained.TotalSeconds:0.00} s from start ({fromFirstRow.TotalSeconds:0.00} s measured): {result.RowsPerSecond:N0} rows/s; stock taken {taken:N0}; " +
        $"µs CPU per order: persister {cpu?.Persister:0.00}, postgres {cpu?.Postgres:0.00}, host (mock broker) {cpu?.Bench:0.00}, other {cpu?.Other:0.00}"));
    return result;
}

/// <returns>The orders persisted once there are at least <paramref name="target"/>.</returns>
static async Task<long> WaitForRowsAsync(DrainGraph app, NpgsqlDataSource database, long target, Stopwatch drainWatch, TimeSpan timeout)
{
    while (true)
    {
        // Cheap to ask (one row per product), so polling does not slow the database down; count(*) is checked at the end.
        var rows = await ScalarAsync<long>(database, "SELECT coalesce(sum(initial_stock - stock), 0) FROM products");
        if (rows >= target)
        {
            return rows;
        }
        if (drainWatch.Elapsed > timeout)
        {
            throw new TimeoutException($"Only {rows:N0} of {target:N0} orders persisted after {timeout}.");
        }
        if (app.HasExited(ResourceNames.Persister))
        {
            throw new InvalidOperationException($"The persister stopped after {rows:N0} of {target:N0} orders.");
        }
        await Task.Delay(20);
    }
}

// The persister's output only with DRAIN_LOG_LEVEL, or when it warns or fails; the servers' never.
static void ShowLog(string resource, string line, bool isError)
{
    if (resource == ResourceNames.Persister
        && (Environment.GetEnvironmentVariable("DRAIN_LOG_LEVEL") is not null || isError
            || line.Contains("warn", StringComparison.OrdinalIgnoreCase) || line.Contains("fail", StringComparison.OrdinalIgnoreCase)))
    {
        Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss.fff} [{resource}] {line}");
    }
}

static IEnumerable<OrderEvent> Inits(string[] products, int stock) =>
    products.Select(product => new StockInitialized(product, stock, DateTimeOffset.UtcNow));

static IEnumerable<OrderEvent> Orders(string[] products, int first, int count) =>
    Enumerable.Range(first, count).Select(i => new OrderAccepted(
        Guid.NewGuid(), products[i % products.Length], $"user-{i}", $"key-{i}", DateTimeOffset.UtcNow));

static void Produce(string bootstrapServers, IEnumerable<OrderEvent> events)
{
    using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
    {
        BootstrapServers = bootstrapServers,
        Acks = Acks.All,
        EnableIdempotence = true,
        LingerMs = 5,
        BatchSize = 1_000_000,
    }).Build();
    var failures = 0;
    void Report(DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref failures);
        }
    }

    foreach (var orderEvent in events)
    {
        ProduceOne(producer, Encoding.UTF8.GetBytes(orderEvent.ProductId), orderEvent, Report);
    }
    producer.Flush(TimeSpan.FromMinutes(5));
    if (failures > 0)
    {
        throw new InvalidOperationException($"{failures} messages were not delivered to Kafka.");
    }
}

static void ProduceOne(IProducer<byte[], byte[]> producer, byte[] key, OrderEvent orderEvent, Action<DeliveryReport<byte[], byte[]>> report)
{
    var message = new Message<byte[], byte[]> { Key = key, Value = OrderEventSerializer.Serialize(orderEvent) };
    while (true)
    {
        try
        {
            producer.Produce(Topics.Orders, message, report);
            return;
        }
        catch (ProduceException<byte[], byte[]> exception) when (exception.Error.Code == ErrorCode.Local_QueueFull)
        {
            producer.Poll(TimeSpan.FromMilliseconds(50));
        }
    }
}

static Task<long> CountOrdersAsync(NpgsqlDataSource database) => ScalarAsync<long>(database, "SELECT count(*) FROM orders");

static async Task<T> ScalarAsync<T>(NpgsqlDataSource database, string sql)
{
    await using var command = database.CreateCommand(sql);
    return (T)(await command.ExecuteScalarAsync())!;
}

// "median (min–max)" of the runs that measured it.
static string Spread(IEnumerable<double?> values)
{
    var measured = values.OfType<double>().Order().ToList();
    return measured.Count == 0
        ? "–"
        : string.Create(CultureInfo.InvariantCulture, $"{measured[measured.Count / 2]:0.0} ({measured[0]:0.0}–{measured[^1]:0.0})");
}

/// <param name="Cpu">µs of CPU per order over the measured drain (<c>Bench</c>: this process: the mock broker, and with a warm-up
/// the producer).</param>
internal sealed record DrainResult(
    int BatchSize, int Orders, double ProduceSeconds, double DrainFromStartSeconds, double DrainFromFirstRowSeconds, double RowsPerSecond, bool StockExact,
    CpuPerOrder? Cpu);

/// <param name="WarmUp">Orders the persister drains before the measured ones are produced (0: none, the measured backlog
/// meets a persister that has just started).</param>
internal sealed record DrainSettings(
    int Count, int Products, IReadOnlyList<int> BatchSizes, int Repeat, TimeSpan Timeout, string ResultsDirectory, bool WriterOnly, int WarmUp)
{
    public static DrainSettings Parse(string[] args)
    {
        var count = 100_000;
        var products = 64;
        IReadOnlyList<int> batchSizes = [2000];
        var timeout = TimeSpan.FromMinutes(10);
        var results = Path.Combine(PartialGraph.RepositoryRoot, "bench", "results");
        var writerOnly = false;
        var repeat = 3;
        var warmUp = 0;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--writer-only")
            {
                writerOnly = true;
                continue;
            }
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--count": count = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--products": products = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--batch-sizes": batchSizes = value.Split(',').Select(size => int.Parse(size, CultureInfo.InvariantCulture)).ToList(); i++; break;
                case "--warm-up": warmUp = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--repeat": repeat = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--timeout-s": timeout = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)); i++; break;
                case "--results": results = value; i++; break;
                default:
                    throw new ArgumentException(
                        $"Unknown option {args[i]}. Options: --count N --products N --batch-sizes a,b,c --repeat N --warm-up N --timeout-s N --results DIR --writer-only");
            }
        }
        return new DrainSettings(count, products, batchSizes, repeat, timeout, results, writerOnly, warmUp);
    }
}
