using Gpu.Bench.Gemm;
using Gpu.Core;
using Gpu.Ops.Gemm;

namespace Gpu.Tests.Bench;

/// <summary>The CLBlast peer of bench's gemm suite on every OpenCL device: its product must equal a
/// plain double-precision reference within the float accumulation bound, for both transposes and
/// for operands that start inside a buffer, or its figures in the report mean nothing.</summary>
public sealed class ClBlastPeerTests
{
    private static IEnumerable<TestCaseData> Shapes()
    {
        yield return new TestCaseData(new GemmShape(67, 45, 129)).SetName("ClBlastSgemm_67x45x129");
        yield return new TestCaseData(new GemmShape(33, 70, 17, TransposeA: true)).SetName("ClBlastSgemm_TransposedA");
        yield return new TestCaseData(new GemmShape(40, 31, 96, TransposeB: true)).SetName("ClBlastSgemm_TransposedB");
    }

    [TestCaseSource(nameof(Shapes))]
    public void MatchesTheReferenceProductOnEveryOpenCLDevice(GemmShape shape)
    {
        var devices = Devices.All.Where(d => d.Kind == DeviceKind.OpenCL).ToList();
        if (devices.Count == 0)
            Assert.Ignore($"no OpenCL device here ({string.Join("; ", Devices.Backends.Select(b => $"{b.Backend}: {b.UnavailableReason ?? $"{b.DeviceCount} devices"}"))})");
        if (ClBlastPeer.Unavailable is { } absent)
            Assert.Ignore($"CLBlast is absent, so bench reports it absent: {absent}");
        var random = new Random(shape.M * 7 + shape.K);
        // Non-negative values, the inputs GemmAgreement's bound is stated for, as bench's are.
        float[] a = [.. Enumerable.Range(0, shape.M * shape.K).Select(_ => (float)random.NextDouble())];
        float[] b = [.. Enumerable.Range(0, shape.K * shape.N).Select(_ => (float)random.NextDouble())];
        float[] expected = Reference(shape, a, b);
        const int offset = 5;
        foreach (var device in devices)
        {
            using var accelerator = device.Open();
            // A starts five elements into its buffer, so the peer's offsets are exercised too.
            using var aBuffer = accelerator.Allocate<float>(new float[offset].Concat(a).ToArray());
            using var bBuffer = accelerator.Allocate<float>(b);
            using var cBuffer = accelerator.Allocate<float>(shape.M * shape.N);
            ClBlastPeer.Sgemm(accelerator, shape, aBuffer.View.SubView(offset, a.Length), bBuffer.View, cBuffer.View);
            accelerator.Synchronize();
            float[] actual = cBuffer.ToArray();
            double bound = GemmAgreement.Bound(shape.K, expected);
            double worst = expected.Zip(actual, (x, y) => Math.Abs((double)x - y)).Max();
            TestContext.Out.WriteLine($"{device.Name}: CLBlast {ClBlastPeer.Version} largest difference {worst:G3}, bound {bound:G3}");
            Assert.That(worst, Is.LessThanOrEqualTo(bound), device.Name);
        }
    }

    private static float[] Reference(GemmShape shape, float[] a, float[] b)
    {
        var c = new float[shape.M * shape.N];
        for (int i = 0; i < shape.M; i++)
            for (int j = 0; j < shape.N; j++)
            {
                double sum = 0;
                for (int k = 0; k < shape.K; k++)
                    sum += (double)a[shape.TransposeA ? k * shape.M + i : i * shape.K + k] * b[shape.TransposeB ? j * shape.K + k : k * shape.N + j];
                c[i * shape.N + j] = (float)sum;
            }
        return c;
    }
}
