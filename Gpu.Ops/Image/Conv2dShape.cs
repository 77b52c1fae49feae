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
    /// <exception cref="ArgumentOutOfRangeException">The padding <c>d·(k−1)/2</c> exceeds <see cref="int.MaxValue"/>.</exception>
    public static Conv2dShape Same(int batch, int inChannels, int height, int width, int outChannels, int kernelSize, int dilation = 1)
    {
        long padding = (long)dilation * (kernelSize - 1) / 2;
        if (padding > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(dilation), dilation, $"The same-size padding d·(k−1)/2 = {padding} of a {kernelSize}×{kernelSize} kernel exceeds {int.MaxValue}.");
        return new(batch, inChannels, height, width, outChannels, kernelSize, kernelSize, 1, dilation, Padding2d.Symmetric((int)padding));
    }

    /// <summary>Output rows: <c>floor((H + top + bottom − d·(KH−1) − 1)/s) + 1</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The stride is not positive (<see cref="Validate"/> first).</exception>
    public int OutHeight => OutExtent(Height, Padding.Top, Padding.Bottom, KernelHeight);

    /// <summary>Output columns.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The stride is not positive (<see cref="Validate"/> first).</exception>
    public int OutWidth => OutExtent(Width, Padding.Left, Padding.Right, KernelWidth);

    /// <summary>Elements of the input tensor.</summary>
    public long InputLength => (long)Batch * InChannels * Height * Width;

    /// <summary>Elements of the output tensor.</summary>
    public long OutputLength => (long)Batch * OutChannels * OutHeight * OutWidth;

    /// <summary>Elements of the (O, C, KH, KW) weight tensor.</summary>
    public long WeightLength => (long)OutChannels * InChannels * KernelHeight * KernelWidth;

    /// <summary>Floating-point operations of one forward pass (a multiply-add counts two).</summary>
    public double Flops => 2.0 * OutputLength * InChannels * KernelHeight * KernelWidth;

    /// <summary>Throws unless every dimension is positive, the dilated kernel fits the padded input, and
    /// every tensor and padded extent fits the 32-bit indices the kernels use.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Which dimension is out of range, and its limit.</exception>
    public void Validate()
    {
        Positive(Batch, nameof(Batch));
        Positive(InChannels, nameof(InChannels));
        Positive(Height, nameof(Height));
        Positive(Width, nameof(Width));
        Positive(OutChannels, nameof(OutChannels));
        Positive(KernelHeight, nameof(KernelHeight));
        Positive(KernelWidth, nameof(KernelWidth));
        Positive(Stride, nameof(Stride));
        Positive(Dilation, nameof(Dilation));
        Padding.Validate();
        // 64-bit: each sum below may pass int.MaxValue, and the kernels index in 32 bits, so every
        // padded extent must fit one (then i·s + u·d − top does at every output and tap).
        long paddedHeight = (long)Height + Padding.Top + Padding.Bottom, paddedWidth = (long)Width + Padding.Left + Padding.Right;
        long spanHeight = (long)Dilation * (KernelHeight - 1) + 1, spanWidth = (long)Dilation * (KernelWidth - 1) + 1;
        if (spanHeight > int.MaxValue || spanWidth > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(Dilation), $"The dilated {KernelHeight}×{KernelWidth} kernel spans {spanHeight}×{spanWidth} pixels; at most {int.MaxValue} are supported ({this}).");
        if (paddedHeight > int.MaxValue || paddedWidth > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(Padding), $"The padded input is {paddedHeight}×{paddedWidth}; each side may be at most {int.MaxValue} ({this}).");
        if (spanHeight > paddedHeight || spanWidth > paddedWidth)
            throw new ArgumentOutOfRangeException(nameof(Dilation), $"The dilated {KernelHeight}×{KernelWidth} kernel spans {spanHeight}×{spanWidth} pixels and does not fit the padded {paddedHeight}×{paddedWidth} input ({this}).");
        Fits(InputLength, "input");
        Fits(OutputLength, "output");
        Fits(WeightLength, "weight");
    }

    /// <summary>The ten parameters and nothing derived: printing an invalid shape (a stride of 0)
    /// must not evaluate the output size that it makes undefined.</summary>
    /// <returns>The shape as text.</returns>
    public override string ToString()
        => $"Conv2dShape {{ Batch = {Batch}, InChannels = {InChannels}, Height = {Height}, Width = {Width}, OutChannels = {OutChannels}, " +
           $"KernelHeight = {KernelHeight}, KernelWidth = {KernelWidth}, Stride = {Stride}, Dilation = {Dilation}, Padding = {Padding} }}";

    private int OutExtent(int size, int before, int after, int kernel)
    {
        if (Stride <= 0)
            throw new ArgumentOutOfRangeException(nameof(Stride), Stride, $"The output size of a convolution with stride {Stride} is undefined; the stride must be positive.");
        return (int)(((long)size + before + after - (long)Dilation * (kernel - 1) - 1) / Stride + 1);
    }

    private void Positive(int value, string name)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive; got {value} ({this}).");
    }

    private void Fits(long elements, string tensor)
    {
        if (elements > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(Conv2dShape), $"The {tensor} tensor would hold {elements} elements; at most {int.MaxValue} are supported ({this}).");
    }
}
