namespace Kubegate.Hosting;

internal static class KubegateCommandLine
{
    public static int Run(string[] args)
    {
        _ = args;
        return 0;
    }
}
