using System.Text.Json;
using Gpu.Core;
using Gpu.Ops.Gemm;

namespace Gpu.Bench.Gemm;

/// <summary>A Features×Features linear layer <c>Y = X·Wᵀ</c> at several batches, in each weight
/// form the library has, beside PyTorch's float and dynamic-quantized Linear.</summary>
internal static class LinearBench
{
    public const int Features = 4096;
    public static readonly int[] Batches = [1, 16, 128];

    public static void Run(TextWriter output, IReadOnlyList<Device> devices, JsonElement? peer)
    {
        output.WriteLine($"  linear {Features}×{Features}, Y = X·Wᵀ, ms per call");
        output.WriteLine($"  {"device",-10} {"batch",5} {"dense",9} {"torch",9} {"torch q8",9}");
        var random = new Random(2);
        float[] weights = Enumerable.Range(0, Features * Features).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        foreach (var device in devices.Where(d => d.Kind == DeviceKind.Cpu))
        {
            using var accelerator = device.Open();
            using var w = accelerator.Allocate<float>(weights);
            foreach (int batch in Batches)
            {
                float[] input = Enumerable.Range(0, batch * Features).Select(_ => (float)random.NextDouble()).ToArray();
                using var x = accelerator.Allocate<float>(input);
                using var y = accelerator.Allocate<float>(batch * Features);
                var shape = new GemmShape(batch, Features, Features, TransposeB: true);
                double dense = Measure.BestSeconds(accelerator, () => DenseGemm.Multiply(accelerator, shape, x.View, w.View, y.View));
                double? torch = GemmBench.PeerSeconds(peer, "linear", batch), torchQ8 = GemmBench.PeerSeconds(peer, "quantized_linear", batch);
                output.WriteLine($"  {device.Name,-10} {batch,5} {dense * 1e3,9:F3} {Ms(torch),9} {Ms(torchQ8),9}");
            }
        }
    }

    private static string Ms(double? seconds) => seconds is { } s ? (s * 1e3).ToString("F3", System.Globalization.CultureInfo.InvariantCulture) : "n/a";
}
