using System.Globalization;
using System.Text.Json;
using Gpu.Bench.Reporting;
using Gpu.Core;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Quantized;
using Gpu.Ops.Gemm.Sparse;

namespace Gpu.Bench.Gemm;

/// <summary>A Features×Features linear layer at several batches in each weight form the library
/// has (dense X·Wᵀ, with W as it stands and prepared once by <see cref="DenseGemm.PackB"/> as layers
/// hold it; CSR and 1×8 block-sparse at 90 % sparsity and int8 as W·X on column-major activations),
/// beside PyTorch's float and dynamic-quantized Linear.</summary>
internal static class LinearBench
{
    public static int Features => QuickMode.Pick(4096, 512);
    public static int[] Batches => QuickMode.Pick<int[]>([1, 16, 128], [1, 16]);
    private const double Sparsity = 0.9;

    public static void Run(TextWriter output, IReadOnlyList<Device> devices, JsonElement? peer)
    {
        output.WriteLine($"  linear {Features}×{Features}, ms per call (sparse at {Sparsity:P0}: CSR random elements, block 1×8 random blocks; int8 includes quantizing X)");
        output.WriteLine($"  {"device",-10} {"batch",5} {"dense",9} {"packed",9} {"csr",9} {"block",9} {"int8",9} {"torch",9} {"torch q8",9} {"dense/csr",9} {"q8/int8",8}");
        var random = new Random(2);
        float[] weights = Enumerable.Range(0, Features * Features).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        bool[] elementMask = Enumerable.Range(0, weights.Length).Select(_ => random.NextDouble() >= Sparsity).ToArray();
        bool[] blockMask = new bool[weights.Length];
        for (int start = 0; start < weights.Length; start += BlockSparseMatrix.BlockWidth)
            if (random.NextDouble() >= Sparsity)
                Array.Fill(blockMask, true, start, BlockSparseMatrix.BlockWidth);
        foreach (var device in devices)
        {
            try
            {
                RunDevice(output, device, weights, elementMask, blockMask, peer, random);
            }
            catch (Exception e) when (e is Gpu.Core.Compiler.KernelCompilationException or GpuException)
            {
                output.WriteLine($"  {device.Name,-10} unavailable: {e.Message}");
            }
        }
    }

    private static void RunDevice(TextWriter output, Device device, float[] weights, bool[] elementMask, bool[] blockMask, JsonElement? peer, Random random)
    {
        using var accelerator = device.Open();
        using var w = accelerator.Allocate<float>(weights);
        using var packed = DenseGemm.PackB(accelerator, new GemmShape(1, Features, Features, TransposeB: true), w.View);
        using var csr = CsrMatrix.FromDense(accelerator, weights, Features, Features, elementMask);
        using var blocks = BlockSparseMatrix.FromDense(accelerator, weights, Features, Features, blockMask);
        using var quantized = QuantizedWeights.Quantize(accelerator, weights, Features, Features);
        foreach (int batch in Batches)
        {
            float[] input = Enumerable.Range(0, batch * Features).Select(_ => (float)random.NextDouble()).ToArray();
            using var x = accelerator.Allocate<float>(input);
            using var y = accelerator.Allocate<float>(batch * Features);
            var shape = new GemmShape(batch, Features, Features, TransposeB: true);
            double? torch = GemmBench.PeerSeconds(peer, "linear", batch), torchQ8 = GemmBench.PeerSeconds(peer, "quantized_linear", batch);
            // Sparse and int8 forms do less work than their dense flop count: they are recorded by time alone.
            double? Time(string form, Action work, Work counted, PeerTiming? peerTiming)
            {
                string label = $"{Features}×{Features} batch {batch} {form}";
                if (!BenchFilter.Matches(label))
                    return null;
                var timing = Measure.Runs(accelerator, work);
                BenchLog.Record(new("linear", label, device.Name, timing, counted, peerTiming));
                return timing.Min;
            }
            double? dense = Time("dense", () => DenseGemm.Multiply(accelerator, shape, x.View, w.View, y.View), GemmBench.Work(shape), GemmBench.Peer(torch, "nn.Linear"));
            double? prepared = Time("dense packed", () => DenseGemm.Multiply(accelerator, shape, x.View, packed, y.View), GemmBench.Work(shape), GemmBench.Peer(torch, "nn.Linear"));
            double? sparse = Time("csr", () => SparseGemm.Multiply(accelerator, csr, x.View, y.View, batch), new(), null);
            double? blocked = Time("block", () => SparseGemm.Multiply(accelerator, blocks, x.View, y.View, batch), new(), null);
            double? int8 = Time("int8", () => QuantizedGemm.MultiplyDynamic(accelerator, quantized, x.View, batch, y.View), new(), GemmBench.Peer(torchQ8, "dynamic-quantized nn.Linear"));
            output.WriteLine($"  {device.Name,-10} {batch,5} {Ms(dense),9} {Ms(prepared),9} {Ms(sparse),9} {Ms(blocked),9} {Ms(int8),9} {Ms(torch),9} {Ms(torchQ8),9} " +
                $"{Ratio(dense, sparse),9} {Ratio(torchQ8, int8),8}");
        }
    }

    private static string Ratio(double? numerator, double? denominator)
        => numerator is { } n && denominator is { } d ? (n / d).ToString("F2", CultureInfo.InvariantCulture) : "n/a";

    private static string Ms(double? seconds) => seconds is { } s ? (s * 1e3).ToString("F3", CultureInfo.InvariantCulture) : "n/a";
}
