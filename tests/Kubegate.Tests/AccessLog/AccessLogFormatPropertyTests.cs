using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using Kubegate.AccessLog;
using Kubegate.AccessLog.Formatting;
using Kubegate.Configuration;

namespace Kubegate.Tests.AccessLog;

/// <summary>
/// Properties of the access-log format compiler over generated formats and records: any string compiles or yields an
/// error (never throws); literal text round-trips; rendering never throws; rendering a concatenation is the
/// concatenation of the renderings; <c>:N</c> truncates; a JSON format renders one valid JSON object holding every key.
/// </summary>
public class AccessLogFormatPropertyTests
{
    private const int Iterations = 500;

    private static readonly Gen<IPEndPoint?> EndPoint = Gen.OneOf<IPEndPoint?>(
        Gen.Const((IPEndPoint?)null),
        Gen.Select(Gen.UInt, Gen.Int[0, 65535], (a, port) => (IPEndPoint?)new IPEndPoint(new IPAddress(a), port)),
        Gen.Select(Gen.Byte.Array[16], Gen.Int[0, 65535], (a, port) => (IPEndPoint?)new IPEndPoint(new IPAddress(a), port)));

    // Text a record may carry (well-formed UTF-16, as every .NET string from config or the wire): empty, ASCII,
    // quotes and backslashes (JSON escaping), control characters, non-ASCII and a character outside the BMP.
    private static readonly Gen<string?> Text = Gen.OneOf<string?>(
        Gen.Const((string?)null),
        Gen.OneOf("a", "z", "0", " ", "-", ".", ":", "\"", "\\", "/", "%", "{", "\n", "\t", "é", "€", "😀", "\u0001")
            .Array[0, 12]
            .Select(parts => (string?)string.Concat(parts)));

    private static readonly Gen<AccessLogRecord> Record = Gen.Select(
        Gen.Select(Gen.Long[0, 4_000_000_000_000], Gen.Int[-720, 840], Gen.Long[0, TimeSpan.TicksPerDay * 30], (ms, offset, duration) =>
            (Start: DateTimeOffset.FromUnixTimeMilliseconds(ms).ToOffset(TimeSpan.FromMinutes(offset)), Duration: TimeSpan.FromTicks(duration))),
        Gen.Select(Gen.Long[0, long.MaxValue], Gen.Long[0, long.MaxValue], Gen.Int[0, 63], Gen.Long[0, long.MaxValue], Gen.Int[0, 10], (received, sent, flags, id, attempts) =>
            (Received: received, Sent: sent, Flags: (ResponseFlags)flags, Id: id, Attempts: attempts)),
        Gen.Select(EndPoint, EndPoint, EndPoint, EndPoint, (upstream, upstreamLocal, remote, local) => (upstream, upstreamLocal, remote, local)),
        Gen.Select(Text, Text, Text, Text, (cluster, failure, details, sni) => (cluster, failure, details, sni)),
        (time, numbers, addresses, texts) => new AccessLogRecord
        {
            StartTime = time.Start,
            Duration = time.Duration,
            BytesReceived = numbers.Received,
            BytesSent = numbers.Sent,
            ResponseFlags = numbers.Flags,
            ConnectionId = numbers.Id,
            UpstreamRequestAttemptCount = numbers.Attempts,
            UpstreamHost = addresses.upstream,
            UpstreamLocalAddress = addresses.upstreamLocal,
            DownstreamRemoteAddress = addresses.remote,
            DownstreamLocalAddress = addresses.local,
            UpstreamCluster = texts.cluster,
            UpstreamTransportFailureReason = texts.failure,
            ConnectionTerminationDetails = texts.details,
            RequestedServerName = texts.sni,
        });

    // One well-formed command: a supported operator, maybe an argument (strftime patterns for START_TIME), maybe :N.
    private static readonly Gen<string> Command = Gen.Select(
        Gen.OneOf(AccessLogFormatParser.SupportedOperators),
        Gen.OneOf("(X-REQUEST-ID)", "(%Y-%m-%dT%H:%M:%E3S%z)", "(%s.%6f %Ez %E*S %a %b %j %%)", "(%)", "(HOME)"),
        Gen.OneOf<string>(Gen.Const(string.Empty), Gen.Int[1, 40].Select(n => ":" + n)),
        (op, arg, max) => $"%{op}{arg}{max}%");

    private static readonly Gen<string> LiteralText = Gen.String[Gen.Char["ab Z0-_[]\"{}()é\n"], 0, 12];

    // A piece that compiles on its own: a command, or literal text with every '%' doubled.
    private static readonly Gen<string> Piece = Gen.OneOf<string>(Command, LiteralText.Select(Escape), Gen.Const("%%"));

    // Any string, biased towards the format language's own characters so the parser's error paths are reached.
    private static readonly Gen<string> AnyFormat = Gen.OneOf<string>(
            Piece,
            Gen.OneOf("%", "(", ")", ":", ":7", "%REQ(", "%START_TIME(", "%UNKNOWN%", "%REQ()%", "%ENVIRONMENT%", "%DURATION:x%", "%:3%"),
            Gen.String[Gen.Char, 0, 4])
        .Array[0, 10]
        .Select(string.Concat);

