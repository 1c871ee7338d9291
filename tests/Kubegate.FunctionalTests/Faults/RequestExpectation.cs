namespace Kubegate.FunctionalTests.Faults;

/// <summary>What client requests started during a fault on A may suffer, B being healthy.</summary>
internal enum RequestExpectation
{
    /// <summary>Every connect to A fails (refused, unreachable or timed out) and is retried on B: no request fails.</summary>
    ConnectsFailAndRetry,

    /// <summary>
    /// A accepts TCP but never answers: a connect retry cannot help, so exactly the requests kubegate connected to A
    /// before flagging it fail (time out), and none after.
    /// </summary>
    AcceptedButUnanswered,

    /// <summary>Connects to A may succeed and then lose packets: only requests kubegate connected to A may fail.</summary>
    MayFailOnFaultyHost,

    /// <summary>A is slow, not broken: no request fails and A keeps its share of them.</summary>
    Unaffected,
}
