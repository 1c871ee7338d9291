using Kubegate.FunctionalTests.Infrastructure;

namespace Kubegate.FunctionalTests.Faults;

/// <summary>
/// Long-lived checksummed streams through kubegate (<see cref="ChecksummedStream"/>), a known number on each
/// apiserver, running from before a fault until after it ended: the ones on the healthy apiserver must not lose,
/// corrupt or truncate a byte, whatever kubegate does about the faulty one.
/// </summary>
internal sealed class FaultStreams : IAsyncDisposable
{
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(20);
    private readonly List<Entry> _streams = [];
    private readonly CancellationTokenSource _stop = new();
    private bool _disposed;

    private FaultStreams()
    {
    }

    /// <summary>Opens <paramref name="onA"/> streams to A and <paramref name="onB"/> to B (while nothing else connects) and starts them.</summary>
    public static async Task<FaultStreams> StartAsync(FaultBed bed, int onA, int onB)
    {
        var streams = new FaultStreams();
        try
        {
            var id = 0;
            foreach (var (node, count) in new[] { (bed.A, onA), (bed.B, onB) })
            {
                for (var i = 0; i < count; i++)
                {
                    var stream = ChecksummedStream.Over(await bed.ConnectToAsync(node), id++);
                    streams._streams.Add(new Entry(stream, node, stream.RunAsync(Pace, streams._stop.Token)));
                }
            }

            // Running, each with a chunk verified, before any fault.
            await Wait.UntilAsync(() => streams._streams.All(s => s.Stream.RoundTrips > 0 || s.Run.IsCompleted), TimeSpan.FromSeconds(30), "every stream verified a chunk");
            foreach (var entry in streams._streams.Where(s => s.Run.IsCompleted))
            {
                throw new InvalidOperationException($"a stream to {entry.Host.Name} ended before the fault: {entry.Stream.Failure}");
            }

            return streams;
        }
        catch
        {
            await streams.DisposeAsync();
            throw;
        }
    }

    public IEnumerable<ChecksummedStream> On(ApiServerNode node) => _streams.Where(s => s.Host == node).Select(s => s.Stream);

    /// <summary>Completes when every stream to <paramref name="node"/> has ended (for a host that died or reset them).</summary>
    public Task EndedAsync(ApiServerNode node) => Task.WhenAll(_streams.Where(s => s.Host == node).Select(s => s.Run));

    /// <summary>Round trips verified so far on the streams to <paramref name="node"/>.</summary>
    public long RoundTrips(ApiServerNode node) => On(node).Sum(s => s.RoundTrips);

    /// <summary>Bytes verified so far on the streams to <paramref name="node"/>.</summary>
    public long Bytes(ApiServerNode node) => On(node).Sum(s => s.Bytes);

    /// <summary>Asks every stream to finish (half-close, expect a clean end) and waits; each wait inside is bounded.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_streams.Select(s => s.Run)).WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stop.CancelAsync();
        foreach (var entry in _streams)
        {
            await entry.Stream.DisposeAsync();
        }

        _stop.Dispose();
    }

    private sealed record Entry(ChecksummedStream Stream, ApiServerNode Host, Task Run);
}
