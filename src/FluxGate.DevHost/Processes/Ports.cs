using System.Net;
using System.Net.Sockets;

namespace FluxGate.DevHost.Processes;

public static class Ports
{
    /// <summary>A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).</summary>
    public static int GetFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True when a listener could bind <paramref name="port"/> on 127.0.0.1 now.</summary>
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

    /// <summary>Fails with a message that names the port and what to do when a configured port is taken.</summary>
    public static void EnsureFree(int port, string what, string hint)
    {
        if (!IsFree(port))
        {
            throw new InvalidOperationException($"Port {port} for {what} is already in use on 127.0.0.1. {hint}");
        }
    }
}
