using System.Text.Json;
using System.Text.Unicode;

namespace FluxGate.Api.Http;

/// <summary>
/// Walks the top-level properties of a small JSON object, handing each name to a callback that reads
/// the fields it knows and skips the rest. Malformed JSON becomes an <see cref="ApiError"/>, not an exception:
/// the reader checks syntax but not the UTF-8 inside strings, so the body is checked whole first (one vectorized
/// pass), and a string whose escapes make no valid text (a lone <c>\ud800</c>) is refused where it is decoded.
/// </summary>
public static class JsonObjectReader
{
    public delegate ApiError? PropertyHandler<TState>(ref Utf8JsonReader reader, ref TState state);

    public static ApiError? Read<TState>(ReadOnlySpan<byte> utf8Json, ref TState state, PropertyHandler<TState> onProperty)
    {
        if (!Utf8.IsValid(utf8Json))
        {
            return ApiError.NotUtf8;
        }
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 16 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return ApiError.NotAnObject;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var before = reader.BytesConsumed;
                if (onProperty(ref reader, ref state) is { } error)
                {
                    return error;
                }
                if (reader.BytesConsumed == before)
                {
                    // The handler did not want this property: step over its value, whatever it is.
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return ApiError.MalformedJson;
            }
            return null;
        }
        catch (JsonException)
        {
            return ApiError.MalformedJson;
        }
    }

    /// <summary>Reads the current property's value as a string; any other JSON type is an error naming the field.</summary>
    public static ApiError? ReadString(ref Utf8JsonReader reader, string field, out string? value)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            value = null;
            return ApiError.BadRequest($"{field} must be a string");
        }
        try
        {
            value = reader.GetString();
            return null;
        }
        catch (InvalidOperationException)
        {
            // Only an escape that decodes to an unpaired surrogate gets here: the bytes are valid UTF-8 (checked above).
            value = null;
            return ApiError.BadRequest($"{field} must be valid Unicode text (no unpaired surrogates)");
        }
    }
}
