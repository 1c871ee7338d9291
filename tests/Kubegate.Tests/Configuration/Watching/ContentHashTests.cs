using Kubegate.Configuration.Watching;

namespace Kubegate.Tests.Configuration.Watching;

public class ContentHashTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-hash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Of_SameBytesRewritten_Equal()
    {
        var path = Path.Combine(_dir, "lds.yaml");
        File.WriteAllText(path, "resources: []\n");
        var first = ContentHash.Of(path);

        File.WriteAllText(path, "resources: []\n");

        Assert.Equal(first, ContentHash.Of(path));
        Assert.True(first.Exists);
        Assert.Equal(64, first.Sha256!.Length);
    }

    [Fact]
    public void Of_ContentChanged_Differs()
    {
        var path = Path.Combine(_dir, "lds.yaml");
        File.WriteAllText(path, "resources: []\n");
        var first = ContentHash.Of(path);

        File.WriteAllText(path, "version_info: \"2\"\nresources: []\n");

        Assert.NotEqual(first, ContentHash.Of(path));
    }

    [Fact]
    public void Of_MissingFile_NotExistsWithReason()
    {
        var hash = ContentHash.Of(Path.Combine(_dir, "gone.yaml"));

        Assert.False(hash.Exists);
        Assert.Equal("does not exist", hash.Error);
    }

    [Fact]
    public void Of_Symlink_HashesTheTarget()
    {
        var target = Path.Combine(_dir, "real.yaml");
        File.WriteAllText(target, "resources: []\n");
        var link = Path.Combine(_dir, "link.yaml");
        File.CreateSymbolicLink(link, target);

        Assert.Equal(ContentHash.Of(target), ContentHash.Of(link));
    }
}
