using Gpu.Bench.Reporting;
using Gpu.Core;
using Gpu.Core.Ilgpu;
using ILGPU;
using ILGPU.Runtime.CPU;

namespace Gpu.Bench.Core;

/// <summary>What one launch costs when the kernel does nothing: the engine's argument packing, the
/// driver's enqueue and, for launch + wait, the round trip to the device and back. Two figures per
/// engine: µs for one launch followed by a wait, and µs per launch when many are queued before one wait.</summary>
public static class LaunchBench
{
    /// <summary>A kernel that reads and writes nothing but carries the fields a typical op's kernel
    /// does (two views, a scale and a count), so the figure includes packing them.</summary>
    public struct EmptyKernel : IKernel1D
    {
        /// <summary>An input view, never read.</summary>
        public ArrayView<float> Input;
        /// <summary>An output view, never written.</summary>
        public ArrayView<float> Output;
        /// <summary>A scalar argument.</summary>
        public float Scale;
        /// <summary>A count argument.</summary>
        public int Count;

        /// <summary>Does nothing at <paramref name="index"/>.</summary>
        public readonly void Execute(int index)
        {
        }
    }

    /// <summary>Measures each device and prints one table.</summary>
    /// <param name="output">Where the report goes.</param>
    /// <param name="devices">The devices to measure.</param>
    public static void Run(TextWriter output, IReadOnlyList<Device> devices)
    {
        int launches = QuickMode.Pick(2000, 200);
        output.WriteLine($"launch: an empty 1D kernel over 1 index with two views and two scalars; µs per launch, {launches} launches a timed run");
        output.WriteLine($"  {"device",-10} {"launch+wait min",16} {"median",9} {"queued min",11} {"median",9}");
        foreach (var device in devices)
        {
            using var accelerator = device.Open();
            var (waited, queued) = Measure(accelerator, launches);
            BenchLog.Record(new("launch", "launch + wait", device.Name, waited, new Work()));
            BenchLog.Record(new("launch", "queued launches, one wait", device.Name, queued, new Work()));
            PrintRow(output, device.Name, waited, queued);
        }
        // The emulator takes about a millisecond a launch: fewer launches keep its row to seconds.
        MeasureIlgpuCpu(output, Math.Min(launches, 200));
        foreach (var backend in Devices.Backends.Where(b => b.Backend.Contains("cuda", StringComparison.OrdinalIgnoreCase) && b.DeviceCount == 0))
            BenchLog.Note(output, $"launch: cuda skipped: {backend.UnavailableReason ?? "no CUDA device"}");
    }

    /// <summary>ILGPU's CPU accelerator, reached as research code reaches it (its own context, wrapped), is no
    /// listed device, so its figures go into the notes rather than the per-device results.</summary>
    private static void MeasureIlgpuCpu(TextWriter output, int launches)
    {
        using var context = Context.Create(builder => builder.CPU());
        using var cpu = context.CreateCPUAccelerator(0);
        using var engine = IlgpuAccelerator.Wrap(cpu);
        var (waited, queued) = Measure(engine, launches);
        PrintRow(output, "ilgpu-cpu", waited, queued);
        BenchLog.Note(output, $"launch: ilgpu-cpu (ILGPU's CPU accelerator, an emulator, not a listed device): {waited.Min * 1e6:F1} µs a launch + wait, " +
            $"{queued.Min * 1e6:F1} µs a queued launch (fastest runs)");
    }

    private static (Timing Waited, Timing Queued) Measure(Accelerator accelerator, int launches)
    {
        using var input = accelerator.Allocate<float>(16);
        using var result = accelerator.Allocate<float>(16);
        var kernel = new EmptyKernel { Input = input.View, Output = result.View, Scale = 0.5f, Count = 16 };
        // Each timed run covers many launches so the timer's resolution and one run's noise do not dominate a µs figure.
        var waited = PerLaunch(accelerator, launches, () =>
        {
            for (int i = 0; i < launches; i++)
            {
                accelerator.Launch(1, kernel);
                accelerator.Synchronize();
            }
        });
        var queued = PerLaunch(accelerator, launches, () =>
        {
            for (int i = 0; i < launches; i++)
                accelerator.Launch(1, kernel);
        });
        return (waited, queued);
    }

    private static void PrintRow(TextWriter output, string deviceName, Timing waited, Timing queued)
        => output.WriteLine($"  {deviceName,-10} {waited.Min * 1e6,16:F1} {waited.Median * 1e6,9:F1} {queued.Min * 1e6,11:F1} {queued.Median * 1e6,9:F1}");

    /// <summary>The timed runs of <paramref name="work"/> (followed by a wait), each divided by the launches it makes.</summary>
    private static Timing PerLaunch(Accelerator accelerator, int launches, Action work)
    {
        var runs = Gpu.Bench.Measure.WallRuns(accelerator, work, warmups: 1, runs: 7);
        return new Timing([.. runs.Seconds.Select(seconds => seconds / launches)]);
    }
}
