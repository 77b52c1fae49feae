using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Sparse;

/// <summary>The geometry of a 2D convolution over one C×H×W image.</summary>
/// <param name="Channels">Input channels.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="KernelHeight">Kernel rows.</param>
/// <param name="KernelWidth">Kernel columns.</param>
/// <param name="Stride">Step between output positions.</param>
/// <param name="Padding">Zero padding on every side.</param>
/// <param name="Dilation">Spacing of kernel taps.</param>
public readonly record struct ConvGeometry(int Channels, int Height, int Width, int KernelHeight, int KernelWidth,
    int Stride = 1, int Padding = 0, int Dilation = 1)
{
    /// <summary>Output rows.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The stride is not positive (<see cref="Validate"/> first).</exception>
    public int OutputHeight => OutExtent(Height, KernelHeight);
    /// <summary>Output columns.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The stride is not positive (<see cref="Validate"/> first).</exception>
    public int OutputWidth => OutExtent(Width, KernelWidth);
    /// <summary>Elements of one receptive field: the columns of the weight matrix.</summary>
    public int PatchLength => Channels * KernelHeight * KernelWidth;
    /// <summary>Output positions per image: the columns of the im2col matrix.</summary>
    public int OutputPositions => OutputHeight * OutputWidth;

    /// <summary>Throws unless every dimension is positive, the output is not empty, and the padded
    /// extents and the im2col matrix fit the kernels' 32-bit indices.</summary>
    /// <exception cref="ArgumentException">The geometry is invalid; the message names the dimension and the limit.</exception>
    public void Validate()
    {
        if (Channels <= 0 || Height <= 0 || Width <= 0 || KernelHeight <= 0 || KernelWidth <= 0 || Stride <= 0 || Padding < 0 || Dilation <= 0)
            throw new ArgumentException($"Every dimension, the stride and the dilation must be positive and the padding not negative: {this}.");
        long paddedHeight = Height + 2L * Padding, paddedWidth = Width + 2L * Padding;
        if (paddedHeight > int.MaxValue || paddedWidth > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(Padding), $"The padded input is {paddedHeight}×{paddedWidth}; each side may be at most {int.MaxValue} ({this}).");
        if ((long)Dilation * (KernelHeight - 1) + 1 > paddedHeight || (long)Dilation * (KernelWidth - 1) + 1 > paddedWidth)
            throw new ArgumentException($"The dilated kernel does not fit the padded input: {this}.");
        long patch = (long)Channels * KernelHeight * KernelWidth, positions = (long)OutputHeight * OutputWidth;
        if (patch * positions > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(Channels), $"The im2col matrix would hold {patch}·{positions} elements; at most {int.MaxValue} are supported ({this}).");
    }

    /// <summary>The parameters and nothing derived, so an invalid geometry prints without dividing by its stride.</summary>
    /// <returns>The geometry as text.</returns>
    public override string ToString()
        => $"ConvGeometry {{ Channels = {Channels}, Height = {Height}, Width = {Width}, KernelHeight = {KernelHeight}, KernelWidth = {KernelWidth}, " +
           $"Stride = {Stride}, Padding = {Padding}, Dilation = {Dilation} }}";

    private int OutExtent(int size, int kernel)
    {
        if (Stride <= 0)
            throw new ArgumentOutOfRangeException(nameof(Stride), Stride, $"The output size of a convolution with stride {Stride} is undefined; the stride must be positive.");
        return (int)((size + 2L * Padding - (long)Dilation * (kernel - 1) - 1) / Stride + 1);
    }
}

/// <summary>Unfolds one image into the im2col matrix: row (c, ky, kx), column (oy, ox) holds the
/// input tap of that kernel position at that output position, zero in the padding. Launched over
/// OutputPositions × PatchLength. Geometry travels as plain ints so device compilers see fields only.</summary>
public struct Im2ColKernel : IKernel2D
{
    /// <summary>One image, C×H×W.</summary>
    public ArrayView<float> Input;
    /// <summary>PatchLength × OutputPositions.</summary>
    public ArrayView<float> Columns;
    /// <summary>Input height.</summary>
    public int Height;
    /// <summary>Input width.</summary>
    public int Width;
    /// <summary>Kernel rows.</summary>
    public int KernelHeight;
    /// <summary>Kernel columns.</summary>
    public int KernelWidth;
    /// <summary>Step between output positions.</summary>
    public int Stride;
    /// <summary>Zero padding.</summary>
    public int Padding;
    /// <summary>Spacing of taps.</summary>
    public int Dilation;
    /// <summary>Output columns.</summary>
    public int OutputWidth;
    /// <summary>Output positions per image.</summary>
    public int OutputPositions;

    /// <summary>The kernel for one image.</summary>
    /// <param name="geometry">The convolution.</param>
    /// <param name="input">The image.</param>
    /// <param name="columns">The im2col matrix written.</param>
    /// <returns>The kernel.</returns>
    public static Im2ColKernel For(ConvGeometry geometry, ArrayView<float> input, ArrayView<float> columns) => new()
    {
        Input = input, Columns = columns, Height = geometry.Height, Width = geometry.Width,
        KernelHeight = geometry.KernelHeight, KernelWidth = geometry.KernelWidth, Stride = geometry.Stride,
        Padding = geometry.Padding, Dilation = geometry.Dilation, OutputWidth = geometry.OutputWidth, OutputPositions = geometry.OutputPositions,
    };

    /// <summary>Fills one element.</summary>
    /// <param name="position">Output position oy·OW + ox.</param>
    /// <param name="tap">Kernel tap (c·KH + ky)·KW + kx.</param>
    public void Execute(int position, int tap)
    {
        int ox = position % OutputWidth, oy = position / OutputWidth;
        int kx = tap % KernelWidth, ky = tap / KernelWidth % KernelHeight;
        int channel = tap / (KernelWidth * KernelHeight);
        int iy = oy * Stride - Padding + ky * Dilation;
        int ix = ox * Stride - Padding + kx * Dilation;
        float value = 0f;
        if (iy >= 0 && iy < Height && ix >= 0 && ix < Width)
            value = Input[(channel * Height + iy) * Width + ix];
        Columns[tap * OutputPositions + position] = value;
    }
}
