namespace Kubegate.Soak.Errors;

/// <summary>What went wrong with one stream, request or watch.</summary>
internal enum ErrorKind
{
    /// <summary>The connect to kubegate's listener was refused.</summary>
    ConnectRefused,

    /// <summary>The connection was reset (RST) or aborted.</summary>
    Reset,

    /// <summary>Bytes came back different from what was sent (stream), or a watch event was lost, repeated or unreadable.</summary>
    ChecksumMismatch,

    /// <summary>The far side ended the connection (EOF) before the chunk, the response or the watch was complete.</summary>
    Truncated,

    /// <summary>A connect, send, receive, request or watch event took longer than its deadline.</summary>
    Timeout,

    /// <summary>An HTTP answer other than 200, or one without the apiserver's headers or body.</summary>
    HttpStatus,

    /// <summary>The TLS handshake through kubegate failed.</summary>
    Tls,

    /// <summary>Anything else (the message says what).</summary>
    Other,
}
