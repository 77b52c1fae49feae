using Gpu.Core;
using Gpu.Models;
using Gpu.Models.Compression;
using Gpu.Ops.Image;

namespace Gpu.Tests.Models.Compression;

/// <summary>VDSR's task measure: shrink by bicubic, upscale with the model, PSNR against the original with the border shaved.</summary>
public sealed class SuperResolutionQualityTests
{
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "Shipped", "vdsr-x2.safetensors");

    [Test]
    public void WithItsConvolutionsZeroTheModelScoresPlainBicubicUpscaling()
    {
        // 41×50 is cropped to 40×50 for ×2; a texture of stripes and a ramp, so bicubic loses detail.
        var shape = new ImageShape(1, 3, 41, 50);
        var pixels = new float[shape.Length];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 41; y++)
                for (int x = 0; x < 50; x++)
                    pixels[(c * 41 + y) * 50 + x] = (float)(0.5 + 0.4 * Math.Sin(0.9 * x + 0.5 * y + c) * (x < 25 ? 1 : 0.3));
        var weights = ModelWeights.Read(Shipped);
        using var accelerator = Devices.Open("cpu");
        var quality = new SuperResolutionQuality(accelerator, [(shape, pixels)], 2);
        // VDSR has no biases: with every convolution zero its residual is zero and it returns the bicubic image.
        double zeroed = quality.Psnr(SensitivityAnalysis.WithoutTensors(weights, ModelCompressor.Compressible(weights)));

        float[] original = new float[3 * 40 * 50];
        for (int c = 0; c < 3; c++)
            pixels.AsSpan(c * 41 * 50, 40 * 50).CopyTo(original.AsSpan(c * 40 * 50));
        float[] small = [.. BicubicResize.Reference(original, 3, 40, 50, 20, 25).Select(v => Math.Clamp(v, 0f, 1f))];
        float[] large = [.. BicubicResize.Reference(small, 3, 20, 25, 40, 50).Select(v => Math.Clamp(v, 0f, 1f))];
        double squared = 0;
        int count = 0;
        for (int c = 0; c < 3; c++)
            for (int y = 2; y < 38; y++)
                for (int x = 2; x < 48; x++)
                {
                    double difference = large[(c * 40 + y) * 50 + x] - original[(c * 40 + y) * 50 + x];
                    squared += difference * difference;
                    count++;
                }
        double bicubic = 10 * Math.Log10(count / squared);
        Assert.That(bicubic, Is.InRange(10, 40), "the texture must lose detail, or the comparison proves little");
        Assert.That(zeroed, Is.EqualTo(bicubic).Within(0.01), "only the YCbCr round trip's rounding may differ");
        Assert.That(quality.Psnr(weights), Is.Not.EqualTo(zeroed).Within(1e-3), "the trained network changes the result");
    }

    [Test]
    public void ImagesTooSmallOrNotRgbAreRefused()
    {
        using var accelerator = Devices.Open("cpu");
        Assert.Throws<ArgumentException>(() => _ = new SuperResolutionQuality(accelerator, [(new ImageShape(1, 3, 8, 40), new float[3 * 8 * 40])], 2));
        Assert.Throws<ArgumentException>(() => _ = new SuperResolutionQuality(accelerator, [(new ImageShape(1, 1, 40, 40), new float[40 * 40])], 2));
        Assert.Throws<ArgumentException>(() => _ = new SuperResolutionQuality(accelerator, [], 2));
    }
}
