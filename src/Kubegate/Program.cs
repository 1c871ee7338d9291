namespace Kubegate;

internal static class Program
{
    public static int Main(string[] args) => Hosting.KubegateCommandLine.Run(args);
}
