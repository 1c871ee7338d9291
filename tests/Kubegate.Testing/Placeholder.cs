namespace Kubegate.Testing;

internal static class Placeholder;
