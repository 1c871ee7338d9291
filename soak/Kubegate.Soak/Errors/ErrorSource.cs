namespace Kubegate.Soak.Errors;

/// <summary>Which load an error came from.</summary>
internal enum ErrorSource
{
    Stream,
    Request,
    Watch,
}
