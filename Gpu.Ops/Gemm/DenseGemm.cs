using Gpu.Core;
using Gpu.Core.Ilgpu;
using Gpu.Ops.Gemm.Cpu;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>Dense single-precision GEMM with a fused epilogue:
/// <c>C = act(α·op(A)·op(B) + β·C + bias)</c>, row-major, any M, N, K. On the CPU it runs the
/// packed AVX2/AVX-512 path; on OpenCL runtimes on a host CPU (PoCL) the barrier-free
/// register-blocked kernel (<see cref="RegisterBlockedGemmKernel"/>), or for a linear layer's weight
/// as stored (B transposed) at a batch below 64 the kernels that read it in place
/// (<see cref="WeightRowsGemmKernel"/>, <see cref="DotProductGemmKernel"/> at one row); on CUDA devices cuBLAS
/// (<see cref="CublasGemm"/>) and on other OpenCL devices the shared-memory tiled kernel
/// (<see cref="TiledGemmKernel"/>) when C is large enough to fill its tiles, otherwise (and on any
/// other device) the one-thread-per-element portable kernel.</summary>
public static class DenseGemm
{
    /// <summary>Computes <c>C = act(α·op(A)·op(B) + β·C + bias)</c> on <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="shape">M, N, K and the transposes.</param>
    /// <param name="a">A: M×K, or K×M when transposed.</param>
    /// <param name="b">B: K×N, or N×K when transposed.</param>
    /// <param name="c">C: M×N; read only when <paramref name="beta"/> ≠ 0.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the previous C.</param>
    /// <param name="bias">N per-column biases, or an empty view for none.</param>
    /// <param name="activation">The activation applied last.</param>
    /// <exception cref="ArgumentException">A dimension is not positive, a view has the wrong length or
    /// belongs to another accelerator, or C shares memory with another operand.</exception>
    /// <exception cref="ObjectDisposedException">A view's buffer or the accelerator is disposed.</exception>
    public static void Multiply(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b,
        ArrayView<float> c, float alpha = 1f, float beta = 0f, ArrayView<float> bias = default, Activation activation = default)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        MultiplyCore(accelerator, shape, a, b, null, c, alpha, beta, bias, activation);
    }

    /// <summary>Computes <c>C = act(α·op(A)·op(B) + β·C + bias)</c> with B prepared by
    /// <see cref="PackB"/>, which spares the CPU re-packing B on every call.</summary>
    /// <param name="accelerator">The accelerator owning the views and the weights.</param>
    /// <param name="shape">M, N, K and the transposes; N, K and TransposeB must match the packing.</param>
    /// <param name="a">A: M×K, or K×M when transposed.</param>
    /// <param name="b">B, packed.</param>
    /// <param name="c">C: M×N; read only when <paramref name="beta"/> ≠ 0.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the previous C.</param>
    /// <param name="bias">N per-column biases, or an empty view for none.</param>
    /// <param name="activation">The activation applied last.</param>
    /// <exception cref="ArgumentException">The shape disagrees with the packing, the weights belong to
    /// another accelerator, a dimension is not positive or a view has the wrong length.</exception>
    /// <exception cref="ObjectDisposedException">The weights were disposed.</exception>
    public static void Multiply(Accelerator accelerator, GemmShape shape, ArrayView<float> a, PackedGemmWeights b,
        ArrayView<float> c, float alpha = 1f, float beta = 0f, ArrayView<float> bias = default, Activation activation = default)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(b);
        b.RequireCompatible(accelerator, shape);
        // Only the register-blocked kernel reads B's column panels; the kernels that take smaller products
        // (a small-batch linear layer) read B as it stands.
        if (b.ColumnPanels is { } panels && RegisterBlockedGemmKernel.Suits(shape))
        {
            CheckOperands(accelerator, shape, a, b.Source, c, bias);
            RegisterBlockedGemmKernel.LaunchOnColumnPanels(accelerator, shape, a, panels.View, c, GemmEpilogue.Create(shape.N, alpha, beta, bias, activation),
                RegisterBlockedGemmKernel.PrefersColumnWalk(accelerator, shape));
        }
        else
            MultiplyCore(accelerator, shape, a, b.Source, b.Host, c, alpha, beta, bias, activation);
    }

    /// <summary>Prepares B for many products of the same N, K and TransposeB (a layer's weight):
    /// on a CPU with AVX2 or AVX-512 it is packed once here; on an OpenCL CPU runtime it is copied once
    /// into the column panels of the register-blocked kernel (<see cref="GemmColumnPanelKernel"/>);
    /// elsewhere the view is kept as is.</summary>
    /// <param name="accelerator">The accelerator owning <paramref name="b"/>.</param>
    /// <param name="shape">N, K and TransposeB of the products; M is not used.</param>
    /// <param name="b">B: K×N, or N×K when transposed. It must not change while the result is in use.</param>
    /// <returns>The weights, to dispose when the layer is.</returns>
    /// <exception cref="ArgumentException">N or K is not positive or <paramref name="b"/> has the wrong length.</exception>
    public static unsafe PackedGemmWeights PackB(Accelerator accelerator, GemmShape shape, ArrayView<float> b)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (shape.N <= 0 || shape.K <= 0)
            throw new ArgumentException($"GEMM dimensions must be positive, got N={shape.N}, K={shape.K}.");
        if (b.Length != (long)shape.K * shape.N)
            throw new ArgumentException($"B holds {b.Length} elements; a GEMM of N={shape.N}, K={shape.K} needs {(long)shape.K * shape.N}.");
        PrepackedB? host = null;
        if (accelerator.IsHostAddressable())
            fixed (float* bHost = b.AsHostSpan(accelerator))
                host = PrepackedB.TryPack(shape, bHost);
        DeviceBuffer<float>? columnPanels = null;
        if (accelerator.Device.PrefersBarrierFreeSchedule() && shape.N >= RegisterBlockedGemmKernel.Columns)
        {
            accelerator.CheckView(b);
            columnPanels = accelerator.Allocate<float>(GemmColumnPanelKernel.PanelLength(shape));
            RegisterBlockedGemmKernel.PackColumns(accelerator, shape, b, columnPanels.View);
        }
        return new PackedGemmWeights(accelerator, shape, b, host, columnPanels);
    }

    private static void MultiplyCore(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, PrepackedB? prepacked, ArrayView<float> c,
        float alpha, float beta, ArrayView<float> bias, Activation activation)
    {
        CheckOperands(accelerator, shape, a, b, c, bias);
        var epilogue = GemmEpilogue.Create(shape.N, alpha, beta, bias, activation);
        if (accelerator.IsHostAddressable() && TryMultiplyOnHost(accelerator, shape, a, b, prepacked, c, bias, epilogue))
            return;
        if (accelerator is IlgpuAccelerator cuda && TiledGemmKernel.Suits(shape) && CublasGemm.IsAvailable(cuda))
        {
            CublasGemm.MultiplyChecked(cuda, shape, a, b, c, alpha, beta, bias, activation);
            return;
        }
        if (accelerator.Device.PrefersBarrierFreeSchedule() && TryLaunchBarrierFree(accelerator, shape, a, b, c, epilogue))
            return;
        if (accelerator.Device.Kind is DeviceKind.OpenCL or DeviceKind.Cuda && TiledGemmKernel.Suits(shape))
            accelerator.LaunchGrouped(TiledGemmKernel.ExtentOf(shape), TiledGemmKernel.For(shape, a, b, c, epilogue));
        else
            accelerator.Launch(shape.N, shape.M, SimpleGemmKernel.For(shape, a, b, c, epilogue));
    }

    /// <summary>Launches the kernel of OpenCL runtimes on a host CPU (PoCL) that suits the product: a
    /// linear layer's weight as stored (B transposed) is read in place by the dot-product kernel at one
    /// row and by the weight-rows kernel up to <see cref="MinRowsToPackTransposedB"/> rows; other products
    /// take the register-blocked kernel. False where none suits (C smaller than a block).</summary>
    private static bool TryLaunchBarrierFree(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmEpilogue epilogue)
    {
        if (shape.M > 1 && shape.M < MinRowsToPackTransposedB && WeightRowsGemmKernel.Suits(shape))
            WeightRowsGemmKernel.Launch(accelerator, shape, a, b, c, epilogue);
        else if (DotProductGemmKernel.Suits(shape))
            accelerator.Launch(shape.N, DotProductGemmKernel.For(shape, a, b, c, epilogue));
        else if (RegisterBlockedGemmKernel.Suits(shape) && (!shape.TransposeB || shape.M >= MinRowsToPackTransposedB))
            RegisterBlockedGemmKernel.Launch(accelerator, shape, a, b, c, epilogue);
        else
            return false;
        return true;
    }

    /// <summary>Fewest rows of C for which an unprepared transposed B is copied per call into the
    /// register-blocked kernel's column panels: the copy moves K·N elements whatever M is, so below it
    /// the weight-rows kernel, which reads the weight as it is stored, is faster (measured at 4096×4096
    /// on PoCL, docs/opencl-engine.md section 12). Weights prepared by <see cref="PackB"/> are copied once
    /// and take the register-blocked kernel at any M it suits.</summary>
    private const int MinRowsToPackTransposedB = 64;

    /// <summary>The operand checks every dense route shares: lengths for the shape, views of this accelerator, C apart from the inputs.</summary>
    internal static void CheckOperands(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias)
    {
        shape.Validate(a.Length, b.Length, c.Length);
        accelerator.CheckView(a);
        accelerator.CheckView(b);
        accelerator.CheckView(c);
        accelerator.CheckView(bias);
        OperandChecks.Disjoint(a, c);
        OperandChecks.Disjoint(b, c);
        OperandChecks.Disjoint(bias, c);
    }

    private static unsafe bool TryMultiplyOnHost(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, PrepackedB? prepacked, ArrayView<float> c, ArrayView<float> bias, GemmEpilogue epilogue)
    {
        fixed (float* aHost = a.AsHostSpan(accelerator), bHost = b.AsHostSpan(accelerator), cHost = c.AsHostSpan(accelerator), biasHost = bias.AsHostSpan(accelerator))
        {
            var operands = new DenseOperands
            {
                Shape = shape, A = aHost, B = bHost, C = cHost, Bias = bias.Length == 0 ? null : biasHost,
                Alpha = epilogue.Alpha, Beta = epilogue.Beta, Kind = epilogue.Kind, Slope = epilogue.Slope,
            };
            return CpuDenseGemm.TryMultiply(operands, prepacked);
        }
    }
}
