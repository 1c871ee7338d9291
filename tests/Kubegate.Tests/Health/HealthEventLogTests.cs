using System.Text.Json;
using Kubegate.Health.Active;

namespace Kubegate.Tests.Health;

public sealed class HealthEventLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-hc-events-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void EventLogPath_FirstFailureEjectionAndRecovery_WrittenAsEnvoyJsonLines()
    {
        var path = Path.Combine(_dir, "hc.log");
        var check = HealthTestCluster.Check(unhealthyThreshold: 1, healthyThreshold: 1) with { EventLogPath = path };
        using var test = new HealthTestCluster(HealthTestCluster.Config(check), [10001]);
        var probe = test.Probe(10001);

        test.RunDueChecks();
        probe.Next = ProbeResult.ActiveFailure("HTTP 500", 500);
        test.Advance(1);
        probe.Pass();
        test.Advance(1);
        test.Services.Dispose();

        var events = File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal("HTTP", e.GetProperty("health_checker_type").GetString());
            Assert.Equal("c", e.GetProperty("cluster_name").GetString());
            Assert.Equal("127.0.0.1", e.GetProperty("host").GetProperty("socket_address").GetProperty("address").GetString());
            Assert.Equal(10001, e.GetProperty("host").GetProperty("socket_address").GetProperty("port_value").GetInt32());
            Assert.EndsWith("Z", e.GetProperty("timestamp").GetString(), StringComparison.Ordinal);
        });
        Assert.True(events[0].GetProperty("add_healthy_event").GetProperty("first_check").GetBoolean());
        Assert.Equal("ACTIVE", events[1].GetProperty("eject_unhealthy_event").GetProperty("failure_type").GetString());
        Assert.False(events[2].GetProperty("add_healthy_event").TryGetProperty("first_check", out _));
    }

    [Fact]
    public void EventLogPath_AlwaysLogFailures_EveryFailureLogged()
    {
        var path = Path.Combine(_dir, "hc.log");
        var check = HealthTestCluster.Check(unhealthyThreshold: 5) with { EventLogPath = path, AlwaysLogHealthCheckFailures = true };
        using var test = new HealthTestCluster(HealthTestCluster.Config(check), [10001]);
        test.Probe(10001).FailNetwork();

        test.RunDueChecks();
        test.Advance(1);
        test.Advance(1);
        test.Services.Dispose();

        var failures = File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("health_check_failure_event", out _)).ToList();
        Assert.Equal(3, failures.Count);
        Assert.True(failures[0].GetProperty("health_check_failure_event").GetProperty("first_check").GetBoolean());
        Assert.Equal("NETWORK", failures[2].GetProperty("health_check_failure_event").GetProperty("failure_type").GetString());
    }
}
