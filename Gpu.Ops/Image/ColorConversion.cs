using ILGPU;
using Gpu.Core;

namespace Gpu.Ops.Image;

/// <summary>RGB ↔ YCbCr with the BT.601 studio-range matrix of MATLAB's <c>rgb2ycbcr</c>, which
/// VDSR uses, for images scaled to [0, 1]: <c>Y = (16 + 65.481·R + 128.553·G + 24.966·B)/255</c>,
/// Cb, Cr offset by 128/255. The inverse is the exact inverse of that matrix.</summary>
public static class ColorConversion
{
    private static readonly double[,] Forward =
    {
        { 65.481 / 255, 128.553 / 255, 24.966 / 255 },
        { -37.797 / 255, -74.203 / 255, 112.0 / 255 },
        { 112.0 / 255, -93.786 / 255, -18.214 / 255 },
    };

    private static readonly double[] Offset = [16.0 / 255, 128.0 / 255, 128.0 / 255];

    /// <summary>Converts 3-channel RGB to YCbCr (channel 0 = Y).</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="input">N·3·H·W RGB in <paramref name="layout"/>, values in [0, 1].</param>
    /// <param name="output">N·3·H·W YCbCr; may be the input.</param>
    /// <param name="layout">NCHW or NHWC.</param>
    /// <param name="batch">N.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="preferPortableKernel">Run the kernel even on the CPU (to test and compare both).</param>
    public static void RgbToYCbCr(Accelerator accelerator, ArrayView<float> input, ArrayView<float> output, TensorLayout layout, int batch, int height, int width,
        bool preferPortableKernel = false)
        => Launch(accelerator, input, output, layout, batch, height, width, ForwardTransform(), preferPortableKernel);

    /// <summary>Converts YCbCr back to RGB.</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="input">N·3·H·W YCbCr in <paramref name="layout"/>.</param>
    /// <param name="output">N·3·H·W RGB; may be the input.</param>
    /// <param name="layout">NCHW or NHWC.</param>
    /// <param name="batch">N.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="preferPortableKernel">Run the kernel even on the CPU (to test and compare both).</param>
    public static void YCbCrToRgb(Accelerator accelerator, ArrayView<float> input, ArrayView<float> output, TensorLayout layout, int batch, int height, int width,
        bool preferPortableKernel = false)
        => Launch(accelerator, input, output, layout, batch, height, width, InverseTransform(), preferPortableKernel);

    /// <summary>The forward transform: <c>out = M·in + offset</c>.</summary>
    /// <returns>The transform in float.</returns>
    public static ColorTransformKernel ForwardTransform() => Transform(Forward, Offset);

    /// <summary>The inverse: <c>M⁻¹·(in − offset)</c>, as <c>M⁻¹·in − M⁻¹·offset</c>.</summary>
    /// <returns>The transform in float.</returns>
    public static ColorTransformKernel InverseTransform()
    {
        var m = Forward;
        double det = m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1]) - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0]) + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]);
        var inverse = new double[3, 3];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
            {
                // Cofactor of (c, r) over the determinant: the adjugate's (r, c).
                int r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
                inverse[r, c] = (m[r1, c1] * m[r2, c2] - m[r1, c2] * m[r2, c1]) / det;
            }
        var offset = new double[3];
        for (int r = 0; r < 3; r++)
            offset[r] = -(inverse[r, 0] * Offset[0] + inverse[r, 1] * Offset[1] + inverse[r, 2] * Offset[2]);
        return Transform(inverse, offset);
    }

    private static ColorTransformKernel Transform(double[,] m, double[] offset) => new()
    {
        M00 = (float)m[0, 0], M01 = (float)m[0, 1], M02 = (float)m[0, 2],
        M10 = (float)m[1, 0], M11 = (float)m[1, 1], M12 = (float)m[1, 2],
        M20 = (float)m[2, 0], M21 = (float)m[2, 1], M22 = (float)m[2, 2],
        Offset0 = (float)offset[0], Offset1 = (float)offset[1], Offset2 = (float)offset[2],
    };

    private static void Launch(Accelerator accelerator, ArrayView<float> input, ArrayView<float> output, TensorLayout layout, int batch, int height, int width,
        ColorTransformKernel kernel, bool preferPortableKernel)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        long length = 3L * batch * height * width;
        if (batch <= 0 || height <= 0 || width <= 0 || length > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), $"Image dimensions must be positive: {batch}×3×{height}×{width}.");
        if (input.Length != length || output.Length != length)
            throw new ArgumentException($"A {batch}×3×{height}×{width} image holds {length} elements; input has {input.Length}, output {output.Length}.");
        accelerator.CheckView(input);
        accelerator.CheckView(output);
        // Each pixel's three channels are read before any is written, so in place is fine.
        OperandChecks.DisjointOrSame(input, output);
        kernel.Input = input;
        kernel.Output = output;
        kernel.Strides = ImageStrides.Of(layout, 3, height, width);
        if (preferPortableKernel || !ColorConversionCpu.TryRun(accelerator, kernel, batch, height, width))
            accelerator.Launch(width, height, batch, kernel);
    }
}

/// <summary>A 3×3 colour matrix plus offset applied to each pixel: <c>out = M·in + offset</c>.</summary>
public struct ColorTransformKernel : IKernel3D
{
    /// <summary>Input and output images (3 channels).</summary>
    public ArrayView<float> Input, Output;
    /// <summary>Their strides.</summary>
    public ImageStrides Strides;
    /// <summary>The matrix, row-major.</summary>
    public float M00, M01, M02, M10, M11, M12, M20, M21, M22;
    /// <summary>The offset.</summary>
    public float Offset0, Offset1, Offset2;

    /// <summary>Pixel (n, y, x).</summary>
    /// <param name="x">Column.</param>
    /// <param name="y">Row.</param>
    /// <param name="n">Image.</param>
    public void Execute(int x, int y, int n)
    {
        int at0 = ImageStrides.OffsetOf(Strides, n, 0, y, x), step = Strides.Channel;
        float a = Input[at0], b = Input[at0 + step], c = Input[at0 + 2 * step];
        Output[at0] = M00 * a + M01 * b + M02 * c + Offset0;
        Output[at0 + step] = M10 * a + M11 * b + M12 * c + Offset1;
        Output[at0 + 2 * step] = M20 * a + M21 * b + M22 * c + Offset2;
    }
}
