namespace Kubegate.Tests.Proxy.Splice;

/// <summary>A fact that is skipped, with the reason, off Linux, where there are no pipes to splice through.</summary>
internal sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "splice(2) is Linux only";
        }
    }
}
