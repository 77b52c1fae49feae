namespace Gpu.Bench.Reporting;

/// <summary>The labels that name a report's devices in tables and charts, worked out once for the whole report: a
/// device's name, with its run's host once the report holds several runs; where a host ran several builds, the build's
/// commit; and the run number where another run of the same host and build measured a case of the same device.</summary>
public sealed class DeviceLabels
{
    private readonly bool severalRuns;
    private readonly string[] runPlaces;
    private readonly HashSet<(int Run, string Device)> numbered;

    /// <summary>Works out the labels of every device of <paramref name="report"/> in one pass over its results.</summary>
    public DeviceLabels(BenchReport report)
    {
        var runs = report.Runs;
        severalRuns = runs.Count > 1;
        var severalBuilds = runs.GroupBy(r => r.Machine.Host).ToDictionary(host => host.Key, host => host.Select(r => r.Commit).Distinct().Count() > 1);
        runPlaces = [.. runs.Select(r => severalBuilds[r.Machine.Host] ? $"{r.Machine.Host} {ShortCommit(r.Commit)}" : r.Machine.Host)];
        // Runs of one host and build that measured the same case of a device share everything else in their labels.
        numbered = [.. report.Results.GroupBy(r => (runs[r.Run].Machine.Host, runs[r.Run].Commit, r.Device, r.Case))
            .Where(sameCase => sameCase.Select(r => r.Run).Distinct().Count() > 1)
            .SelectMany(sameCase => sameCase.Select(r => (r.Run, r.Device)))];
    }

    /// <summary>The label of <paramref name="device"/> in run <paramref name="run"/> of the report.</summary>
    public string Of(int run, string device)
        => !severalRuns ? device : $"{device} @ {runPlaces[run]}{(numbered.Contains((run, device)) ? $" #{run}" : "")}";

    private static string ShortCommit(string? commit) => commit switch
    {
        null => "unknown build",
        _ when commit.EndsWith("-dirty", StringComparison.Ordinal) => $"{commit[..Math.Min(7, commit.Length - 6)]}-dirty",
        _ => commit[..Math.Min(7, commit.Length)],
    };
}
