using Confluent.Kafka;

namespace FluxGate.AppHost.Local;

public sealed record KafkaMockClusterOptions
{
    /// <summary>Brokers, with ids 1..BrokerCount.</summary>
    public int BrokerCount { get; init; } = 1;

    /// <summary>
    /// Topics created up front, name → partition count. <c>orders</c> gets 6 partitions: the key is the product id, so
    /// several products spread over several partitions, which lets a consumer group of more than one persister share
    /// the work and shows ordering per product (not per topic) in tests, while staying small for a dev broker.
    /// </summary>
    public IReadOnlyDictionary<string, int> Topics { get; init; } = new Dictionary<string, int> { ["orders"] = 6 };
}

/// <summary>
/// librdkafka's mock cluster: Kafka wire-protocol brokers that live in this process (in memory only) and listen on
/// loopback, so clients in other processes reach them at <see cref="BootstrapServers"/>. Supports produce, fetch,
/// consumer groups and offset commits, and error injection: brokers down/up, error codes for the next requests.
/// A producer handle owns the cluster (librdkafka needs one for its bookkeeping); it never produces.
/// </summary>
public sealed class KafkaMockCluster : IDisposable, IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly HashSet<int> _brokersDown = [];
    private IntPtr _handle;
    private IntPtr _cluster;

    private KafkaMockCluster(IntPtr handle, IntPtr cluster, int brokerCount)
    {
        _handle = handle;
        _cluster = cluster;
        BrokerCount = brokerCount;
        BootstrapServers = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(LibrdkafkaMock.rd_kafka_mock_cluster_bootstraps(cluster))
            ?? throw new InvalidOperationException("The librdkafka mock cluster reported no bootstrap servers.");
    }

    /// <summary>Comma-separated host:port of the brokers, for <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers { get; }

    public int BrokerCount { get; }

    /// <summary>True while no broker is set down.</summary>
    public bool IsUp
    {
        get
        {
            lock (_gate)
            {
                return _brokersDown.Count == 0;
            }
        }
    }

    public static KafkaMockCluster Start(KafkaMockClusterOptions? options = null)
    {
        options ??= new KafkaMockClusterOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BrokerCount, 1);

        LibrdkafkaMock.EnsureResolver();
        var error = new byte[512];
        var conf = LibrdkafkaMock.rd_kafka_conf_new();
        // The owner has no bootstrap servers of its own; keep its "no brokers configured" warning out of the logs.
        if (LibrdkafkaMock.rd_kafka_conf_set(conf, "log_level", "3", error, (UIntPtr)error.Length) != LibrdkafkaMock.ConfOk)
        {
            LibrdkafkaMock.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"librdkafka configuration failed: {LibrdkafkaMock.BufferText(error)}");
        }
        var handle = LibrdkafkaMock.rd_kafka_new(LibrdkafkaMock.ProducerType, conf, error, (UIntPtr)error.Length);
        if (handle == IntPtr.Zero)
        {
            LibrdkafkaMock.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"librdkafka could not create the mock cluster's owner: {LibrdkafkaMock.BufferText(error)}");
        }
        var cluster = LibrdkafkaMock.rd_kafka_mock_cluster_new(handle, options.BrokerCount);
        if (cluster == IntPtr.Zero)
        {
            LibrdkafkaMock.rd_kafka_destroy(handle);
            throw new InvalidOperationException("librdkafka could not create the mock cluster.");
        }

        var mock = new KafkaMockCluster(handle, cluster, options.BrokerCount);
        try
        {
            // A consumer group forms as soon as its first member joins, instead of after Kafka's default 3 s.
            LibrdkafkaMock.rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 0);
            foreach (var (topic, partitions) in options.Topics)
            {
                mock.CreateTopic(topic, partitions);
            }
            return mock;
        }
        catch
        {
            mock.Dispose();
            throw;
        }
    }

    /// <summary>Creates a topic (the mock broker does not implement the CreateTopics admin request).</summary>
    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        lock (_gate)
        {
            Check(LibrdkafkaMock.rd_kafka_mock_topic_create(Cluster, name, partitions, Math.Min(replicationFactor, BrokerCount)),
                $"create topic '{name}'");
        }
    }

    /// <summary>Disconnects the broker's clients and refuses new connections (no leader change).</summary>
    public void SetBrokerDown(int brokerId = 1)
    {
        lock (_gate)
        {
            Check(LibrdkafkaMock.rd_kafka_mock_broker_set_down(Cluster, brokerId), $"set broker {brokerId} down");
            _brokersDown.Add(brokerId);
        }
    }

    /// <summary>Lets the broker accept connections again.</summary>
    public void SetBrokerUp(int brokerId = 1)
    {
        lock (_gate)
        {
            Check(LibrdkafkaMock.rd_kafka_mock_broker_set_up(Cluster, brokerId), $"set broker {brokerId} up");
            _brokersDown.Remove(brokerId);
        }
    }

    /// <summary>
    /// Delays every broker's answers by <paramref name="milliseconds"/> (0: none). A request is still applied at once, so
    /// a produce is in the log while its producer waits for the acknowledgement.
    /// </summary>
    public void SetRoundTripTime(int milliseconds)
    {
        lock (_gate)
        {
            for (var brokerId = 1; brokerId <= BrokerCount; brokerId++)
            {
                Check(LibrdkafkaMock.rd_kafka_mock_broker_set_rtt(Cluster, brokerId, milliseconds), $"set broker {brokerId} round-trip time");
            }
        }
    }

    /// <summary>Every broker down: Kafka is unreachable.</summary>
    public void SetAllBrokersDown()
    {
        for (var brokerId = 1; brokerId <= BrokerCount; brokerId++)
        {
            SetBrokerDown(brokerId);
        }
    }

    public void SetAllBrokersUp()
    {
        for (var brokerId = 1; brokerId <= BrokerCount; brokerId++)
        {
            SetBrokerUp(brokerId);
        }
    }

    /// <summary>
    /// The next <paramref name="errors"/>.Length requests of type <paramref name="apiKey"/> (from any client) fail with
    /// these codes, in order. <see cref="ErrorCode.Local_Transport"/> makes the broker drop the connection instead.
    /// </summary>
    public void PushRequestErrors(KafkaApiKey apiKey, params ErrorCode[] errors)
    {
        var codes = Array.ConvertAll(errors, error => (int)error);
        lock (_gate)
        {
            LibrdkafkaMock.rd_kafka_mock_push_request_errors_array(Cluster, (short)apiKey, (UIntPtr)codes.Length, codes);
        }
    }

    /// <summary>
    /// Kafka refuses every produce, from any client, until <see cref="EndProduceOutage"/>: each produce request makes the
    /// broker drop the connection, so producers retry until their messages time out, as with a broker down. Unlike
    /// <see cref="SetBrokerDown"/> it keeps the broker's port: setting a broker up binds its port again, and librdkafka
    /// aborts the process when another process took that port meanwhile.
    /// </summary>
    public void StartProduceOutage() =>
        PushRequestErrors(KafkaApiKey.Produce, Enumerable.Repeat(ErrorCode.Local_Transport, ProduceOutageRequests).ToArray());

    public void EndProduceOutage() => ClearRequestErrors(KafkaApiKey.Produce);

    /// <summary>Far more produce requests than an outage of minutes sees (producers back off between reconnects).</summary>
    private const int ProduceOutageRequests = 100_000;

    /// <summary>Forgets the errors still queued for <paramref name="apiKey"/>.</summary>
    public void ClearRequestErrors(KafkaApiKey apiKey)
    {
        lock (_gate)
        {
            LibrdkafkaMock.rd_kafka_mock_clear_request_errors(Cluster, (short)apiKey);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != IntPtr.Zero)
            {
                LibrdkafkaMock.rd_kafka_mock_cluster_destroy(_cluster);
                _cluster = IntPtr.Zero;
            }
            if (_handle != IntPtr.Zero)
            {
                LibrdkafkaMock.rd_kafka_destroy(_handle);
                _handle = IntPtr.Zero;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        // Destroying the cluster joins its broker thread: keep that off the caller's thread.
        return new ValueTask(Task.Run(Dispose));
    }

    private IntPtr Cluster => _cluster != IntPtr.Zero ? _cluster : throw new ObjectDisposedException(nameof(KafkaMockCluster));

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"Kafka mock cluster: cannot {what}: {LibrdkafkaMock.ErrorText(error)}");
        }
    }
}
