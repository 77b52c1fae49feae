using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;

namespace Gpu.Ops.Gemm;

/// <summary>Dense single-precision GEMM with a fused epilogue:
/// <c>C = act(α·op(A)·op(B) + β·C + bias)</c>, row-major, any M, N, K. On the CPU it runs the
/// packed AVX2/AVX-512 path; on GPUs (OpenCL, CUDA) the shared-memory tiled kernel
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
    /// <exception cref="ArgumentException">A dimension is not positive or a view has the wrong length.</exception>
    public static void Multiply(Accelerator accelerator, GemmShape shape, View<float> a, View<float> b,
        View<float> c, float alpha = 1f, float beta = 0f, View<float> bias = default, Activation activation = default)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        shape.Validate(a.Length, b.Length, c.Length);
        var epilogue = GemmEpilogue.Create(shape.N, alpha, beta, bias, activation);
        if (accelerator.IsHostAddressable() && TryMultiplyOnHost(accelerator, shape, a, b, c, epilogue))
            return;
        if (accelerator.Device.Kind is DeviceKind.OpenCL or DeviceKind.Cuda && TiledGemmKernel.Suits(shape))
            accelerator.LaunchGrouped(TiledGemmKernel.ExtentOf(shape), TiledGemmKernel.For(shape, a, b, c, epilogue));
        else
            accelerator.Launch(shape.N, shape.M, SimpleGemmKernel.For(shape, a, b, c, epilogue));
    }

    private static unsafe bool TryMultiplyOnHost(Accelerator accelerator, GemmShape shape, View<float> a, View<float> b, View<float> c, GemmEpilogue epilogue)
    {
        fixed (float* aHost = a.AsHostSpan(accelerator), bHost = b.AsHostSpan(accelerator), cHost = c.AsHostSpan(accelerator), biasHost = epilogue.Bias.AsHostSpan(accelerator))
        {
            var operands = new DenseOperands
            {
                Shape = shape, A = aHost, B = bHost, C = cHost, Bias = epilogue.Bias.Length == 0 ? null : biasHost,
                Alpha = epilogue.Alpha, Beta = epilogue.Beta, Kind = epilogue.Kind, Slope = epilogue.Slope,
            };
            return CpuDenseGemm.TryMultiply(operands);
        }
    }
}
