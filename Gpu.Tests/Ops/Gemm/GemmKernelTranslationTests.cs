using Gpu.Core;
using Gpu.Core.Compiler;
using Gpu.Ops.Gemm;
using Gpu.Tests.Compiler;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>Every GEMM-family kernel translates to CUDA C and OpenCL C. OpenCL devices (PoCL here)
/// also run them in the device tests; for CUDA, with no GPU on this machine, this is the check
/// that the kernels stay inside the translatable subset.</summary>
public sealed class GemmKernelTranslationTests
{
    private static IEnumerable<TestCaseData> Kernels()
        => from type in typeof(DenseGemm).Assembly.GetTypes()
           where type.IsValueType && type.Namespace is { } ns && ns.StartsWith("Gpu.Ops.Gemm", StringComparison.Ordinal)
           let shape = KernelShapes.Of(type)
           where shape is not null
           from dialect in new[] { KernelDialect.Cuda, KernelDialect.OpenCL }
           select new TestCaseData(type, shape!.Value, dialect).SetArgDisplayNames(type.Name, dialect.ToString());

    [TestCaseSource(nameof(Kernels))]
    public void KernelTranslates(Type kernel, KernelShape shape, KernelDialect dialect)
    {
        var generated = KernelCompiler.Generate(kernel, shape, dialect, new KernelCompileOptions(Guarded: shape != KernelShape.Grouped, FastMath: false));
        Assert.That(generated.Source, Does.Contain(kernel.Name));
        if (shape == KernelShape.Grouped)
            Assert.That(generated.Source, Does.Contain(dialect == KernelDialect.Cuda ? "__syncthreads" : "barrier("));
    }

    [Test]
    public void EveryKernelShapeIsCovered()
        => Assert.That(Kernels().Select(c => (Type)c.Arguments[0]!).Distinct(),
            Does.Contain(typeof(TiledGemmKernel)).And.Contain(typeof(SimpleGemmKernel)).And.Contain(typeof(Gpu.Ops.Gemm.Quantized.QuantizedGemmKernel))
                .And.Contain(typeof(Gpu.Ops.Gemm.Quantized.CodebookGemmGroupedKernel)));
}
