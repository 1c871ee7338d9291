namespace Kubegate.Configuration.Watching;

/// <summary>What a parsed file would make of the configuration: the files in force with it, and who it updates.</summary>
/// <param name="Next">The file set with the new parse (its <c>Result</c> still the old one: compose comes next).</param>
/// <param name="Updates">The subscriptions updated; empty when every one was refused or empty already.</param>
internal sealed record ParsedChange(ConfigFileSet Next, IReadOnlyList<SubscriptionUpdate> Updates);
