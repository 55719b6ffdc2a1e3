// A worker with a tiny HTTP surface: /health and /alive for the hosts' probes.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddKafkaConnection("kafka");
builder.AddNpgsqlDataSource("fluxgate");

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
