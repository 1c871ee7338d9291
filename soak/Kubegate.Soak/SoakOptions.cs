namespace Kubegate.Soak;

/// <summary>The command line: which kubegate, how long, where the report goes.</summary>
internal sealed record SoakOptions(string Kubegate, TimeSpan Duration, string Report, string Plot, string Command, bool KeepDirectory);
