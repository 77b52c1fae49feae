using Gpu.Core;
using Gpu.Ops.Image;

namespace Gpu.Tests.Ops.Image;

/// <summary>Layout conversion (NCHW ↔ NHWC, feature map → time-major sequence) against host permutations,
/// through the portable kernel and through the CPU path.</summary>
[TestFixtureSource(typeof(TestDevices), nameof(TestDevices.FixturesWithIlgpuCpu))]
public sealed class LayoutConversionTests(string deviceName) : DeviceTest(deviceName)
{
    [Test]
    public void LayoutConversionRoundTrips([Values] bool portableKernel, [Values(7, 160)] int width)
    {
        // The wide image has more elements than the CPU path copies on one thread.
        int n = 2, c = 5, h = width == 7 ? 3 : 90, w = width;
        float[] nchw = ImageTestData.Random(n * c * h * w, 3);
        using var source = Accelerator.Allocate<float>(nchw);
        using var nhwc = Accelerator.Allocate<float>(nchw.Length);
        using var back = Accelerator.Allocate<float>(nchw.Length);
        ImageLayoutConversion.Convert(Accelerator, source.View, TensorLayout.RowMajor, nhwc.View, TensorLayout.Nhwc, n, c, h, w, portableKernel);
        Assert.That(nhwc.ToArray(), Is.EqualTo(ImageTestData.ToNhwc(nchw, n, c, h, w)));
        ImageLayoutConversion.Convert(Accelerator, nhwc.View, TensorLayout.Nhwc, back.View, TensorLayout.RowMajor, n, c, h, w, portableKernel);
        Assert.That(back.ToArray(), Is.EqualTo(nchw));
    }

    [Test]
    public void ToTimeMajorPutsEachColumnAtItsStep([Values] bool portableKernel, [Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout)
    {
        const int n = 3, c = 4, steps = 6;
        float[] nchw = ImageTestData.Random(n * c * steps, 5);
        float[] stored = layout == TensorLayout.Nhwc ? ImageTestData.ToNhwc(nchw, n, c, 1, steps) : nchw;
        using var source = Accelerator.Allocate<float>(stored);
        using var sequence = Accelerator.Allocate<float>(nchw.Length);
        ImageLayoutConversion.ToTimeMajor(Accelerator, source.View, layout, sequence.View, n, c, steps, portableKernel);
        var expected = new float[nchw.Length];
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < n; b++)
                for (int k = 0; k < c; k++)
                    expected[(t * n + b) * c + k] = nchw[(b * c + k) * steps + t];
        Assert.That(sequence.ToArray(), Is.EqualTo(expected));
    }
}
