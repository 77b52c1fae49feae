using Gpu.Core;
using Gpu.Models.Fip;
using Gpu.Models.Vdsr;
using ILGPU;

namespace Gpu.Models.Compression;

/// <summary>
/// How closely changed weights of an image model (FIP or VDSR) reproduce the original: the PSNR, in
/// dB over values in [0, 1], of their outputs against the original model's outputs on calibration
/// images. The original's outputs are computed once; each candidate is built and run on the same device.
/// </summary>
public sealed class ImageModelFidelity
{
    private readonly Accelerator accelerator;
    private readonly IReadOnlyList<(ImageShape Shape, float[] Pixels)> images;
    private readonly int scale;
    private readonly float[][] expected;

    /// <summary>
    /// Measures against <paramref name="reference"/> on <paramref name="images"/> (N × 3 × H × W RGB
    /// in [0, 1], row-major); VDSR upscales them by <paramref name="scale"/>.
    /// </summary>
    public ImageModelFidelity(Accelerator accelerator, ModelWeights reference, IReadOnlyList<(ImageShape Shape, float[] Pixels)> images, int scale = 2)
    {
        if (images.Count == 0)
            throw new ArgumentException("at least one calibration image is needed", nameof(images));
        this.accelerator = accelerator;
        this.images = images;
        this.scale = scale;
        expected = Outputs(reference);
    }

    /// <summary>The PSNR of <paramref name="candidate"/>'s outputs against the reference's; +∞ when they are equal.</summary>
    public double Psnr(ModelWeights candidate)
    {
        var actual = Outputs(candidate);
        double squared = 0;
        long count = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            for (int j = 0; j < actual[i].Length; j++)
            {
                double difference = actual[i][j] - expected[i][j];
                squared += difference * difference;
            }
            count += actual[i].Length;
        }
        return squared == 0 ? double.PositiveInfinity : 10 * Math.Log10(count / squared);
    }

    private float[][] Outputs(ModelWeights weights)
    {
        var architecture = ModelSummary.Recognize(weights);
        return architecture switch
        {
            ModelArchitecture.Can => RunCan(CanWeights.Load(weights)),
            ModelArchitecture.Vdsr => RunVdsr(VdsrWeights.Load(weights)),
            _ => throw new NotSupportedException($"{weights.Source}: image fidelity measures FIP and VDSR models, not {architecture}"),
        };
    }

    private float[][] RunCan(CanWeights weights)
    {
        using var network = new ContextAggregationNetwork(accelerator, weights);
        return [.. images.Select(image => Run(image.Pixels, image.Shape.Length, (input, output) => network.Forward(input, output, image.Shape, TensorLayout.RowMajor)))];
    }

    private float[][] RunVdsr(VdsrWeights weights)
    {
        using var network = new VdsrNetwork(accelerator, weights);
        return [.. images.Select(image => Run(image.Pixels, image.Shape.Length * scale * scale, (input, output) => network.Upscale(input, output, image.Shape, scale, TensorLayout.RowMajor)))];
    }

    private float[] Run(float[] pixels, long outputLength, Action<ArrayView<float>, ArrayView<float>> forward)
    {
        using var input = accelerator.Allocate<float>(pixels);
        using var output = accelerator.Allocate<float>(outputLength);
        forward(input.View, output.View);
        return output.ToArray();
    }
}