    [Fact]
    public void TryCompileText_AnyString_CompilesOrExplainsAndNeverThrows()
    {
        Gen.Select(AnyFormat, Record).Sample((format, record) =>
        {
            if (AccessLogFormat.TryCompileText(format, out var compiled, out var error))
            {
                Assert.NotNull(compiled);
                Assert.Null(error);
                compiled.Render(record, new StringBuilder());
            }
            else
            {
                Assert.Null(compiled);
                Assert.False(string.IsNullOrWhiteSpace(error));
            }
        }, iter: Iterations);
    }

    [Fact]
    public void Render_EscapedLiteral_RoundTrips()
    {
        Gen.Select(Gen.String, Record).Sample((text, record) =>
        {
            Assert.Equal(text, Render(Escape(text), record));
        }, iter: Iterations);
    }

    [Fact]
    public void Render_Concatenation_IsTheConcatenationOfTheRenderings()
    {
        Gen.Select(Piece.Array[1, 8], Record).Sample((pieces, record) =>
        {
            var whole = Render(string.Concat(pieces), record);

            Assert.Equal(string.Concat(pieces.Select(p => Render(p, record))), whole);
        }, iter: Iterations);
    }

    [Fact]
    public void Render_MaxLength_TruncatesOrDashes()
    {
        Gen.Select(Text, Gen.Int[1, 30]).Sample((cluster, max) =>
        {
            var record = new AccessLogRecord { UpstreamCluster = cluster };

            // The first N characters, one fewer when the N-th is the first half of a surrogate pair.
            var cut = Math.Min(max, cluster?.Length ?? 0);
            var expected = string.IsNullOrEmpty(cluster) ? "-"
                : cut < cluster.Length && char.IsHighSurrogate(cluster[cut - 1]) ? cluster[..(cut - 1)]
                : cluster[..cut];
            Assert.Equal(expected, Render($"%UPSTREAM_CLUSTER:{max}%", record));
        }, iter: Iterations);
    }

    [Fact]
    public void JsonFormat_MaxLength_AnyText_RendersValidJsonHoldingAPrefix()
    {
        Gen.Select(Text, Gen.Int[1, 30]).Sample((cluster, max) =>
        {
            var config = new AccessLogConfig
            {
                Name = "json",
                TypeUrl = string.Empty,
                JsonFormat = new EquatableDictionary<string>([KeyValuePair.Create("cluster", $"%UPSTREAM_CLUSTER:{max}%")]),
            };
            Assert.True(AccessLogFormat.TryCompile(config, out var format, out var error), error);
            var output = new StringBuilder();

            format!.Render(new AccessLogRecord { UpstreamCluster = cluster }, output);

            using var json = JsonDocument.Parse(output.ToString());
            var value = json.RootElement.GetProperty("cluster").GetString()!;
            if (string.IsNullOrEmpty(cluster))
            {
                Assert.Equal("-", value);
            }
            else
            {
                Assert.StartsWith(value, cluster, StringComparison.Ordinal);
                Assert.InRange(value.Length, Math.Min(max, cluster.Length) - 1, max);
            }
        }, iter: Iterations);
    }

    [Fact]
    public void JsonFormat_AnyKeys_CompilesUnlessAKeyNestsUnderAnother_AndRendersOneJsonObjectWithEveryKey()
    {
        var segment = Gen.String[Gen.Char["ab\"\\é "], 0, 3];
        var key = segment.Array[1, 3].Select(parts => string.Join('.', parts));
        var members = Gen.Select(key, Piece).Array[1, 6].Select(pairs => pairs.DistinctBy(p => p.Item1).ToArray());
        Gen.Select(members, Gen.Bool, Record).Sample((pairs, omitEmpty, record) =>
        {
            var config = new AccessLogConfig
            {
                Name = "json",
                TypeUrl = string.Empty,
                JsonFormat = new EquatableDictionary<string>(pairs.Select(p => KeyValuePair.Create(p.Item1, p.Item2))),
                OmitEmptyValues = omitEmpty,
            };
            var paths = pairs.Select(p => p.Item1.Split('.')).ToList();
            var nests = paths.Any(a => paths.Any(b => b.Length > a.Length && b.Take(a.Length).SequenceEqual(a)));

            var compiled = AccessLogFormat.TryCompile(config, out var format, out var error);

            Assert.True(compiled == !nests, error);
            if (!compiled)
            {
                return;
            }

            var output = new StringBuilder();
            format!.Render(record, output);
            var line = output.ToString();
            Assert.EndsWith("\n", line, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', line[..^1]);
            using var json = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
            foreach (var path in paths)
            {
                var present = TryWalk(json.RootElement, path, out var value);
                Assert.True(present || omitEmpty, $"key '{string.Join('.', path)}' missing from {line}");
                if (present)
                {
                    Assert.Contains(value.ValueKind, new[] { JsonValueKind.String, JsonValueKind.Number });
                }
            }
        }, iter: Iterations);
    }

    private static string Escape(string text) => text.Replace("%", "%%", StringComparison.Ordinal);

    private static string Render(string format, AccessLogRecord record)
    {
        Assert.True(AccessLogFormat.TryCompileText(format, out var compiled, out var error), $"'{format}': {error}");
        var output = new StringBuilder();
        compiled!.Render(record, output);
        return output.ToString();
    }

    private static bool TryWalk(JsonElement element, string[] path, out JsonElement value)
    {
        value = element;
        foreach (var segment in path)
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(segment, out value))
            {
                return false;
            }
        }

        return true;
    }
}
