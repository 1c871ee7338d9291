namespace Kubegate.Testing;

/// <summary>One request as <see cref="FakeApiServer.RequestCompleted"/> reports it, once the response status is known.</summary>
/// <param name="Instance">The server's <see cref="FakeApiServer.Name"/>.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path and query string.</param>
/// <param name="StatusCode">The response status; 0 when the connection was aborted before a response started.</param>
/// <param name="ClientSubject">The verified client certificate's subject, or <see langword="null"/> for an anonymous request.</param>
/// <param name="Protocol"><c>HTTP/1.1</c> or <c>HTTP/2</c>.</param>
/// <param name="Accept">The request's Accept header, or <see langword="null"/>.</param>
public sealed record FakeApiServerRequest(string Instance, string Method, string Path, int StatusCode, string? ClientSubject, string Protocol, string? Accept)
{
    /// <summary><c>instance method path status subject</c>: the test apiserver's log line.</summary>
    public override string ToString() => $"{Instance} {Method} {Path} {StatusCode} {ClientSubject ?? "-"}";
}
