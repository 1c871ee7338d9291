namespace Kubegate.Fuzzing;

/// <summary>
/// One fuzz target: a parser kubegate runs on untrusted or hand-written input, and the property it must keep for
/// every input. <see cref="Check"/> throws <see cref="FuzzPropertyException"/> when the property is broken and lets any
/// exception of the code under test escape, so the fuzzer records both as a crash; a hang is the caller's timeout.
/// </summary>
/// <remarks>
/// This folder is compiled into two assemblies: the fuzzer (<c>fuzz/Kubegate.Fuzz</c>, under SharpFuzz) and the unit
/// tests (<c>tests/Kubegate.Tests</c>, which replay the stored corpus through the same checks without SharpFuzz). One
/// copy of the properties, two runners; nothing here may depend on either runner.
/// </remarks>
internal abstract class FuzzTarget
{
    protected FuzzTarget(string name, string description)
    {
        Name = name;
        Description = description;
    }

    /// <summary>The name used on the command line and as the corpus folder (<c>fuzz/corpus/&lt;name&gt;</c>).</summary>
    public string Name { get; }

    /// <summary>One line for <c>--list</c>.</summary>
    public string Description { get; }

    /// <summary>Runs the code under test on <paramref name="input"/> and checks the target's property.</summary>
    /// <param name="input">The fuzzer's bytes.</param>
    /// <param name="workspace">A private directory for the files the input is written to.</param>
    public abstract void Check(ReadOnlySpan<byte> input, FuzzWorkspace workspace);

    public override string ToString() => Name;
}
