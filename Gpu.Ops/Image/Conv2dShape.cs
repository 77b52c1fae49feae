namespace Gpu.Ops.Image;

/// <summary>The geometry of a 2D convolution (groups = 1):
/// <c>y[n,o,i,j] = Σ_c Σ_u Σ_v w[o,c,u,v] · x[n, c, i·s + u·d − top, j·s + v·d − left]</c>,
/// reads outside the image being zero. Weights are (O, C, KH, KW) as in PyTorch.</summary>
/// <param name="Batch">N.</param>
/// <param name="InChannels">C.</param>
/// <param name="Height">Input rows H.</param>
/// <param name="Width">Input columns W.</param>
/// <param name="OutChannels">O.</param>
/// <param name="KernelHeight">KH.</param>
/// <param name="KernelWidth">KW.</param>
/// <param name="Stride">s, both directions.</param>
/// <param name="Dilation">d, both directions (any d ≥ 1, also beyond the image size).</param>
/// <param name="Padding">Zero padding per side.</param>
public readonly record struct Conv2dShape(int Batch, int InChannels, int Height, int Width, int OutChannels,
    int KernelHeight, int KernelWidth, int Stride, int Dilation, Padding2d Padding)
{
    /// <summary>A square-kernel convolution with "same" padding <c>d·(k−1)/2</c> (odd k), stride 1.</summary>
    /// <param name="batch">N.</param>
    /// <param name="inChannels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="outChannels">O.</param>
    /// <param name="kernelSize">k (odd).</param>
    /// <param name="dilation">d.</param>
    /// <returns>The shape.</returns>
    public static Conv2dShape Same(int batch, int inChannels, int height, int width, int outChannels, int kernelSize, int dilation = 1)
        => new(batch, inChannels, height, width, outChannels, kernelSize, kernelSize, 1, dilation, Padding2d.Symmetric(dilation * (kernelSize - 1) / 2));

    /// <summary>Output rows: <c>floor((H + top + bottom − d·(KH−1) − 1)/s) + 1</c>.</summary>
    public int OutHeight => (Height + Padding.Top + Padding.Bottom - Dilation * (KernelHeight - 1) - 1) / Stride + 1;

    /// <summary>Output columns.</summary>
    public int OutWidth => (Width + Padding.Left + Padding.Right - Dilation * (KernelWidth - 1) - 1) / Stride + 1;

    /// <summary>Elements of the input tensor.</summary>
    public long InputLength => (long)Batch * InChannels * Height * Width;

    /// <summary>Elements of the output tensor.</summary>
    public long OutputLength => (long)Batch * OutChannels * OutHeight * OutWidth;

    /// <summary>Elements of the (O, C, KH, KW) weight tensor.</summary>
    public long WeightLength => (long)OutChannels * InChannels * KernelHeight * KernelWidth;

    /// <summary>Floating-point operations of one forward pass (a multiply-add counts two).</summary>
    public double Flops => 2.0 * OutputLength * InChannels * KernelHeight * KernelWidth;

    /// <summary>Throws unless every dimension is positive and the output is non-empty.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, or the kernel does not fit the padded input.</exception>
    public void Validate()
    {
        if (Batch <= 0 || InChannels <= 0 || Height <= 0 || Width <= 0 || OutChannels <= 0 || KernelHeight <= 0 || KernelWidth <= 0 || Stride <= 0 || Dilation <= 0)
            throw new ArgumentOutOfRangeException(nameof(Conv2dShape), $"Every convolution dimension must be positive: {this}.");
        Padding.Validate();
        if (Height + Padding.Top + Padding.Bottom - Dilation * (KernelHeight - 1) - 1 < 0 || Width + Padding.Left + Padding.Right - Dilation * (KernelWidth - 1) - 1 < 0)
            throw new ArgumentOutOfRangeException(nameof(Conv2dShape), $"The dilated {KernelHeight}×{KernelWidth} kernel does not fit the padded {Height}×{Width} input: {this}.");
        if (OutputLength > int.MaxValue || InputLength > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(Conv2dShape), $"Tensors over 2^31 elements are not supported: {this}.");
    }
}
