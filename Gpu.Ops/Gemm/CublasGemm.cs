using Gpu.Core;
using Gpu.Core.Ilgpu;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Gpu.Ops.Gemm;

/// <summary>Dense GEMM through NVIDIA's cuBLAS (ILGPU.Algorithms' binding) on <c>cuda:N</c>: cuBLAS forms
/// <c>α·op(A)·op(B) + β·C</c> and, when there is a bias or an activation, one element-wise kernel applies
/// them. <see cref="DenseGemm"/> takes this route on CUDA devices for products that fill the tiled
/// kernel's tiles, since the vendor's kernels are tuned per GPU; small products keep the own kernel,
/// whose fused epilogue saves the second launch.</summary>
public static class CublasGemm
{
    /// <summary>Whether <paramref name="accelerator"/> is an ILGPU CUDA engine whose cuBLAS loads (see
    /// <see cref="IlgpuAccelerator.CuBlasUnavailableReason"/> when not).</summary>
    public static bool IsAvailable(Accelerator accelerator) => accelerator is IlgpuAccelerator { CuBlas: not null };

    /// <summary>Computes <c>C = act(α·op(A)·op(B) + β·C + bias)</c> with cuBLAS; the operands are row-major,
    /// as everywhere in the library, and checked as <see cref="DenseGemm.Multiply(Accelerator, GemmShape, ArrayView{float}, ArrayView{float}, ArrayView{float}, float, float, ArrayView{float}, Activation)"/> checks them.</summary>
    /// <exception cref="NotSupportedException">The accelerator is not a CUDA engine, or cuBLAS does not load there.</exception>
    /// <exception cref="ArgumentException">A dimension is not positive, a view has the wrong length or
    /// belongs to another accelerator, or C shares memory with another operand.</exception>
    public static void Multiply(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b,
        ArrayView<float> c, float alpha = 1f, float beta = 0f, ArrayView<float> bias = default, Activation activation = default)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (accelerator is not IlgpuAccelerator { CuBlas: not null } cuda)
            throw new NotSupportedException($"cuBLAS runs on CUDA devices where its library loads; {accelerator.Device.Name} is {accelerator.Device.Engine.Name}"
                + (accelerator is IlgpuAccelerator ilgpu ? $" ({ilgpu.CuBlasUnavailableReason})." : "."));
        DenseGemm.CheckOperands(accelerator, shape, a, b, c, bias);
        MultiplyChecked(cuda, shape, a, b, c, alpha, beta, bias, activation);
    }

    /// <summary>The product on operands already checked. Row-major C = op(A)·op(B) is column-major
    /// Cᵀ = op(B)ᵀ·op(A)ᵀ, so cuBLAS is handed B first, each operand with its row length as leading dimension.</summary>
    internal static void MultiplyChecked(IlgpuAccelerator cuda, GemmShape shape, ArrayView<float> a, ArrayView<float> b,
        ArrayView<float> c, float alpha, float beta, ArrayView<float> bias, Activation activation)
    {
        cuda.CuBlas!.Gemm(
            shape.TransposeB ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
            shape.TransposeA ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
            shape.N, shape.M, shape.K,
            alpha,
            b, shape.TransposeB ? shape.K : shape.N,
            a, shape.TransposeA ? shape.M : shape.K,
            beta,
            c, shape.N);
        if (bias.Length > 0 || activation.Kind != ActivationKind.Identity)
            cuda.Launch(OperandChecks.LaunchCount(c), new BiasActivationKernel
            {
                Output = c, Bias = bias, Columns = shape.N, Activation = activation.Kind, Slope = activation.Slope,
            });
    }

    /// <summary><c>C[i] = act(C[i] + bias[i mod N])</c> in place, after cuBLAS; an empty bias adds nothing.</summary>
    public struct BiasActivationKernel : IKernel1D
    {
        /// <summary>C, row-major.</summary>
        public ArrayView<float> Output;
        /// <summary>N per-column biases, or empty.</summary>
        public ArrayView<float> Bias;
        /// <summary>N.</summary>
        public int Columns;
        /// <summary>The activation.</summary>
        public ActivationKind Activation;
        /// <summary>The LeakyReLU slope.</summary>
        public float Slope;

        /// <summary>One element.</summary>
        public void Execute(int index)
        {
            float value = Output[index];
            if (Bias.Length > 0)
                value += Bias[index % Columns];
            Output[index] = Gpu.Ops.Activation.Apply(Activation, Slope, value);
        }
    }
}
