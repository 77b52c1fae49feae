using System.Globalization;
using Gpu.Bench.Reporting;
using Gpu.Core;
using Gpu.Core.Compiler;

namespace Gpu.Bench.Core;

/// <summary>y = a·x + y: the memory-bound kernel that shows what a device's launch path and memory
/// system deliver, and what translating and building a kernel costs.</summary>
public static class SaxpyBench
{
    /// <summary>The kernel; <see cref="PeakProbe"/> measures bandwidth with it too.</summary>
    /// <summary>The kernel, on ILGPU's views: on the CPU engine its loop indexes through ILGPU's host indexer.</summary>
    internal struct Saxpy : IKernel1D
    {
        public ILGPU.ArrayView<float> X, Y;
        public float A;

        public void Execute(int index) => Y[index] = A * X[index] + Y[index];
    }

    internal struct ColdBuildProbe : IKernel1D
    {
        public ILGPU.ArrayView<float> Y;

        public void Execute(int index) => Y[index] = Y[index] * 2f + 1f;
    }

    internal struct WarmBuildProbe : IKernel1D
    {
        public ILGPU.ArrayView<float> Y;

        public void Execute(int index) => Y[index] = MathF.Sqrt(Y[index]) - 1f;
    }

    /// <summary>Measures every device and the PyTorch CPU peer; prints one table. The vectors exceed
    /// the host's last-level cache (<see cref="StreamingLength"/>), every timed run is waited for, and
    /// the result of all runs is checked, so a figure is memory bandwidth of work that was done.</summary>
    /// <param name="output">Where the report goes.</param>
    /// <param name="devices">The devices to measure.</param>
    public static void Run(TextWriter output, IReadOnlyList<Device> devices)
    {
        int length = StreamingLength.For(devices);
        double bytesPerCall = 3.0 * sizeof(float) * length;
        output.WriteLine($"saxpy: y = a·x + y, float32, n = {length:N0} ({bytesPerCall / (1 << 20):F0} MiB moved per call; {StreamingLength.Description})");
        var (peer, unavailable) = PyTorchPeer.Run("bench_saxpy.py", [length.ToString(CultureInfo.InvariantCulture), Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)], Environment.ProcessorCount);
        double? peerGBps = peer?.GetProperty("gbps").GetDouble();
        output.WriteLine(peerGBps is { } p
            ? $"  PyTorch peer (CPU, {Environment.ProcessorCount} threads, y.add_(x, alpha)): {p:F1} GB/s"
            : $"  PyTorch peer unavailable: {unavailable}");
        output.WriteLine($"  {"device",-10} {"min ms",9} {"median ms",9} {"kernel ms",9} {"GB/s",9} {"% peak",7} {"× PyTorch",10}  (GB/s from the kernel time where the device has a clock)");
        var host = Enumerable.Range(0, length).Select(StartValue).ToArray();
        foreach (var device in devices)
        {
            using var accelerator = device.Open();
            using var x = accelerator.Allocate<float>(host);
            using var y = accelerator.Allocate<float>(host);
            int calls = 0;
            var kernel = new Saxpy { X = x.View, Y = y.View, A = Scale };
            Report(Measure.Runs(accelerator, () => { accelerator.Launch(length, kernel); calls++; }));

            void Report(Timing timing)
            {
                CheckResult(device.Name, y.ToArray(), calls);
                double gbps = bytesPerCall / timing.DeviceSeconds / 1e9;
                // Two flops an element as well as the bytes, so saxpy sits on the roofline's bandwidth slope.
                BenchLog.Record(new("saxpy", $"n = {length:N0}", device.Name, timing, new Work(Flops: 2.0 * length, Bytes: bytesPerCall),
                    peer is { } torch ? new PeerTiming("PyTorch", "y.add_(x, alpha)", PyTorchPeer.Version, torch.GetProperty("seconds").GetDouble()) : null));
                // Against the peer's wall-time rate, our wall time too.
                string ratio = peerGBps is { } peerValue ? $"{bytesPerCall / timing.Min / 1e9 / peerValue:F2}" : "n/a";
                string kernel = timing.KernelMedian is { } median ? (median * 1e3).ToString("F3", CultureInfo.InvariantCulture) : "-";
                output.WriteLine($"  {device.Name,-10} {timing.Min * 1e3,9:F3} {timing.Median * 1e3,9:F3} {kernel,9} {gbps,9:F1} {100 * gbps / device.PeakGBps,6:F0}% {ratio,10}");
            }
        }
        foreach (var device in devices.Where(d => d.Kind != DeviceKind.Cpu))
            ReportCompileCost(output, device);
    }

    private const float Scale = 0.5f;

    private static float StartValue(int index) => (index & 1023) * 0.001f;

    /// <summary>Checks <paramref name="y"/> after <paramref name="calls"/> saxpy calls against the host's
    /// recurrence at a prime stride and at the last element (which a short launch would miss): a
    /// figure of work that was skipped or cut short is no figure.</summary>
    private static void CheckResult(string run, float[] y, int calls)
    {
        const int sampleStride = 4093;
        foreach (int index in Enumerable.Range(0, (y.Length + sampleStride - 1) / sampleStride).Select(i => i * sampleStride).Append(y.Length - 1))
        {
            float x = StartValue(index), expected = x;
            for (int call = 0; call < calls; call++)
                expected = Scale * x + expected;
            // A device may fuse the multiply-add: up to an ulp or so a call apart from the host's rounding.
            if (Math.Abs(y[index] - expected) > 1e-6f * calls * Math.Max(1f, Math.Abs(expected)))
                throw new InvalidOperationException($"saxpy on {run}: y[{index}] = {y[index]:R} after {calls} calls, expected {expected:R}; the timed runs did not all complete");
        }
    }

    private static void ReportCompileCost(TextWriter output, Device device)
    {
        // The OpenCL engine translates IL to C before the device builds it; ILGPU (cuda:N) compiles IL to PTX inside the first launch.
        string translation = "";
        if (device.Kind == DeviceKind.OpenCL)
        {
            double first = Measure.Milliseconds(() => KernelCompiler.Generate(typeof(ColdBuildProbe), KernelShape.OneD, default));
            double later = Measure.Milliseconds(() => KernelCompiler.Generate(typeof(WarmBuildProbe), KernelShape.OneD, default));
            translation = $"IL→C {first:F1} ms (first in process, JIT included), {later:F2} ms (next kernel); ";
        }
        using var accelerator = device.Open();
        using var y = accelerator.Allocate<float>(1024);
        double cold = Measure.Milliseconds(() => { accelerator.Launch(1024, new ColdBuildProbe { Y = y.View }); accelerator.Synchronize(); });
        double warm = Measure.Milliseconds(() => { accelerator.Launch(1024, new WarmBuildProbe { Y = y.View }); accelerator.Synchronize(); });
        double cached = Measure.Milliseconds(() => { accelerator.Launch(1024, new WarmBuildProbe { Y = y.View }); accelerator.Synchronize(); });
        output.WriteLine($"  compile cost on {device.Name} ({device.Engine.Name}): {translation}" +
            $"first launch with device build {cold:F0} ms (cold), {warm:F0} ms (warm); cached launch {cached:F2} ms");
    }
}
