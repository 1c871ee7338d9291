using Kubegate.Configuration;
using Kubegate.Configuration.Watching;
using Kubegate.Hosting.Systemd;
using Kubegate.Listeners;

namespace Kubegate.Hosting;

/// <summary>
/// The reload loop's way into the running server (<see cref="IConfigApplier"/>): applies a snapshot with
/// <see cref="KubegateServer.ApplyAsync"/> and tells systemd when a reload starts and ends.
/// </summary>
internal sealed class ServerConfigApplier : IConfigApplier
{
    private readonly KubegateServer _server;
    private readonly ServiceNotifier? _notifier;

    /// <param name="server">The running proxy.</param>
    /// <param name="notifier">Told when a reload starts and ends (RELOADING=1 / READY=1); null for none.</param>
    public ServerConfigApplier(KubegateServer server, ServiceNotifier? notifier)
    {
        _server = server;
        _notifier = notifier;
    }

    public async Task<IReadOnlyList<ListenerApplyFailure>> ApplyAsync(ConfigSnapshot next, CancellationToken cancellationToken) =>
        Convert(await _server.ApplyAsync(next, cancellationToken).ConfigureAwait(false));

    public void ReloadStarting() => _notifier?.ReloadStarting();

    public void ReloadFinished() => _notifier?.ReloadFinished();

    /// <summary>The listeners' bind failures as the reload loop reports them.</summary>
    public static IReadOnlyList<ListenerApplyFailure> Convert(IReadOnlyList<ListenerBindFailure> failures) =>
        [.. failures.Select(f => new ListenerApplyFailure(f.Name, f.ToString()))];
}
