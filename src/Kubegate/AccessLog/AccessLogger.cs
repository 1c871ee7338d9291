using System.Text;
using Kubegate.AccessLog.Formatting;
using Kubegate.LogFiles;

namespace Kubegate.AccessLog;

/// <summary>One configured access log: its compiled format and the destination it writes to (shared by path).</summary>
internal sealed class AccessLogger
{
    [ThreadStatic]
    private static StringBuilder? t_builder;

    public AccessLogger(AccessLogFormat format, LogFileWriter writer)
    {
        Format = format;
        Writer = writer;
    }

    public AccessLogFormat Format { get; }

    public LogFileWriter Writer { get; }

    /// <summary>Renders <paramref name="record"/> with each logger and queues the lines; never blocks.</summary>
    public static void WriteAll(AccessLogger[] loggers, AccessLogRecord record)
    {
        var builder = t_builder ??= new StringBuilder(512);
        foreach (var logger in loggers)
        {
            builder.Clear();
            logger.Format.Render(record, builder);
            logger.Writer.TryEnqueue(builder.ToString());
        }

        if (builder.Capacity > 16 * 1024)
        {
            // One huge line should not pin a huge builder to this thread for ever.
            t_builder = null;
        }
    }
}
