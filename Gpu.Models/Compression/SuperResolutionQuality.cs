using Gpu.Core;
using Gpu.Models.Vdsr;
using Gpu.Ops.Image;

namespace Gpu.Models.Compression;

/// <summary>
/// A super-resolution model's quality on its task, measured as its model card measures it: each
/// calibration image is shrunk by the scale with bicubic interpolation, the model upscales it back,
/// and the result is compared with the original (RGB PSNR over values in [0, 1], a border of
/// <c>scale</c> pixels shaved, the mean over the images). A compression budget in dB is then a loss
/// of exactly this figure, with no assumption about how the compression error relates to the model's.
/// </summary>
public sealed class SuperResolutionQuality
{
    private readonly Accelerator accelerator;
    private readonly int scale;
    private readonly List<(ImageShape Small, float[] SmallPixels, ImageShape Large, float[] Original)> images = [];

    /// <summary>
    /// Prepares <paramref name="originals"/> (each 1 × 3 × H × W RGB in [0, 1], row-major; cropped to
    /// a multiple of <paramref name="scale"/>) by shrinking them on <paramref name="accelerator"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No image, or an image too small to shrink and shave.</exception>
    public SuperResolutionQuality(Accelerator accelerator, IReadOnlyList<(ImageShape Shape, float[] Pixels)> originals, int scale)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (originals.Count == 0)
            throw new ArgumentException("at least one calibration image is needed", nameof(originals));
        if (scale is < 2 or > 8)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "a super-resolution task scales by 2 to 8");
        this.accelerator = accelerator;
        this.scale = scale;
        foreach (var (shape, pixels) in originals)
        {
            if (shape.Batch != 1 || shape.Channels != 3)
                throw new ArgumentException($"calibration images are single RGB images; got {shape}", nameof(originals));
            int height = shape.Height / scale * scale, width = shape.Width / scale * scale;
            if (height <= 4 * scale || width <= 4 * scale)
                throw new ArgumentException($"a {shape.Width}×{shape.Height} calibration image is too small for ×{scale}", nameof(originals));
            var large = new ImageShape(1, 3, height, width);
            var original = Crop(pixels, shape, large);
            var small = new ImageShape(1, 3, height / scale, width / scale);
            using var input = accelerator.Allocate<float>(original);
            using var output = accelerator.Allocate<float>(small.Length);
            BicubicResize.Forward(accelerator, input.View, output.View, TensorLayout.RowMajor, 1, 3, height, width, small.Height, small.Width);
            Elementwise.Clamp(accelerator, output.View, output.View, 0f, 1f);
            images.Add((small, output.ToArray(), large, original));
        }
    }

    /// <summary>The mean PSNR (dB) of <paramref name="candidate"/>'s upscaled images against the originals.</summary>
    public double Psnr(ModelWeights candidate)
    {
        using var network = new VdsrNetwork(accelerator, VdsrWeights.Load(candidate));
        double sum = 0;
        foreach (var (small, smallPixels, large, original) in images)
        {
            using var input = accelerator.Allocate<float>(smallPixels);
            using var output = accelerator.Allocate<float>(large.Length);
            network.Upscale(input.View, output.View, small, scale, TensorLayout.RowMajor);
            sum += ShavedPsnr(output.ToArray(), original, large);
        }
        return sum / images.Count;
    }

    private double ShavedPsnr(float[] actual, float[] expected, ImageShape shape)
    {
        double squared = 0;
        long count = 0;
        for (int c = 0; c < 3; c++)
            for (int y = scale; y < shape.Height - scale; y++)
                for (int x = scale; x < shape.Width - scale; x++)
                {
                    int i = (c * shape.Height + y) * shape.Width + x;
                    double difference = actual[i] - expected[i];
                    squared += difference * difference;
                    count++;
                }
        return squared == 0 ? double.PositiveInfinity : 10 * Math.Log10(count / squared);
    }

    private static float[] Crop(float[] pixels, ImageShape shape, ImageShape target)
    {
        var cropped = new float[target.Length];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < target.Height; y++)
                pixels.AsSpan((c * shape.Height + y) * shape.Width, target.Width).CopyTo(cropped.AsSpan((c * target.Height + y) * target.Width, target.Width));
        return cropped;
    }
}
