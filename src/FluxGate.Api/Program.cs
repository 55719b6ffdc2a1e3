var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient("redis");
builder.AddKafkaConnection("kafka");
builder.AddNpgsqlDataSource("fluxgate");

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
