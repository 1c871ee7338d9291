using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Kubegate.Proxy;

/// <summary>
/// A reusable <see cref="SocketAsyncEventArgs"/> that can be awaited and reports errors as values, as Kestrel's
/// socket transport does: one instance per socket and direction, reused for every operation, so waiting for data
/// or for send space allocates nothing.
/// </summary>
internal sealed class SocketAwaitableEventArgs : SocketAsyncEventArgs, IValueTaskSource<SocketOperationResult>
{
    private ManualResetValueTaskSourceCore<SocketOperationResult> _source;

    // Set while a callback-style wait (WaitForData) is pending: its completion goes here instead of to an awaiter.
    private IDataReadyHandler? _dataReady;

    // Continuations run on the thread that completed the operation: on Linux the epoll thread itself (kubegate turns
    // inline completions on, Hosting/SocketEngineDefaults) or a pool thread it handed the completion to; another hop
    // would only add latency.
    public SocketAwaitableEventArgs()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        _source.RunContinuationsAsynchronously = false;
    }

    /// <summary>
    /// Starts waiting until <paramref name="socket"/> has data (or EOF, or an error) without holding a buffer, and
    /// without an awaiting state machine either: a pending wait completes by calling <paramref name="handler"/>.
    /// </summary>
    /// <returns>True when the wait is pending; false when it completed at once, with <paramref name="result"/>.</returns>
    public bool WaitForData(Socket socket, IDataReadyHandler handler, out SocketOperationResult result)
    {
        SetBuffer(Memory<byte>.Empty);
        _dataReady = handler;
        if (socket.ReceiveAsync(this))
        {
            result = default;
            return true;
        }

        _dataReady = null;
        result = Result();
        return false;
    }

    public ValueTask<SocketOperationResult> SendAsync(Socket socket, ReadOnlyMemory<byte> buffer)
    {
        SetBuffer(System.Runtime.InteropServices.MemoryMarshal.AsMemory(buffer));
        _source.Reset();
        return socket.SendAsync(this) ? new ValueTask<SocketOperationResult>(this, _source.Version) : new(Result());
    }

    public ValueTask<SocketOperationResult> ConnectAsync(Socket socket, System.Net.EndPoint endPoint)
    {
        SetBuffer(Memory<byte>.Empty);
        RemoteEndPoint = endPoint;
        _source.Reset();
        return socket.ConnectAsync(this) ? new ValueTask<SocketOperationResult>(this, _source.Version) : new(Result());
    }

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        var dataReady = _dataReady;
        if (dataReady is not null)
        {
            _dataReady = null;
            dataReady.OnDataReady(this, Result());
            return;
        }

        _source.SetResult(Result());
    }

    private SocketOperationResult Result() => new(BytesTransferred, SocketError);

    SocketOperationResult IValueTaskSource<SocketOperationResult>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SocketOperationResult>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<SocketOperationResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);
}
