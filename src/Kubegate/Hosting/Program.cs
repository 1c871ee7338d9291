namespace Kubegate.Hosting;

internal static class Program
{
    public static int Main(string[] args)
    {
        // Before anything can create a socket: the engine reads its settings once.
        SocketEngineDefaults.Apply();
        return KubegateCommandLine.Run(args);
    }
}
