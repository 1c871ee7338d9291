using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration.Binding;

public sealed class DiscoveryBinderTests
{
    [Fact]
    public void Discovery_WithFiles_BindsEveryField_ResolvingPathsAgainstTheWorkingDirectory()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("pki/ca.crt", "x").Write("pki/client.crt", "x").Write("pki/client.key", "x");
        files.WriteCluster("""
            metadata:
              filter_metadata:
                other.filter: {anything: 1}
                kubegate:
                  discovery:
                    listener: l1
                    server_name: kubernetes.default.svc
                    ca_file: pki/ca.crt
                    certificate_file: pki/client.crt
                    private_key_file: pki/client.key
            """);

        var result = files.Load();

        ProblemAssert.Clean(result);
        var discovery = result.Snapshot!.Clusters.Single().Discovery!;
        Assert.Equal("l1", discovery.Listener);
        Assert.Equal("kubernetes.default.svc", discovery.ServerName);
        Assert.Equal(Path.Combine(files.Directory, "pki/ca.crt"), discovery.CaFile);
        Assert.Equal(Path.Combine(files.Directory, "pki/client.key"), discovery.PrivateKeyFile);
        Assert.Null(discovery.KubeconfigFile);
    }

    [Fact]
    public void NoKubegateMetadata_NoDiscovery()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            metadata:
              filter_metadata:
                envoy.lb: {canary: true}
            """);

        var result = files.Load();

        ProblemAssert.Clean(result);
        Assert.Null(result.Snapshot!.Clusters.Single().Discovery);
    }

    [Fact]
    public void Discovery_WithKubeconfig_DefaultsTheServerNameAndListener()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("admin.conf", "apiVersion: v1");
        files.WriteCluster("""
            metadata: {filter_metadata: {kubegate: {discovery: {kubeconfig: admin.conf, context: admin@prod}}}}
            """);

        var result = files.Load();

        ProblemAssert.Clean(result);
        var discovery = result.Snapshot!.Clusters.Single().Discovery!;
        Assert.Equal("kubernetes", discovery.ServerName);
        Assert.Null(discovery.Listener);
        Assert.Equal("admin@prod", discovery.KubeconfigContext);
    }

    [Fact]
    public void Discovery_WithoutCredentials_IsRefusedNamingTheFix()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            metadata: {filter_metadata: {kubegate: {discovery: {listener: l1}}}}
            """);

        var error = ProblemAssert.Error(files.Load(), "resources[0].metadata.filter_metadata.kubegate.discovery");

        Assert.Contains("needs credentials", error.Message, StringComparison.Ordinal);
        Assert.Contains("kubeconfig: <file>", error.Fix, StringComparison.Ordinal);
        Assert.Equal("cds.yaml", error.File);
    }

    [Fact]
    public void Discovery_MissingFile_IsRefusedNamingFileLineAndPath()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            metadata:
              filter_metadata:
                kubegate:
                  discovery:
                    kubeconfig: nope.conf
            """);

        var error = ProblemAssert.Error(files.Load(), "resources[0].metadata.filter_metadata.kubegate.discovery.kubeconfig");

        Assert.Contains("Invalid path: nope.conf (kubeconfig file does not exist)", error.Message, StringComparison.Ordinal);
        Assert.Equal(files.LineOf("cds.yaml", "kubeconfig: nope.conf"), error.Line);
    }

    [Fact]
    public void Discovery_OnAStaticCluster_IsRefused()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("admin.conf", "apiVersion: v1");
        files.Write("cds.yaml", """
            resources:
            - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
              name: c1
              type: STATIC
              load_assignment: {cluster_name: c1, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 10.0.0.1, port_value: 6443}}}}]}]}
              metadata: {filter_metadata: {kubegate: {discovery: {kubeconfig: admin.conf}}}}
            """);

        var error = ProblemAssert.Error(files.Load(), "resources[0].metadata.filter_metadata.kubegate.discovery");

        Assert.Contains("must be type: EDS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Discovery_UnknownField_WarnsWithASuggestion()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("admin.conf", "apiVersion: v1");
        files.WriteCluster("""
            metadata: {filter_metadata: {kubegate: {discovery: {kubeconfig: admin.conf, servername: x}}}}
            """);

        var warning = ProblemAssert.Warning(files.Load(), "resources[0].metadata.filter_metadata.kubegate.discovery.servername");

        Assert.Contains("server_name", warning.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void KubegateMetadata_NearMissOfDiscovery_Warns_OtherKeysLeftToTheirOwnExtensions()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            metadata: {filter_metadata: {kubegate: {discvoery: {kubeconfig: admin.conf}, some_other_extension: {a: 1}}}}
            """);

        var result = files.Load();

        var warning = ProblemAssert.Single(result, "resources[0].metadata.filter_metadata.kubegate.discvoery");
        Assert.Equal("did you mean 'discovery'?", warning.Fix);
        Assert.Null(result.Snapshot!.Clusters.Single().Discovery);
    }
}
