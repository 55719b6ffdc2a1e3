namespace FluxGate.AppHost.Hosting;

public static class RedisAppendOnlyFileExtensions
{
    /// <summary>
    /// The Redis container with its append-only file on (fsync every second), as the local redis-server runs: a restart
    /// keeps stock, idempotency keys and the records of orders PostgreSQL does not have yet, not only the last snapshot
    /// (which <c>WithDataVolume</c> still takes every 60 s; on start Redis loads the append-only file).
    /// </summary>
    /// <remarks>
    /// Aspire runs the container as <c>/bin/sh -c "redis-server --requirepass $REDIS_PASSWORD …"</c>: options appended
    /// as arguments of their own would land after the <c>-c</c> string and be ignored, so they go into that command.
    /// </remarks>
    public static IResourceBuilder<RedisResource> WithAppendOnlyFile(this IResourceBuilder<RedisResource> redis) =>
        redis.WithArgs(context =>
        {
            var command = context.Args.IndexOf("-c") + 1;
            if (command == 0 || command >= context.Args.Count || context.Args[command] is not string redisServer
                || !redisServer.StartsWith("redis-server", StringComparison.Ordinal))
            {
                throw new DistributedApplicationException(
                    $"The Redis container's command line is not `/bin/sh -c \"redis-server …\"` ({string.Join(' ', context.Args)}): cannot turn on its append-only file.");
            }
            context.Args[command] = redisServer + " --appendonly yes --appendfsync everysec";
            return Task.CompletedTask;
        });
}
