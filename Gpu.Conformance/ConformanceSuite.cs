using System.Diagnostics;
using Gpu.Core;

namespace Gpu.Conformance;

/// <summary>The outcome of one case on one device.</summary>
/// <param name="Case">The case's name.</param>
/// <param name="Device">The device's name.</param>
/// <param name="Passed">Whether it produced the right result.</param>
/// <param name="Milliseconds">Wall time, first-use builds included.</param>
/// <param name="Failure">What went wrong when it failed, or why it was skipped.</param>
/// <param name="Skipped">The case does not apply to this device (a known gap, stated in <paramref name="Failure"/>).</param>
public sealed record ConformanceResult(string Case, string Device, bool Passed, double Milliseconds, string? Failure, bool Skipped = false);

/// <summary>Every conformance case: how a user checks a new GPU or driver (<c>gpuc selftest</c>)
/// and what the test suite runs on every device.</summary>
public static class ConformanceSuite
{
    /// <summary>Every case, by area.</summary>
    public static IReadOnlyList<ConformanceCase> All { get; } = [.. LaunchCases.All, .. Corpus.CorpusCases.All];

    /// <summary>The names of every case.</summary>
    public static IEnumerable<string> Names => All.Select(c => c.Name);

    /// <summary>The case of the given name.</summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    public static ConformanceCase Get(string name) => All.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"No conformance case named '{name}'.", nameof(name));

    /// <summary>Runs cases on one accelerator; a failure or an exception of a case is recorded,
    /// never thrown, so one bad case does not hide the rest.</summary>
    /// <param name="accelerator">The device under test.</param>
    /// <param name="cases">The cases to run.</param>
    /// <returns>One result per case, in order.</returns>
    public static IEnumerable<ConformanceResult> Run(Accelerator accelerator, IEnumerable<ConformanceCase> cases)
    {
        foreach (var conformanceCase in cases)
        {
            long start = Stopwatch.GetTimestamp();
            string? failure = null;
            bool skipped = false;
            try
            {
                conformanceCase.Run(accelerator);
            }
            catch (ConformanceSkippedException e)
            {
                (failure, skipped) = (e.Message, true);
            }
            catch (Exception e)
            {
                failure = e is ConformanceException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            }
            yield return new ConformanceResult(conformanceCase.Name, accelerator.Device.Name, failure is null,
                Stopwatch.GetElapsedTime(start).TotalMilliseconds, failure, skipped);
        }
    }
}
