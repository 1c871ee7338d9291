using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;

namespace Kubegate.FunctionalTests.Faults;

/// <summary>
/// Client requests through kubegate while a fault is on: one new connection every <c>pace</c> (so each one makes
/// kubegate pick a host and connect, retrying on the other host when the connect fails), each sending 1 KiB and
/// expecting exactly those bytes back and then a clean end. A request that errs or takes longer than its timeout
/// failed. Bounded in count and in time; <see cref="StopAsync"/> waits for every request started.
/// </summary>
internal sealed class RequestLoad : IAsyncDisposable
{
    private const int RequestBytes = 1024;
    private readonly FaultBed _bed;
    private readonly TimeSpan _timeout;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Task<RequestOutcome>> _requests = [];
    private readonly Task _loop;

    private RequestLoad(FaultBed bed, TimeSpan pace, TimeSpan timeout, int maxRequests)
    {
        _bed = bed;
        _timeout = timeout;
        _loop = LoopAsync(pace, maxRequests);
    }

    public int Started
    {
        get
        {
            lock (_lock)
            {
                return _requests.Count;
            }
        }
    }

    public static RequestLoad Start(FaultBed bed, TimeSpan pace, TimeSpan timeout, int maxRequests) => new(bed, pace, timeout, maxRequests);

    /// <summary>Waits until <paramref name="count"/> requests have started at or after <paramref name="time"/>.</summary>
    public Task WaitForStartedAfterAsync(DateTimeOffset time, int count)
    {
        var startedBefore = -1;
        return Wait.UntilAsync(() =>
        {
            if (startedBefore < 0 && DateTimeOffset.UtcNow >= time)
            {
                startedBefore = Started;
            }

            return startedBefore >= 0 && Started - startedBefore >= count;
        }, TimeSpan.FromSeconds(30), $"{count} requests started after {time:HH:mm:ss.fff}");
    }

    /// <summary>Stops starting requests and returns every outcome once the last request ended (each is bounded by its timeout).</summary>
    public async Task<IReadOnlyList<RequestOutcome>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Task<RequestOutcome>[] requests;
        lock (_lock)
        {
            requests = [.. _requests];
        }

        return await Task.WhenAll(requests).WaitAsync(_timeout + TimeSpan.FromSeconds(30));
    }

    /// <summary>Stops the load if the test ended early (a failed assertion): no request outlives the bed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            try
            {
                await StopAsync();
            }
            catch (TimeoutException)
            {
            }
        }

        _stop.Dispose();
    }

    private async Task LoopAsync(TimeSpan pace, int maxRequests)
    {
        for (var i = 0; i < maxRequests && !_stop.IsCancellationRequested; i++)
        {
            lock (_lock)
            {
                _requests.Add(RequestAsync(i));
            }

            try
            {
                await Task.Delay(pace, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<RequestOutcome> RequestAsync(int index)
    {
        var started = DateTimeOffset.UtcNow;
        using var deadline = new CancellationTokenSource(_timeout);
        Socket? socket = null;
        try
        {
            socket = await _bed.ConnectClientAsync(_timeout);
            var request = new byte[RequestBytes];
            new Random(index).NextBytes(request);
            await socket.SendAsync(request, deadline.Token);
            var response = new byte[RequestBytes + 1];
            var received = 0;
            while (true)
            {
                var n = await socket.ReceiveAsync(response.AsMemory(received), deadline.Token);
                if (n == 0)
                {
                    break;
                }

                received += n;
                if (received == RequestBytes)
                {
                    socket.Shutdown(SocketShutdown.Send);
                }
                else if (received > RequestBytes)
                {
                    return new RequestOutcome(started, "more bytes than were sent");
                }
            }

            return received == RequestBytes && response.AsSpan(0, RequestBytes).SequenceEqual(request)
                ? new RequestOutcome(started, null)
                : new RequestOutcome(started, $"{received} of {RequestBytes} bytes back before the end, or different bytes");
        }
        catch (OperationCanceledException)
        {
            return new RequestOutcome(started, $"no answer within {_timeout.TotalSeconds} s");
        }
        catch (SocketException ex)
        {
            return new RequestOutcome(started, ex.SocketErrorCode.ToString());
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException or TimeoutException)
        {
            return new RequestOutcome(started, $"{ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            socket?.Dispose();
        }
    }
}
