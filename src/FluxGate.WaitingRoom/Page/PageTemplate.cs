using System.Text;

namespace FluxGate.WaitingRoom.Page;

/// <summary>
/// The page's markup with its style and script (read once at start) inlined (no external asset of any kind), cut into
/// literal text and <c>{{name}}</c> holes. Filling it is a single pass over the parts.
/// </summary>
public sealed class PageTemplate
{
    private readonly IReadOnlyList<(string Literal, string? Hole)> _parts;
    private readonly IReadOnlyDictionary<string, string> _constants;

    private PageTemplate(IReadOnlyList<(string, string?)> parts, IReadOnlyDictionary<string, string> constants)
    {
        _parts = parts;
        _constants = constants;
    }

    public static PageTemplate Load() => Parse(Read("waitingroom.html"), new Dictionary<string, string>
    {
        ["style"] = Read("waitingroom.css"),
        ["script"] = Read("waitingroom.js"),
    });

    public static PageTemplate Parse(string markup, IReadOnlyDictionary<string, string> constants)
    {
        var parts = new List<(string, string?)>();
        var position = 0;
        while (true)
        {
            var open = markup.IndexOf("{{", position, StringComparison.Ordinal);
            var close = open < 0 ? -1 : markup.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (open < 0 || close < 0)
            {
                parts.Add((markup[position..], null));
                return new PageTemplate(parts, constants);
            }
            parts.Add((markup[position..open], markup[(open + 2)..close]));
            position = close + 2;
        }
    }

    /// <summary>Fills every hole with its value, which must already be encoded for where it stands; unknown holes stay empty.</summary>
    public string Render(IReadOnlyDictionary<string, string> values)
    {
        var html = new StringBuilder(16 * 1024);
        foreach (var (literal, hole) in _parts)
        {
            html.Append(literal);
            if (hole is not null && (values.TryGetValue(hole, out var value) || _constants.TryGetValue(hole, out value)))
            {
                html.Append(value);
            }
        }
        return html.ToString();
    }

    private static string Read(string name)
    {
        using var stream = typeof(PageTemplate).Assembly.GetManifestResourceStream($"FluxGate.WaitingRoom.Page.{name}")
                           ?? throw new InvalidOperationException($"Embedded page asset '{name}' is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
