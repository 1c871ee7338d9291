using System.Runtime.CompilerServices;

namespace Kubegate.Testing;

/// <summary>
/// A fresh directory under the system temp folder for one test (certificates, kubeconfigs, config files), removed
/// with everything in it on dispose.
/// </summary>
public sealed class TestPaths : IDisposable
{
    private TestPaths(string directory)
    {
        Directory = directory;
    }

    /// <summary>The repository's root (where kubegate.slnx is), found above the test assembly.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The directory; it exists until <see cref="Dispose"/>.</summary>
    public string Directory { get; }

    /// <summary>Creates <c>$TMPDIR/kubegate-tests/&lt;test name&gt;-&lt;random&gt;</c>.</summary>
    public static TestPaths Create([CallerMemberName] string testName = "")
    {
        var name = string.IsNullOrEmpty(testName) ? "test" : Sanitize(testName);
        if (name.Length > 80)
        {
            name = name[..80];
        }

        var path = Path.Combine(Path.GetTempPath(), "kubegate-tests", $"{name}-{Guid.NewGuid().ToString("N")[..12]}");
        System.IO.Directory.CreateDirectory(path);
        return new TestPaths(path);
    }

    /// <summary>A path inside <see cref="Directory"/> (not created).</summary>
    public string Combine(params string[] parts) => Path.Combine([Directory, .. parts]);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // A child process (kubectl, kubegate) killed a moment ago may still hold a file open; a leftover temp
            // directory must not fail the test that used it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public override string ToString() => Directory;

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "kubegate.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("kubegate.slnx not found above " + AppContext.BaseDirectory);
    }

    private static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]) && chars[i] is not '-' and not '_')
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }
}
