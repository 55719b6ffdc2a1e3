using System.Text.Json;
using System.Text.Json.Serialization;
using FluxGate.Clients;

namespace FluxGate.Api.Http;

/// <summary>
/// A request's integer field with its range: a JSON number that is a whole Int32 from <paramref name="minimum"/> to
/// <paramref name="maximum"/>, else the field's <paramref name="rule"/> (System.Text.Json's own says only that the value
/// "could not be converted", and a string, a fraction or <c>1e400</c> each deserve the rule).
/// </summary>
public abstract class JsonIntegerConverter(int minimum, int maximum, string rule) : JsonConverter<int?>
{
    public override bool HandleNull => true;

    public override int? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) && value >= minimum && value <= maximum
            ? value
            : throw new InvalidRequestBodyException(rule);

    public override void Write(Utf8JsonWriter writer, int? value, JsonSerializerOptions options)
    {
        if (value is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
