using System.Net;
using System.Net.Sockets;

namespace FluxGate.AppHost.Hosting;

/// <summary>
/// Ports for the local servers and services. They are bound directly (not behind Aspire's proxy, which would sit on
/// every Redis command and every order), and Aspire needs a proxy-less endpoint's port up front.
/// </summary>
internal static class FreePort
{
    public static int OrFree(int configured)
    {
        if (configured > 0)
        {
            return configured;
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
