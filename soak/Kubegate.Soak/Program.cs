// kubegate-soak: the driver behind `make soak`. See soak/README.md.
using System.Globalization;
using Kubegate.Soak;
using Kubegate.Soak.Reporting;

const string Usage = """
    usage: kubegate-soak --kubegate <path> [--minutes N] [--report docs/reliability.md] [--plot docs/soak.png]
                         [--command <text>] [--keep-dir]

    Runs the published kubegate for N minutes (default: SOAK_MINUTES, else 30) under checksummed streams, request
    loops and watches on 127.0.0.1 while its config reloads every 10 s and endpoints flap; then writes the soak
    section of the report (between its soak:begin and soak:end markers) and the plot. Exit code 0: passed;
    1: a fault was found (the report says which); 2: the soak could not run; 130: interrupted (nothing written).
    """;

string? kubegate = null;
var minutes = double.TryParse(Environment.GetEnvironmentVariable("SOAK_MINUTES"), NumberStyles.Float, CultureInfo.InvariantCulture, out var fromEnvironment) ? fromEnvironment : 30;
var report = "docs/reliability.md";
var plot = "docs/soak.png";
var command = "kubegate-soak";
var keep = false;
for (var i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--kubegate":
            kubegate = Value();
            break;
        case "--minutes":
            minutes = double.Parse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture);
            break;
        case "--report":
            report = Value();
            break;
        case "--plot":
            plot = Value();
            break;
        case "--command":
            command = Value();
            break;
        case "--keep-dir":
            keep = true;
            break;
        case "-h" or "--help":
            Console.WriteLine(Usage);
            return 0;
        default:
            Console.Error.WriteLine($"kubegate-soak: unexpected argument '{args[i]}'\n{Usage}");
            return 2;
    }
}

if (kubegate is null || !File.Exists(kubegate) || minutes <= 0)
{
    Console.Error.WriteLine($"kubegate-soak: --kubegate must name the kubegate binary and the duration must be positive\n{Usage}");
    return 2;
}

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Stop the loads and clean up (kubegate is killed in the run's finally) instead of dying at once.
    e.Cancel = true;
    interrupt.Cancel();
};

var options = new SoakOptions(Path.GetFullPath(kubegate), TimeSpan.FromMinutes(minutes), report, plot, command, keep);
Console.WriteLine($"soak: {minutes} min against {options.Kubegate}; report {report}, plot {plot}");
SoakResult result;
try
{
    result = await new SoakRun(options).RunAsync(interrupt.Token);
}
catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
{
    Console.Error.WriteLine("soak: interrupted; nothing written");
    return 130;
}
catch (Exception e) when (e is TimeoutException or InvalidOperationException or IOException)
{
    Console.Error.WriteLine($"soak: could not run: {e.Message}");
    return 2;
}

SoakPlot.Write(plot, result);
ReliabilityReport.Write(report, Path.GetFileName(plot), result);
Console.WriteLine($"soak: {(result.Passed ? "passed" : "FAILED")}: {result.Faults} unexplained errors, {result.ExpectedErrors} explained by the flap; wrote {report} and {plot}");
return result.Passed ? 0 : 1;
