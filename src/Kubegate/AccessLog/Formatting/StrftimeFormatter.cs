using System.Text;

namespace Kubegate.AccessLog.Formatting;

/// <summary>
/// The strftime subset Envoy's <c>%START_TIME(...)%</c> understands (absl's <c>FormatTime</c> plus Envoy's
/// <c>%f</c>/<c>%Nf</c> fractions and <c>%s</c>). Writes straight into the output; unknown specifiers are copied verbatim.
/// </summary>
internal static class StrftimeFormatter
{
    /// <summary>Envoy's default <c>%START_TIME%</c> format (UTC, milliseconds, literal <c>Z</c>).</summary>
    public const string DefaultUtc = "%Y-%m-%dT%H:%M:%E3SZ";

    /// <summary>Envoy's default <c>%START_TIME_LOCAL%</c> format.</summary>
    public const string DefaultLocal = "%Y-%m-%dT%H:%M:%E3S%z";

    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    private static readonly string[] FullMonths = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    private static readonly string[] Days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    private static readonly string[] FullDays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    public static void Format(string pattern, DateTimeOffset time, bool utc, StringBuilder output)
    {
        var dt = time.DateTime;
        var nanos = (int)(dt.Ticks % TimeSpan.TicksPerSecond) * 100;
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (c != '%' || i + 1 >= pattern.Length)
            {
                output.Append(c);
                i++;
                continue;
            }

            var s = pattern[i + 1];
            i += 2;
            switch (s)
            {
                case 'Y': AppendNumber(output, dt.Year, 4); break;
                case 'y': AppendNumber(output, dt.Year % 100, 2); break;
                case 'C': AppendNumber(output, dt.Year / 100, 2); break;
                case 'm': AppendNumber(output, dt.Month, 2); break;
                case 'd': AppendNumber(output, dt.Day, 2); break;
                case 'e':
                    if (dt.Day < 10)
                    {
                        output.Append(' ');
                    }

                    AppendNumber(output, dt.Day, 1);
                    break;
                case 'H': AppendNumber(output, dt.Hour, 2); break;
                case 'I': AppendNumber(output, dt.Hour % 12 == 0 ? 12 : dt.Hour % 12, 2); break;
                case 'M': AppendNumber(output, dt.Minute, 2); break;
                case 'S': AppendNumber(output, dt.Second, 2); break;
                case 'j': AppendNumber(output, dt.DayOfYear, 3); break;
                case 'b' or 'h': output.Append(Months[dt.Month - 1]); break;
                case 'B': output.Append(FullMonths[dt.Month - 1]); break;
                case 'a': output.Append(Days[(int)dt.DayOfWeek]); break;
                case 'A': output.Append(FullDays[(int)dt.DayOfWeek]); break;
                case 'u': AppendNumber(output, dt.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)dt.DayOfWeek, 1); break;
                case 'w': AppendNumber(output, (int)dt.DayOfWeek, 1); break;
                case 'p': output.Append(dt.Hour < 12 ? "AM" : "PM"); break;
                case 's': AppendNumber(output, time.ToUnixTimeSeconds(), 1); break;
                case 'f': AppendFraction(output, nanos, 9); break;
                case 'n': output.Append('\n'); break;
                case 't': output.Append('\t'); break;
                case '%': output.Append('%'); break;
                case 'T':
                    AppendNumber(output, dt.Hour, 2).Append(':');
                    AppendNumber(output, dt.Minute, 2).Append(':');
                    AppendNumber(output, dt.Second, 2);
                    break;
                case 'R':
                    AppendNumber(output, dt.Hour, 2).Append(':');
                    AppendNumber(output, dt.Minute, 2);
                    break;
                case 'F':
                    AppendNumber(output, dt.Year, 4).Append('-');
                    AppendNumber(output, dt.Month, 2).Append('-');
                    AppendNumber(output, dt.Day, 2);
                    break;
                case 'D':
                    AppendNumber(output, dt.Month, 2).Append('/');
                    AppendNumber(output, dt.Day, 2).Append('/');
                    AppendNumber(output, dt.Year % 100, 2);
                    break;
                case 'z': AppendOffset(output, time.Offset, colon: false); break;
                case 'Z':
                    if (utc || time.Offset == TimeSpan.Zero)
                    {
                        output.Append("UTC");
                    }
                    else
                    {
                        AppendOffset(output, time.Offset, colon: false);
                    }

                    break;
                case >= '1' and <= '9' when i < pattern.Length && pattern[i] == 'f':
                    AppendFraction(output, nanos, s - '0');
                    i++;
                    break;
                case 'E' when i + 1 < pattern.Length && pattern[i] == '*' && pattern[i + 1] == 'S':
                    AppendNumber(output, dt.Second, 2);
                    if (nanos != 0)
                    {
                        var digits = 9;
                        var value = nanos;
                        while (value % 10 == 0)
                        {
                            value /= 10;
                            digits--;
                        }

                        output.Append('.');
                        AppendNumber(output, value, digits);
                    }

                    i += 2;
                    break;
                case 'E' when i + 1 < pattern.Length && pattern[i] is >= '0' and <= '9' && pattern[i + 1] == 'S':
                    AppendNumber(output, dt.Second, 2);
                    if (pattern[i] != '0')
                    {
                        output.Append('.');
                        AppendFraction(output, nanos, pattern[i] - '0');
                    }

                    i += 2;
                    break;
                case 'E' when i < pattern.Length && pattern[i] == 'z':
                    AppendOffset(output, time.Offset, colon: true);
                    i++;
                    break;
                case 'E' when i < pattern.Length && pattern[i] == 'Y':
                    AppendNumber(output, dt.Year, 4);
                    i++;
                    break;
                default:
                    output.Append('%').Append(s);
                    break;
            }
        }
    }

    private static void AppendFraction(StringBuilder output, int nanos, int digits)
    {
        var value = nanos;
        for (var d = digits; d < 9; d++)
        {
            value /= 10;
        }

        AppendNumber(output, value, digits);
    }

    private static void AppendOffset(StringBuilder output, TimeSpan offset, bool colon)
    {
        output.Append(offset < TimeSpan.Zero ? '-' : '+');
        var minutes = (int)Math.Abs(offset.TotalMinutes);
        AppendNumber(output, minutes / 60, 2);
        if (colon)
        {
            output.Append(':');
        }

        AppendNumber(output, minutes % 60, 2);
    }

    /// <summary>Appends a non-negative number zero-padded to <paramref name="width"/> digits, without allocating.</summary>
    internal static StringBuilder AppendNumber(StringBuilder output, long value, int width)
    {
        Span<char> buffer = stackalloc char[20];
        var pos = buffer.Length;
        var v = value < 0 ? -value : value;
        do
        {
            buffer[--pos] = (char)('0' + (int)(v % 10));
            v /= 10;
        }
        while (v != 0);

        while (buffer.Length - pos < width && pos > 0)
        {
            buffer[--pos] = '0';
        }

        if (value < 0)
        {
            output.Append('-');
        }

        return output.Append(buffer[pos..]);
    }
}
