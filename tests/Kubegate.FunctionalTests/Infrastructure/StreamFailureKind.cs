namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>How a <see cref="ChecksummedStream"/> failed.</summary>
internal enum StreamFailureKind
{
    /// <summary>A chunk came back different from what was sent, or its checksum did not hold, or bytes came after the end.</summary>
    Corrupted,

    /// <summary>The far side ended the stream (EOF) in the middle of a chunk.</summary>
    Truncated,

    /// <summary>The connection was reset (RST).</summary>
    Reset,

    /// <summary>A send or receive took longer than 15 s.</summary>
    Timeout,

    /// <summary>Any other socket error.</summary>
    Socket,
}
