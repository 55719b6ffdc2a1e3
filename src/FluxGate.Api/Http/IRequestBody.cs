namespace FluxGate.Api.Http;

/// <summary>
/// A JSON body the api binds. Binding reads each field with its type's rule; <see cref="Problem"/> applies the rules
/// between and beyond them (<see cref="Contracts.InputRules"/>) before the handler runs (<see cref="RequestBodyRules"/>).
/// </summary>
public interface IRequestBody
{
    /// <summary>Null when the body may go on, else what is wrong, in words a client can act on.</summary>
    string? Problem();
}
