using BenchmarkDotNet.Attributes;
using Kubegate.Configuration;

namespace Kubegate.Benchmarks;

/// <summary>
/// A full <see cref="ConfigLoader.Load"/> of the example bootstrap (envoy.yaml plus its LDS, CDS and EDS files), as
/// start-up, <c>--mode validate</c> and every reload do it.
/// </summary>
[MemoryDiagnoser]
public class ConfigParseBenchmarks
{
    private const string BootstrapPath = "examples/k8s-api-proxy/envoy.yaml";

    private ConfigLoader _loader = new(new ConfigLoaderOptions());

    [GlobalSetup]
    public void Setup()
    {
        // The example's paths are relative to the repository root, as Envoy's are to its working directory.
        _loader = new ConfigLoader(new ConfigLoaderOptions { WorkingDirectory = FindRepositoryRoot() });
        var result = _loader.Load(BootstrapPath);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(
                $"{BootstrapPath} does not load: {string.Join("; ", result.Errors.Select(e => e.ToString()))}");
        }
    }

    /// <summary>Returns <c>object</c> because <see cref="ConfigLoadResult"/> is internal to Kubegate.</summary>
    [Benchmark(Description = "Load examples/k8s-api-proxy/envoy.yaml")]
    public object Load() => _loader.Load(BootstrapPath);

    // BenchmarkDotNet runs the benchmark from a generated project under bin/, so walk up from both the current
    // directory and the assembly's location until kubegate.slnx appears.
    private static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "kubegate.slnx")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new InvalidOperationException("kubegate.slnx not found above the current directory or the benchmark assembly");
    }
}
