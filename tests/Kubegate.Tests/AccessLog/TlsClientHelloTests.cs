using System.Net.Security;
using Kubegate.AccessLog.Tls;

namespace Kubegate.Tests.AccessLog;

public class TlsClientHelloTests
{
    private static readonly Lazy<byte[]> Hello = new(() => CaptureClientHello(null));
    private static readonly Lazy<byte[]> HelloWithAlpn = new(() => CaptureClientHello([SslApplicationProtocol.Http2, SslApplicationProtocol.Http11]));

    [Fact]
    public void TryParse_WithAlpn_ReturnsTheOfferedProtocolsInOrderAndTheSni()
    {
        Assert.Equal(ClientHelloParseResult.Complete, TlsClientHello.TryParse(HelloWithAlpn.Value, wantAlpn: true, out var name, out var alpn));
        Assert.Equal("kubernetes.default", name);
        Assert.Equal(["h2", "http/1.1"], alpn!);
    }

    [Fact]
    public void TryParse_WithoutAlpnOffered_ReturnsNull()
    {
        Assert.Equal(ClientHelloParseResult.Complete, TlsClientHello.TryParse(Hello.Value, wantAlpn: true, out var name, out var alpn));
        Assert.Equal("kubernetes.default", name);
        Assert.Null(alpn);
    }

    [Fact]
    public void TryParse_AlpnNotWanted_IsNotRead()
    {
        Assert.Equal(ClientHelloParseResult.Complete, TlsClientHello.TryParse(HelloWithAlpn.Value, wantAlpn: false, out _, out var alpn));
        Assert.Null(alpn);
    }

    [Fact]
    public void TryGetServerName_RealSslStreamClientHello_ReturnsSni()
    {
        Assert.Equal(ClientHelloParseResult.Complete, TlsClientHello.TryGetServerName(Hello.Value, out var name));
        Assert.Equal("kubernetes.default", name);
    }

    [Fact]
    public void TryGetServerName_EveryTruncation_NeedsMoreData()
    {
        var hello = Hello.Value;
        for (var length = 0; length < hello.Length; length++)
        {
            Assert.Equal(ClientHelloParseResult.NeedMoreData, TlsClientHello.TryGetServerName(hello.AsSpan(0, length), out var name));
            Assert.Null(name);
        }
    }

    [Fact]
    public void TryGetServerName_HelloSplitOverTwoRecords_Reassembles()
    {
        var hello = Hello.Value;
        var body = hello.AsSpan(5).ToArray();
        var split = 60;
        var data = new List<byte>();
        data.AddRange([22, 3, 1, (byte)(split >> 8), (byte)split]);
        data.AddRange(body.AsSpan(0, split).ToArray());
        var rest = body.Length - split;
        data.AddRange([22, 3, 1, (byte)(rest >> 8), (byte)rest]);
        data.AddRange(body.AsSpan(split).ToArray());
        var bytes = data.ToArray();

        Assert.Equal(ClientHelloParseResult.Complete, TlsClientHello.TryGetServerName(bytes, out var name));
        Assert.Equal("kubernetes.default", name);
        Assert.Equal(ClientHelloParseResult.NeedMoreData, TlsClientHello.TryGetServerName(bytes.AsSpan(0, split + 20), out _));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'G', (byte)'E', (byte)'T', (byte)' ', (byte)'/' })]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00 })]
    [InlineData(new byte[] { 0x16, 0x09 })]
    [InlineData(new byte[] { 0x17, 0x03, 0x03, 0x00, 0x10 })]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x00 })]
    public void TryGetServerName_NotTls(byte[] data) =>
        Assert.Equal(ClientHelloParseResult.NotTls, TlsClientHello.TryGetServerName(data, out _));

    [Fact]
    public void TryGetServerName_Garbage_NeverThrows()
    {
        var random = new Random(42);
        var hello = Hello.Value;
        for (var i = 0; i < 2000; i++)
        {
            var data = (byte[])hello.Clone();
            for (var j = 0; j < 4; j++)
            {
                data[random.Next(5, data.Length)] = (byte)random.Next(256);
            }

            _ = TlsClientHello.TryGetServerName(data, out _);
            var noise = new byte[random.Next(0, 64)];
            random.NextBytes(noise);
            _ = TlsClientHello.TryGetServerName(noise, out _);
        }
    }

    private static byte[] CaptureClientHello(List<SslApplicationProtocol>? alpn)
    {
        var capture = new CaptureStream();
        using var ssl = new SslStream(capture);
        try
        {
            ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "kubernetes.default", ApplicationProtocols = alpn }).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
        {
            // The fake server closes right after the ClientHello.
        }

        return capture.Written.ToArray();
    }

    private sealed class CaptureStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }
}
