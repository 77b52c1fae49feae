using ILGPU;
using Gpu.Core;

namespace Gpu.Ops.Image;

/// <summary>Bicubic resizing exactly as PyTorch's <c>interpolate(mode="bicubic",
/// align_corners=False)</c> without antialiasing: source coordinate <c>(dst + 0.5)·in/out − 0.5</c>
/// in float, Keys' cubic with A = −0.75, taps clamped to the border. Used to upscale VDSR's input.</summary>
public static class BicubicResize
{
    /// <summary>Keys' cubic convolution parameter PyTorch uses.</summary>
    public const float A = -0.75f;

    /// <summary>Resizes every channel of <paramref name="input"/> to <paramref name="outHeight"/> × <paramref name="outWidth"/>.</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="input">N·C·H·W elements in <paramref name="layout"/>.</param>
    /// <param name="output">N·C·H'·W' elements in <paramref name="layout"/>.</param>
    /// <param name="layout">NCHW or NHWC.</param>
    /// <param name="batch">N.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="outHeight">H'.</param>
    /// <param name="outWidth">W'.</param>
    /// <param name="preferPortableKernel">Run the portable kernel even where the CPU path exists (to test and compare both).
    /// Devices that prefer barrier-free schedules run <see cref="BicubicResizeSeparable"/>'s kernels either way.</param>
    /// <exception cref="ArgumentException">A dimension is not positive or a view has the wrong length.</exception>
    public static void Forward(Accelerator accelerator, ArrayView<float> input, ArrayView<float> output, TensorLayout layout,
        int batch, int channels, int height, int width, int outHeight, int outWidth, bool preferPortableKernel = false)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (batch <= 0 || channels <= 0 || height <= 0 || width <= 0 || outHeight <= 0 || outWidth <= 0)
            throw new ArgumentOutOfRangeException(nameof(batch), $"Resize dimensions must be positive: {batch}×{channels}×{height}×{width} → {outHeight}×{outWidth}.");
        long inputLength = (long)batch * channels * height * width, outputLength = (long)batch * channels * outHeight * outWidth;
        if (input.Length != inputLength || output.Length != outputLength)
            throw new ArgumentException($"Resizing {batch}×{channels}×{height}×{width} to {outHeight}×{outWidth} needs {inputLength} inputs and {outputLength} outputs; got {input.Length} and {output.Length}.");
        accelerator.CheckView(input);
        accelerator.CheckView(output);
        OperandChecks.Disjoint(input, output);
        if (accelerator.IsHostAddressable() && !preferPortableKernel)
        {
            BicubicResizeCpu.Forward(input, output, layout, batch, channels, height, width, outHeight, outWidth);
            return;
        }
        if (accelerator.Device.PrefersBarrierFreeSchedule())
        {
            BicubicResizeSeparable.Forward(accelerator, input, output, layout, batch, channels, height, width, outHeight, outWidth);
            return;
        }
        accelerator.Launch(outWidth, outHeight, batch * channels, BicubicResizeKernel.For(input, output, layout, channels, height, width, outHeight, outWidth));
    }

    /// <summary>The plain host reference, NCHW, written straight from the definition.</summary>
    /// <param name="input">N·C·H·W inputs.</param>
    /// <param name="planes">N·C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="outHeight">H'.</param>
    /// <param name="outWidth">W'.</param>
    /// <returns>N·C·H'·W' outputs.</returns>
    public static float[] Reference(float[] input, int planes, int height, int width, int outHeight, int outWidth)
    {
        var output = new float[(long)planes * outHeight * outWidth];
        float scaleY = (float)height / outHeight, scaleX = (float)width / outWidth;
        for (int plane = 0; plane < planes; plane++)
        for (int i = 0; i < outHeight; i++)
        for (int j = 0; j < outWidth; j++)
        {
            float sourceY = SourceOf(scaleY, i), sourceX = SourceOf(scaleX, j);
            int y0 = (int)MathF.Floor(sourceY), x0 = (int)MathF.Floor(sourceX);
            double sum = 0;
            for (int u = 0; u < 4; u++)
            {
                double row = 0;
                for (int v = 0; v < 4; v++)
                {
                    int y = Math.Clamp(y0 - 1 + u, 0, height - 1), x = Math.Clamp(x0 - 1 + v, 0, width - 1);
                    row += Keys(sourceX - x0 + 1 - v) * input[(plane * height + y) * width + x];
                }
                sum += Keys(sourceY - y0 + 1 - u) * row;
            }
            output[(plane * outHeight + i) * outWidth + j] = (float)sum;
        }
        return output;
    }

    /// <summary>The source coordinate output position <paramref name="index"/> samples, for in/out = <paramref name="scale"/>.</summary>
    /// <param name="scale">in/out along the axis, in float.</param>
    /// <param name="index">Output position.</param>
    /// <returns><c>(index + 0.5)·scale − 0.5</c>, in float as PyTorch computes it.</returns>
    internal static float SourceOf(float scale, int index) => scale * (index + 0.5f) - 0.5f;

    /// <summary>Keys' cubic kernel at distance <paramref name="s"/>.</summary>
    private static double Keys(double s)
    {
        s = Math.Abs(s);
        return s <= 1 ? ((A + 2) * s - (A + 3)) * s * s + 1 : s < 2 ? ((A * s - 5 * A) * s + 8 * A) * s - 4 * A : 0;
    }
}

