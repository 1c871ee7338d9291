using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using Kubegate.AccessLog;
using Kubegate.Admin;
using Kubegate.Configuration;
using Kubegate.Configuration.Watching;
using Kubegate.Hosting.Systemd;
using Kubegate.Infrastructure;
using Kubegate.Proxy;
using Kubegate.Proxy.Reactors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Kubegate.Hosting;

/// <summary>
/// The command line, with Envoy's flag names where Envoy has the flag, so existing scripts and unit files keep
/// working: <c>kubegate -c envoy.yaml [--mode validate]</c>.
/// </summary>
internal static partial class KubegateCommandLine
{
    private static readonly string[] LogLevels = ["trace", "debug", "info", "warning", "warn", "error", "critical", "off"];

    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;

        var configPath = new Option<string?>("--config-path", "-c")
        {
            Description = "Path to the bootstrap file (envoy.yaml; .json for JSON). Relative paths, here and inside the "
                + "config files (lds/cds/eds paths, certificates, logs), resolve against the working directory, as in Envoy.",
            HelpName = "path",
        };
        var mode = new Option<string>("--mode")
        {
            Description = "serve: run the proxy. validate: check the bootstrap and every LDS/CDS/EDS file it references, print "
                + "every problem as file:line: field.path: problem (fix), and exit 0 when the configuration is OK, 1 otherwise.",
            DefaultValueFactory = _ => "serve",
        };
        mode.AcceptOnlyFromAmong("serve", "validate");
        var logLevel = new Option<string>("--log-level", "-l")
        {
            Description = "Log level: trace, debug, info, warning, error, critical or off.",
            DefaultValueFactory = _ => "info",
        };
        logLevel.AcceptOnlyFromAmong(LogLevels);
        var rejectUnknown = new Option<bool>("--reject-unknown-dynamic-fields")
        {
            Description = "Treat unknown fields in LDS/CDS/EDS files as errors instead of warnings.",
        };
        var drainTime = new Option<int>("--drain-time-s")
        {
            Description = "Seconds open connections get to finish before they are closed, at shutdown and when a reload "
                + "removes (or moves to another address) the listener they came in on.",
            DefaultValueFactory = _ => (int)KubegateServerOptions.DefaultDrainTime.TotalSeconds,
        };
        drainTime.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--drain-time-s must be 0 or more");
            }
        });

        var drainStrategy = new Option<string>("--drain-strategy")
        {
            Description = "How open connections are encouraged to close during the shutdown drain. kubegate cannot see requests "
                + "inside TLS, so a connection quiet (no bytes either way) for 1 s counts as between requests and is closed "
                + "once encouraged. gradual: the share encouraged rises from 0 to 100% over --drain-time-s. immediate: all "
                + "at once. Either way whatever is still open at --drain-time-s is closed, and a second SIGTERM/SIGINT closes "
                + "everything at once.",
            DefaultValueFactory = _ => "gradual",
        };
        drainStrategy.AcceptOnlyFromAmong("gradual", "immediate");

        var concurrency = new Option<int>("--concurrency")
        {
            Description = "Number of event-loop threads (reactors) that accept and relay proxied connections, as Envoy's "
                + "--concurrency. Both sockets of a connection stay on one reactor. Default: the number of CPUs this "
                + "process may run on (its affinity and cgroup quota).",
            DefaultValueFactory = _ => KubegateServerOptions.DefaultConcurrency,
        };
        concurrency.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--concurrency must be 1 or more");
            }
        });

        var eventInterface = new Option<string>("--event-interface")
        {
            Description = "How the reactors learn that sockets are ready (kubegate only). auto: io_uring when the kernel "
                + "allows it (Linux 5.13 or later, not turned off by kernel.io_uring_disabled or a seccomp filter), else "
                + "epoll. epoll: always epoll. The relay is the same either way; io_uring saves system calls per connection.",
            DefaultValueFactory = _ => "auto",
        };
        eventInterface.AcceptOnlyFromAmong("auto", "epoll");

        var root = new RootCommand("kubegate: a gateway for Kubernetes API servers, configured with Envoy v3 files "
            + "(bootstrap + file-based LDS/CDS/EDS). TLS passes through untouched.")
        {
            configPath,
            mode,
            logLevel,
            rejectUnknown,
            drainTime,
            drainStrategy,
            concurrency,
            eventInterface,
        };

        root.SetAction(parse =>
        {
            var path = parse.GetValue(configPath);
            if (string.IsNullOrEmpty(path))
            {
                stderr.WriteLine("kubegate: a bootstrap file is required: kubegate -c <envoy.yaml> (see --help)");
                return 1;
            }

            var loaderOptions = new ConfigLoaderOptions { RejectUnknownDynamicFields = parse.GetValue(rejectUnknown) };
            var loader = new ConfigLoader(loaderOptions);
            if (parse.GetValue(mode) == "validate")
            {
                return Validate(path, loader.Load(path), stdout, stderr);
            }

            // Serving reads the files one by one and keeps each parse and content hash, which live reload builds on.
            var files = ConfigFileSet.Load(loader, path);
            if (!files.Result.Succeeded)
            {
                // Load also reads the EDS files of clusters that have errors of their own, so the refusal lists every
                // problem, exactly as --mode validate does.
                var result = loader.Load(path);
                result = result.Succeeded ? files.Result : result;
                WriteProblems(result, stderr);
                stderr.WriteLine($"error initializing configuration '{path}': {result.Errors.Count()} error(s)");
                return 1;
            }

            var serverOptions = new KubegateServerOptions
            {
                DrainTime = TimeSpan.FromSeconds(parse.GetValue(drainTime)),
                DrainStrategy = parse.GetValue(drainStrategy) == "immediate" ? DrainStrategy.Immediate : DrainStrategy.Gradual,
                Concurrency = parse.GetValue(concurrency),
                EventInterface = parse.GetValue(eventInterface) == "epoll" ? EventInterface.Epoll : EventInterface.Auto,
            };
            // The option only accepts names TryParse knows (AcceptOnlyFromAmong above).
            LoggingLevelSwitch.TryParse(parse.GetValue(logLevel)!, out var level);
            return Serve(files, loader, serverOptions, level);
        });

        var admin = new Option<string>("--admin")
        {
            Description = "The admin interface's address (the bootstrap's admin.address).",
            DefaultValueFactory = _ => StatusCommand.DefaultAdmin,
            HelpName = "host:port",
        };
        var status = new Command("status", "Print the clusters' endpoints and their health, from a running kubegate's admin interface.") { admin };
        status.SetAction((parse, cancellationToken) => StatusCommand.RunAsync(parse.GetValue(admin)!, stdout, stderr, cancellationToken));
        root.Subcommands.Add(status);
        root.Subcommands.Add(KubeconfigSubcommand(stdout, stderr));

        var endpoint = new Command("endpoint", "Take an endpoint out of service for maintenance, or put it back (through a running kubegate's admin interface).");
        foreach (var (action, help) in EndpointCommand.Actions)
        {
            var clusterArgument = new Argument<string>("cluster") { Description = "The cluster's name." };
            var addressArgument = new Argument<string>("address") { Description = "The endpoint, as ip:port (as kubegate status prints it)." };
            var command = new Command(action, help) { admin, clusterArgument, addressArgument };
            command.SetAction((parse, cancellationToken) => EndpointCommand.RunAsync(
                parse.GetValue(admin)!, action, parse.GetValue(clusterArgument)!, parse.GetValue(addressArgument)!, stdout, stderr, cancellationToken));
            endpoint.Subcommands.Add(command);
        }

        root.Subcommands.Add(endpoint);

        var configuration = new InvocationConfiguration { Output = stdout, Error = stderr };
        return root.Parse(args).Invoke(configuration);
    }

    private static Command KubeconfigSubcommand(TextWriter stdout, TextWriter stderr)
    {
        var kubeconfig = new Option<string?>("--kubeconfig")
        {
            Description = "The user's kubeconfig. Default: the first file of $KUBECONFIG, else ~/.kube/config.",
            HelpName = "file",
        };
        var context = new Option<string?>("--context") { Description = "The context to start from. Default: its current-context.", HelpName = "name" };
        var listener = new Option<string>("--listener")
        {
            Description = "The kubegate listener to go through: its address (host:port), or its name in the kubegate config given with -c.",
            HelpName = "host:port|name",
            Required = true,
        };
        var config = new Option<string?>("--config-path", "-c") { Description = "The kubegate bootstrap (envoy.yaml), to name the listener.", HelpName = "path" };
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file (mode 0600) instead of stdout; never over an existing file without --force.", HelpName = "file" };
        var force = new Option<bool>("--force") { Description = "Overwrite the --output file if it exists." };
        var command = new Command(
            "kubeconfig",
            "Write a kubeconfig that reaches the same cluster through a kubegate listener: the same credentials and CA, server set "
            + "to the listener, tls-server-name set to a name in the apiserver's certificate. Refuses (exit 1, with the reason) when "
            + "kubectl could not verify the apiserver through it.")
        {
            kubeconfig, context, listener, config, output, force,
        };
        command.SetAction((parse, cancellationToken) => KubeconfigCommand.RunAsync(
            new KubeconfigCommand.Options(parse.GetValue(kubeconfig), parse.GetValue(context), parse.GetValue(listener)!, parse.GetValue(config), parse.GetValue(output), parse.GetValue(force)),
            stdout,
            stderr,
            cancellationToken));
        return command;
    }

    public static string Version =>
        typeof(KubegateCommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private static int Validate(string path, ConfigLoadResult result, TextWriter stdout, TextWriter stderr)
    {
        WriteProblems(result, stderr);
        if (!result.Succeeded)
        {
            stderr.WriteLine($"error initializing configuration '{path}': {result.Errors.Count()} error(s)");
            return 1;
        }

        foreach (var advice in CapacityAdvice.For(result.Snapshot!))
        {
            stderr.WriteLine(advice.ToString());
        }

        // A CA or certificate that expires soon is valid configuration today and an outage in a few weeks.
        foreach (var warning in CertsFormatter.Warnings([], CertsFormatter.CollectFiles(result.Snapshot!), DateTimeOffset.UtcNow))
        {
            stderr.WriteLine($"warning: {warning}");
        }

        stdout.WriteLine($"configuration '{path}' OK");
        return 0;
    }

    private static void WriteProblems(ConfigLoadResult result, TextWriter writer)
    {
        foreach (var problem in result.Problems)
        {
            writer.WriteLine(problem.ToString());
        }
    }

    private static int Serve(ConfigFileSet files, ConfigLoader loader, KubegateServerOptions options, LogLevel level)
    {
        var snapshot = files.Snapshot!;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "kubegate", DisableDefaults = true });
        // The level can change at run time (POST /logging): the minimum stays at trace and a filter reads the switch.
        var levels = new LoggingLevelSwitch(level);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddFilter((_, _, logLevel) => levels.IsEnabled(logLevel));
        // The journal adds its own timestamps and reads the <N> prefix as the priority: one line per entry. Registered
        // by a factory so that the container disposes it, which writes the last lines before the process exits.
        var style = IsJournalLogging() ? ConsoleLogStyle.Journal : ConsoleLogStyle.Timestamped;
        builder.Services.AddSingleton<ILoggerProvider>(_ => new ConsoleLogProvider(style, ConsoleLogProvider.TerminalWantsColors(), Console.Out));

        // The drain ends on its own deadline (or a second signal); the host's timeout is only the backstop behind it.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = KubegateLifetime.ShutdownTimeout(options.DrainTime));
        builder.Services.AddSingleton(snapshot);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(sp => new KubegateServer(snapshot, options, sp.GetRequiredService<ILoggerFactory>())
        {
            StopApplication = sp.GetRequiredService<IHostApplicationLifetime>().StopApplication,
            LogLevels = levels,
        });
        builder.Services.AddSingleton(sp =>
        {
            var server = sp.GetRequiredService<KubegateServer>();
            return new ServiceNotifier(
                new SystemdNotifier(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("kubegate.systemd"),
                () => $"serving: {server.Listeners.Listeners.Count} listener(s), {server.Snapshot.Clusters.Length} cluster(s)");
        });
        builder.Services.AddSingleton<IHostLifetime, KubegateLifetime>();
        builder.Services.AddHostedService<KubegateHostedService>();

        // After the server: hosted services start in registration order and stop in reverse, so watching starts once
        // the listeners are bound and ends before the server drains.
        builder.Services.AddHostedService(sp => new ConfigReloadService(
            sp.GetRequiredService<KubegateServer>(),
            loader,
            files,
            sp.GetRequiredService<ILoggerFactory>(),
            options.TimeProvider,
            notifier: sp.GetRequiredService<ServiceNotifier>()));

        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("kubegate.config");
        foreach (var warning in snapshot.Warnings.Concat(CapacityAdvice.For(snapshot)))
        {
            Log.ConfigProblem(logger, warning.ToString());
        }

        // SIGUSR1 reopens every log file (logrotate's postrotate), as POST /reopen_logs does. Linux numbers it
        // 10, macOS 30; PosixSignalRegistration takes raw numbers for signals it has no name for.
        var server = host.Services.GetRequiredService<KubegateServer>();
        var sigusr1 = (PosixSignal)(OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? 30 : 10);
        using var reopen = OperatingSystem.IsWindows()
            ? null
            : PosixSignalRegistration.Create(sigusr1, context =>
            {
                context.Cancel = true;
                server.ReopenLogs();
            });
        using var watchdog = StartWatchdog(host.Services, server, options);
        try
        {
            host.Run();
        }
        catch (AccessLogOpenException ex)
        {
            Console.Error.WriteLine($"kubegate: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested)
        {
            // SIGTERM while starting (e.g. during the first health-check round): nothing was serving yet, a clean exit.
            return 0;
        }

        return 0;
    }

    /// <summary>
    /// Journal format (<c>&lt;6&gt;</c> priority prefixes, no timestamps) when stdout goes to the journal: systemd sets
    /// JOURNAL_STREAM for a unit whose output it collects; the package's check covers a unit that does not.
    /// </summary>
    private static bool IsJournalLogging() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM")) || SystemdHelpers.IsSystemdService();

    private static SystemdWatchdog? StartWatchdog(IServiceProvider services, KubegateServer server, KubegateServerOptions options)
    {
        var notifier = services.GetRequiredService<ServiceNotifier>();
        var timeout = SystemdWatchdog.TimeoutFromEnvironment(
            Environment.GetEnvironmentVariable("WATCHDOG_USEC"),
            Environment.GetEnvironmentVariable("WATCHDOG_PID"),
            Environment.ProcessId);
        if (!notifier.IsEnabled || timeout is not { } watchdogTimeout)
        {
            return null;
        }

        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("kubegate.systemd");
        return new SystemdWatchdog(notifier, server.Connections, watchdogTimeout, options.TimeProvider, logger);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.ConfigProblem, LogLevel.Warning, "{Problem}", EventName = "ConfigProblem")]
        public static partial void ConfigProblem(ILogger logger, string problem);
    }
}
