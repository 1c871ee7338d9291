namespace Kubegate.Hosting;

internal static class Program
{
    public static int Main(string[] args)
    {
        // First: before anything initializes .NET's signal handling, which keeps an inherited "ignored" as it is.
        InheritedSignals.Reset();

        // Before anything can create a socket: the engine reads its settings once.
        SocketEngineDefaults.Apply();
        return KubegateCommandLine.Run(args);
    }
}
