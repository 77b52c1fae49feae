using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary>Which implementation a <see cref="Conv2d"/> run uses.</summary>
public enum Conv2dPath
{
    /// <summary>The fastest the device and layout allow.</summary>
    Auto,
    /// <summary>The portable one-thread-per-output kernel (every device, both layouts).</summary>
    Direct,
    /// <summary>The grouped kernel with shared-memory tiles of input and weights (NCHW; kernels of
    /// up to 3×3 whose dilated footprint fits the tile).</summary>
    Tiled,
    /// <summary>The SIMD CPU path (CPU accelerator, NHWC, AVX2 or AVX-512): micro-kernels vectorised
    /// over output channels, or for one to three output channels over input channels.</summary>
    CpuSimd,
    /// <summary>The SIMD CPU path with Winograd F(2×2, 3×3): 3×3 kernels at stride 1, any dilation
    /// (CPU accelerator, NHWC, AVX2 or AVX-512); 2.25× fewer multiplies, rounding about as the direct paths.
    /// The transforms would spread a NaN or ±∞ input over its whole tile; such tiles are summed again
    /// directly, so non-finite values come out where the direct paths and PyTorch put them.</summary>
    CpuWinograd,
    /// <summary>The SIMD CPU path with Winograd F(4×4, 3×3): as <see cref="CpuWinograd"/>, 4× fewer
    /// multiplies, but its larger transform entries make results differ from the direct paths by
    /// about ten times as much (absolute errors ~1e-5 on outputs of order 1 at 24–64 channels).
    /// Non-finite inputs are handled as in <see cref="CpuWinograd"/>.</summary>
    CpuWinograd4x4,
    /// <summary>The barrier-free kernel for CPU-like OpenCL devices (NCHW, any geometry): each work item
    /// keeps a register block of 16 pixels × 4 output channels (<see cref="Conv2dRegisterBlockedKernel"/>).</summary>
    RegisterBlocked,
}

/// <summary>A convolution layer on one accelerator: its geometry, its weights (packed once for
/// each path that needs another order) and its fused epilogue. Runs on NCHW or NHWC tensors;
/// convert the layout once per model (<see cref="ImageLayoutConversion"/>), not per layer.</summary>
public sealed class Conv2d : IDisposable
{
    private readonly Accelerator accelerator;
    private readonly DeviceBuffer<float> weights, scale, shift;
    private readonly float[] hostWeights, hostScale, hostShift;
    private readonly float[] zeros;
    /// <summary>Weights packed for each CPU algorithm at the vector width they were packed for, made on first use.</summary>
    private readonly Dictionary<Conv2dPath, (float[] Weights, int Lanes)> packedForCpu = [];
    /// <summary>Weights packed for <see cref="Conv2dRegisterBlockedKernel"/> on the device, made on first use.</summary>
    private DeviceBuffer<float>? registerBlockedWeights;

