using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class ValidatedOptionsExtensions
{
    /// <summary>
    /// How every FluxGate service reads its options: bound from <paramref name="section"/>, then its data annotations and
    /// every <see cref="IValidateOptions{TOptions}"/> registered for it (what annotations cannot say) are checked at
    /// start-up, so a wrong setting stops the service with a message that names it.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class =>
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();

    /// <summary><see cref="AddValidatedOptions{TOptions}"/> with the options' own validator.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        return services.AddValidatedOptions<TOptions>(section);
    }
}
