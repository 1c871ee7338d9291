using Kubegate.Listeners;

namespace Kubegate.Configuration.Watching;

/// <summary>
/// Makes the running proxy equal to a validated snapshot (<see cref="Hosting.KubegateServer.ApplyAsync"/>); returns
/// the listeners that could not be bound, the one failure only applying can find.
/// </summary>
internal delegate Task<IReadOnlyList<ListenerBindFailure>> ConfigApplier(ConfigSnapshot next, CancellationToken cancellationToken);
