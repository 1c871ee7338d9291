using System.Collections.Concurrent;
using Kubegate.Configuration;
using Kubegate.Configuration.Watching;
using Kubegate.Listeners;
using Kubegate.Stats;
using Kubegate.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Tests.Configuration.Watching;

/// <summary>
/// The reload loop on real files, without watchers: each test changes a file, asks for a check and reads the
/// results, the stats and the snapshots handed to the (recording) applier.
/// </summary>
public class ConfigReloaderTests : IAsyncLifetime
{
    private readonly ConfigFiles _files = new();
    private readonly StatsStore _stats = new();
    private readonly ConcurrentQueue<ConfigSnapshot> _applied = new();
    private IReadOnlyList<ListenerApplyFailure> _bindFailures = [];
    private readonly TaskCompletionSource _reloadFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _reloadsStarted;
    private ConfigReloader _reloader = null!;

    public Task InitializeAsync()
    {
        _files.WriteDefaults();
        _files.Write("lds.yaml", "version_info: \"1\"\n" + ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1")));
        _files.Write("eds_c1.yaml", "version_info: \"e1\"\n" + ConfigFiles.Eds("c1", "10.0.0.1:6443"));
        _reloader = CreateReloader();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _reloader.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public void Constructor_StartUpLoad_CountedAsEachSubscriptionsFirstUpdate()
    {
        AssertCounts("listener_manager.lds.", attempt: 1, success: 1);
        AssertCounts("cluster_manager.cds.", attempt: 1, success: 1);
        AssertCounts("cluster.c1.", attempt: 1, success: 1);
        Assert.Equal("1", _stats.TryGetText("listener_manager.lds.version_text"));
        Assert.Equal("e1", _stats.TryGetText("cluster.c1.version_text"));
        Assert.Equal(string.Empty, _stats.TryGetText("cluster_manager.cds.version_text"));
        Assert.Equal(0, _stats.GetValue("cluster.c1.update_empty"));
        Assert.Null(_stats.TryGetValue("listener_manager.lds.update_empty"));
        Assert.Equal(SubscriptionStats.VersionHash("1"), _stats.GetValue("listener_manager.lds.version"));
    }

    [Fact]
    public async Task ReloadAll_NothingChanged_NothingReadCountedOrApplied()
    {
        var results = await _reloader.ReloadAllAsync(force: false).DefaultTimeout();

        Assert.All(results, r => Assert.Equal(ReloadOutcome.Unchanged, r.Outcome));
        Assert.Equal(["cds", "eds (cluster c1)", "lds"], results.Select(r => r.Subscription));
        Assert.Empty(_applied);
        AssertCounts("listener_manager.lds.", attempt: 1, success: 1);
    }

    [Fact]
    public async Task ReloadOne_ChangedListenerFile_OnlyThatFileCheckedBetweenStartAndFinish()
    {
        _files.Write("lds.yaml", "version_info: \"2\"\n" + ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1"), ConfigFiles.Listener("l2", 6444, "c1")));
        _files.Write("eds_c1.yaml", "version_info: \"e2\"\n" + ConfigFiles.Eds("c1", "10.0.0.9:6443"));

        var results = await _reloader.ReloadAsync(ConfigReloader.ListenersKey, force: false).DefaultTimeout();

        var result = Assert.Single(results);
        Assert.Equal(("lds", ReloadOutcome.Accepted), (result.Subscription, result.Outcome));
        AssertCounts("cluster.c1.", attempt: 1, success: 1);
        await _reloadFinished.Task.DefaultTimeout();
        Assert.Equal(1, Volatile.Read(ref _reloadsStarted));
    }

    [Fact]
    public async Task ReloadAll_SameBytesRewritten_SkippedByHash()
    {
        var path = Path.Combine(_files.Directory, "lds.yaml");
        File.WriteAllBytes(path, File.ReadAllBytes(path));

        var result = await ReloadAsync("lds");

        Assert.Equal(ReloadOutcome.Unchanged, result.Outcome);
        AssertCounts("listener_manager.lds.", attempt: 1, success: 1);
    }

    [Fact]
    public async Task ReloadAll_ListenerAdded_AppliedAndCounted()
    {
        _files.Write("lds.yaml", "version_info: \"2\"\n" + ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1"), ConfigFiles.Listener("l2", 6444, "c1")));

        var result = await ReloadAsync("lds");

        Assert.Equal(ReloadOutcome.Accepted, result.Outcome);
        Assert.Equal("2", result.VersionInfo);
        var applied = Assert.Single(_applied);
        Assert.Equal(["l1", "l2"], applied.Listeners.Select(l => l.Name));
        Assert.Same(applied, _reloader.Snapshot);
        AssertCounts("listener_manager.lds.", attempt: 2, success: 2);
        Assert.Equal("2", _stats.TryGetText("listener_manager.lds.version_text"));
    }

    [Fact]
    public async Task ReloadAll_ListenerFileSyntaxError_UpdateFailureAndLastGoodKept()
    {
        var before = _reloader.Snapshot;
        _files.Write("lds.yaml", "resources: [");

        var result = await ReloadAsync("lds");

        Assert.Equal(ReloadOutcome.Failed, result.Outcome);
        Assert.Contains(result.Problems, p => p.File == "lds.yaml" && p.Line > 0);
        Assert.Empty(_applied);
        Assert.Same(before, _reloader.Snapshot);
        AssertCounts("listener_manager.lds.", attempt: 2, success: 1, failure: 1);
        Assert.Equal("1", _stats.TryGetText("listener_manager.lds.version_text"));
    }

    [Fact]
    public async Task ReloadAll_ListenerFileInvalid_RejectedWholeAndLastGoodKept()
    {
        var before = _reloader.Snapshot;

        // l2 is valid, l1 twice is not: Envoy would apply l2 and reject the duplicate; kubegate refuses the file.
        _files.Write("lds.yaml", "version_info: \"3\"\n" + ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1"), ConfigFiles.Listener("l2", 6444, "c1"), ConfigFiles.Listener("l1", 6445, "c1")));

        var result = await ReloadAsync("lds");

        Assert.Equal(ReloadOutcome.Rejected, result.Outcome);
        var error = Assert.Single(result.Problems, p => p.Severity == ConfigErrorSeverity.Error);
        Assert.StartsWith("lds.yaml:", error.ToString(), StringComparison.Ordinal);
        Assert.Equal("resources[2]", error.Path);
        Assert.Empty(_applied);
        Assert.Same(before, _reloader.Snapshot);
        AssertCounts("listener_manager.lds.", attempt: 2, success: 1, rejected: 1);
        Assert.Equal("1", _stats.TryGetText("listener_manager.lds.version_text"));
    }

    [Fact]
    public async Task ReloadAll_FixedAfterRejection_Accepted()
    {
        _files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1"), ConfigFiles.Listener("l1", 6445, "c1")));
        await ReloadAsync("lds");
        _files.Write("lds.yaml", "version_info: \"4\"\n" + ConfigFiles.Lds(ConfigFiles.Listener("l1", 6446, "c1")));

        var result = await ReloadAsync("lds");

        Assert.Equal(ReloadOutcome.Accepted, result.Outcome);
        Assert.Equal(6446, Assert.Single(Assert.Single(_applied).Listeners).Address.Port);
        AssertCounts("listener_manager.lds.", attempt: 3, success: 2, rejected: 1);
    }

    [Fact]
    public async Task ReloadAll_UnknownField_AcceptedAndCounted()
    {
        _files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1") + "  bogus_field: 1\n"));

        var result = await ReloadAsync("lds");

        Assert.Equal(ReloadOutcome.Accepted, result.Outcome);
        Assert.Contains(result.Problems, p => p.IsUnknownField && p.Severity == ConfigErrorSeverity.Warning);
        Assert.Equal(1, _stats.GetValue("server.dynamic_unknown_fields"));
    }

    [Fact]
    public async Task ReloadAll_UnknownFieldRejectedByFlag_RejectedNotCountedAsUnknown()
    {
        await _reloader.DisposeAsync();
        _reloader = CreateReloader(rejectUnknownDynamicFields: true);
        _files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1") + "  bogus_field: 1\n"));

        var result = await ReloadAsync("lds");

        Assert.Equal(ReloadOutcome.Rejected, result.Outcome);
        Assert.Equal(0, _stats.GetValue("server.dynamic_unknown_fields"));
    }

    [Fact]
    public async Task ReloadAll_ListenerFileDeleted_UpdateFailureKeepsLastGood()
    {
        var before = _reloader.Snapshot;
        File.Delete(Path.Combine(_files.Directory, "lds.yaml"));

        var result = await ReloadAsync("lds");

        Assert.Equal(ReloadOutcome.Failed, result.Outcome);
        Assert.Equal("lds.yaml: unable to read file: 'lds.yaml' does not exist", result.Problems.Single().ToString().Split(" (")[0]);
        Assert.Same(before, _reloader.Snapshot);
        AssertCounts("listener_manager.lds.", attempt: 2, success: 1, failure: 1);

        // Deleted again (still missing): the same "content", nothing more counted.
        Assert.Equal(ReloadOutcome.Unchanged, (await ReloadAsync("lds")).Outcome);
        AssertCounts("listener_manager.lds.", attempt: 2, success: 1, failure: 1);
    }

    [Fact]
    public async Task ReloadAll_Forced_UnchangedFilesReadAndCountedAgain()
    {
        var results = await _reloader.ReloadAllAsync(force: true).DefaultTimeout();

        Assert.All(results, r => Assert.Equal(ReloadOutcome.Accepted, r.Outcome));
        AssertCounts("listener_manager.lds.", attempt: 2, success: 2);
        AssertCounts("cluster_manager.cds.", attempt: 2, success: 2);
        AssertCounts("cluster.c1.", attempt: 2, success: 2);
    }

    [Fact]
    public async Task ReloadAll_ClusterWithNewEdsFileAdded_ReadCountedAndWatched()
    {
        var targets = new TaskCompletionSource<IReadOnlyList<WatchTarget>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _reloader.WatchTargetsChanged += t => targets.TrySetResult(t);
        _files.Write("eds_c2.yaml", "version_info: \"c2-1\"\n" + ConfigFiles.Eds("c2", "10.0.0.2:6443"));
        _files.Write("cds.yaml", "resources:\n" + ConfigFiles.Cluster("c1") + ConfigFiles.Cluster("c2", "lb_policy: LEAST_REQUEST"));

        var result = await ReloadAsync("cds");

        Assert.Equal(ReloadOutcome.Accepted, result.Outcome);
        var applied = Assert.Single(_applied);
        Assert.Equal(["c1", "c2"], applied.Clusters.Select(c => c.Name));
        Assert.Equal("10.0.0.2", applied.Assignments["c2"].Endpoints.Single().Address.Address.ToString());
        AssertCounts("cluster.c2.", attempt: 1, success: 1);
        Assert.Equal("c2-1", _stats.TryGetText("cluster.c2.version_text"));
        AssertCounts("cluster.c1.", attempt: 1, success: 1);
        Assert.Contains(await targets.Task.DefaultTimeout(), t => t.Key == ConfigReloader.EndpointsKey(Path.Combine(_files.Directory, "eds_c2.yaml")));
    }

    [Fact]
    public async Task ReloadAll_ClusterWithInvalidEdsFileAdded_WholeCdsUpdateRejected()
    {
        _files.Write("eds_c2.yaml", ConfigFiles.Eds("wrong-name", "10.0.0.2:6443"));
        _files.Write("cds.yaml", "resources:\n" + ConfigFiles.Cluster("c1") + ConfigFiles.Cluster("c2"));

        var result = await ReloadAsync("cds");

        Assert.Equal(ReloadOutcome.Rejected, result.Outcome);
        Assert.Contains(result.Problems, p => p.File == "eds_c2.yaml" && p.Message.Contains("Unexpected EDS cluster", StringComparison.Ordinal));
        Assert.Empty(_applied);
        AssertCounts("cluster_manager.cds.", attempt: 2, success: 1, rejected: 1);
    }

    [Fact]
    public async Task ReloadAll_ClusterRemoved_StateOfTheWorld()
    {
        _files.Write("lds.yaml", ConfigFiles.Lds());
        await ReloadAsync("lds");
        _files.Write("cds.yaml", "resources: []\n");

        var result = await ReloadAsync("cds");

        Assert.Equal(ReloadOutcome.Accepted, result.Outcome);
        Assert.Empty(_reloader.Snapshot.Clusters);
        Assert.DoesNotContain(_reloader.WatchTargets, t => t.Key.StartsWith("eds:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReloadAll_EdsFileChanged_EndpointsApplied()
    {
        _files.Write("eds_c1.yaml", "version_info: \"e2\"\n" + ConfigFiles.Eds("c1", "10.0.0.1:6443", "10.0.0.3:6443"));

        var result = await ReloadAsync("eds (cluster c1)");

        Assert.Equal(ReloadOutcome.Accepted, result.Outcome);
        Assert.Equal(2, Assert.Single(_applied).Assignments["c1"].Endpoints.Length);
        AssertCounts("cluster.c1.", attempt: 2, success: 2);
        Assert.Equal("e2", _stats.TryGetText("cluster.c1.version_text"));
    }

    [Fact]
    public async Task ReloadAll_EdsFileWithoutAssignment_UpdateEmptyAndEndpointsKept()
    {
        _files.Write("eds_c1.yaml", "version_info: \"e3\"\nresources: []\n");

        var result = await ReloadAsync("eds (cluster c1)");

        Assert.Equal(ReloadOutcome.Empty, result.Outcome);
        Assert.Empty(_applied);
        Assert.Equal("10.0.0.1", _reloader.Snapshot.Assignments["c1"].Endpoints.Single().Address.Address.ToString());
        Assert.Equal(1, _stats.GetValue("cluster.c1.update_empty"));
        AssertCounts("cluster.c1.", attempt: 2, success: 2);
        Assert.Equal("e3", _stats.TryGetText("cluster.c1.version_text"));

        // A later CDS change still composes with the endpoints in force, not with the empty file.
        _files.Write("cds.yaml", ConfigFiles.ClusterFile("lb_policy: RANDOM"));
        Assert.Equal(ReloadOutcome.Accepted, (await ReloadAsync("cds")).Outcome);
        Assert.Equal("10.0.0.1", Assert.Single(_applied).Assignments["c1"].Endpoints.Single().Address.Address.ToString());
    }

    [Fact]
    public async Task ReloadAll_EdsFileForAnotherCluster_RejectedAndEndpointsKept()
    {
        _files.Write("eds_c1.yaml", ConfigFiles.Eds("c9", "10.0.0.9:6443"));

        var result = await ReloadAsync("eds (cluster c1)");

        Assert.Equal(ReloadOutcome.Rejected, result.Outcome);
        Assert.Equal("Unexpected EDS cluster (expecting c1): c9", result.Problems.Single().Message);
        Assert.Empty(_applied);
        AssertCounts("cluster.c1.", attempt: 2, success: 1, rejected: 1);
    }

    [Fact]
    public async Task ReloadAll_ListenerCannotBind_LdsRejectedButRestInForce()
    {
        _bindFailures = [new ListenerApplyFailure("l2", "cannot bind '0.0.0.0:6444': Address already in use")];
        _files.Write("lds.yaml", "version_info: \"5\"\n" + ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1"), ConfigFiles.Listener("l2", 6444, "c1")));

        var result = await ReloadAsync("lds");

        Assert.Equal(ReloadOutcome.Rejected, result.Outcome);
        var error = Assert.Single(result.Problems);
        Assert.Equal("resources[1].address", error.Path);
        Assert.Contains("Error adding/updating listener(s) l2: cannot bind '0.0.0.0:6444': Address already in use", error.Message, StringComparison.Ordinal);
        Assert.Same(Assert.Single(_applied), _reloader.Snapshot);
        AssertCounts("listener_manager.lds.", attempt: 2, success: 1, rejected: 1);
    }

    private ConfigReloader CreateReloader(bool rejectUnknownDynamicFields = false)
    {
        var loader = _files.Loader(rejectUnknownDynamicFields);
        var initial = ConfigFileSet.Load(loader, "envoy.yaml");
        Assert.True(initial.Result.Succeeded, string.Join("\n", initial.Result.Problems));
        var reloader = new ConfigReloader(loader, initial, _stats, new Applier(this), NullLogger.Instance);
        reloader.Start();
        return reloader;
    }

    private sealed class Applier(ConfigReloaderTests test) : IConfigApplier
    {
        public Task<IReadOnlyList<ListenerApplyFailure>> ApplyAsync(ConfigSnapshot next, CancellationToken cancellationToken)
        {
            test._applied.Enqueue(next);
            return Task.FromResult(test._bindFailures);
        }

        public void ReloadStarting() => Interlocked.Increment(ref test._reloadsStarted);

        public void ReloadFinished() => test._reloadFinished.TrySetResult();
    }

    private async Task<ReloadResult> ReloadAsync(string subscription)
    {
        var results = await _reloader.ReloadAllAsync(force: false).DefaultTimeout();
        return Assert.Single(results, r => r.Subscription == subscription);
    }

    private void AssertCounts(string scope, long attempt, long success, long failure = 0, long rejected = 0)
    {
        Assert.Equal(
            (attempt, success, failure, rejected),
            (_stats.GetValue(scope + "update_attempt"), _stats.GetValue(scope + "update_success"), _stats.GetValue(scope + "update_failure"), _stats.GetValue(scope + "update_rejected")));
    }
}
