using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using FluxGate.Api.Http;
using FluxGate.Api.Inventory;
using FluxGate.Api.Orders;
using FluxGate.Contracts;
using FluxGate.Tests.Contracts;
using Microsoft.AspNetCore.Http;

namespace FluxGate.Tests.Api;

/// <summary>
/// Generated malformed bodies against the api's three JSON bodies (<c>/order</c>, <c>/init</c>, <c>/cancel</c>): every
/// one is a 400 that says what is wrong, never an exception (which the client would see as a 500).
/// </summary>
public class RequestBodyPropertyTests
{
    private const int Cases = 1_000;
    private const string NotUtf8 = "Request body is not valid UTF-8";

    /// <summary>A body with a hole for raw bytes inside one of its strings, and its parser.</summary>
    public sealed record Body(string Name, string Before, string After, Func<byte[], ApiError?> Parse)
    {
        public byte[] With(byte[] inside) => [.. Encoding.UTF8.GetBytes(Before), .. inside, .. Encoding.UTF8.GetBytes(After)];

        public override string ToString() => Name;
    }

    private static ApiError? ParseOrder(byte[] utf8) => Parsed(OrderRequest.Parse(utf8, out var error), error);
    private static ApiError? ParseInit(byte[] utf8) => Parsed(InitRequest.Parse(utf8, out var error), error);
    private static ApiError? ParseCancel(byte[] utf8) => Parsed(CancelRequest.Parse(utf8, out var error), error);

    private static ApiError? Parsed(object? value, ApiError? error)
    {
        Assert.True(value is null == error is not null, "a body is either parsed or refused");
        return error;
    }

    private static readonly Body[] Known =
    [
        new("order productId", "{\"productId\":\"p", "\",\"userId\":\"u\"}", ParseOrder),
        new("order userId", "{\"productId\":\"p\",\"userId\":\"u", "\"}", ParseOrder),
        new("init productId", "{\"productId\":\"p", "\",\"quantity\":1}", ParseInit),
        new("cancel userId", "{\"userId\":\"u", "\"}", ParseCancel),
    ];

    private static readonly Body[] Ignored =
    [
        new("order unknown field's name", "{\"productId\":\"p\",\"userId\":\"u\",\"x", "\":1}", ParseOrder),
        new("order unknown field's value", "{\"productId\":\"p\",\"userId\":\"u\",\"extra\":\"x", "\"}", ParseOrder),
    ];

    public static TheoryData<Body> KnownStrings => [.. Known];

    public static TheoryData<Body> EveryString => [.. Known, .. Ignored];

    [Theory]
    [MemberData(nameof(EveryString))]
    public void Invalid_utf8_anywhere_in_a_string_is_a_400(Body body)
    {
        var random = new Random(body.Name.Length);
        for (var i = 0; i < Cases; i++)
        {
            var invalid = InvalidUtf8(random);
            var json = body.With(invalid);
            Assert.False(Utf8.IsValid(json), $"generated {Convert.ToHexString(invalid)} is valid UTF-8");

            var error = body.Parse(json);

            Assert.True(error is { StatusCode: 400, Message: NotUtf8 }, $"{Convert.ToHexString(invalid)}: {error}");
        }
    }

    [Theory]
    [MemberData(nameof(KnownStrings))]
    public void Escapes_that_decode_to_an_unpaired_surrogate_are_a_400_naming_the_field(Body body)
    {
        var field = body.Name.Split(' ')[1];
        var random = new Random(body.Name.Length);
        for (var i = 0; i < Cases; i++)
        {
            var escape = LoneSurrogateEscape(random);

            var error = body.Parse(body.With(Encoding.ASCII.GetBytes(escape)));

            Assert.True(error is { StatusCode: 400 } && error.Message == $"{field} must be valid Unicode text (no unpaired surrogates)",
                $"{escape}: {error}");
        }
    }

    [Fact]
    public void Unpaired_surrogates_in_fields_the_api_does_not_read_are_skipped_not_fatal()
    {
        Assert.Null(ParseOrder("""{"productId":"p","userId":"u","extra":"\ud800"}"""u8.ToArray()));
    }

