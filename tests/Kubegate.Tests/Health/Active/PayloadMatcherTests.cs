using System.Text;
using Kubegate.Configuration;
using Kubegate.Health.Active;

namespace Kubegate.Tests.Health.Active;

public class PayloadMatcherTests
{
    [Theory]
    [InlineData("PONG", true)]
    [InlineData("xxPONGyy", true)]
    [InlineData("PON", false)]
    [InlineData("", false)]
    public void Matches_OneBlock_FoundAnywhere(string received, bool expected) =>
        Assert.Equal(expected, PayloadMatcher.Matches(Encoding.ASCII.GetBytes(received), Blocks("PONG")));

    [Theory]
    [InlineData("HELLOWORLD", true)]
    [InlineData("HELLO, big WORLD", true)]
    [InlineData("WORLD HELLO", false)]
    [InlineData("HELLO", false)]
    [InlineData("HELLORLD", false)]
    public void Matches_SeveralBlocks_InOrderWithGapsAllowed(string received, bool expected) =>
        Assert.Equal(expected, PayloadMatcher.Matches(Encoding.ASCII.GetBytes(received), Blocks("HELLO", "WORLD")));

    [Fact]
    public void Matches_NoBlocks_True() => Assert.True(PayloadMatcher.Matches([], EquatableArray<EquatableArray<byte>>.Empty));

    private static EquatableArray<EquatableArray<byte>> Blocks(params string[] blocks) =>
        [.. blocks.Select(b => (EquatableArray<byte>)Encoding.ASCII.GetBytes(b))];
}
