using Gpu.Ops.Gemm.Sparse;
using Gpu.Tests.Ops.Image;

namespace Gpu.Tests.Ops.Gemm;

/// <summary><see cref="Im2Col.Unfold"/> (the CPU's row copies, the kernel elsewhere) against a plain
/// element-by-element unfolding, over strides, paddings and dilations that put taps off every edge.</summary>
public sealed class Im2ColTests(string deviceName) : DeviceTest(deviceName)
{
    [TestCase(3, 9, 11, 3, 3, 1, 1, 1)]
    [TestCase(2, 7, 13, 3, 3, 1, 8, 8)]
    [TestCase(4, 6, 5, 3, 3, 1, 20, 20)]
    [TestCase(3, 9, 11, 3, 3, 2, 2, 2)]
    [TestCase(2, 10, 9, 2, 5, 3, 1, 1)]
    [TestCase(5, 4, 4, 1, 1, 1, 0, 1)]
    [TestCase(1, 8, 12, 3, 3, 2, 0, 3)]
    public void UnfoldMatchesThePlainDefinition(int channels, int height, int width, int kernelHeight, int kernelWidth, int stride, int padding, int dilation)
    {
        var geometry = new ConvGeometry(channels, height, width, kernelHeight, kernelWidth, stride, padding, dilation);
        float[] image = ImageTestData.Random(channels * height * width, seed: 11, low: -1f, high: 1f);
        var expected = new float[geometry.PatchLength * geometry.OutputPositions];
        for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < kernelHeight; ky++)
                for (int kx = 0; kx < kernelWidth; kx++)
                    for (int oy = 0; oy < geometry.OutputHeight; oy++)
                        for (int ox = 0; ox < geometry.OutputWidth; ox++)
                        {
                            int iy = oy * stride - padding + ky * dilation, ix = ox * stride - padding + kx * dilation;
                            int tap = (c * kernelHeight + ky) * kernelWidth + kx;
                            expected[tap * geometry.OutputPositions + oy * geometry.OutputWidth + ox] =
                                iy >= 0 && iy < height && ix >= 0 && ix < width ? image[(c * height + iy) * width + ix] : 0f;
                        }
        using var input = Accelerator.Allocate<float>(image);
        // Filled with NaN first, so an element the unfolding forgets to write shows.
        using var columns = Accelerator.Allocate<float>(Enumerable.Repeat(float.NaN, expected.Length).ToArray());
        Im2Col.Unfold(Accelerator, geometry, input.View, columns.View);
        Assert.That(columns.ToArray(), Is.EqualTo(expected), geometry.ToString());
    }

    [Test]
    public void MismatchedLengthsAreRefused()
    {
        var geometry = new ConvGeometry(2, 5, 5, 3, 3, 1, 1, 1);
        using var input = Accelerator.Allocate<float>(49);
        using var columns = Accelerator.Allocate<float>(18 * 25);
        Assert.That(() => Im2Col.Unfold(Accelerator, geometry, input.View, columns.View), Throws.ArgumentException.With.Message.Contain("50 image elements"));
    }
}
