namespace Kubegate.Configuration.Watching;

/// <summary>
/// The running proxy, as the reload loop drives it. Declared here, implemented by Hosting: configuration never
/// imports the parts it configures, and a reload reaches them only through this interface.
/// </summary>
internal interface IConfigApplier
{
    /// <summary>
    /// Makes the running proxy equal to a validated snapshot; returns the listeners that could not be bound, the one
    /// failure only applying can find.
    /// </summary>
    Task<IReadOnlyList<ListenerApplyFailure>> ApplyAsync(ConfigSnapshot next, CancellationToken cancellationToken);

    /// <summary>A reload that someone waits for (a file change, SIGHUP) starts: systemd's <c>RELOADING=1</c>.</summary>
    void ReloadStarting()
    {
    }

    /// <summary>That reload was applied, refused or abandoned at shutdown: systemd's <c>READY=1</c>.</summary>
    void ReloadFinished()
    {
    }
}
