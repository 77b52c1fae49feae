using ILGPU;
using Gpu.Core;

namespace Gpu.Ops.Image;

/// <summary>The geometry of a max pool: rectangular kernel, stride and padding per direction;
/// padded positions never win (they count as −∞, as in PyTorch).</summary>
/// <param name="Batch">N.</param>
/// <param name="Channels">C.</param>
/// <param name="Height">H.</param>
/// <param name="Width">W.</param>
/// <param name="KernelHeight">KH.</param>
/// <param name="KernelWidth">KW.</param>
/// <param name="StrideY">Vertical stride.</param>
/// <param name="StrideX">Horizontal stride.</param>
/// <param name="Padding">Padding per side.</param>
public readonly record struct MaxPool2dShape(int Batch, int Channels, int Height, int Width, int KernelHeight, int KernelWidth, int StrideY, int StrideX, Padding2d Padding)
{
    /// <summary>Output rows: <c>floor((H + top + bottom − KH)/sy) + 1</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The stride is not positive (<see cref="Validate"/> first).</exception>
    public int OutHeight => OutExtent(Height, Padding.Top, Padding.Bottom, KernelHeight, StrideY, nameof(StrideY));

    /// <summary>Output columns.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The stride is not positive (<see cref="Validate"/> first).</exception>
    public int OutWidth => OutExtent(Width, Padding.Left, Padding.Right, KernelWidth, StrideX, nameof(StrideX));

    /// <summary>Input elements.</summary>
    public long InputLength => (long)Batch * Channels * Height * Width;

    /// <summary>Output elements.</summary>
    public long OutputLength => (long)Batch * Channels * OutHeight * OutWidth;

    /// <summary>Throws unless dimensions are positive, every window overlaps the image, padding is at
    /// most half the kernel (PyTorch's rule), and the tensors and padded extents fit 32-bit indices.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Which dimension is out of range, and its limit.</exception>
    public void Validate()
    {
        Positive(Batch, nameof(Batch));
        Positive(Channels, nameof(Channels));
        Positive(Height, nameof(Height));
        Positive(Width, nameof(Width));
        Positive(KernelHeight, nameof(KernelHeight));
        Positive(KernelWidth, nameof(KernelWidth));
        Positive(StrideY, nameof(StrideY));
        Positive(StrideX, nameof(StrideX));
        Padding.Validate();
        if (2L * Math.Max(Padding.Top, Padding.Bottom) > KernelHeight || 2L * Math.Max(Padding.Left, Padding.Right) > KernelWidth)
            throw new ArgumentOutOfRangeException(nameof(Padding), $"Padding may be at most half the kernel, or a window could lie wholly in the padding: {this}.");
        long paddedHeight = (long)Height + Padding.Top + Padding.Bottom, paddedWidth = (long)Width + Padding.Left + Padding.Right;
        if (paddedHeight > int.MaxValue || paddedWidth > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(Padding), $"The padded input is {paddedHeight}×{paddedWidth}; each side may be at most {int.MaxValue} ({this}).");
        if (paddedHeight < KernelHeight || paddedWidth < KernelWidth)
            throw new ArgumentOutOfRangeException(nameof(KernelHeight), $"The {KernelHeight}×{KernelWidth} kernel is larger than the padded {paddedHeight}×{paddedWidth} input ({this}).");
        if (OutputLength > int.MaxValue || InputLength > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(MaxPool2dShape), $"Tensors of {InputLength} and {OutputLength} elements; at most {int.MaxValue} are supported ({this}).");
    }

    /// <summary>The parameters and nothing derived, so an invalid shape prints without dividing by its stride.</summary>
    /// <returns>The shape as text.</returns>
    public override string ToString()
        => $"MaxPool2dShape {{ Batch = {Batch}, Channels = {Channels}, Height = {Height}, Width = {Width}, KernelHeight = {KernelHeight}, " +
           $"KernelWidth = {KernelWidth}, StrideY = {StrideY}, StrideX = {StrideX}, Padding = {Padding} }}";

    private static int OutExtent(int size, int before, int after, int kernel, int stride, string strideName)
    {
        if (stride <= 0)
            throw new ArgumentOutOfRangeException(strideName, stride, $"The output size of a pool with {strideName} = {stride} is undefined; the stride must be positive.");
        return (int)(((long)size + before + after - kernel) / stride + 1);
    }

    private void Positive(int value, string name)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive; got {value} ({this}).");
    }
}

