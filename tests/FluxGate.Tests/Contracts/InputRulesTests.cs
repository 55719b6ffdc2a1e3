using System.Text;
using FluxGate.Contracts;

namespace FluxGate.Tests.Contracts;

/// <summary>The one set of input rules the api and the waiting room share.</summary>
public class InputRulesTests
{
    [Theory]
    [InlineData("ps5-disc", true)]
    [InlineData("a.b_c:d-9", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("{ps5}", false)]
    [InlineData("ps 5", false)]
    [InlineData("ps5/../x", false)]
    [InlineData("pröduct", false)]
    public void Product_ids_are_letters_digits_and_four_marks(string? productId, bool valid)
    {
        Assert.Equal(valid, InputRules.CheckProductId(productId) is null);
    }

    [Theory]
    [InlineData("550e8400-e29b-41d4-a716-446655440000")]
    [InlineData("a")]
    [InlineData("key_with.symbols~!@#$%^&*(),|")]
    public void Printable_ascii_idempotency_keys_are_accepted(string key)
    {
        Assert.Null(InputRules.CheckIdempotencyKey(key));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("tab\there")]
    [InlineData("ünïcode")]
    [InlineData("latin1-\u00e9")]
    public void Idempotency_keys_with_spaces_controls_or_non_ascii_are_refused_naming_how_they_were_sent(string key)
    {
        Assert.Equal("x-idempotency-key must be printable ASCII, without spaces", InputRules.CheckIdempotencyKey(key, "x-idempotency-key"));
        Assert.Equal("idempotencyKey must be printable ASCII, without spaces", InputRules.CheckIdempotencyKey(key));
    }

    [Fact]
    public void Every_identifier_has_its_length_limit()
    {
        Assert.Null(InputRules.CheckProductId(new string('p', 64)));
        Assert.Equal("productId must be at most 64 characters", InputRules.CheckProductId(new string('p', 65)));
        Assert.Null(InputRules.CheckUserId(new string('u', 128)));
        Assert.Equal("userId must be at most 128 characters", InputRules.CheckUserId(new string('u', 129)));
        Assert.Null(InputRules.CheckIdempotencyKey(new string('k', 128)));
        Assert.Equal("idempotencyKey must be at most 128 characters", InputRules.CheckIdempotencyKey(new string('k', 129)));
        Assert.Equal("idempotencyKey is required", InputRules.CheckIdempotencyKey(""));
    }

    [Theory]
    [InlineData("user-123")]
    [InlineData("a|b")]
    [InlineData("|")]
    [InlineData("Zoë 42")]
    [InlineData("用户")]
    [InlineData("emoji 😀 pair")]
    [InlineData("decoder mark \ufffd")]
    [InlineData("quote \" backslash \\ slash /")]
    public void User_ids_are_any_text_without_control_characters(string userId)
    {
        Assert.Null(InputRules.CheckUserId(userId));
    }

    [Fact]
    public void Every_control_character_in_a_user_id_is_refused()
    {
        var controls = Enumerable.Range(0, 0xA0).Select(c => (char)c).Where(char.IsControl).ToList();
        Assert.Equal(65, controls.Count); // C0, DEL, C1

        Assert.All(controls, control =>
            Assert.Equal("userId must not contain control characters", InputRules.CheckUserId($"a{control}b")));
    }

    [Fact]
    public void User_ids_that_cannot_round_trip_as_utf8_are_refused()
    {
        // A fact, not inline data: xunit carries theory arguments as UTF-8, which would mend these strings.
        foreach (var userId in new[] { "\ud800", "a\udc00", "\ude00\ud83d", "ends high \ud83d" })
        {
            Assert.Equal("userId must be valid Unicode text (no unpaired surrogates)", InputRules.CheckUserId(userId));
        }
    }

    [Fact]
    public void Generated_user_ids_are_valid_exactly_when_they_survive_a_strict_utf8_round_trip()
    {
        var random = new Random(11);
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        for (var i = 0; i < 5_000; i++)
        {
            var userId = RandomText(random, random.Next(1, 129));

            var refused = InputRules.CheckUserId(userId);

            var survives = true;
            try
            {
                survives = strict.GetString(strict.GetBytes(userId)) == userId;
            }
            catch (EncoderFallbackException)
            {
                survives = false;
            }
            var expectedValid = survives && !userId.Any(char.IsControl);
            Assert.True(expectedValid == (refused is null), $"{Escape(userId)}: {refused ?? "valid"}");
        }
    }

    /// <summary>Mostly valid text with a sprinkle of what breaks it (controls, lone surrogates) and U+FFFD, which does not.</summary>
    internal static string RandomText(Random random, int length)
    {
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            switch (random.Next(40))
            {
                case 0: text.Append((char)random.Next(0, 0x20)); break;
                case 1: text.Append((char)random.Next(0x7F, 0xA0)); break;
                case 2: text.Append((char)random.Next(0xD800, 0xE000)); break;
                case 3: text.Append('\ufffd'); break;
                case < 10:
                    if (text.Length + 2 <= length)
                    {
                        text.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x110000)));
                    }
                    break;
                case < 20: text.Append((char)random.Next(0xA0, 0xD800)); break;
                default: text.Append((char)random.Next(0x20, 0x7F)); break;
            }
        }
        return text.ToString();
    }

    internal static string Escape(string value) =>
        string.Concat(value.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:x4}" : c.ToString()));
}
