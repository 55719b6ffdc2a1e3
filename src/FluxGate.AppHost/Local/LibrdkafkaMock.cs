using System.Runtime.InteropServices;
using System.Text;

namespace FluxGate.AppHost.Local;

/// <summary>
/// The parts of librdkafka's C API (rdkafka.h, rdkafka_mock.h) the mock cluster needs, from the library that
/// librdkafka.redist ships beside Confluent.Kafka. The mock API is marked experimental upstream: the names used here
/// are checked against the shipped binary (nm -D … | grep rd_kafka_mock).
/// </summary>
internal static class LibrdkafkaMock
{
    private const string Library = "librdkafka";

    static LibrdkafkaMock()
    {
        NativeLibrary.SetDllImportResolver(typeof(LibrdkafkaMock).Assembly,
            (name, _, _) => name == Library ? LoadLibrdkafka() : IntPtr.Zero);
    }

    /// <summary>
    /// The build Confluent.Kafka ends up with, in its order of preference: the plain linux build first, which needs
    /// libsasl2.so.3 (absent on Debian unless installed), then the self-contained centos8 build.
    /// </summary>
    private static IntPtr LoadLibrdkafka()
    {
        var baseDirectory = Path.GetDirectoryName(typeof(Confluent.Kafka.ProducerConfig).Assembly.Location) is { Length: > 0 } directory
            ? directory
            : AppContext.BaseDirectory;
        var runtimeIdentifier = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        var native = Path.Combine(baseDirectory, "runtimes", runtimeIdentifier, "native");
        string[] candidates = OperatingSystem.IsLinux()
            ? [Path.Combine(native, "librdkafka.so"), Path.Combine(native, "centos8-librdkafka.so")]
            : [Library];
        var failures = new List<string>();
        foreach (var candidate in candidates)
        {
            try
            {
                return NativeLibrary.Load(candidate);
            }
            catch (DllNotFoundException exception)
            {
                failures.Add(exception.Message);
            }
        }
        throw new DllNotFoundException(
            $"librdkafka (from the librdkafka.redist package) could not be loaded for the Kafka mock cluster:{Environment.NewLine}" +
            string.Join(Environment.NewLine, failures));
    }

    /// <summary>Runs the static constructor (the resolver) before the first call.</summary>
    public static void EnsureResolver()
    {
    }

    public const int ProducerType = 0; // RD_KAFKA_PRODUCER
    public const int ConfOk = 0; // RD_KAFKA_CONF_OK

    [DllImport(Library)]
    public static extern IntPtr rd_kafka_conf_new();

    [DllImport(Library)]
    public static extern void rd_kafka_conf_destroy(IntPtr conf);

    [DllImport(Library)]
    public static extern int rd_kafka_conf_set(IntPtr conf,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string name,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string value,
        byte[] errorBuffer, UIntPtr errorBufferSize);

    /// <summary>Takes ownership of <paramref name="conf"/> on success only.</summary>
    [DllImport(Library)]
    public static extern IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errorBuffer, UIntPtr errorBufferSize);

    [DllImport(Library)]
    public static extern void rd_kafka_destroy(IntPtr handle);

    [DllImport(Library)]
    public static extern IntPtr rd_kafka_mock_cluster_new(IntPtr handle, int brokerCount);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_cluster_destroy(IntPtr cluster);

    [DllImport(Library)]
    public static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

    [DllImport(Library)]
    public static extern int rd_kafka_mock_topic_create(IntPtr cluster,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int partitionCount, int replicationFactor);

    [DllImport(Library)]
    public static extern int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);

    [DllImport(Library)]
    public static extern int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);

    [DllImport(Library)]
    public static extern int rd_kafka_mock_broker_set_rtt(IntPtr cluster, int brokerId, int rttMs);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, UIntPtr count, int[] errors);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_clear_request_errors(IntPtr cluster, short apiKey);

    [DllImport(Library)]
    public static extern void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr cluster, int delayMs);

    [DllImport(Library)]
    public static extern IntPtr rd_kafka_err2str(int error);

    public static string ErrorText(int error) => Marshal.PtrToStringUTF8(rd_kafka_err2str(error)) ?? $"error {error}";

    public static string BufferText(byte[] buffer) => Encoding.UTF8.GetString(buffer, 0, Math.Max(0, Array.IndexOf(buffer, (byte)0)));
}
