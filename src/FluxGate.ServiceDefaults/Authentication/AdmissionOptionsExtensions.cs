using FluxGate.ServiceDefaults.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class AdmissionOptionsExtensions
{
    /// <summary>Section <c>Admission</c>, checked at start-up.</summary>
    public static IHostApplicationBuilder AddAdmissionOptions(this IHostApplicationBuilder builder, bool keyRequired)
    {
        builder.Services.AddValidatedOptions<AdmissionOptions>(AdmissionOptions.Section);
        builder.Services.AddSingleton<IValidateOptions<AdmissionOptions>>(new AdmissionOptionsValidator(keyRequired));
        return builder;
    }
}
