using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace FluxGate.Clients;

/// <summary>
/// A Lua script of a service, run by its SHA1 (EVALSHA), so a call sends the hash, not the source; a server that
/// answers NOSCRIPT (restarted, SCRIPT FLUSH, or never asked before) gets it once in full (EVAL, which caches it there).
/// With a <see cref="ReplicaAcknowledgement"/>, a call on a master with replicas is followed, on the same connection, by
/// <c>WAIT</c>: its answer counts only once a replica holds its writes.
/// </summary>
/// <remarks>
/// Our own, not StackExchange.Redis's script cache: that cache is keyed by the script's text and hashes all of it on
/// every call (12–24 µs for order_batch.lua's 10.5 KB, measured), and <c>WAIT</c> must travel right behind the script on
/// the connection to the one master that ran it, which only a call pinned to that server (<c>IServer.ExecuteAsync</c>)
/// gives.
/// </remarks>
public sealed class RedisScript
{
    private readonly ReplicaAcknowledgement? _acknowledgement;
    private readonly byte[] _hash;
    private readonly string _hashText;

    /// <param name="acknowledgement">Null: never wait for replicas (the waiting room's queue, which a failover can
    /// lose without overselling).</param>
    public RedisScript(string name, string source, ReplicaAcknowledgement? acknowledgement = null)
    {
        Name = name;
        Source = source;
        _hash = SHA1.HashData(Encoding.UTF8.GetBytes(source));
        _hashText = Convert.ToHexStringLower(_hash);
        _acknowledgement = acknowledgement is { IsOff: false } ? acknowledgement : null;
    }

    public string Name { get; }

    public string Source { get; }

    /// <param name="name">The script's file name without <c>.lua</c>, embedded in <paramref name="assembly"/> in whichever
    /// folder it lives.</param>
    public static RedisScript FromResource(Assembly assembly, string name, ReplicaAcknowledgement? acknowledgement = null)
    {
        var resource = assembly.GetManifestResourceNames().SingleOrDefault(resource => resource.EndsWith($".{name}.lua", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"Embedded script {name}.lua is missing from {assembly.GetName().Name}.");
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return new RedisScript(name, reader.ReadToEnd(), acknowledgement);
    }

    /// <exception cref="ReplicaAcknowledgementException">The master ran the script, but too few replicas hold its writes.</exception>
    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync database, RedisKey[] keys, RedisValue[] values)
    {
        var master = _acknowledgement is null ? null : database.Multiplexer.GetServer(keys[0], flags: CommandFlags.DemandMaster);
        var replicas = master is null ? 0 : await _acknowledgement!.RequiredAsync(master).ConfigureAwait(false);
        if (replicas == 0)
        {
            try
            {
                return await database.ScriptEvaluateAsync(_hash, keys, values).ConfigureAwait(false);
            }
            catch (RedisServerException exception) when (IsNoScript(exception))
            {
                return await database.ScriptEvaluateAsync(Source, keys, values).ConfigureAwait(false);
            }
        }
        try
        {
            return await EvaluateAcknowledgedAsync(master!, "EVALSHA", _hashText, keys, values, replicas).ConfigureAwait(false);
        }
        catch (RedisServerException exception) when (IsNoScript(exception))
        {
            return await EvaluateAcknowledgedAsync(master!, "EVAL", Source, keys, values, replicas).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The script and WAIT, pipelined on the master's one connection, without following a MOVED: a write the master ran
    /// is acknowledged by its own replicas, or not used. A slot that moved fails the call (a Redis fault) and updates the
    /// client's slot map, so a retry goes to the new master.
    /// </summary>
    private async Task<RedisResult> EvaluateAcknowledgedAsync(
        IServer master, string command, string script, RedisKey[] keys, RedisValue[] values, int replicas)
    {
        var arguments = new object[2 + keys.Length + values.Length];
        arguments[0] = script;
        arguments[1] = keys.Length;
        keys.CopyTo(arguments, 2);
        values.CopyTo(arguments, 2 + keys.Length);
        var evaluation = master.ExecuteAsync(command, arguments, CommandFlags.NoRedirect);
        var acknowledgement = master.ExecuteAsync("WAIT", [replicas, _acknowledgement!.TimeoutMs], CommandFlags.NoRedirect);
        RedisResult result;
        try
        {
            result = await evaluation.ConfigureAwait(false);
        }
        catch
        {
            _ = acknowledgement.ContinueWith(static task => task.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            throw;
        }
        var acknowledged = (long)await acknowledgement.ConfigureAwait(false);
        if (acknowledged < replicas)
        {
            throw new ReplicaAcknowledgementException(master.EndPoint, acknowledged, replicas);
        }
        return result;
    }

    private static bool IsNoScript(RedisServerException exception) => exception.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal);
}
