namespace Kubegate.Configuration;

/// <summary>
/// Where a config value came from: file and 1-based line. Deliberately equal to every other location, so that
/// config records stay equal when only their position in the file moved (a comment added above a listener must
/// not count as a change of that listener on reload).
/// </summary>
internal readonly struct SourceLocation : IEquatable<SourceLocation>
{
    public SourceLocation(string file, int line)
    {
        File = file;
        Line = line;
    }

    public string File { get; }

    public int Line { get; }

    public bool IsKnown => File is not null;

    public bool Equals(SourceLocation other) => true;

    public override bool Equals(object? obj) => obj is SourceLocation;

    public override int GetHashCode() => 0;

    public override string ToString() => IsKnown ? $"{File}:{Line}" : "<unknown>";

    public static bool operator ==(SourceLocation left, SourceLocation right) => true;

    public static bool operator !=(SourceLocation left, SourceLocation right) => false;
}
