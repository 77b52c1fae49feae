using System.Text.RegularExpressions;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Gpu.Bench.Reporting;

/// <summary>The report's charts, drawn with ScottPlot and saved as SVG and PNG: per suite, bars of
/// the attained rate of every case by device and peer; per device, a roofline (arithmetic intensity
/// against attained GFLOP/s on log axes, under the measured compute and bandwidth roofs).</summary>
public static partial class Charts
{
    private const int Width = 1400, Height = 800;
    private static readonly IPalette Palette = new ScottPlot.Palettes.Category10();

    /// <summary>Draws every chart of <paramref name="report"/> into <paramref name="directory"/>.</summary>
    /// <returns>The files written, SVG and PNG of each chart.</returns>
    public static IReadOnlyList<string> Write(BenchReport report, string directory)
    {
        var files = new List<string>();
        var labels = new DeviceLabels(report);
        foreach (var suite in report.Results.GroupBy(r => r.Suite))
            files.AddRange(Save(SuiteBars(report, labels, suite.Key, [.. suite]), directory, $"bars-{suite.Key}"));
        var devicesByLabel = report.Devices.ToLookup(d => labels.Of(d.Run, d.Name));
        foreach (var device in report.Devices)
        {
            BenchResult[] points = [.. report.Results.Where(r => r.Run == device.Run && r.Device == device.Name && r.Intensity is > 0 && r.Gflops is > 0)];
            string label = labels.Of(device.Run, device.Name);
            // Runs of one build that measured different cases share a label; their rooflines stay apart by run.
            bool shared = devicesByLabel[label].Count() > 1;
            files.AddRange(Save(Roofline(report, device, label, points), directory, $"roofline-{FileName().Replace(label, "-")}{(shared ? $"-run{device.Run}" : "")}"));
        }
        return files;
    }

    private static IEnumerable<string> Save(Plot plot, string directory, string name)
    {
        string svg = Path.Combine(directory, name + ".svg"), png = Path.Combine(directory, name + ".png");
        plot.SaveSvg(svg, Width, Height);
        plot.SavePng(png, Width, Height);
        return [svg, png];
    }

