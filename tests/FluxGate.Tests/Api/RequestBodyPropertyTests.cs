using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using FluxGate.Contracts;
using FluxGate.Tests.Contracts;

namespace FluxGate.Tests.Api;

/// <summary>
/// Generated malformed bodies against the api's three JSON bodies (<c>/order</c>, <c>/init</c>, <c>/cancel</c>), bound as
/// the api binds them (<see cref="RequestBodyServer"/>): every one is a 400 that says what is wrong, never an exception
/// (which the client would see as a 500).
/// </summary>
public class RequestBodyPropertyTests(RequestBodyServer server) : IClassFixture<RequestBodyServer>
{
    private const int Cases = 1_000;
    private const string NotUtf8 = "Request body is not valid UTF-8";

    /// <summary>A body with a hole for raw bytes inside one of its strings, and where it is sent.</summary>
    public sealed record Body(string Name, string Before, string After, string Path)
    {
        public byte[] With(byte[] inside) => [.. Encoding.UTF8.GetBytes(Before), .. inside, .. Encoding.UTF8.GetBytes(After)];

        public override string ToString() => Name;
    }

    private static readonly Body[] Known =
    [
        new("order productId", "{\"productId\":\"p", "\",\"userId\":\"u\"}", "/order"),
        new("order userId", "{\"productId\":\"p\",\"userId\":\"u", "\"}", "/order"),
        new("init productId", "{\"productId\":\"p", "\",\"quantity\":1}", "/init"),
        new("cancel userId", "{\"userId\":\"u", "\"}", "/cancel"),
    ];

    private static readonly Body[] Ignored =
    [
        new("order unknown field's name", "{\"productId\":\"p\",\"userId\":\"u\",\"x", "\":1}", "/order"),
        new("order unknown field's value", "{\"productId\":\"p\",\"userId\":\"u\",\"extra\":\"x", "\"}", "/order"),
    ];

    public static TheoryData<Body> KnownStrings => [.. Known];

    public static TheoryData<Body> EveryString => [.. Known, .. Ignored];

    private Task<RequestBodyServer.Answer> Send(Body body, byte[] inside) => server.PostAsync(body.Path, body.With(inside));

    [Theory]
    [MemberData(nameof(EveryString))]
    public async Task Invalid_utf8_anywhere_in_a_string_is_a_400(Body body)
    {
        var random = new Random(body.Name.Length);
        for (var i = 0; i < Cases; i++)
        {
            var invalid = InvalidUtf8(random);
            Assert.False(Utf8.IsValid(body.With(invalid)), $"generated {Convert.ToHexString(invalid)} is valid UTF-8");

            var answer = await Send(body, invalid);

            Assert.True(answer is { Status: 400, Error: NotUtf8 }, $"{Convert.ToHexString(invalid)}: {answer}");
        }
    }

    [Fact]
    public async Task Invalid_utf8_split_between_two_reads_is_still_found()
    {
        // 😀 cut after its second byte, with the body streamed: the check must carry the open character to the next read.
        var answer = await server.PostAsync("/cancel", [.. "{\"userId\":\"u"u8, 0xF0, 0x9F, .. "\"}"u8], declareLength: false);

        Assert.Equal(NotUtf8, answer.Error);
    }

    [Theory]
    [MemberData(nameof(KnownStrings))]
    public async Task Escapes_that_decode_to_an_unpaired_surrogate_are_a_400_naming_the_field(Body body)
    {
        var field = body.Name.Split(' ')[1];
        var random = new Random(body.Name.Length);
        for (var i = 0; i < Cases; i++)
        {
            var escape = LoneSurrogateEscape(random);

            var answer = await Send(body, Encoding.ASCII.GetBytes(escape));

            Assert.True(answer.Status == 400 && answer.Error == $"{field} must be valid Unicode text (no unpaired surrogates)", $"{escape}: {answer}");
        }
    }

    [Fact]
    public async Task Unpaired_surrogates_in_fields_the_api_does_not_read_are_skipped_not_fatal()
    {
        Assert.Equal(200, (await server.PostAsync("/order", """{"productId":"p","userId":"u","extra":"\ud800"}""")).Status);
    }

    [Fact]
    public async Task A_surrogate_pair_written_as_two_escapes_is_one_character()
    {
        var answer = await server.PostAsync("/order", """{"productId":"p","userId":"smile \ud83d\ude00"}""");

        Assert.Equal(200, answer.Status);
        Assert.Equal("smile 😀", answer.Body.GetProperty("userId").GetString());
    }

    [Fact]
    public async Task Any_valid_user_id_comes_back_exactly_as_sent_escaped_or_raw()
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
                var order = await server.PostAsync("/order",
                    JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["productId"] = "p", ["userId"] = userId }, options));

                Assert.True(order.Status == 200, $"{InputRulesTests.Escape(userId)}: {order}");
                Assert.Equal(userId, order.Body.GetProperty("userId").GetString());
                var cancel = await server.PostAsync("/cancel", JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["userId"] = userId }, options));
                Assert.Equal(userId, cancel.Body.GetProperty("userId").GetString());
            }
        }
    }

    [Theory]
    [MemberData(nameof(KnownStrings))]
    public async Task Control_characters_raw_are_malformed_json_and_escaped_break_the_fields_rule(Body body)
    {
        for (var c = 0; c < 0x20; c++)
        {
            Assert.Equal("Request body is not valid JSON", (await Send(body, [(byte)c])).Error);

            var escaped = await Send(body, Encoding.ASCII.GetBytes($"\\u{c:x4}"));

            Assert.Equal(400, escaped.Status);
            Assert.Contains(body.Name.EndsWith("userId", StringComparison.Ordinal) ? "control characters" : "productId may contain only", escaped.Error);
        }
        foreach (var c in new[] { 0x7F, 0x80, 0x9F })
        {
            Assert.Equal(400, (await Send(body, Encoding.ASCII.GetBytes($"\\u{c:x4}"))).Status);
        }
    }

    [Fact]
    public async Task Every_prefix_of_a_valid_body_is_a_400()
    {
        foreach (var (json, path) in new[]
                 {
                     ("""{"productId":"ps5","userId":"Zoë 😀"}""", "/order"),
                     ("""{"productId":"ps5","quantity":12}""", "/init"),
                     ("""{"userId":"Zoë 😀"}""", "/cancel"),
                 })
        {
            var utf8 = Encoding.UTF8.GetBytes(json);
            Assert.Equal(200, (await server.PostAsync(path, utf8)).Status);
            for (var length = 0; length < utf8.Length; length++)
            {
                var answer = await server.PostAsync(path, utf8[..length]);
                Assert.True(answer is { Status: 400, Error: not null }, $"{length} bytes of {json}: {answer}");
            }
        }
    }

    [Fact]
    public async Task Quantities_that_are_not_an_int32_of_zero_or_more_are_a_400_whatever_their_size()
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
            var answer = await server.PostAsync("/init", $$"""{"productId":"p","quantity":{{quantity}}}""");
            Assert.True(answer is { Status: 400, Error: "quantity must be a non-negative integer (at most 2147483647)" }, $"{quantity}: {answer}");
        }
        foreach (var quantity in new[] { 0, 1, int.MaxValue, random.Next() })
        {
            Assert.Equal(quantity, (await server.PostAsync("/init", $$"""{"productId":"p","quantity":{{quantity}}}""")).Body.GetProperty("quantity").GetInt32());
        }
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
