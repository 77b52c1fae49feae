using System.Globalization;
using System.Text.Json;
using Gpu.Bench.Reporting;
using Gpu.Core;
using Gpu.Ops.Gemm;

namespace Gpu.Bench.Gemm;

/// <summary>The GEMM family: square sgemm against torch.mm, and a 4096×4096 linear layer at several
/// batches in every form (dense, sparse, quantized) against PyTorch's float and dynamic-quantized
/// Linear, all in the same run.</summary>
public static class GemmBench
{
    private static int[] SquareSizes => QuickMode.Pick<int[]>([512, 1024, 2048], [256]);

    /// <summary>Measures every device and the PyTorch CPU peer; prints the tables.</summary>
    /// <param name="output">Where the report goes.</param>
    /// <param name="devices">The devices to measure.</param>
    public static void Run(TextWriter output, IReadOnlyList<Device> devices)
    {
        int threads = Environment.ProcessorCount;
        string Invariant(IEnumerable<int> values) => string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        var (peer, unavailable) = PyTorchPeer.Run("bench_gemm.py",
            [threads.ToString(CultureInfo.InvariantCulture), Invariant(SquareSizes), LinearBench.Features.ToString(CultureInfo.InvariantCulture), Invariant(LinearBench.Batches)], threads);
        if (peer is { } result)
        {
            string blas = result.GetProperty("blas").GetString() ?? "unknown";
            bool reference = result.TryGetProperty("reference_blas", out var flag) && flag.GetBoolean();
            string engine = result.TryGetProperty("quantized_engine", out var name) ? name.GetString() ?? "unknown" : "unknown";
            output.WriteLine($"gemm: PyTorch peer on the CPU, {threads} threads, torch.mm BLAS = {blas}, quantized engine = {engine}" +
                (reference ? " (a generic reference BLAS, not OpenBLAS/BLIS/MKL: torch.mm ratios overstate our standing against a tuned BLAS)" : ""));
        }
        else
        {
            output.WriteLine($"gemm: PyTorch peer unavailable: {unavailable}");
        }
        RunSquare(output, devices, peer);
        output.WriteLine();
        LinearBench.Run(output, devices, peer);
    }

    /// <summary>A peer timing in seconds, or null.</summary>
    internal static double? PeerSeconds(JsonElement? peer, string table, int key)
        => peer is { } result && result.TryGetProperty(table, out var entries) && entries.TryGetProperty(key.ToString(CultureInfo.InvariantCulture), out var value)
            ? value.GetDouble() : null;

    /// <summary>A GEMM's counted work: its flops, and A, B and C each moved once.</summary>
    internal static Work Work(GemmShape shape)
        => new(shape.Flops, sizeof(float) * ((double)shape.M * shape.K + (double)shape.K * shape.N + (double)shape.M * shape.N));

    /// <summary>The PyTorch peer's timing of a case, or null.</summary>
    internal static PeerTiming? Peer(double? seconds, string variant) => seconds is { } s ? new("PyTorch", variant, PyTorchPeer.Version, s) : null;