    /// <summary>One group of bars per case, one bar per device and one per peer (work over the
    /// peer's time; a host peer once per case, a device peer once per device): GB/s for a
    /// memory-bound suite (bytes counted everywhere, under one flop per byte), else GFLOP/s where the
    /// suite counts flops, GB/s where it counts only bytes, else calls per second.</summary>
    private static Plot SuiteBars(BenchReport report, DeviceLabels labels, string suite, BenchResult[] results)
    {
        bool memoryBound = results.All(r => r.Bytes is not null && (r.Intensity ?? 0) < 1);
        var (unit, rate) = !memoryBound && results.Any(r => r.Flops is not null) ? ("GFLOP/s", (Func<BenchResult, double, double?>)((r, s) => r.Flops / s / 1e9))
            : results.Any(r => r.Bytes is not null) ? ("GB/s", (r, s) => r.Bytes / s / 1e9)
            : ("calls/s", (_, s) => 1 / s);
        string[] cases = [.. results.Select(r => r.Case).Distinct()];
        var series = results.Select(r => labels.Of(r.Run, r.Device)).Distinct().ToList();
        string PeerLabel(BenchResult result, PeerResult peer) => peer.Label(labels.Of(result.Run, result.Device));
        series.AddRange(results.SelectMany(r => r.AllPeers.Select(p => PeerLabel(r, p))).Distinct());
        var plot = new Plot();
        var bars = new List<Bar>();
        foreach (var (label, caseIndex) in cases.Select((c, i) => (c, i)))
        {
            foreach (var result in results.Where(r => r.Case == label))
            {
                int index = series.IndexOf(labels.Of(result.Run, result.Device));
                bars.Add(Bar(caseIndex, index, series.Count, rate(result, result.MinSeconds), result.AbovePeak ? "above peak" : ""));
            }
            // A host peer ran once per case, whatever the devices: one bar; a device peer has its device in its label.
            foreach (var (result, peer) in results.Where(r => r.Case == label).SelectMany(r => r.AllPeers.Select(p => (r, p))).DistinctBy(x => PeerLabel(x.r, x.p)))
                bars.Add(Bar(caseIndex, series.IndexOf(PeerLabel(result, peer)), series.Count, rate(result, peer.Seconds), ""));
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks([.. cases.Select((_, i) => i * (series.Count + 1) + (series.Count - 1) / 2.0)], cases);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 220;
        // The labels slant down to the right from their ticks: room on the right keeps the last one whole.
        plot.Axes.Right.MinimumSize = (float)(SlantedWidth(plot.Axes.Bottom.TickLabelStyle, cases[^1]));
        plot.Axes.Margins(bottom: 0);
        foreach (var (name, index) in series.Select((s, i) => (s, i)))
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = name, FillColor = Palette.GetColor(index) });
        // Above the data area, in as many rows as it needs: inside it, the legend covered the tallest bars at the right.
        plot.ShowLegend(Edge.Top);
        plot.Title($"{suite}: {unit} by device and peer (fastest wall time, as the peers are timed){Smoke(report)}");
        plot.YLabel(unit);
        return plot;
    }

    private static double SlantedWidth(LabelStyle style, string text)
    {
        using var paint = Paint.NewDisposablePaint();
        var measured = new LabelStyle { FontName = style.FontName, FontSize = style.FontSize, Text = text }.Measure(paint);
        return measured.Width * Math.Cos(style.Rotation * Math.PI / 180);
    }

    private static Bar Bar(int caseIndex, int seriesIndex, int seriesCount, double? value, string label) => new()
    {
        Position = caseIndex * (seriesCount + 1) + seriesIndex,
        Value = value ?? 0,
        FillColor = Palette.GetColor(seriesIndex),
        Label = label,
    };

    /// <summary>log₁₀ axes (ScottPlot draws linear ones): every point and roof is plotted as its
    /// logarithm and the ticks are labelled with the value.</summary>
    private static Plot Roofline(BenchReport report, DeviceReport device, string label, BenchResult[] points)
    {
        var plot = new Plot();
        double ridge = device.Peaks.Gflops / device.Peaks.Gbps;
        double low = Math.Min(0.01, points.Select(p => p.Intensity!.Value).DefaultIfEmpty(1).Min() / 2);
        double high = Math.Max(100 * ridge, points.Select(p => p.Intensity!.Value).DefaultIfEmpty(1).Max() * 2);
        double[] xs = [.. Enumerable.Range(0, 201).Select(i => Math.Log10(low) + i * (Math.Log10(high) - Math.Log10(low)) / 200)];
        var roof = plot.Add.ScatterLine(xs, [.. xs.Select(x => Math.Log10(Math.Min(device.Peaks.Gflops, Math.Pow(10, x) * device.Peaks.Gbps)))]);
        roof.LegendText = $"measured roofs: {device.Peaks.Gflops:F0} GFLOP/s, {device.Peaks.Gbps:F1} GB/s";
        roof.LineWidth = 2;
        roof.Color = Colors.Black;
        var nominal = plot.Add.ScatterLine(xs, [.. xs.Select(x => Math.Log10(Math.Min(device.NominalGflops, Math.Pow(10, x) * device.NominalGbps)))]);
        // Solid: Skia's SVG canvas cannot draw dashed paths and says so on stdout.
        nominal.LegendText = $"nominal roofs: {device.NominalGflops:F0} GFLOP/s, {device.NominalGbps:F1} GB/s";
        nominal.Color = Colors.Gray;
        foreach (var (suite, index) in points.GroupBy(p => p.Suite).Select((g, i) => (g, i)))
        {
            double[] intensities = [.. suite.Select(p => Math.Log10(p.Intensity!.Value))], rates = [.. suite.Select(p => Math.Log10(p.Gflops!.Value))];
            var scatter = plot.Add.ScatterPoints(intensities, rates);
            scatter.LegendText = suite.Key;
            scatter.Color = Palette.GetColor(index);
            scatter.MarkerSize = 8;
        }
        // Peers on this very device (CLBlast on an OpenCL one) belong under the same roofs.
        var devicePeers = points.SelectMany(p => p.AllPeers.Where(peer => peer.OnDevice && peer.Gflops is > 0).Select(peer => (Point: p, Peer: peer)))
            .GroupBy(x => x.Peer.Name);
        foreach (var (peer, index) in devicePeers.Select((g, i) => (g, i)))
        {
            double[] intensities = [.. peer.Select(x => Math.Log10(x.Point.Intensity!.Value))], rates = [.. peer.Select(x => Math.Log10(x.Peer.Gflops!.Value))];
            var scatter = plot.Add.ScatterPoints(intensities, rates);
            scatter.LegendText = $"{peer.Key} (peer)";
            scatter.Color = Palette.GetColor(points.Select(p => p.Suite).Distinct().Count() + index);
            scatter.MarkerSize = 8;
            scatter.MarkerShape = MarkerShape.OpenDiamond;
        }
        foreach (var above in points.Where(p => p.AbovePeak))
        {
            var text = plot.Add.Text($"above peak: {above.Case}", Math.Log10(above.Intensity!.Value), Math.Log10(above.Gflops!.Value));
            text.LabelFontColor = Colors.Red;
        }
        plot.Axes.Bottom.TickGenerator = LogTicks();
        plot.Axes.Left.TickGenerator = LogTicks();
        plot.ShowLegend(Alignment.LowerRight);
        plot.Title($"roofline: {label} ({device.DisplayName}){Smoke(report)}");
        plot.XLabel("arithmetic intensity (flop/byte)");
        plot.YLabel("attained GFLOP/s");
        return plot;
    }

    private static NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = exponent => Math.Pow(10, exponent).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string Smoke(BenchReport report) => report.Runs.Any(r => r.Quick) ? " [--quick smoke run]" : "";

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex FileName();
}
