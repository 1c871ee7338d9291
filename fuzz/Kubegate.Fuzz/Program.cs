using Kubegate.Fuzzing;
using SharpFuzz;

// Kubegate.Fuzz <target>                      run <target> under afl-fuzz (input on stdin, SharpFuzz fork server)
// Kubegate.Fuzz --list                        name and describe every target
// Kubegate.Fuzz --check <target> <path>...    replay files (or every file of folders) without the fuzzer
if (args is ["--list"])
{
    foreach (var target in FuzzTargets.All)
    {
        Console.WriteLine($"{target.Name,-16} {target.Description}");
    }

    return 0;
}

if (args is ["--check", var checkName, .. var paths] && paths.Length > 0)
{
    return FindOrFail(checkName) is { } checkTarget ? FuzzCheck.Run(checkTarget, paths) : 2;
}

if (args is [var name] && !name.StartsWith('-'))
{
    if (FindOrFail(name) is not { } target)
    {
        return 2;
    }

    // Out of process: SharpFuzz runs the target in a child process and restarts it when it dies, so afl-fuzz's
    // timeout can kill a hung input without killing the fork server, and the hang is recorded instead of ending the run.
    // The workspace lives in the child (created on first use) under KUBEGATE_FUZZ_WORK, which scripts/fuzz.sh removes.
    FuzzWorkspace? workspace = null;
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        workspace ??= FuzzWorkspace.Create(Environment.GetEnvironmentVariable("KUBEGATE_FUZZ_WORK"));
        target.Check(memory.GetBuffer().AsSpan(0, (int)memory.Length), workspace);
    });
    return 0;
}

Console.Error.WriteLine("usage: Kubegate.Fuzz <target> | --list | --check <target> <file or folder>...");
return 2;

static FuzzTarget? FindOrFail(string name)
{
    var target = FuzzTargets.Find(name);
    if (target is null)
    {
        Console.Error.WriteLine($"unknown target '{name}'; targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
    }

    return target;
}