    /// <summary>Uploads the weights and the epilogue.</summary>
    /// <param name="accelerator">Where the layer runs.</param>
    /// <param name="shape">The geometry.</param>
    /// <param name="weights">(O, C, KH, KW) weights, as PyTorch stores them.</param>
    /// <param name="epilogue">Bias, folded affine and activation; null for none.</param>
    /// <exception cref="ArgumentException">The shape is invalid or an array has the wrong length.</exception>
    public Conv2d(Accelerator accelerator, Conv2dShape shape, ReadOnlySpan<float> weights, Conv2dEpilogue? epilogue = null)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        shape.Validate();
        if (weights.Length != shape.WeightLength)
            throw new ArgumentException($"A {shape.OutChannels}×{shape.InChannels}×{shape.KernelHeight}×{shape.KernelWidth} convolution needs {shape.WeightLength} weights; {weights.Length} were given.", nameof(weights));
        epilogue ??= Conv2dEpilogue.None;
        this.accelerator = accelerator;
        Shape = shape;
        Activation = epilogue.Activation;
        (hostScale, hostShift) = epilogue.PerChannelAffine(shape.OutChannels);
        hostWeights = weights.ToArray();
        zeros = GC.AllocateArray<float>(shape.InChannels, pinned: true);
        this.weights = accelerator.Allocate<float>(weights);
        scale = accelerator.Allocate<float>(hostScale);
        shift = accelerator.Allocate<float>(hostShift);
    }

    /// <summary>The geometry.</summary>
    public Conv2dShape Shape { get; }

    /// <summary>The activation of the epilogue.</summary>
    public Activation Activation { get; }

    /// <summary>The layout in which this device's fastest convolutions run: NHWC on the CPU with
    /// AVX2 or AVX-512 (its SIMD and Winograd paths), NCHW elsewhere (the tiled kernel, or the
    /// register-blocked one on CPU-like OpenCL devices). A network runs every layer in it and
    /// converts only its input and output.</summary>
    public static TensorLayout PreferredLayout(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return accelerator.IsHostAddressable() && Conv2dCpuNhwc.ActiveWidth is not null ? TensorLayout.Nhwc : TensorLayout.RowMajor;
    }

    /// <summary>The path <see cref="Conv2dPath.Auto"/> picks for <paramref name="layout"/> on this layer's device.</summary>
    /// <remarks>On the CPU with NHWC, 3×3 stride-1 layers of at least 8 input and output channels run
    /// <see cref="Conv2dPath.CpuWinograd4x4"/>, the fastest by far (about 2× the direct path), whose
    /// results differ from the direct convolution by ~1e-5 on outputs of order 1; pass
    /// <see cref="Conv2dPath.CpuSimd"/> or <see cref="Conv2dPath.CpuWinograd"/> where that matters.</remarks>
    /// <param name="layout">The tensor layout of the run.</param>
    /// <returns>The path.</returns>
    public Conv2dPath AutoPath(TensorLayout layout)
    {
        if (accelerator.IsHostAddressable())
        {
            if (layout != TensorLayout.Nhwc || Conv2dCpuNhwc.ActiveWidth is null)
                return Conv2dPath.Direct;
            bool wide = Math.Min(Shape.InChannels, Shape.OutChannels) >= Conv2dCpuWinograd.AutoMinChannels;
            return wide && Conv2dCpuWinograd.Supports(Shape) && Conv2dCpuWinograd.PaysOff(Shape) ? Conv2dPath.CpuWinograd4x4 : Conv2dPath.CpuSimd;
        }
        // Where work items run as loops on a host processor (PoCL), the tiled kernel's barriers keep
        // its sums in memory; the register-blocked kernel has none (docs/opencl-engine.md).
        if (accelerator.Device.PrefersBarrierFreeSchedule())
            return layout == TensorLayout.RowMajor ? Conv2dPath.RegisterBlocked : Conv2dPath.Direct;
        // Tiled wins on GPUs: shared-memory reuse of the input and weights.
        return layout == TensorLayout.RowMajor && Conv2dTiledKernel.Fits(Shape) ? Conv2dPath.Tiled : Conv2dPath.Direct;
    }

    /// <summary>Runs the layer: <c>output = act(conv(input)·scale + shift) [+ residual]</c>.</summary>
    /// <param name="input">The input, N·C·H·W elements in <paramref name="layout"/>.</param>
    /// <param name="output">The output, N·O·H'·W' elements in <paramref name="layout"/>; must not overlap the input.</param>
    /// <param name="layout"><see cref="TensorLayout.RowMajor"/> (NCHW) or <see cref="TensorLayout.Nhwc"/>.</param>
    /// <param name="residual">Added after the activation, shaped like the output; empty for none.</param>
    /// <param name="path">The implementation; <see cref="Conv2dPath.Auto"/> picks the fastest.</param>
    /// <exception cref="ArgumentException">A view has the wrong length, belongs to another accelerator,
    /// or the output shares memory with the input (or, other than exactly, with the residual).</exception>
    /// <exception cref="ObjectDisposedException">The layer, its accelerator or a view's buffer is disposed.</exception>
    /// <exception cref="NotSupportedException">The requested path cannot run this layer, layout or device.</exception>
    public void Forward(ArrayView<float> input, ArrayView<float> output, TensorLayout layout = TensorLayout.RowMajor, ArrayView<float> residual = default, Conv2dPath path = Conv2dPath.Auto)
    {
        if (weights.IsDisposed)
            throw new ObjectDisposedException(nameof(Conv2d), "The layer's weights are freed: the layer or its accelerator was disposed.");
        accelerator.CheckView(input);
        accelerator.CheckView(output);
        accelerator.CheckView(residual);
        // The residual is read at the output's own element only, so exactly the output's memory is fine.
        OperandChecks.Disjoint(input, output);
        OperandChecks.DisjointOrSame(residual, output);
        if (input.Length != Shape.InputLength)
            throw new ArgumentException($"The input holds {input.Length} elements; {Shape} needs {Shape.InputLength}.", nameof(input));
        if (output.Length != Shape.OutputLength)
            throw new ArgumentException($"The output holds {output.Length} elements; {Shape} produces {Shape.OutputLength}.", nameof(output));
        if (residual.Length != 0 && residual.Length != Shape.OutputLength)
            throw new ArgumentException($"The residual holds {residual.Length} elements; it must match the output ({Shape.OutputLength}) or be empty.", nameof(residual));
        _ = ImageStrides.Of(layout, 1, 1, 1); // rejects layouts other than NCHW and NHWC before any launch
        if (path == Conv2dPath.Auto)
            path = AutoPath(layout);
        switch (path)
        {
            case Conv2dPath.Direct:
                accelerator.Launch(Shape.OutWidth, Shape.OutHeight, Shape.Batch * Shape.OutChannels, DirectKernel(input, output, layout, residual));
                break;
            case Conv2dPath.Tiled:
                if (layout != TensorLayout.RowMajor || !Conv2dTiledKernel.Fits(Shape))
                    throw new NotSupportedException($"The tiled convolution needs NCHW and a kernel whose dilated footprint fits its tile; {Shape} in {layout} does not.");
                accelerator.LaunchGrouped(Conv2dTiledKernel.ExtentOf(Shape), Conv2dTiledKernel.For(Shape, input, weights.View, scale.View, shift.View, residual, output, Activation));
                break;
            case Conv2dPath.RegisterBlocked:
                if (layout != TensorLayout.RowMajor)
                    throw new NotSupportedException($"The register-blocked convolution needs NCHW; this run has {layout}.");
                ActivationFunctions.Launch(accelerator, Activation.Kind, Conv2dRegisterBlockedKernel.For(Shape, input, RegisterBlockedWeights().View,
                    scale.View, shift.View, residual, output, Activation));
                break;
            case Conv2dPath.CpuSimd:
                ForwardCpuSimd(input, output, layout, residual, path);
                break;
            case Conv2dPath.CpuWinograd or Conv2dPath.CpuWinograd4x4:
                if (!Conv2dCpuWinograd.Supports(Shape))
                    throw new NotSupportedException($"The Winograd convolution needs a 3×3 kernel at stride 1; {Shape} is not.");
                ForwardCpuSimd(input, output, layout, residual, path);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(path), path, "Unknown convolution path.");
        }
    }

    private Conv2dDirectKernel DirectKernel(ArrayView<float> input, ArrayView<float> output, TensorLayout layout, ArrayView<float> residual) => new()
    {
        Input = input, Weights = weights.View, Scale = scale.View, Shift = shift.View, Residual = residual, Output = output,
        InStrides = ImageStrides.Of(layout, Shape.InChannels, Shape.Height, Shape.Width),
        OutStrides = ImageStrides.Of(layout, Shape.OutChannels, Shape.OutHeight, Shape.OutWidth),
        InChannels = Shape.InChannels, OutChannels = Shape.OutChannels, Height = Shape.Height, Width = Shape.Width,
        KernelHeight = Shape.KernelHeight, KernelWidth = Shape.KernelWidth, Stride = Shape.Stride, Dilation = Shape.Dilation,
        PadTop = Shape.Padding.Top, PadLeft = Shape.Padding.Left, Activation = Activation.Kind, Slope = Activation.Slope,
    };

    private DeviceBuffer<float> RegisterBlockedWeights()
    {
        // Runs on several threads at once may share a layer: the buffer is made under the cache's lock.
        lock (packedForCpu)
            return registerBlockedWeights ??= accelerator.Allocate<float>(Conv2dRegisterBlockedKernel.Pack(Shape, hostWeights));
    }

    private unsafe void ForwardCpuSimd(ArrayView<float> input, ArrayView<float> output, TensorLayout layout, ArrayView<float> residual, Conv2dPath algorithm)
    {
        if (!accelerator.IsHostAddressable() || layout != TensorLayout.Nhwc || Conv2dCpuNhwc.ActiveWidth is not { } width)
            throw new NotSupportedException($"The SIMD convolution needs the CPU accelerator, NHWC tensors and AVX2 or AVX-512; this run has {accelerator.Device.Name}, {layout}, {Conv2dCpuNhwc.ActiveWidth?.ToString() ?? "no supported SIMD"}.");
        int lanes = Conv2dCpuNhwc.LanesOf(width);
        int paddedOut = Conv2dCpuNhwc.PaddedOutChannels(Shape.OutChannels, lanes);
        float[] packed;
        // Runs on several threads at once may share a layer: the cache is filled under its lock.
        lock (packedForCpu)
        {
            if (!packedForCpu.TryGetValue(algorithm, out var cached) || cached.Lanes != lanes)
                packedForCpu[algorithm] = cached = (Conv2dCpuNhwc.PackFor(algorithm, Shape, hostWeights, paddedOut, lanes), lanes);
            packed = cached.Weights;
        }
        fixed (float* inputHost = input.AsHostSpan(accelerator), outputHost = output.AsHostSpan(accelerator), residualHost = residual.AsHostSpan(accelerator))
        fixed (float* scaleHost = hostScale, shiftHost = hostShift, zerosHost = zeros, weightsHost = hostWeights)
        {
            var operands = new Conv2dCpuNhwc.Operands
            {
                Shape = Shape, Input = inputHost, Output = outputHost, Residual = residual.Length == 0 ? null : residualHost,
                Packed = Conv2dCpuNhwc.AlignedStart(packed), Weights = weightsHost, Scale = scaleHost, Shift = shiftHost, Zeros = zerosHost, PaddedOut = paddedOut,
                Activation = Activation.Kind, Slope = Activation.Slope,
            };
            Conv2dCpuNhwc.TryForward(operands, algorithm);
        }
    }

    /// <summary>Frees the device copies of weights and epilogue.</summary>
    public void Dispose()
    {
        weights.Dispose();
        registerBlockedWeights?.Dispose();
        scale.Dispose();
        shift.Dispose();
    }
}
