using Microsoft.Extensions.Hosting.Systemd;

namespace Kubegate.Tests.Hosting.Systemd;

/// <summary>Stands in for the NOTIFY_SOCKET sender: keeps every message, or fails every send.</summary>
internal sealed class RecordingNotifier : ISystemdNotifier
{
    private readonly Lock _lock = new();
    private readonly List<string> _messages = [];

    public bool IsEnabled { get; init; } = true;

    public Exception? Failure { get; set; }

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

    /// <summary>The first line of each message (READY=1, RELOADING=1, …).</summary>
    public IReadOnlyList<string> States => [.. Messages.Select(m => m.Split('\n')[0])];

    public void Notify(ServiceState state)
    {
        if (Failure is { } failure)
        {
            throw failure;
        }

        lock (_lock)
        {
            _messages.Add(state.ToString());
        }
    }
}
