using System.Text;
using Npgsql;

namespace FluxGate.Persister.Writing;

public static class WriteFailures
{
    /// <summary>
    /// Whether the database refused the batch because of what is in it (a value it cannot store, a constraint),
    /// so that the same batch would fail forever: then the writer finds the culprit one message at a time and
    /// dead-letters it. Anything else — the server down, a timeout, a deadlock, an unknown error — is retried
    /// with the whole batch: blocking a partition is recoverable, dead-lettering good orders is not.
    /// </summary>
    public static bool IsCausedByData(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState[..2] is "22" or "23" or "54", // data exception, integrity, program limit
        NpgsqlException => false,
        InvalidCastException or EncoderFallbackException or OverflowException => true,
        _ => false,
    };
}
