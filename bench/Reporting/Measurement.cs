namespace Gpu.Bench.Reporting;

/// <summary>The work one call does, from which rates and arithmetic intensity follow.</summary>
/// <param name="Flops">Floating-point operations a call counts (an FMA as two), or null where the case only moves data.</param>
/// <param name="Bytes">Bytes a call must move at least, or null where the suite does not count them.</param>
public sealed record Work(double? Flops = null, double? Bytes = null)
{
    /// <summary>Flops per byte, or null unless both are counted.</summary>
    public double? Intensity => Flops is { } f && Bytes is { } b && b > 0 ? f / b : null;
}

/// <summary>What a measured case covers, which decides the time its rates use.</summary>
public enum CaseScope
{
    /// <summary>Kernels of one operation: rates use the device-side kernel time where there is one.</summary>
    Operation,

    /// <summary>A model or pipeline end to end, host work and launch gaps included: rates use the wall time.</summary>
    EndToEnd,
}

/// <summary>The same case timed by a peer (PyTorch, CLBlast, ONNX Runtime, OpenCV) in the same run.</summary>
/// <param name="Name">The peer library, e.g. <c>PyTorch</c>.</param>
/// <param name="Variant">Which of its forms was fastest (layout, eager or traced), or null.</param>
/// <param name="Version">The library version the peer reported, or null.</param>
/// <param name="Seconds">Its time for one call.</param>
/// <param name="OnDevice">Whether it ran on the result's own device (CLBlast on an OpenCL device),
/// so that its rate is judged against that device's peaks; host peers run on the CPU whatever the device.</param>
/// <param name="MaxAbsDifference">The largest difference of its output from ours on the same input (from the reference
/// definition with the same weights for a peer run in Python), or null where not compared.</param>
public sealed record PeerTiming(string Name, string? Variant, string? Version, double Seconds, bool OnDevice = false, double? MaxAbsDifference = null);

/// <summary>One case on one device as a suite measured it, before peaks are applied.</summary>
/// <param name="Suite">The suite, e.g. <c>gemm</c>.</param>
/// <param name="Case">The case label the suite's table prints.</param>
/// <param name="Device">The device name (<c>cpu</c>, <c>opencl:0</c>).</param>
/// <param name="Time">Every timed run.</param>
/// <param name="Work">What one call does.</param>
/// <param name="Peer">The primary peer's time for the same case (PyTorch where it ran), or null.</param>
/// <param name="Note">Why a figure may mislead (e.g. counted flops above the work done), or null.</param>
/// <param name="OtherPeers">Further peers of the same case (CLBlast, ONNX Runtime, OpenCV), or null.</param>
/// <param name="Scope">Whether the case is one operation, judged by its kernel time where the device has a clock,
/// or a whole model end to end, judged by its wall time.</param>
public sealed record Measurement(string Suite, string Case, string Device, Timing Time, Work Work, PeerTiming? Peer = null, string? Note = null,
    IReadOnlyList<PeerTiming>? OtherPeers = null, CaseScope Scope = CaseScope.Operation)
{
    /// <summary>Every peer of the case, the primary one first.</summary>
    public IEnumerable<PeerTiming> Peers => (Peer is null ? [] : new[] { Peer }).Concat(OtherPeers ?? []);
}

/// <summary>What the suites measured in this process, for <c>--out</c>; the tables print as before.</summary>
public static class BenchLog
{
    private static readonly List<Measurement> measurements = [];
    private static readonly List<string> notes = [];

    /// <summary>The measurements in the order they were made.</summary>
    public static IReadOnlyList<Measurement> Measurements => measurements;

    /// <summary>Suites and cases skipped or reduced, with the reason.</summary>
    public static IReadOnlyList<string> Notes => notes;

    /// <summary>Keeps one measurement.</summary>
    public static void Record(Measurement measurement) => measurements.Add(measurement);

    /// <summary>Prints <paramref name="note"/> on <paramref name="output"/> and keeps it for the report.</summary>
    public static void Note(TextWriter output, string note)
    {
        output.WriteLine($"  {note}");
        notes.Add(note);
    }
}
