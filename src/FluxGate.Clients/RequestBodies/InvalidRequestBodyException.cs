using System.Globalization;
using System.Text.Json;

namespace FluxGate.Clients;

/// <summary>
/// A JSON request body that breaks one of our rules while it is read, thrown from a converter or the UTF-8 check. A
/// <see cref="JsonException"/>, so minimal APIs' binding reports it as a bad request (with it inside); System.Text.Json
/// sets <see cref="JsonException.Path"/>, which names the field for rules written for any field (<c>{0}</c>).
/// </summary>
public sealed class InvalidRequestBodyException(string rule) : JsonException(rule)
{
    /// <summary>The rule, with the field it was broken in when it names one.</summary>
    public string Describe() => Path is ['$', '.', .. var field] ? string.Format(CultureInfo.InvariantCulture, Message, field) : Message;
}
