using Kubegate.Admin;

namespace Kubegate.Tests.Admin;

public class AdminIntentHeaderTests
{
    [Theory]
    [InlineData("/kubegate/endpoint/drain")]
    [InlineData("/kubegate/endpoint/disable")]
    [InlineData("/kubegate/endpoint/enable")]
    public void MaintenancePost_WithoutHeader_IsRefusedNamingTheHeader(string path)
    {
        var reason = AdminRequestPolicy.RefuseWithoutIntent("POST", path, intentHeader: null);

        Assert.NotNull(reason);
        Assert.Contains("X-Kubegate-Admin", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void MaintenancePost_WithHeader_IsServed() =>
        Assert.Null(AdminRequestPolicy.RefuseWithoutIntent("POST", "/kubegate/endpoint/drain", "1"));

    [Theory]
    [InlineData("POST", "/quitquitquit")]
    [InlineData("GET", "/kubegate/endpoint/drain")]
    public void OtherRequests_DoNotNeedIt(string method, string path) =>
        Assert.Null(AdminRequestPolicy.RefuseWithoutIntent(method, path, intentHeader: null));
}
