using System.Net.Sockets;
using Kubegate.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Tests.Hosting.Systemd;

public class ServiceNotifierTests
{
    private readonly RecordingNotifier _sent = new();
    private readonly ServiceNotifier _notifier;

    public ServiceNotifierTests() => _notifier = new ServiceNotifier(_sent, NullLogger.Instance, () => "serving: 2 listener(s)");

    [Fact]
    public void Ready_SentOnceWithStatus()
    {
        _notifier.Ready();
        _notifier.Ready();

        Assert.Equal("READY=1\nSTATUS=serving: 2 listener(s)", Assert.Single(_sent.Messages));
    }

    [Fact]
    public void ReloadStarting_OverlappingReloads_OneBracket()
    {
        _notifier.Ready();

        _notifier.ReloadStarting();
        _notifier.ReloadStarting();
        _notifier.ReloadFinished();
        Assert.Equal(["READY=1", "RELOADING=1"], _sent.States);
        _notifier.ReloadFinished();

        Assert.Equal(["READY=1", "RELOADING=1", "READY=1"], _sent.States);
        Assert.Matches(@"\nMONOTONIC_USEC=\d+\n", _sent.Messages[1]);
    }

    [Fact]
    public void ReloadStarting_BeforeReady_NothingSent()
    {
        _notifier.ReloadStarting();
        _notifier.ReloadFinished();

        Assert.Empty(_sent.Messages);
    }

    [Fact]
    public void Stopping_ReloadFinishingAfterwards_NoReadyAfterStopping()
    {
        _notifier.Ready();
        _notifier.ReloadStarting();

        _notifier.Stopping("draining 3 connection(s)", TimeSpan.FromSeconds(610));
        _notifier.ReloadFinished();
        _notifier.Ready();

        Assert.Equal(["READY=1", "RELOADING=1", "STOPPING=1"], _sent.States);
        Assert.Equal("STOPPING=1\nSTATUS=draining 3 connection(s)\nEXTEND_TIMEOUT_USEC=610000000", _sent.Messages[2]);
    }

    [Fact]
    public void Stopping_UnboundedDrain_NoExtendTimeout()
    {
        _notifier.Stopping("draining", Timeout.InfiniteTimeSpan);

        Assert.Equal("STOPPING=1\nSTATUS=draining", Assert.Single(_sent.Messages));
    }

    [Fact]
    public void Send_SocketGone_ServingGoesOnAndTheFailureIsLoggedOnce()
    {
        var logger = new RecordingLogger();
        var notifier = new ServiceNotifier(_sent, logger, () => "x");
        _sent.Failure = new SocketException((int)SocketError.ConnectionRefused);

        notifier.Ready();
        notifier.Watchdog();
        notifier.Watchdog();
        _sent.Failure = null;
        notifier.Watchdog();

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal("SystemdNotifyFailed", entry.EventName);
        Assert.Contains("READY", entry.Message, StringComparison.Ordinal);
        Assert.Equal("WATCHDOG=1", Assert.Single(_sent.Messages));
    }

    [Fact]
    public void Send_UnexpectedFailure_IsNotSwallowed()
    {
        _sent.Failure = new InvalidOperationException("a bug, not a gone socket");

        Assert.Throws<InvalidOperationException>(_notifier.Ready);
    }

    [Fact]
    public void Send_NoNotifySocket_NothingSent()
    {
        var disabled = new RecordingNotifier { IsEnabled = false };
        var notifier = new ServiceNotifier(disabled, NullLogger.Instance, () => "x");

        notifier.Ready();
        notifier.Watchdog();

        Assert.False(notifier.IsEnabled);
        Assert.Empty(disabled.Messages);
    }
}
