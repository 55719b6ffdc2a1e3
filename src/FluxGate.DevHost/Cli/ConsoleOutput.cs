namespace FluxGate.DevHost.Cli;

/// <summary>Child log lines on the console, prefixed and coloured by resource; writes from many threads stay whole.</summary>
internal sealed class ConsoleOutput
{
    private static readonly Dictionary<string, ConsoleColor> Colors = new()
    {
        [ResourceNames.Redis] = ConsoleColor.Red,
        [ResourceNames.Kafka] = ConsoleColor.DarkYellow,
        [ResourceNames.Postgres] = ConsoleColor.Blue,
        [ResourceNames.Api] = ConsoleColor.Green,
        [ResourceNames.Persister] = ConsoleColor.Cyan,
        [ResourceNames.WaitingRoom] = ConsoleColor.Magenta,
        ["devhost"] = ConsoleColor.White,
    };

    private static readonly int PrefixWidth = Colors.Keys.Max(name => name.Length) + 2;

    private readonly object _gate = new();

    public void Write(ResourceLogLine line)
    {
        lock (_gate)
        {
            Console.ForegroundColor = Colors.GetValueOrDefault(line.Resource, ConsoleColor.Gray);
            Console.Write($"[{line.Resource}]".PadRight(PrefixWidth + 1));
            Console.ResetColor();
            Console.WriteLine(line.Text);
        }
    }

    public void WriteBlock(string text, ConsoleColor? color = null)
    {
        lock (_gate)
        {
            if (color is { } value)
            {
                Console.ForegroundColor = value;
            }
            Console.WriteLine(text);
            Console.ResetColor();
        }
    }
}
