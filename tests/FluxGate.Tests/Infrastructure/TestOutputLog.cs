using Xunit.Abstractions;

namespace FluxGate.Tests.Infrastructure;

/// <summary>Routes a child process's lines to a test's output, and drops them once the test is over.</summary>
public static class TestOutputLog
{
    public static Action<string, bool> Forward(ITestOutputHelper output, string prefix) => (line, _) =>
    {
        try
        {
            output.WriteLine($"[{prefix}] {line}");
        }
        catch (InvalidOperationException)
        {
            // Output after the test finished (a server's shutdown lines): xunit no longer takes it.
        }
    };
}