/// <summary>One thread per output element: 4×4 taps, horizontal then vertical.</summary>
public struct BicubicResizeKernel : IKernel3D
{
    /// <summary>Input and output images.</summary>
    public ArrayView<float> Input, Output;
    /// <summary>Their strides.</summary>
    public ImageStrides InStrides, OutStrides;
    /// <summary>C, H, W.</summary>
    public int Channels, Height, Width;
    /// <summary>in/out per direction, in float as PyTorch computes it.</summary>
    public float ScaleY, ScaleX;

    /// <summary>The kernel resizing C·H·W images to H'·W', launched over (W', H', N·C).</summary>
    internal static BicubicResizeKernel For(ArrayView<float> input, ArrayView<float> output, TensorLayout layout,
        int channels, int height, int width, int outHeight, int outWidth) => new()
    {
        Input = input, Output = output, InStrides = ImageStrides.Of(layout, channels, height, width),
        OutStrides = ImageStrides.Of(layout, channels, outHeight, outWidth), Channels = channels, Height = height, Width = width,
        ScaleY = (float)height / outHeight, ScaleX = (float)width / outWidth,
    };

    /// <summary>Output (n, c, y, x) with z = n·C + c.</summary>
    /// <param name="x">Output column.</param>
    /// <param name="y">Output row.</param>
    /// <param name="z">n·C + c.</param>
    public void Execute(int x, int y, int z)
    {
        int n = z / Channels, c = z - n * Channels;
        float sourceY = BicubicResize.SourceOf(ScaleY, y), sourceX = BicubicResize.SourceOf(ScaleX, x);
        float floorY = MathF.Floor(sourceY), floorX = MathF.Floor(sourceX);
        int y0 = (int)floorY, x0 = (int)floorX;
        float ty = sourceY - floorY, tx = sourceX - floorX;
        float sum = 0f;
        for (int u = 0; u < 4; u++)
        {
            // Min/Max rather than Math.Clamp: Clamp's throw for reversed bounds cannot compile for a GPU.
            int inY = Math.Min(Math.Max(y0 - 1 + u, 0), Height - 1);
            float row = 0f;
            for (int v = 0; v < 4; v++)
            {
                int inX = Math.Min(Math.Max(x0 - 1 + v, 0), Width - 1);
                row += Weight(tx, v) * Input[ImageStrides.OffsetOf(InStrides, n, c, inY, inX)];
            }
            sum += Weight(ty, u) * row;
        }
        Output[ImageStrides.OffsetOf(OutStrides, n, c, y, x)] = sum;
    }

    /// <summary>The weight of tap <paramref name="k"/> (0..3, at offsets −1..2) for fraction <paramref name="t"/>.</summary>
    internal static float Weight(float t, int k)
    {
        const float a = BicubicResize.A;
        float s = k == 0 ? t + 1f : k == 1 ? t : k == 2 ? 1f - t : 2f - t;
        return k == 1 || k == 2
            ? ((a + 2f) * s - (a + 3f)) * s * s + 1f
            : ((a * s - 5f * a) * s + 8f * a) * s - 4f * a;
    }
}
