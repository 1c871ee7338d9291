using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Hosting;

/// <summary>
/// The service manager's end of sd_notify: a Unix datagram socket (a file in a temp directory, or an abstract
/// '@name') that collects every message kubegate sends, in order.
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket;
    private readonly Lock _lock = new();
    private readonly List<string> _messages = [];
    private readonly Task _loop;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private NotifySocket(string address, UnixDomainSocketEndPoint endPoint)
    {
        Address = address;
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Bind(endPoint);
        _loop = ReceiveLoopAsync();
    }

    /// <summary>The NOTIFY_SOCKET value for kubegate.</summary>
    public string Address { get; }

    public static NotifySocket InDirectory(string directory)
    {
        var path = Path.Combine(directory, "notify.sock");
        return new NotifySocket(path, new UnixDomainSocketEndPoint(path));
    }

    public static NotifySocket Abstract()
    {
        var name = "kubegate-test-" + Guid.NewGuid().ToString("N");
        return new NotifySocket("@" + name, new UnixDomainSocketEndPoint("\0" + name));
    }

    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_lock)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>True when one line of <paramref name="message"/> is exactly <paramref name="line"/> (e.g. READY=1).</summary>
    public static bool HasLine(string message, string line) => message.Split('\n').Contains(line, StringComparer.Ordinal);

    /// <summary>The index of the first message at or after <paramref name="from"/> that has the line <paramref name="line"/>.</summary>
    public async Task<int> NextAsync(int from, string line, [CallerFilePath] string file = "", [CallerLineNumber] int lineNumber = 0)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                for (var i = from; i < _messages.Count; i++)
                {
                    if (HasLine(_messages[i], line))
                    {
                        return i;
                    }
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.TimeoutAfter(Kubegate.Testing.TaskExtensions.DefaultTimeoutValue, file, lineNumber);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"{Path.GetFileName(file)}:{lineNumber}: no '{line}' from message {from} on; got: {string.Join(" | ", Messages.Select(m => m.Replace('\n', ' ')))}");
            }
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the socket; how it ended does not matter here.
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[4096];
        while (true)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            TaskCompletionSource changed;
            lock (_lock)
            {
                _messages.Add(Encoding.UTF8.GetString(buffer, 0, n));
                changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        }
    }
}
