namespace FluxGate.AppHost.Hosting;

/// <summary>
/// How many processes of each service run, section <c>FluxGate:Replicas</c> (e.g. <c>--FluxGate:Replicas:Api=2</c>,
/// <c>./run.sh --replicas api=2,persister=2</c>). One (the default) listens on its port itself; more run behind
/// Aspire's proxy on that port, which spreads the connections over them (<see cref="ServiceSettingsExtensions.WithServiceEndpoint"/>).
/// </summary>
public sealed class ServiceReplicas
{
    public const int Max = 16;

    public int Api { get; set; } = 1;
    public int Persister { get; set; } = 1;
    public int WaitingRoom { get; set; } = 1;

    /// <summary>The count of <paramref name="service"/>, one of <see cref="ResourceNames.Services"/>.</summary>
    public int For(string service) => service switch
    {
        ResourceNames.Api => Api,
        ResourceNames.Persister => Persister,
        ResourceNames.WaitingRoom => WaitingRoom,
        _ => throw new ArgumentOutOfRangeException(nameof(service), service, "not a FluxGate service"),
    };

    /// <exception cref="DistributedApplicationException">A count is outside 1..<see cref="Max"/>.</exception>
    public void Validate()
    {
        var wrong = ResourceNames.Services
            .Where(service => For(service) is < 1 or > Max)
            .Select(service => $"FluxGate:Replicas:{Key(service)} must be between 1 and {Max} (was {For(service)})")
            .ToList();
        if (wrong.Count > 0)
        {
            throw new DistributedApplicationException(string.Join("; ", wrong) + ".");
        }
    }

    private static string Key(string service) => service switch
    {
        ResourceNames.Api => nameof(Api),
        ResourceNames.Persister => nameof(Persister),
        _ => nameof(WaitingRoom),
    };
}
