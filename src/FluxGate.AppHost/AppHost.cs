// The FluxGate graph (docs/DESIGN §1) for .NET Aspire: the backing services in containers, the three
// services as projects, and the configuration keys that FluxGate.DevHost injects too.
var builder = DistributedApplication.CreateBuilder(args);

// Secrets are generated on first run and kept in the AppHost's user secrets; override with
// Parameters:<name> (e.g. env Parameters__admin-api-key). 44 characters from the generator's letters and
// digits are valid base64 for 33 bytes, which is what Admission:SigningKey takes.
var admissionSigningKey = builder.AddParameter("admission-signing-key",
    new GenerateParameterDefault { MinLength = 44, Special = false }, secret: true, persist: true);
var adminApiKey = builder.AddParameter("admin-api-key",
    new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
// The API's own defaults: 50 orders/s per product for a demo run, 10,000 when deployed.
var permitsPerSecond = builder.AddParameter("rate-limit-permits-per-second",
    builder.ExecutionContext.IsRunMode ? "50" : "10000", publishValueAsDefault: true);

var redis = builder.AddRedis("redis");

var kafka = builder.AddKafka("kafka");
if (builder.ExecutionContext.IsRunMode)
{
    kafka.WithKafkaUI();
}

var fluxgate = builder.AddPostgres("postgres")
    .WithDataVolume()
    .AddDatabase("fluxgate");

var waitingroom = builder.AddProject<Projects.FluxGate_WaitingRoom>("waitingroom");

var api = builder.AddProject<Projects.FluxGate_Api>("api")
    .WithReference(redis).WaitFor(redis)
    .WithReference(kafka).WaitFor(kafka)
    .WithReference(fluxgate).WaitFor(fluxgate)
    .WithEnvironment("WaitingRoom__Url", waitingroom.GetEndpoint("http"))
    .WithEnvironment("Admission__SigningKey", admissionSigningKey)
    .WithEnvironment("Admin__ApiKey", adminApiKey)
    .WithEnvironment("RateLimit__PermitsPerSecond", permitsPerSecond)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

builder.AddProject<Projects.FluxGate_Persister>("persister")
    .WithReference(kafka).WaitFor(kafka)
    .WithReference(fluxgate).WaitFor(fluxgate)
    .WithHttpHealthCheck("/health");

// The room learns the API's address by service discovery (services__api__http__0). It does not wait for the
// API: the API only needs the room's URL, so the two start side by side.
waitingroom
    .WithReference(redis).WaitFor(redis)
    .WithReference(api)
    .WithEnvironment("Admission__SigningKey", admissionSigningKey)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

builder.Build().Run();
