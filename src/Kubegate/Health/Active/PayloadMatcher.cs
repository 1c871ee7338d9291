namespace Kubegate.Health.Active;

/// <summary>
/// Envoy's TCP <c>receive</c> matching (<c>PayloadMatcher::match</c>): every block must appear in the buffered data,
/// in order, each after the previous one; anything may come between them ("fuzzy" matching).
/// </summary>
internal static class PayloadMatcher
{
    public static bool Matches(ReadOnlySpan<byte> buffer, Configuration.EquatableArray<Configuration.EquatableArray<byte>> blocks)
    {
        var start = 0;
        foreach (var block in blocks)
        {
            var span = block.AsSpan();
            if (span.IsEmpty)
            {
                continue;
            }

            var index = buffer[start..].IndexOf(span);
            if (index < 0)
            {
                return false;
            }

            start += index + span.Length;
        }

        return true;
    }
}
