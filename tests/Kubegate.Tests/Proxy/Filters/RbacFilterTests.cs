using System.Net;
using Kubegate.Configuration;
using Kubegate.Proxy.Filters;
using Kubegate.Stats;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Tests.Proxy.Filters;

public class RbacFilterTests
{
    private static readonly RbacMatchConfig Any = new() { Kind = RbacMatchKind.Any };

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("10.9.0.1", false)]      // in 10.0.0.0/8 but also in the excluded 10.9.0.0/16
    [InlineData("192.168.0.1", false)]
    [InlineData("::ffff:10.1.2.3", true)] // an IPv4-mapped client counts as IPv4
    public void Allow_WithAndNot_MatchesAsEnvoyDoes(string client, bool allowed)
    {
        var principal = new RbacMatchConfig
        {
            Kind = RbacMatchKind.And,
            Children = [From("10.0.0.0", 8), new RbacMatchConfig { Kind = RbacMatchKind.Not, Children = [From("10.9.0.0", 16)] }],
        };
        var stats = new StatsStore();
        var filter = Filter(RbacAction.Allow, principal, stats);

        var decision = filter.OnNewConnection(new ConnectionFacts(IPAddress.Parse(client), null, 0));

        Assert.Equal(allowed, decision.Admitted);
        Assert.Equal(allowed ? 1 : 0, stats.GetValue("p.rbac.allowed"));
        Assert.Equal(allowed ? null : "rbac_access_denied_matched_policy[none]", decision.TerminationDetails);
    }

    [Fact]
    public void DestinationPortPermission_UsesTheLocalEndPoint()
    {
        var rules = new RbacRulesConfig
        {
            Action = RbacAction.Deny,
            Policies = [new RbacPolicyConfig { Name = "admin-port", Permissions = [new RbacMatchConfig { Kind = RbacMatchKind.DestinationPort, Port = 7443 }], Principals = [Any] }],
        };
        var filter = new RbacFilter(new RbacConfig { StatPrefix = "p", Rules = rules }, new StatsStore(), NullLogger.Instance);

        Assert.False(filter.OnNewConnection(new ConnectionFacts(IPAddress.Loopback, new IPEndPoint(IPAddress.Loopback, 7443), 0)).Admitted);
        Assert.True(filter.OnNewConnection(new ConnectionFacts(IPAddress.Loopback, new IPEndPoint(IPAddress.Loopback, 6443), 0)).Admitted);
    }

    private static RbacFilter Filter(RbacAction action, RbacMatchConfig principal, StatsStore stats) => new(
        new RbacConfig
        {
            StatPrefix = "p",
            Rules = new RbacRulesConfig { Action = action, Policies = [new RbacPolicyConfig { Name = "office", Permissions = [Any], Principals = [principal] }] },
        },
        stats,
        NullLogger.Instance);

    private static RbacMatchConfig From(string prefix, int length) => new() { Kind = RbacMatchKind.SourceIp, Cidr = new CidrRangeConfig(IPAddress.Parse(prefix), length) };
}
