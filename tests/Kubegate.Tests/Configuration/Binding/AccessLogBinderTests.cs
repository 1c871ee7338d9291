using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration.Binding;

public class AccessLogBinderTests
{
    private const string LogPath = "resources[0].filter_chains[0].filters[0].typed_config.access_log[0]";

    [Fact]
    public void Load_FileLoggerWithTextFormatSource_KeepsFormatVerbatim()
    {
        var result = LoadWithAccessLog("""
            - name: envoy.access_loggers.file
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                path: /var/log/kubegate.log
                log_format:
                  text_format_source:
                    inline_string: "[%START_TIME%] %UPSTREAM_HOST% %RESPONSE_FLAGS%\n"
            """);

        ProblemAssert.Clean(result);
        var log = result.Snapshot!.Listeners.Single().TcpProxy.AccessLog.Single();
        Assert.Equal("envoy.access_loggers.file", log.Name);
        Assert.Equal("type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog", log.TypeUrl);
        Assert.Equal("/var/log/kubegate.log", log.Path);
        Assert.Equal("[%START_TIME%] %UPSTREAM_HOST% %RESPONSE_FLAGS%\n", log.TextFormat);
        Assert.Null(log.JsonFormat);
    }

    [Fact]
    public void Load_StdoutLoggerWithJsonFormat_FlattensNestedKeys()
    {
        var result = LoadWithAccessLog("""
            - name: envoy.access_loggers.stdout
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
                log_format:
                  omit_empty_values: true
                  json_format:
                    start: "%START_TIME%"
                    upstream:
                      host: "%UPSTREAM_HOST%"
                      cluster: "%UPSTREAM_CLUSTER%"
            """);

        ProblemAssert.Clean(result);
        var log = result.Snapshot!.Listeners.Single().TcpProxy.AccessLog.Single();
        Assert.Null(log.Path);
        Assert.Null(log.TextFormat);
        Assert.True(log.OmitEmptyValues);
        Assert.Equal(
            new EquatableDictionary<string>(new Dictionary<string, string>
            {
                ["start"] = "%START_TIME%",
                ["upstream.host"] = "%UPSTREAM_HOST%",
                ["upstream.cluster"] = "%UPSTREAM_CLUSTER%",
            }),
            log.JsonFormat);
    }

    [Theory]
    [InlineData("envoy.access_loggers.stdout", "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog")]
    [InlineData("envoy.access_loggers.stderr", "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog")]
    public void Load_StreamLoggerWithoutTypedConfig_UsesTheDefaultFormat(string name, string typeUrl)
    {
        var result = LoadWithAccessLog($"- name: {name}");

        ProblemAssert.Clean(result);
        var log = result.Snapshot!.Listeners.Single().TcpProxy.AccessLog.Single();
        Assert.Equal(typeUrl, log.TypeUrl);
        Assert.Null(log.TextFormat);
    }

    [Fact]
    public void Load_DeprecatedFormatAndLegacyName_WorkWithADeprecationWarning()
    {
        var result = LoadWithAccessLog("""
            - name: envoy.file_access_log
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                path: /dev/stdout
                format: "%START_TIME%\n"
            """);

        var warning = ProblemAssert.Warning(result, LogPath + ".typed_config.format");
        Assert.Equal("'format' is deprecated (Envoy still accepts it and so does kubegate)", warning.Message);
        Assert.Equal("%START_TIME%\n", result.Snapshot!.Listeners.Single().TcpProxy.AccessLog.Single().TextFormat);
    }

    [Fact]
    public void Load_DeprecatedTextFormat_WorksWithADeprecationWarning()
    {
        var result = LoadWithAccessLog("""
            - name: envoy.access_loggers.file
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                path: /dev/stdout
                log_format: {text_format: "%DURATION%\n"}
            """);

        ProblemAssert.Warning(result, LogPath + ".typed_config.log_format.text_format");
        Assert.Equal("%DURATION%\n", result.Snapshot!.Listeners.Single().TcpProxy.AccessLog.Single().TextFormat);
    }

    [Fact]
    public void Load_FileLoggerWithoutPath_IsAnError()
    {
        var result = LoadWithAccessLog("""
            - name: envoy.access_loggers.file
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                log_format: {text_format_source: {inline_string: "x\n"}}
            """);

        var error = ProblemAssert.Error(result, LogPath + ".typed_config.path");
        Assert.Equal("missing required field 'path' of the file access logger", error.Message);
    }

    [Fact]
    public void Load_UnknownLoggerType_ListsTheSupportedOnes()
    {
        var result = LoadWithAccessLog("""
            - name: envoy.access_loggers.open_telemetry
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig
            """);

        var error = ProblemAssert.Error(result, LogPath + ".typed_config.@type");
        Assert.Contains("FileAccessLog", error.Fix, StringComparison.Ordinal);
        Assert.Contains("StdoutAccessLog", error.Fix, StringComparison.Ordinal);
        Assert.Contains("StderrAccessLog", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TwoFormats_IsAOneofConflict()
    {
        var result = LoadWithAccessLog("""
            - name: envoy.access_loggers.file
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                path: /dev/stdout
                format: "a\n"
                log_format: {text_format_source: {inline_string: "b\n"}}
            """);

        Assert.Contains("'format' and 'log_format' are both set", ProblemAssert.Error(result, LogPath + ".typed_config").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AccessLogFilter_IsIgnoredWithAWarning()
    {
        var result = LoadWithAccessLog("""
            - name: envoy.access_loggers.stdout
              filter: {status_code_filter: {comparison: {op: GE, value: {default_value: 500, runtime_key: x}}}}
            """);

        Assert.StartsWith("ignored by kubegate", ProblemAssert.Warning(result, LogPath + ".filter").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ListenerLevelAccessLog_IsBound()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1") + "  access_log:\n  - name: envoy.access_loggers.stderr\n"));

        var result = files.Load();

        ProblemAssert.Clean(result);
        Assert.Equal("envoy.access_loggers.stderr", result.Snapshot!.Listeners.Single().AccessLog.Single().Name);
    }

    private static ConfigLoadResult LoadWithAccessLog(string accessLog)
    {
        using var files = new ConfigFiles().WriteDefaults();
        var indented = string.Join("\n", accessLog.ReplaceLineEndings("\n").Split('\n').Select(l => "  " + l));
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1", "access_log:\n" + indented)));
        return files.Load();
    }
}
