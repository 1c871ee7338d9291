using Kubegate.Tests.Configuration;

namespace Kubegate.Tests.AccessLog;

public class AccessLogFormatConfigTests
{
    private const string LogPath = "resources[0].filter_chains[0].filters[0].typed_config.access_log[0]";

    [Fact]
    public void Load_UnknownOperatorInInlineString_IsErrorWithSuggestion()
    {
        var result = Load("""
            - name: envoy.access_loggers.file
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                path: /dev/stdout
                log_format:
                  text_format_source:
                    inline_string: "[%START_TIME%] %UPSTREAM_HOSTS%\n"
            """);

        var error = ProblemAssert.Error(result, LogPath + ".typed_config.log_format.text_format_source.inline_string");
        Assert.Equal("Not supported field in StreamInfo: UPSTREAM_HOSTS", error.Message);
        Assert.Contains("%UPSTREAM_HOST%", error.Fix, StringComparison.Ordinal);
        Assert.EndsWith("lds.yaml", error.File, StringComparison.Ordinal);
        Assert.True(error.Line > 0);
    }

    [Fact]
    public void Load_UnknownOperatorInLegacyFormat_IsError()
    {
        var result = Load("""
            - name: envoy.access_loggers.file
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                path: /dev/stdout
                format: "%BYTE_SENT%\n"
            """);

        var errors = result.Errors.Where(p => p.Path == LogPath + ".typed_config.format").ToList();
        Assert.Single(errors);
        Assert.Equal("Not supported field in StreamInfo: BYTE_SENT", errors[0].Message);
        Assert.Contains("%BYTES_SENT%", errors[0].Fix, StringComparison.Ordinal);
    }

    private static Kubegate.Configuration.ConfigLoadResult Load(string accessLog)
    {
        using var files = new ConfigFiles().WriteDefaults();
        var indented = string.Join("\n", accessLog.ReplaceLineEndings("\n").Split('\n').Select(l => "  " + l));
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1", "access_log:\n" + indented)));
        return files.Load();
    }
}