/// <summary>Max pooling on any device and layout, and its host reference.</summary>
public static class MaxPool2d
{
    /// <summary>Pools <paramref name="input"/> into <paramref name="output"/>.</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="shape">The geometry.</param>
    /// <param name="input">N·C·H·W elements in <paramref name="layout"/>.</param>
    /// <param name="output">N·C·H'·W' elements in <paramref name="layout"/>.</param>
    /// <param name="layout">NCHW or NHWC.</param>
    /// <param name="preferPortableKernel">Run the portable kernel even where the CPU path exists (to test and compare both).</param>
    /// <exception cref="ArgumentException">A view has the wrong length.</exception>
    public static void Forward(Accelerator accelerator, MaxPool2dShape shape, ArrayView<float> input, ArrayView<float> output, TensorLayout layout = TensorLayout.RowMajor,
        bool preferPortableKernel = false)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        shape.Validate();
        if (input.Length != shape.InputLength || output.Length != shape.OutputLength)
            throw new ArgumentException($"{shape} needs {shape.InputLength} inputs and {shape.OutputLength} outputs; got {input.Length} and {output.Length}.");
        accelerator.CheckView(input);
        accelerator.CheckView(output);
        OperandChecks.Disjoint(input, output);
        if (accelerator.IsHostAddressable() && !preferPortableKernel)
        {
            MaxPool2dCpu.Forward(shape, input, output, layout);
            return;
        }
        if (accelerator.Device.PrefersBarrierFreeSchedule() && LaunchRows(accelerator, shape, input, output, layout))
            return;
        accelerator.Launch(shape.OutWidth, shape.OutHeight, shape.Batch * shape.Channels, MaxPool2dKernel.For(shape, input, output, layout));
    }

    /// <summary>Launches <see cref="MaxPool2dRowKernel{TWindow}"/> when a window type matches the shape's.</summary>
    /// <returns>Whether it did; other windows take the per-element kernel.</returns>
    private static bool LaunchRows(Accelerator accelerator, MaxPool2dShape shape, ArrayView<float> input, ArrayView<float> output, TensorLayout layout)
    {
        switch (shape)
        {
            case { KernelHeight: 2, KernelWidth: 2, StrideY: 2, StrideX: 2 }:
                LaunchRows<PoolWindow2x2Stride2>(accelerator, shape, input, output, layout);
                return true;
            case { KernelHeight: 2, KernelWidth: 2, StrideY: 2, StrideX: 1 }:
                LaunchRows<PoolWindow2x2Stride2x1>(accelerator, shape, input, output, layout);
                return true;
            case { KernelHeight: 3, KernelWidth: 3, StrideY: 1, StrideX: 1 }:
                LaunchRows<PoolWindow3x3Stride1>(accelerator, shape, input, output, layout);
                return true;
            default:
                return false;
        }
    }

    private static void LaunchRows<TWindow>(Accelerator accelerator, MaxPool2dShape shape, ArrayView<float> input, ArrayView<float> output, TensorLayout layout)
        where TWindow : struct, IPoolWindow
        => accelerator.Launch(shape.OutHeight, shape.Batch * shape.Channels, MaxPool2dRowKernel<TWindow>.For(shape, input, output, layout));

    /// <summary>The plain host reference, NCHW.</summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="input">N·C·H·W inputs.</param>
    /// <returns>N·C·H'·W' outputs.</returns>
    public static float[] Reference(MaxPool2dShape shape, float[] input)
    {
        shape.Validate();
        var output = new float[shape.OutputLength];
        int at = 0;
        for (int plane = 0; plane < shape.Batch * shape.Channels; plane++)
        for (int i = 0; i < shape.OutHeight; i++)
        for (int j = 0; j < shape.OutWidth; j++)
        {
            float best = float.NegativeInfinity;
            for (int u = 0; u < shape.KernelHeight; u++)
            for (int v = 0; v < shape.KernelWidth; v++)
            {
                int y = i * shape.StrideY + u - shape.Padding.Top, x = j * shape.StrideX + v - shape.Padding.Left;
                if (y >= 0 && y < shape.Height && x >= 0 && x < shape.Width)
                {
                    float value = input[(plane * shape.Height + y) * shape.Width + x];
                    if (value > best || float.IsNaN(value))
                        best = value;
                }
            }
            output[at++] = best;
        }
        return output;
    }
}

/// <summary>One thread per output element; NaN propagates, as in PyTorch.</summary>
public struct MaxPool2dKernel : IKernel3D
{
    /// <summary>The input and output images.</summary>
    public ArrayView<float> Input, Output;
    /// <summary>Their strides.</summary>
    public ImageStrides InStrides, OutStrides;
    /// <summary>Geometry.</summary>
    public int Channels, Height, Width, KernelHeight, KernelWidth, StrideY, StrideX, PadTop, PadLeft;

    /// <summary>The kernel for <paramref name="shape"/>, launched over (W', H', N·C).</summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="input">N·C·H·W elements in <paramref name="layout"/>.</param>
    /// <param name="output">N·C·H'·W' elements in <paramref name="layout"/>.</param>
    /// <param name="layout">NCHW or NHWC.</param>
    /// <returns>The kernel.</returns>
    public static MaxPool2dKernel For(MaxPool2dShape shape, ArrayView<float> input, ArrayView<float> output, TensorLayout layout) => new()
    {
        Input = input, Output = output, InStrides = ImageStrides.Of(layout, shape.Channels, shape.Height, shape.Width),
        OutStrides = ImageStrides.Of(layout, shape.Channels, shape.OutHeight, shape.OutWidth), Channels = shape.Channels,
        Height = shape.Height, Width = shape.Width, KernelHeight = shape.KernelHeight, KernelWidth = shape.KernelWidth,
        StrideY = shape.StrideY, StrideX = shape.StrideX, PadTop = shape.Padding.Top, PadLeft = shape.Padding.Left,
    };

    /// <summary>Output (n, c, y, x) with z = n·C + c.</summary>
    /// <param name="x">Output column.</param>
    /// <param name="y">Output row.</param>
    /// <param name="z">n·C + c.</param>
    public void Execute(int x, int y, int z)
    {
        int n = z / Channels, c = z - n * Channels;
        float best = float.NegativeInfinity;
        for (int u = 0; u < KernelHeight; u++)
        {
            int inY = y * StrideY + u - PadTop;
            if (inY < 0 || inY >= Height)
                continue;
            for (int v = 0; v < KernelWidth; v++)
            {
                int inX = x * StrideX + v - PadLeft;
                if (inX < 0 || inX >= Width)
                    continue;
                best = Larger(best, Input[ImageStrides.OffsetOf(InStrides, n, c, inY, inX)]);
            }
        }
        Output[ImageStrides.OffsetOf(OutStrides, n, c, y, x)] = best;
    }

    /// <summary>The running max after <paramref name="value"/>: a NaN wins and stays, as in PyTorch.</summary>
    internal static float Larger(float best, float value) => value > best || float.IsNaN(value) ? value : best;
}
