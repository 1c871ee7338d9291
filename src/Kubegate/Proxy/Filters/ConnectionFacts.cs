using System.Net;

namespace Kubegate.Proxy.Filters;

/// <summary>What a network filter may decide a new connection on: its addresses and the reactor clock (ms).</summary>
internal readonly record struct ConnectionFacts(IPAddress? Source, IPEndPoint? Local, long Now);
