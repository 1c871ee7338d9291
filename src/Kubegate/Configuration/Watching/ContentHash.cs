using System.Security.Cryptography;

namespace Kubegate.Configuration.Watching;

/// <summary>
/// What a config file held when it was last read: the SHA-256 of its bytes, or why it could not be read. A reload is
/// skipped when the hash is unchanged (an editor that saves twice, a <c>touch</c>, a ConfigMap swap that left this
/// file alone), so every watch event may be acted on without care.
/// </summary>
/// <param name="Sha256">Lower-case hex SHA-256 of the content; null when the file could not be read.</param>
/// <param name="Error">Why the file could not be read (missing, permissions); null when it was read.</param>
internal readonly record struct ContentHash(string? Sha256, string? Error)
{
    public bool Exists => Sha256 is not null;

    /// <summary>Reads and hashes the file, following symbolic links (ConfigMap files are links into <c>..data</c>).</summary>
    public static ContentHash Of(string fullPath)
    {
        try
        {
            // Config files are a few KiB: one read beats streaming. The parse reads the file again; the hash is taken
            // first, so a write between the two leaves a hash older than the parsed content, and the write's own
            // event reloads again (harmless). The other order could store a new hash with old content and skip it.
            return new ContentHash(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(fullPath))), null);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return new ContentHash(null, "does not exist");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new ContentHash(null, ex.Message);
        }
    }

    public override string ToString() => Sha256 ?? "unreadable: " + Error;
}
