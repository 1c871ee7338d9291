namespace Kubegate.Configuration.Watching;

/// <summary>The file one refresh reads, and the subscriptions it feeds (several clusters may share an EDS file).</summary>
/// <param name="Source">The file.</param>
/// <param name="Subscribers">Its subscriptions, at least one.</param>
internal sealed record FileTarget(ConfigSourceConfig Source, IReadOnlyList<FileSubscriber> Subscribers);
