using FluxGate.Api.Events;
using FluxGate.Api.Extensions;
using FluxGate.Api.Inventory;
using FluxGate.Api.Orders;
using FluxGate.Api.Reconciliation;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

// Dependency faults, unreadable bodies and anything unexpected as the spec's JSON; POST /order answers every request itself.
app.UseErrorMapping(answersItself: OrdersApi.IsPlaceOrder);
app.UseUtf8RequestBodies();
// Only /events speaks WebSocket: elsewhere the middleware would give every order a handshake object it never uses.
app.UseWhen(context => context.Request.Path.StartsWithSegments(EventsApi.Path), events => events.UseWebSockets());

app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapOrdersApi();
app.MapInventoryApi();
app.MapEventsApi();
app.MapRecoveryApi();

app.Run();
