namespace Kubegate;

internal static class Program
{
    public static int Main(string[] args)
    {
        // Before anything can create a socket: the engine reads its settings once.
        Hosting.SocketEngineDefaults.Apply();
        return Hosting.KubegateCommandLine.Run(args);
    }
}
