using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FluxGate.Clients;

namespace FluxGate.Api.Http;

/// <summary>
/// A request's instant: an RFC 3339 date-time in UTC (<c>Z</c> or <c>+00:00</c>), else the field's
/// <paramref name="rule"/>. System.Text.Json's own reading takes ISO 8601 at large (a time without an offset is taken
/// as local), which is the ambiguity a sale's start must not have.
/// </summary>
public abstract class JsonUtcTimeConverter(string rule) : JsonConverter<DateTimeOffset?>
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd't'HH:mm:ssK", "yyyy-MM-dd't'HH:mm:ss.FFFFFFFK",
    ];

    public override bool HandleNull => true;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.GetString() is { } text
            && (text.EndsWith('Z') || text.EndsWith('z') || text.EndsWith("+00:00", StringComparison.Ordinal))
            && DateTimeOffset.TryParseExact(text.EndsWith('z') ? text[..^1] + "Z" : text, Formats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var instant))
        {
            return instant;
        }
        throw new InvalidRequestBodyException(rule);
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } instant)
        {
            writer.WriteStringValue(instant.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
