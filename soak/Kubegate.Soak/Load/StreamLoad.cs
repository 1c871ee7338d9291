using System.Net;
using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Soak.Errors;

namespace Kubegate.Soak.Load;

/// <summary>
/// Checksummed bidirectional streams through kubegate's echo listener, one after another per slot: each lives 20-60 s
/// (so the streams keep landing on hosts as the echo cluster's endpoints flap), ends with a half-close that must be
/// answered by a clean EOF, and every byte that comes back is verified. The echo cluster has no health check and an
/// EDS removal never closes a connection, so every error here is a fault.
/// </summary>
internal sealed class StreamLoad(IPEndPoint listener, LoadCounters counters, ErrorLedger errors)
{
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(500);

    public async Task RunAsync(int slot, int maxPayload, TimeSpan pace, CancellationToken stop)
    {
        var random = new Random(slot);
        while (!stop.IsCancellationRequested)
        {
            ChecksummedStream stream;
            try
            {
                stream = await ChecksummedStream.ConnectAsync(listener, slot, maxPayload);
            }
            catch (Exception e) when (e is SocketException or TimeoutException)
            {
                errors.Record(ErrorSource.Stream, ErrorClassifier.Classify(e), $"stream {slot}: connect: {ErrorClassifier.Describe(e)}", expectedBecause: null);
                await DelayAsync(Backoff, stop);
                continue;
            }

            await using (stream)
            {
                using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(stop);
                lifetime.CancelAfter(TimeSpan.FromSeconds(random.Next(20, 61)));
                Interlocked.Increment(ref counters.StreamsOpened);
                try
                {
                    await stream.RunAsync(pace, lifetime.Token);
                }
                catch (Exception e)
                {
                    // RunAsync reports socket errors itself; anything else must still be counted, not end the slot.
                    errors.Record(ErrorSource.Stream, ErrorKind.Other, $"stream {slot}: {ErrorClassifier.Describe(e)}", expectedBecause: null);
                    continue;
                }

                Interlocked.Add(ref counters.StreamBytes, stream.Bytes);
                Interlocked.Add(ref counters.StreamChunks, stream.RoundTrips);
                if (stream.FailureKind is { } kind)
                {
                    errors.Record(ErrorSource.Stream, ErrorClassifier.Classify(kind), stream.Failure!, expectedBecause: null);
                    await DelayAsync(Backoff, stop);
                }
                else
                {
                    Interlocked.Increment(ref counters.StreamsCompleted);
                }
            }
        }
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
