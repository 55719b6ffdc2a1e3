using System.Text.Json;
using System.Text.Json.Serialization;

namespace FluxGate.Clients;

/// <summary>
/// A request's text field: a JSON string and nothing else (<c>null</c>, numbers and arrays are refused, not coerced),
/// holding text that exists in UTF-8 (an escaped unpaired surrogate such as <c>\ud800</c> does not, and could not
/// round-trip through Redis, Kafka and PostgreSQL). System.Text.Json throws a bare <see cref="InvalidOperationException"/>
/// for both, which says nothing a client can act on.
/// </summary>
public class JsonTextConverter : JsonConverter<string>
{
    public const string NotAString = "{0} must be a string";
    public const string NotText = "{0} must be valid Unicode text (no unpaired surrogates)";

    public override bool HandleNull => true;

    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new InvalidRequestBodyException(NotAString);
        }
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // The body is valid UTF-8 (Utf8RequestBody checked it as it arrived): only an escape can be at fault.
            throw new InvalidRequestBodyException(NotText);
        }
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>As <see cref="JsonTextConverter"/>, for a field where <c>null</c> means left out.</summary>
public sealed class JsonOptionalTextConverter : JsonTextConverter
{
    public override bool HandleNull => false;
}
