using System.Net;
using System.Net.Sockets;

namespace FluxGate.AppHost.Hosting;

/// <summary>
/// Ports for the local servers and services. They are bound directly (not behind Aspire's proxy, which would sit on
/// every Redis command and every order), and Aspire needs a proxy-less endpoint's port up front.
/// </summary>
internal static class FreePort
{
    // Below Linux's ephemeral range (32768–60999 by default): a port taken from that range and released until the server
    // binds it can meanwhile become the source port of any outgoing connection on the machine, and the server then fails
    // with "address already in use". Only another server binding on purpose can take one of these.
    private const int Lowest = 15000;
    private const int Highest = 32767;

    public static int OrFree(int configured)
    {
        if (configured > 0)
        {
            return configured;
        }
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = Random.Shared.Next(Lowest, Highest + 1);
            if (IsFree(port))
            {
                return port;
            }
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A free port not in <paramref name="taken"/>, which it is added to (several ports chosen at once differ).</summary>
    public static int Next(ISet<int> taken)
    {
        while (true)
        {
            var port = OrFree(0);
            if (taken.Add(port))
            {
                return port;
            }
        }
    }

    /// <summary>Whether 127.0.0.1:<paramref name="port"/> can be listened on now.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
