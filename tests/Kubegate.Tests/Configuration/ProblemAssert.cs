using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration;

/// <summary>Finds problems by path and prints every problem when an assertion fails.</summary>
internal static class ProblemAssert
{
    public static ConfigError Single(ConfigLoadResult result, string path) => Single(result.Problems, path);

    public static ConfigError Single(IEnumerable<ConfigError> problems, string path)
    {
        var list = problems.ToList();
        var matches = list.Where(p => p.Path == path).ToList();
        Assert.True(matches.Count == 1, $"expected one problem at '{path}', found {matches.Count}:\n{Dump(list)}");
        return matches[0];
    }

    public static ConfigError Error(ConfigLoadResult result, string path)
    {
        var problem = Single(result, path);
        Assert.True(problem.Severity == ConfigErrorSeverity.Error, $"expected an error at {path}:\n{Dump(result.Problems)}");
        Assert.Null(result.Snapshot);
        return problem;
    }

    public static ConfigError Warning(ConfigLoadResult result, string path)
    {
        var problem = Single(result, path);
        Assert.True(problem.Severity == ConfigErrorSeverity.Warning, $"expected a warning at {path}:\n{Dump(result.Problems)}");
        return problem;
    }

    public static void Clean(ConfigLoadResult result)
    {
        Assert.True(result.Problems.IsEmpty, "expected no problems:\n" + Dump(result.Problems));
        Assert.NotNull(result.Snapshot);
    }

    public static void NoErrors(ConfigLoadResult result)
    {
        Assert.True(!result.Errors.Any(), "expected no errors:\n" + Dump(result.Problems));
        Assert.NotNull(result.Snapshot);
    }

    public static string Dump(IEnumerable<ConfigError> problems) => string.Join("\n", problems.Select(p => p.ToString()));
}
