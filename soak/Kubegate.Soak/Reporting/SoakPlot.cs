using Kubegate.Soak.Sampling;
using ScottPlot;


namespace Kubegate.Soak.Reporting;

/// <summary>docs/soak.png: kubegate's RSS (left axis) and open descriptors (right axis) over the run.</summary>
internal static class SoakPlot
{
    public static void Write(string path, SoakResult result)
    {
        // The idle reading before the load at 0 and the one after it, once kubegate had closed its connections, at
        // the end: a leak shows as a last point that does not come back down.
        ProcessSample[] samples = [result.Idle, .. result.Samples.Where(s => s.Elapsed > TimeSpan.Zero), .. result.AfterLoad is null ? [] : (ProcessSample[])[result.AfterLoad]];
        var minutes = samples.Select(s => s.Elapsed.TotalMinutes).ToArray();
        var rss = samples.Select(s => s.RssKiB / 1024.0).ToArray();
        var descriptors = samples.Select(s => (double)s.Descriptors).ToArray();

        var plot = new Plot();
        plot.Title($"kubegate soak, {result.StartedUtc:yyyy-MM-dd}: RSS and open descriptors over {result.LoadDuration.TotalMinutes:F0} min");
        plot.XLabel("minutes since the load started (first point: idle before it; last: after it)");

        var rssLine = plot.Add.ScatterLine(minutes, rss);
        rssLine.LegendText = "RSS (MiB, left axis)";
        rssLine.LineWidth = 2;
        rssLine.Color = Colors.Blue;
        plot.Axes.Left.Label.Text = "RSS (MiB)";

        var fdLine = plot.Add.ScatterLine(minutes, descriptors);
        fdLine.LegendText = "open descriptors (right axis)";
        fdLine.LineWidth = 2;
        fdLine.Color = Colors.OrangeRed;
        fdLine.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Right.Label.Text = "open descriptors";

        var end = plot.Add.VerticalLine(result.LoadDuration.TotalMinutes);
        end.LineColor = Colors.Gray;
        end.LinePattern = LinePattern.Dashed;
        end.LegendText = "load stopped";

        // Both axes from zero, so a slow climb is not magnified into a cliff by auto-scaling.
        plot.Axes.SetLimitsY(0, Math.Max(1, rss.DefaultIfEmpty(0).Max()) * 1.25, plot.Axes.Left);
        plot.Axes.SetLimitsY(0, Math.Max(1, descriptors.DefaultIfEmpty(0).Max()) * 1.25, plot.Axes.Right);
        // A margin on the right, so the after-load point and the stop line are not hidden in the frame.
        plot.Axes.SetLimitsX(0, Math.Max(minutes.DefaultIfEmpty(0).Max(), 1) * 1.04);
        plot.ShowLegend(Alignment.LowerRight);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, 1200, 600);
    }
}
