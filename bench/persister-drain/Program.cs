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
    Console.WriteLine("| batch size | orders | writer rows/s | ms per batch |");
    Console.WriteLine("|---:|---:|---:|---:|");
    foreach (var batchSize in settings.BatchSizes)
    {
        var runs = new List<(double RowsPerSecond, double MsPerBatch)>();
        for (var run = 0; run < settings.Repeat; run++)
        {
            runs.Add(await WriterOnly.RunAsync(settings.Count, settings.Products, batchSize));
        }
        var median = runs.OrderBy(run => run.RowsPerSecond).ElementAt(runs.Count / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {batchSize} | {settings.Count:N0} | {median.RowsPerSecond:N0} ({runs.Min(run => run.RowsPerSecond):N0}–{runs.Max(run => run.RowsPerSecond):N0}) | {median.MsPerBatch:0.0} |"));
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
Console.WriteLine($"| batch size | orders | runs | drain from start (s) | drain from first row (s) | rows/s median (min–max) | stock exact |");
Console.WriteLine($"|---:|---:|---:|---:|---:|---:|:---:|");
foreach (var runs in results.GroupBy(result => result.BatchSize))
{
    var median = runs.OrderBy(result => result.RowsPerSecond).ElementAt(runs.Count() / 2);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {runs.Key} | {median.Orders:N0} | {runs.Count()} | {median.DrainFromStartSeconds:0.00} | {median.DrainFromFirstRowSeconds:0.00} | " +
        $"{median.RowsPerSecond:N0} ({runs.Min(result => result.RowsPerSecond):N0}–{runs.Max(result => result.RowsPerSecond):N0}) | {(runs.All(result => result.StockExact) ? "yes" : "NO")} |"));
}

Directory.CreateDirectory(settings.ResultsDirectory);
var resultsPath = Path.Combine(settings.ResultsDirectory, "persister-drain.json");
await File.WriteAllTextAsync(resultsPath, JsonSerializer.Serialize(new
{
    machine = new { Environment.ProcessorCount, os = Environment.OSVersion.VersionString, dotnet = Environment.Version.ToString() },
    settings.Count,
    settings.Products,
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

    // The backlog builds up while the persister is stopped (it has created the schema by then).
    await app.StopResourceAsync(ResourceNames.Persister);
    var products = Enumerable.Range(0, settings.Products).Select(i => $"drain-{i:D4}").ToArray();
    var produceWatch = Stopwatch.StartNew();
    ProduceBacklog(await app.GetConnectionStringAsync(ResourceNames.Kafka), products, settings.Count);
    produceWatch.Stop();
    Console.Error.WriteLine($"   produced {settings.Count:N0} orders (+{products.Length} inits) in {produceWatch.Elapsed.TotalSeconds:0.00} s");

    await using var database = NpgsqlDataSource.Create(await app.GetConnectionStringAsync(ResourceNames.Database));
    var drainWatch = Stopwatch.StartNew();
    Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss.fff}    starting the persister on the backlog");
    await app.StartResourceAsync(ResourceNames.Persister);
    TimeSpan? firstRow = null;
    long rows;
    while (true)
    {
        // Cheap to ask (one row per product), so polling does not slow the database down; count(*) is checked at the end.
        rows = await ScalarAsync<long>(database, "SELECT coalesce(sum(initial_stock - stock), 0) FROM products");
        if (rows > 0 && firstRow is null)
        {
            firstRow = drainWatch.Elapsed;
            Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss.fff}    first rows: {rows:N0}");
        }
        if (rows >= settings.Count)
        {
            break;
        }
        if (drainWatch.Elapsed > settings.Timeout)
        {
            throw new TimeoutException($"Only {rows:N0} of {settings.Count:N0} orders persisted after {settings.Timeout}.");
        }
        if (app.HasExited(ResourceNames.Persister))
        {
            throw new InvalidOperationException($"The persister stopped after {rows:N0} of {settings.Count:N0} orders.");
        }
        await Task.Delay(20);
    }
    var drained = drainWatch.Elapsed;

    var taken = rows;
    rows = await CountOrdersAsync(database);
    var fromFirstRow = drained - firstRow!.Value;
    var result = new DrainResult(batchSize, settings.Count, produceWatch.Elapsed.TotalSeconds, drained.TotalSeconds, fromFirstRow.TotalSeconds,
        settings.Count / Math.Max(fromFirstRow.TotalSeconds, 0.001), taken == settings.Count && rows == settings.Count);
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"   drained in {drained.TotalSeconds:0.00} s from start ({fromFirstRow.TotalSeconds:0.00} s from the first row): {result.RowsPerSecond:N0} rows/s; stock taken {taken:N0}"));
    return result;
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

static void ProduceBacklog(string bootstrapServers, string[] products, int count)
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

    var keys = products.Select(Encoding.UTF8.GetBytes).ToArray();
    var now = DateTimeOffset.UtcNow;
    for (var i = 0; i < products.Length; i++)
    {
        Produce(producer, keys[i], new StockInitialized(products[i], count, now), Report);
    }
    for (var i = 0; i < count; i++)
    {
        var product = i % products.Length;
        Produce(producer, keys[product],
            new OrderAccepted(Guid.NewGuid(), products[product], $"user-{i}", $"key-{i}", now), Report);
    }
    producer.Flush(TimeSpan.FromMinutes(5));
    if (failures > 0)
    {
        throw new InvalidOperationException($"{failures} messages were not delivered to Kafka.");
    }
}

static void Produce(IProducer<byte[], byte[]> producer, byte[] key, OrderEvent orderEvent, Action<DeliveryReport<byte[], byte[]>> report)
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

internal sealed record DrainResult(
    int BatchSize, int Orders, double ProduceSeconds, double DrainFromStartSeconds, double DrainFromFirstRowSeconds, double RowsPerSecond, bool StockExact);

internal sealed record DrainSettings(int Count, int Products, IReadOnlyList<int> BatchSizes, int Repeat, TimeSpan Timeout, string ResultsDirectory, bool WriterOnly)
{
    public static DrainSettings Parse(string[] args)
    {
        var count = 100_000;
        var products = 64;
        IReadOnlyList<int> batchSizes = [2000];
        var timeout = TimeSpan.FromMinutes(10);
        var results = Path.Combine(BenchGraph.RepositoryRoot, "bench", "results");
        var writerOnly = false;
        var repeat = 3;
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
                case "--repeat": repeat = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--timeout-s": timeout = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)); i++; break;
                case "--results": results = value; i++; break;
                default:
                    throw new ArgumentException(
                        $"Unknown option {args[i]}. Options: --count N --products N --batch-sizes a,b,c --repeat N --timeout-s N --results DIR --writer-only");
            }
        }
        return new DrainSettings(count, products, batchSizes, repeat, timeout, results, writerOnly);
    }
}
