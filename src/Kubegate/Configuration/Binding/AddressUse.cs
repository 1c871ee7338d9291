namespace Kubegate.Configuration.Binding;

/// <summary>What a socket address is for; decides port rules and the wording of fixes.</summary>
internal enum AddressUse
{
    Listener,
    Admin,
    Endpoint,
}
