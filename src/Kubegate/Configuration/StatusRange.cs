namespace Kubegate.Configuration;

/// <summary>An <c>Int64Range</c> of HTTP statuses: <c>start</c> inclusive, <c>end</c> exclusive.</summary>
internal readonly record struct StatusRange(long Start, long End)
{
    public bool Contains(int status) => status >= Start && status < End;
}
