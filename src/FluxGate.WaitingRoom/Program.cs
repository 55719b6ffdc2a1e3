using FluxGate.WaitingRoom.Apis;
using FluxGate.WaitingRoom.Extensions;
using FluxGate.WaitingRoom.Page;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisConnection("redis");
builder.AddApplicationServices();

var app = builder.Build();

app.UseErrorMapping(); // queue outages, unreadable bodies and anything unexpected as JSON
app.UseUtf8RequestBodies();
app.MapDefaultEndpoints();
app.MapQueueApi();
app.MapWaitingRoomPage();

app.Run();

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
