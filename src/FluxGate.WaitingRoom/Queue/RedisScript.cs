using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace FluxGate.WaitingRoom.Queue;

/// <summary>
/// A Lua script run by its SHA1 (EVALSHA). After a Redis restart or <c>SCRIPT FLUSH</c> the server answers NOSCRIPT:
/// the script is then sent once in full (EVAL, which caches it again) and EVALSHA resumes.
/// </summary>
public sealed class RedisScript(string source)
{
    private readonly byte[] _sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(source));

    public string Source { get; } = source;

    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync database, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await database.ScriptEvaluateAsync(_sha1, keys, values);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await database.ScriptEvaluateAsync(Source, keys, values);
        }
    }
}