    [Fact]
    public void A_surrogate_pair_written_as_two_escapes_is_one_character()
    {
        var order = OrderRequest.Parse("""{"productId":"p","userId":"smile \ud83d\ude00"}"""u8, out var error);

        Assert.Null(error);
        Assert.Equal("smile 😀", order!.UserId);
    }

    [Fact]
    public void Any_valid_user_id_comes_back_exactly_as_sent_escaped_or_raw()
    {
        var random = new Random(6);
        var raw = new JsonSerializerOptions { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };
        var tried = 0;
        while (tried < Cases)
        {
            var userId = InputRulesTests.RandomText(random, random.Next(1, 129));
            if (InputRules.CheckUserId(userId) is not null)
            {
                continue;
            }
            tried++;
            foreach (var options in new[] { JsonSerializerOptions.Default, raw })
            {
                var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["productId"] = "p", ["userId"] = userId }, options);

                var order = OrderRequest.Parse(json, out var error);

                Assert.True(error is null, $"{InputRulesTests.Escape(userId)}: {error}");
                Assert.Equal(userId, order!.UserId);
                var cancel = CancelRequest.Parse(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["userId"] = userId }, options), out _);
                Assert.Equal(userId, cancel!.UserId);
            }
        }
    }

    [Theory]
    [MemberData(nameof(KnownStrings))]
    public void Control_characters_raw_are_malformed_json_and_escaped_break_the_fields_rule(Body body)
    {
        for (var c = 0; c < 0x20; c++)
        {
            Assert.Equal(ApiError.MalformedJson, body.Parse(body.With([(byte)c])));

            var escaped = body.Parse(body.With(Encoding.ASCII.GetBytes($"\\u{c:x4}")));

            Assert.Equal(400, escaped!.StatusCode);
            Assert.Contains(body.Name.EndsWith("userId", StringComparison.Ordinal) ? "control characters" : "productId may contain only", escaped.Message);
        }
        foreach (var c in new[] { 0x7F, 0x80, 0x9F })
        {
            Assert.Equal(400, body.Parse(body.With(Encoding.ASCII.GetBytes($"\\u{c:x4}")))!.StatusCode);
        }
    }

    [Fact]
    public void Every_prefix_of_a_valid_body_is_a_400()
    {
        foreach (var (json, parse) in new (string, Func<byte[], ApiError?>)[]
                 {
                     ("""{"productId":"ps5","userId":"Zoë 😀"}""", ParseOrder),
                     ("""{"productId":"ps5","quantity":12}""", ParseInit),
                     ("""{"userId":"Zoë 😀"}""", ParseCancel),
                 })
        {
            var utf8 = Encoding.UTF8.GetBytes(json);
            Assert.Null(parse(utf8));
            for (var length = 1; length < utf8.Length; length++)
            {
                Assert.Equal(400, parse(utf8[..length])?.StatusCode);
            }
        }
    }

    [Fact]
    public void Quantities_that_are_not_an_int32_of_zero_or_more_are_a_400_whatever_their_size()
    {
        var random = new Random(3);
        var refused = new List<string> { "1e400", "-1e400", "99999999999999999999", "2147483648", "-1", "1.5", "1e3", "0.0", "-0.5", "1E+2" };
        for (var i = 0; i < Cases; i++)
        {
            refused.Add(string.Concat(Enumerable.Range(0, random.Next(11, 400)).Select(_ => (char)('0' + random.Next(10)))).TrimStart('0').PadLeft(11, '9'));
            refused.Add($"{random.Next(1, 10)}e{random.Next(-400, 400)}");
        }
        foreach (var quantity in refused)
        {
            var error = ParseInit(Encoding.ASCII.GetBytes($$"""{"productId":"p","quantity":{{quantity}}}"""));
            Assert.True(error is { StatusCode: 400 } && error.Message.StartsWith("quantity must be a non-negative integer", StringComparison.Ordinal),
                $"{quantity}: {error}");
        }
        foreach (var quantity in new[] { 0, 1, int.MaxValue, random.Next() })
        {
            Assert.Equal(quantity, InitRequest.Parse(Encoding.ASCII.GetBytes($$"""{"productId":"p","quantity":{{quantity}}}"""), out _)!.Quantity);
        }
    }

    [Theory]
    [InlineData(InputRules.MaxRequestBodyBytes, true, null)]
    [InlineData(InputRules.MaxRequestBodyBytes, false, null)]
    [InlineData(InputRules.MaxRequestBodyBytes + 1, true, 413)]
    [InlineData(InputRules.MaxRequestBodyBytes + 1, false, 413)]
    [InlineData(1_000_000, false, 413)]
    [InlineData(0, true, 400)]
    public async Task Bodies_over_16_KiB_are_a_413_declared_or_streamed(int size, bool declared, int? status)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(new byte[size]);
        context.Request.ContentLength = declared ? size : null;

        using var body = await JsonRequestBody.ReadAsync(context.Request);

        Assert.Equal(status, body.Error?.StatusCode);
        Assert.Equal(status is null ? size : 0, body.Utf8.Length);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task A_body_that_is_not_declared_json_is_a_415(string? contentType)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = contentType;
        context.Request.Body = new MemoryStream("""{"productId":"p","userId":"u"}"""u8.ToArray());

        using var body = await JsonRequestBody.ReadAsync(context.Request);

        Assert.Equal(ApiError.NotJson, body.Error);
    }

    /// <summary>One ill-formed UTF-8 sequence of a randomly chosen kind, never a quote or a backslash.</summary>
    internal static byte[] InvalidUtf8(Random random)
    {
        byte Continuation() => (byte)random.Next(0x80, 0xC0);
        return random.Next(9) switch
        {
            0 => [Continuation()],                                                   // a continuation byte on its own
            1 => [(byte)random.Next(0xC0, 0xC2), Continuation()],                   // overlong 2-byte form
            2 => [0xE0, (byte)random.Next(0x80, 0xA0), Continuation()],             // overlong 3-byte form
            3 => [0xED, (byte)random.Next(0xA0, 0xC0), Continuation()],             // a UTF-16 surrogate encoded in UTF-8
            4 => [0xF0, (byte)random.Next(0x80, 0x90), Continuation(), Continuation()], // overlong 4-byte form
            5 => [0xF4, (byte)random.Next(0x90, 0xC0), Continuation(), Continuation()], // beyond U+10FFFF
            6 => [(byte)random.Next(0xF5, 0x100)],                                  // a byte UTF-8 never uses
            7 => Truncated(random),                                                 // a valid sequence cut short
            _ => Noise(random),                                                     // random high bytes
        };
    }

    private static byte[] Truncated(Random random)
    {
        var sequence = Encoding.UTF8.GetBytes(char.ConvertFromUtf32(random.Next(3) switch
        {
            0 => random.Next(0x80, 0x800),
            1 => random.Next(0xE000, 0x10000),
            _ => random.Next(0x10000, 0x110000),
        }));
        return sequence[..random.Next(1, sequence.Length)];
    }

    private static byte[] Noise(Random random)
    {
        while (true)
        {
            var bytes = new byte[random.Next(1, 9)];
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = random.Next(3) == 0 ? (byte)random.Next('a', 'z' + 1) : (byte)random.Next(0x80, 0x100);
            }
            if (!Utf8.IsValid(bytes))
            {
                return bytes;
            }
        }
    }

    /// <summary>JSON escapes that decode to at least one unpaired surrogate.</summary>
    private static string LoneSurrogateEscape(Random random)
    {
        string High() => $"\\u{random.Next(0xD800, 0xDC00):x4}";
        string Low() => $"\\u{random.Next(0xDC00, 0xE000):X4}";
        return random.Next(5) switch
        {
            0 => High(),
            1 => Low(),
            2 => High() + "x",
            3 => High() + High(),
            _ => Low() + High() + Low(),
        };
    }
}
