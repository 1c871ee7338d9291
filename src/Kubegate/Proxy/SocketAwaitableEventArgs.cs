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

    // Continuations run on the thread that completed the operation: on Linux that is already a thread-pool thread
    // (the epoll thread hands completions over), so another hop would only add latency.
    public SocketAwaitableEventArgs()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        _source.RunContinuationsAsynchronously = false;
    }

    /// <summary>Waits until <paramref name="socket"/> has data (or EOF, or an error) without holding a buffer.</summary>
    public ValueTask<SocketOperationResult> WaitForDataAsync(Socket socket)
    {
        SetBuffer(Memory<byte>.Empty);
        _source.Reset();
        return socket.ReceiveAsync(this) ? new ValueTask<SocketOperationResult>(this, _source.Version) : new(Result());
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

    protected override void OnCompleted(SocketAsyncEventArgs e) => _source.SetResult(Result());

    private SocketOperationResult Result() => new(BytesTransferred, SocketError);

    SocketOperationResult IValueTaskSource<SocketOperationResult>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SocketOperationResult>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<SocketOperationResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);
}
