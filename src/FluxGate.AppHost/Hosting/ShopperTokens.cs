using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FluxGate.AppHost.Hosting;

/// <summary>
/// Who issues shopper tokens (the services' <c>Auth:Jwt</c>). With parameter <c>shopper-token-authority</c> (an OpenID
/// Connect issuer; with <c>shopper-token-audience</c>) that authority, in any mode. Else in run mode a development issuer:
/// HMAC-SHA256 tokens signed with parameter <c>shopper-signing-key</c> (generated, kept in the AppHost's user secrets),
/// minted by the api's "Mint shopper token" command or <c>dotnet run --project src/FluxGate.AppHost -- mint-token &lt;userId&gt;</c>.
/// Deployed without an authority, the services take no tokens (the anonymous flow works; a token is a 401).
/// </summary>
public static class ShopperTokens
{
    public const string Issuer = "fluxgate-apphost";
    public const string Audience = "fluxgate";
    public const string SigningKeyParameter = "shopper-signing-key";
    public const string AuthorityParameter = "shopper-token-authority";
    public const string AudienceParameter = "shopper-token-audience";
    public const string MintCommand = "mint-shopper-token";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);

    /// <summary>The issuer's settings as the services' environment, or nothing (deployed without an authority).</summary>
    public sealed record Settings(IReadOnlyList<(string Name, object Value)> Environment, IResourceBuilder<ParameterResource>? SigningKey);

    public static Settings AddShopperTokens(this IDistributedApplicationBuilder builder)
    {
        if (builder.Configuration[$"Parameters:{AuthorityParameter}"] is not null)
        {
            var authority = builder.AddParameter(AuthorityParameter);
            var audience = builder.AddParameter(AudienceParameter, Audience, publishValueAsDefault: true);
            return new([("Auth__Jwt__Authority", authority), ("Auth__Jwt__Audience", audience)], null);
        }
        if (!builder.ExecutionContext.IsRunMode)
        {
            return new([], null);
        }
        // 44 letters and digits are valid base64 for the 33 bytes Auth:Jwt:SigningKey takes (like admission-signing-key).
        var key = builder.AddParameter(SigningKeyParameter,
            new GenerateParameterDefault { MinLength = 44, Special = false }, secret: true, persist: true);
        return new([("Auth__Jwt__Issuer", Issuer), ("Auth__Jwt__Audience", Audience), ("Auth__Jwt__SigningKey", key)], key);
    }

    public static IResourceBuilder<ProjectResource> WithShopperTokens(this IResourceBuilder<ProjectResource> service, Settings settings)
    {
        foreach (var (name, value) in settings.Environment)
        {
            if (value is IResourceBuilder<ParameterResource> parameter)
            {
                service.WithEnvironment(name, parameter);
            }
            else
            {
                service.WithEnvironment(name, value.ToString());
            }
        }
        return service;
    }

    /// <summary>The dashboard's "Mint shopper token" on the api: a development token for the user id asked for.</summary>
    public static IResourceBuilder<ProjectResource> WithMintShopperTokenCommand(this IResourceBuilder<ProjectResource> api, Settings settings)
    {
        if (settings.SigningKey is not { } signingKey)
        {
            return api;
        }
        return api.WithCommand(MintCommand, "Mint shopper token", async context =>
        {
            var userId = context.Arguments.GetString("userId")?.Trim();
            if (string.IsNullOrEmpty(userId) || userId.Length > 128)
            {
                return CommandResults.Failure("Give a user id of 1 to 128 characters.");
            }
            var key = await signingKey.Resource.GetValueAsync(context.CancellationToken);
            var token = Mint(key!, userId, TimeProvider.System);
            return CommandResults.Success($"Shopper token for {userId} (valid {Lifetime.TotalHours:0} h): send it as Authorization: Bearer <token>",
                token, CommandResultFormat.Text, displayImmediately: true);
        }, new CommandOptions
        {
            Description = "A development token for a shopper: Authorization: Bearer <token> on POST /order",
            IconName = "Key",
            Arguments =
            [
                new InteractionInput { Name = "userId", Label = "User id", InputType = InputType.Text, Required = true, Value = "user-123" },
            ],
        });
    }

    /// <summary>A token of the development issuer for <paramref name="userId"/> (its <c>sub</c>).</summary>
    public static string Mint(string signingKey, string userId, TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Sub] = userId },
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>
    /// <c>dotnet run --project src/FluxGate.AppHost -- mint-token &lt;userId&gt;</c>: prints a development token (only the
    /// token, for <c>$(…)</c>) signed with the key the AppHost keeps in its user secrets; nothing else starts.
    /// </summary>
    public static int RunMintTokenCommand(string[] args)
    {
        if (args is not [var userId] || userId.Length is 0 or > 128)
        {
            Console.Error.WriteLine("usage: mint-token <userId>   (1 to 128 characters)");
            return 2;
        }
        var configuration = new ConfigurationBuilder()
            .AddUserSecrets(typeof(ShopperTokens).Assembly, optional: true)
            .AddEnvironmentVariables()
            .Build();
        if (configuration[$"Parameters:{SigningKeyParameter}"] is not { Length: > 0 } key)
        {
            Console.Error.WriteLine($"No {SigningKeyParameter} yet: the AppHost generates it on its first run (./run.sh).");
            return 1;
        }
        Console.WriteLine(Mint(key, userId, TimeProvider.System));
        return 0;
    }
}
