namespace Kubegate.FunctionalTests.Proxy;

/// <summary>A theory that is skipped, with the reason, where splice(2) does not exist (xunit 2 has no runtime skip).</summary>
internal sealed class SpliceTheoryAttribute : TheoryAttribute
{
    public SpliceTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "splice(2) is Linux only";
        }
    }
}
