using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace FluxGate.Api.Redis;

/// <summary>
/// A Lua script run by its SHA1 (EVALSHA), so a request sends the hash, not the source. Loaded on every
/// server at start-up; if a server answers NOSCRIPT (restarted, SCRIPT FLUSH) the call falls back to EVAL,
/// which caches the script there again.
/// </summary>
public sealed class RedisScript
{
    private RedisScript(string name, string source)
    {
        Name = name;
        Source = source;
        Hash = SHA1.HashData(Encoding.UTF8.GetBytes(source));
    }

    public string Name { get; }

    public string Source { get; }

    public byte[] Hash { get; }

    public static RedisScript FromResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"FluxGate.Api.Redis.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"Embedded script {name}.lua is missing.");
        using var reader = new StreamReader(stream);
        return new RedisScript(name, reader.ReadToEnd());
    }

    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync database, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await database.ScriptEvaluateAsync(Hash, keys, values).ConfigureAwait(false);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await database.ScriptEvaluateAsync(Source, keys, values).ConfigureAwait(false);
        }
    }
}
