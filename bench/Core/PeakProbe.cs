using Gpu.Bench.Reporting;
using Gpu.Core;
using Gpu.Core.OpenCL;

namespace Gpu.Bench.Core;

/// <summary>Measures each device's peaks before the suites run, so every result can be judged
/// against what the device delivers now rather than only against its specification: FMA
/// throughput (the host FMA probe for the CPU device, whose kernels are .NET code; an FMA-chain
/// kernel elsewhere, and on OpenCL devices also a hand-written kernel of explicit vectors, the larger counting) and streaming bandwidth (the saxpy kernel on vectors larger than the last-level cache, <see cref="StreamingLength"/>, and on the CPU also the host's SIMD triad, the larger counting; saxpy's counted
/// bytes are all moved: y is read before it is written, so no write-allocate traffic goes uncounted).</summary>
public static class PeakProbe
{
    private const int ChainIterations = 256;

    internal struct FmaChains : IKernel1D
    {
        public ILGPU.ArrayView<float> Y;
        public float A, B;
        public int Iterations;

        // Eight independent chains per work item cover FMA latency on a CPU lane and a GPU warp alike.
        public void Execute(int index)
        {
            float c0 = index * 1e-9f, c1 = c0 + 0.1f, c2 = c0 + 0.2f, c3 = c0 + 0.3f, c4 = c0 + 0.4f, c5 = c0 + 0.5f, c6 = c0 + 0.6f, c7 = c0 + 0.7f;
            for (int i = 0; i < Iterations; i++)
            {
                c0 = MathF.FusedMultiplyAdd(c0, A, B); c1 = MathF.FusedMultiplyAdd(c1, A, B);
                c2 = MathF.FusedMultiplyAdd(c2, A, B); c3 = MathF.FusedMultiplyAdd(c3, A, B);
                c4 = MathF.FusedMultiplyAdd(c4, A, B); c5 = MathF.FusedMultiplyAdd(c5, A, B);
                c6 = MathF.FusedMultiplyAdd(c6, A, B); c7 = MathF.FusedMultiplyAdd(c7, A, B);
            }
            Y[index] = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7;
        }
    }

    /// <summary>Measures <paramref name="device"/>'s peaks and prints them beside the nominal ones.</summary>
    /// <param name="output">Where the line goes.</param>
    /// <param name="device">The device.</param>
    /// <param name="hostFma">The host FMA probe's reading, used as the CPU device's compute peak.</param>
    public static MeasuredPeaks Measure(TextWriter output, Device device, FmaReading? hostFma)
    {
        using var accelerator = device.Open();
        int bandwidthLength = StreamingLength.For([device]);
        double gbps = Bandwidth(accelerator, bandwidthLength);
        var (gflops, computeProbe) = device.Kind == DeviceKind.Cpu && hostFma is { } fma
            ? (fma.AllCores, $"host FMA probe: {HostFmaProbe.Description}")
            : (FmaKernel(accelerator, device), $"FMA-chain kernel: 8 chains × {ChainIterations} FMAs per work item, the smallest kernel time of the timed runs (wall time where the engine has no device clock)");
        if (accelerator is OpenCLAccelerator openCL)
        {
            // The translated kernel is scalar; a vector kernel shows what the device's vector units give where its runtime vectorises poorly.
            var (vector, width) = openCL.MeasureVectorFma();
            computeProbe = $"the larger of the {computeProbe} ({gflops:F1} GFLOP/s) and an OpenCL C kernel of 8 float{width} fma chains per work item ({vector:F1} GFLOP/s)";
            gflops = Math.Max(gflops, vector);
        }
        string bandwidthProbe = $"saxpy kernel, n = {bandwidthLength:N0}, 12 bytes per element, the smallest kernel time of the timed runs (wall time where the engine has no device clock)";
        if (device.Kind == DeviceKind.Cpu)
        {
            double triad = HostBandwidthProbe.Measure();
            bandwidthProbe = $"the larger of the {bandwidthProbe} ({gbps:F1} GB/s) and the {HostBandwidthProbe.Description} ({triad:F1} GB/s)";
            gbps = Math.Max(gbps, triad);
        }
        output.WriteLine($"{device.Name}: measured {gflops:F0} GFLOP/s ({100 * gflops / device.PeakGflops:F0} % of nominal {device.PeakGflops:F0}), " +
            $"{gbps:F1} GB/s ({100 * gbps / device.PeakGBps:F0} % of nominal {device.PeakGBps:F1})");
        return new(gflops, gbps, computeProbe, bandwidthProbe);
    }

    private static double Bandwidth(Accelerator accelerator, int length)
    {
        var host = new float[length];
        using var x = accelerator.Allocate<float>(host);
        using var y = accelerator.Allocate<float>(host);
        var kernel = new SaxpyBench.Saxpy { X = x.View, Y = y.View, A = 0.5f };
        // As many timed runs as a case takes (Measure.Runs' default), so saxpy, the same kernel, is not the better-sampled of the two.
        var timing = Gpu.Bench.Measure.Runs(accelerator, () => accelerator.Launch(length, kernel), warmups: 2, runs: 10);
        return 3.0 * sizeof(float) * length / timing.DeviceSeconds / 1e9;
    }

    private static double FmaKernel(Accelerator accelerator, Device device)
    {
        // Enough work items to fill every compute unit many times over, whatever the device.
        int length = Math.Max(1 << 16, device.ComputeUnits * 16384);
        using var y = accelerator.Allocate<float>(length);
        var kernel = new FmaChains { Y = y.View, A = 0.999f, B = 0.001f, Iterations = ChainIterations };
        var timing = Gpu.Bench.Measure.Runs(accelerator, () => accelerator.Launch(length, kernel), warmups: 2, runs: 5);
        return 2.0 * 8 * ChainIterations * length / timing.DeviceSeconds / 1e9;
    }
}
