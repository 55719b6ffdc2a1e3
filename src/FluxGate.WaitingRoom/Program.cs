using FluxGate.WaitingRoom.Apis;
using FluxGate.WaitingRoom.Extensions;
using FluxGate.WaitingRoom.Page;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisConnection("redis");
builder.AddApplicationServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages(); // routing's bodiless 404 (unknown route) and 405 (wrong method) as ProblemDetails
app.MapDefaultEndpoints();
app.MapQueueApi();
app.MapWaitingRoomPage();

app.Run();

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
