using FluxGate.Clients;
using StackExchange.Redis;

namespace FluxGate.Api.Redis;

/// <summary>SCRIPT LOAD on every primary at start, so the first orders already run by EVALSHA.</summary>
internal sealed partial class ScriptPreloader(IConnectionMultiplexer redis, GateScripts scripts, ILogger<ScriptPreloader> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var server in redis.GetServers().Where(server => server.IsConnected && !server.IsReplica))
        {
            try
            {
                foreach (var script in scripts.All)
                {
                    await server.ScriptLoadAsync(script.Source);
                }
            }
            catch (Exception exception) when (exception.IsDependencyFault())
            {
                // Not fatal: EVALSHA falls back to EVAL on NOSCRIPT.
                LogPreloadFailed(logger, server.EndPoint.ToString() ?? "?", exception);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Warning, "Could not preload Lua scripts on {Server}; they will be loaded on first use")]
    private static partial void LogPreloadFailed(ILogger logger, string server, Exception exception);
}
