namespace Kubegate.Soak.Load;

/// <summary>
/// How much of each load runs at once. Sized for the 2-core machines the project runs on, shared with the driver's
/// own TLS clients and servers: kubegate should be busy all the time without the machine being saturated, so that a
/// timeout means kubegate stalled rather than that nobody got the CPU.
/// </summary>
internal static class LoadPlan
{
    /// <summary>Ping-pong streams of 1 B - 8 KiB chunks, one every 50 ms: kubegate's buffer path.</summary>
    public const int SmallStreams = 12;
    public const int SmallMaxPayload = 8 * 1024;
    public static readonly TimeSpan SmallPace = TimeSpan.FromMilliseconds(50);

    /// <summary>Streams of chunks up to 512 KiB, one every 250 ms: larger than the 64 KiB buffer, so kubegate splices them.</summary>
    public const int BulkStreams = 2;
    public const int BulkMaxPayload = 512 * 1024;
    public static readonly TimeSpan BulkPace = TimeSpan.FromMilliseconds(250);

    /// <summary>Loops of one request per new TCP connection and TLS handshake, one every 50 ms each.</summary>
    public const int NewConnectionLoops = 2;
    public static readonly TimeSpan NewConnectionPace = TimeSpan.FromMilliseconds(50);

    /// <summary>Loops on one kept-alive connection each (half HTTP/1.1, half HTTP/2), one request every 20 ms each.</summary>
    public const int KeepAliveLoops = 4;
    public static readonly TimeSpan KeepAlivePace = TimeSpan.FromMilliseconds(20);

    /// <summary>Watches open at once, each receiving an event a second.</summary>
    public const int Watches = 40;

    /// <summary>How often kubegate's RSS, descriptors and CPU time are read.</summary>
    public static readonly TimeSpan SamplePeriod = TimeSpan.FromSeconds(2);
}
