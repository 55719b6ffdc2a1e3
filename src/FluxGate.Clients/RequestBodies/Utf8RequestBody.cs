using System.Text;

namespace FluxGate.Clients;

/// <summary>
/// A JSON request body that must be UTF-8 throughout (RFC 8259 §8.1), checked as it is read. System.Text.Json checks
/// only the strings it decodes, so bytes in a field we skip or in a property name would pass unseen; a body that is
/// empty is refused here too, since the framework's own message for it asks whether a service was meant.
/// </summary>
public sealed class Utf8RequestBody(Stream body) : Stream
{
    public const string NotUtf8 = "Request body is not valid UTF-8";
    public const string Empty = "Request body is empty; send a JSON object";

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Stateful across reads: a character split between two reads is checked whole.
    private readonly Decoder _decoder = Strict.GetDecoder();
    private long _length;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await body.ReadAsync(buffer, cancellationToken);
        Check(buffer.Length, buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        var read = body.Read(buffer);
        Check(buffer.Length, buffer[..read]);
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    private void Check(int asked, ReadOnlySpan<byte> bytes)
    {
        if (asked == 0)
        {
            return; // a zero-byte read only waits for data (pipe readers do)
        }
        _length += bytes.Length;
        if (bytes.IsEmpty && _length == 0)
        {
            throw new InvalidRequestBodyException(Empty);
        }
        Span<char> scratch = stackalloc char[256];
        var flush = bytes.IsEmpty; // the end: a character still open is a truncated one
        try
        {
            do
            {
                _decoder.Convert(bytes, scratch, flush, out var used, out _, out _);
                bytes = bytes[used..];
            }
            while (!bytes.IsEmpty);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidRequestBodyException(NotUtf8);
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
