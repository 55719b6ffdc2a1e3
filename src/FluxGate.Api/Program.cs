using FluxGate.Api.Events;
using FluxGate.Api.Extensions;
using FluxGate.Api.Inventory;
using FluxGate.Api.Orders;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseWebSockets();

app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapOrdersApi();
app.MapInventoryApi();
app.MapEventsApi();

app.Run();
