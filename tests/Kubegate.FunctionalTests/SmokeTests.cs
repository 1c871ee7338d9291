namespace Kubegate.FunctionalTests;

public class SmokeTests
{
    [Fact]
    public void Build_Works() => Assert.True(true);
}
