// The FluxGate graph (docs/DESIGN.md, "The graph"): three backing services, three projects, and what each needs to know.
using FluxGate.AppHost;
using FluxGate.AppHost.Hosting;

if (args is ["mint-token", .. var mintArgs])
{
    Environment.ExitCode = ShopperTokens.RunMintTokenCommand(mintArgs);
    return;
}

if (args is ["-h" or "--help", ..])
{
    Console.Out.Write(AppHostArguments.Usage);
    return;
}

string[] switches;
try
{
    switches = AppHostArguments.ToConfigurationSwitches(args);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine($"FluxGate.AppHost: {exception.Message} (see ./run.sh --help)");
    Environment.ExitCode = 2;
    return;
}

// Read before the builder exists, which takes the dashboard only as an option; every later use reads this one value.
var dashboard = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(switches).Build()
    .GetValue($"{FluxGateHostOptions.Section}:{nameof(FluxGateHostOptions.Dashboard)}", true);
var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
{
    Args = switches,
    DisableDashboard = !dashboard,
    EnableResourceLogging = !dashboard,
});
var options = builder.Configuration.GetSection(FluxGateHostOptions.Section).Get<FluxGateHostOptions>() ?? new();
if (!dashboard)
{
    builder.WithResourceOutputOnConsole();
}
options.Replicas.Validate();
var backingServices = new BackingServices(builder, options);
if (options.BackingServicesOnly is { Length: > 0 } only)
{
    backingServices.AddOnly(only);
    builder.Build().Run();
    return;
}

// Generated on first run and kept in the AppHost's user secrets; 44 letters and digits are valid base64 for the
// 33 bytes Admission:SigningKey takes.
var admissionSigningKey = builder.AddParameter("admission-signing-key",
    new GenerateParameterDefault { MinLength = 44, Special = false }, secret: true, persist: true);
var adminApiKey = builder.AddAdminApiKey(options);
var shopperTokens = builder.AddShopperTokens();

var redis = backingServices.AddRedis(ResourceNames.Redis);
var kafka = backingServices.AddKafka(ResourceNames.Kafka);
var fluxgate = backingServices.AddPostgresDatabase(ResourceNames.Postgres, ResourceNames.Database);

var waitingroom = builder.AddProject<Projects.FluxGate_WaitingRoom>(ResourceNames.WaitingRoom, project => project.ExcludeLaunchProfile = true)
    .WithServiceEndpoint(options.Ports.WaitingRoom, options.Replicas.WaitingRoom, options);

var api = builder.AddProject<Projects.FluxGate_Api>(ResourceNames.Api, project => project.ExcludeLaunchProfile = true)
    .WithServiceEndpoint(options.Ports.Api, options.Replicas.Api, options)
    .WithReference(redis).WaitFor(redis)
    .WithReference(kafka).WaitFor(kafka)
    .WithReference(fluxgate).WaitFor(fluxgate)
    .WithEnvironment("WaitingRoom__Url", waitingroom.GetEndpoint("http"))
    .WithEnvironment("Admission__SigningKey", admissionSigningKey)
    .WithAdminApiKey(adminApiKey)
    .WithShopperTokens(shopperTokens)
    .WithMintShopperTokenCommand(shopperTokens)
    .WithServiceSettings(builder.Configuration)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

builder.AddProject<Projects.FluxGate_Persister>(ResourceNames.Persister, project => project.ExcludeLaunchProfile = true)
    .WithServiceEndpoint(options.Ports.Persister, options.Replicas.Persister, options)
    .WithReference(kafka).WaitFor(kafka)
    .WithReference(fluxgate).WaitFor(fluxgate)
    .WithServiceSettings(builder.Configuration)
    .WithReportedHealthCheck("/health"); // Degraded shows: e.g. after events left the Kafka log unread

// The room finds the api by service discovery (services__api__http__0). It does not wait for the api: the api only
// needs the room's address, so the two start side by side.
waitingroom
    .WithReference(redis).WaitFor(redis)
    .WithReference(api)
    .WithEnvironment("Admission__SigningKey", admissionSigningKey)
    .WithShopperTokens(shopperTokens)
    .WithServiceSettings(builder.Configuration)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

if (!options.OtlpExport)
{
    builder.RemoveOtlpExport();
}
if (builder.ExecutionContext.IsRunMode)
{
    builder.Services.AddSingleton(backingServices.State);
    builder.Services.AddHostedService<EndpointsFile>();
}

builder.Build().Run();