    private static void RunSquare(TextWriter output, IReadOnlyList<Device> devices, JsonElement? peer)
    {
        output.WriteLine($"  sgemm C = A·B, float32, square");
        output.WriteLine($"  {"device",-10} {"size",6} {"min ms",10} {"median ms",10} {"GFLOP/s",9} {"% peak",7} {"torch ms",10} {"× torch",8}");
        var random = new Random(1);
        if (devices.Any(d => d.Kind == DeviceKind.OpenCL) && ClBlastPeer.Unavailable is { } absent)
            BenchLog.Note(output, $"gemm: CLBlast peer absent: {absent}");
        foreach (var device in devices)
        {
            using var accelerator = device.Open();
            foreach (int size in SquareSizes.Where(size => BenchFilter.Matches($"sgemm {size}")))
            {
                var shape = new GemmShape(size, size, size);
                float[] host = Enumerable.Range(0, size * size).Select(_ => (float)random.NextDouble()).ToArray();
                using var a = accelerator.Allocate<float>(host);
                using var b = accelerator.Allocate<float>(host);
                using var c = accelerator.Allocate<float>(host.Length);
                double? peerSeconds = PeerSeconds(peer, "sgemm", size);
                try
                {
                    int runs = size > 1024 ? 5 : 10;
                    // On CUDA DenseGemm itself routes this product to cuBLAS, so "ours" is the own tiled kernel and cuBLAS the peer.
                    bool cublas = CublasGemm.IsAvailable(accelerator);
                    Action ours = cublas
                        ? () => accelerator.LaunchGrouped(TiledGemmKernel.ExtentOf(shape), TiledGemmKernel.For(shape, a.View, b.View, c.View, GemmEpilogue.Create(shape.N, 1f, 0f, default, default)))
                        : () => DenseGemm.Multiply(accelerator, shape, a.View, b.View, c.View);
                    // The peer script's counts (tools/reference/bench_gemm.py), so both sides get as many chances.
                    var timing = Measure.Runs(accelerator, ours, warmups: 3, runs: runs);
                    double seconds = timing.Min, gflops = shape.Flops / timing.DeviceSeconds / 1e9;
                    var devicePeer = ClBlastPeer.Supports(accelerator)
                        ? TimeOnDevicePeer(output, accelerator, shape, c, runs, new(ClBlastPeer.Name, "CLBlastSgemm", ClBlastPeer.Version ?? "?", theirs => ClBlastPeer.Sgemm(accelerator, shape, a.View, b.View, theirs.View)))
                        : cublas
                            ? TimeOnDevicePeer(output, accelerator, shape, c, runs, new("cuBLAS", "cublasSgemm", CuBlasVersion(accelerator), theirs => CublasGemm.Multiply(accelerator, shape, a.View, b.View, theirs.View)))
                            : null;
                    BenchLog.Record(new("gemm", $"sgemm {size}", device.Name, timing, Work(shape), Peer(peerSeconds, "torch.mm"),
                        OtherPeers: devicePeer is null ? null : [devicePeer]));
                    output.WriteLine($"  {device.Name,-10} {size,6} {seconds * 1e3,10:F2} {timing.Median * 1e3,10:F2} {gflops,9:F1} {100 * gflops / device.PeakGflops,6:F0}% " +
                        $"{(peerSeconds is { } p ? $"{p * 1e3,10:F1} {p / seconds,8:F2}" : $"{"n/a",10} {"n/a",8}")}{(cublas ? " (own tiled kernel)" : "")}");
                    if (devicePeer is not null)
                    {
                        double peerGflops = shape.Flops / devicePeer.Seconds / 1e9;
                        output.WriteLine($"  {"",-10} {"",6} {devicePeer.Seconds * 1e3,10:F2} {"",10} {peerGflops,9:F1} {100 * peerGflops / device.PeakGflops,6:F0}% " +
                            $"{devicePeer.Name} {devicePeer.Version} on the same device and buffers (× {devicePeer.Name} {devicePeer.Seconds / seconds:F2}; largest difference from ours {devicePeer.MaxAbsDifference:G3})");
                    }
                }
                catch (Exception e) when (e is Gpu.Core.Compiler.KernelCompilationException or GpuException)
                {
                    output.WriteLine($"  {device.Name,-10} {size,6} unavailable: {e.Message}");
                }
            }
        }
    }

    /// <summary>A vendor GEMM on the device's own buffers: its name and version for the report, and its sgemm writing C into the buffer given.</summary>
    private sealed record DevicePeer(string Name, string Variant, string Version, Action<DeviceBuffer<float>> Sgemm);

    private static string CuBlasVersion(Accelerator accelerator)
        => ((Gpu.Core.Ilgpu.IlgpuAccelerator)accelerator).CuBlas!.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A vendor's sgemm (CLBlast on OpenCL, cuBLAS on CUDA) on the same buffers, timed as ours, after
    /// checking its output against ours (in <paramref name="ours"/>): a wrong peer figure is worse than none,
    /// so a result outside the bound is printed, noted and not recorded.</summary>
    private static PeerTiming? TimeOnDevicePeer(TextWriter output, Accelerator accelerator, GemmShape shape, DeviceBuffer<float> ours, int runs, DevicePeer peer)
    {
        using var theirs = accelerator.Allocate<float>(ours.Length);
        try
        {
            peer.Sgemm(theirs);
            accelerator.Synchronize();
        }
        catch (Exception e) when (e is GpuException or ILGPU.Runtime.Cuda.CuBlasException)
        {
            BenchLog.Note(output, $"gemm: {peer.Name} on {accelerator.Device.Name} failed: {e.Message}");
            return null;
        }
        float[] expected = ours.ToArray(), actual = theirs.ToArray();
        double difference = expected.Zip(actual, (x, y) => (double)Math.Abs(x - y)).Max();
        double bound = GemmAgreement.Bound(shape.K, expected);
        if (!(difference <= bound))
        {
            BenchLog.Note(output, $"gemm: {peer.Name}'s sgemm {shape.M} on {accelerator.Device.Name} differs from ours by {difference:G3} (bound {bound:G3}): its time is left out");
            return null;
        }
        var timing = Measure.Runs(accelerator, () => peer.Sgemm(theirs), warmups: 3, runs: runs);
        return new PeerTiming(peer.Name, peer.Variant, peer.Version, timing.Min, OnDevice: true, MaxAbsDifference: difference);
    }
}
