namespace Kubegate.Admin;

/// <summary>Envoy's server state, as <c>/ready</c> and <c>/server_info</c> print it (the <c>server.state</c> gauge values).</summary>
internal enum ServerState
{
    Live = 0,
    Draining = 1,
    PreInitializing = 2,
    Initializing = 3,
}

internal static class ServerStateExtensions
{
    public static string ToEnvoyName(this ServerState state) => state switch
    {
        ServerState.Live => "LIVE",
        ServerState.Draining => "DRAINING",
        ServerState.PreInitializing => "PRE_INITIALIZING",
        _ => "INITIALIZING",
    };
}
