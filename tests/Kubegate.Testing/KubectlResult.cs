namespace Kubegate.Testing;

/// <summary>What one kubectl run produced.</summary>
public sealed record KubectlResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Exit code 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Everything, for assertion messages.</summary>
    public override string ToString() => $"exit code {ExitCode}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
}
