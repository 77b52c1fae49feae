using Gpu.Core;
using Gpu.Core.Compiler;
using Gpu.Ops.Gemm;
using Gpu.Tests.Compiler;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>Every GEMM-family kernel translates to OpenCL C, grouped ones with a barrier; OpenCL
/// devices (PoCL here) also run them in the device tests. (CUDA compiles them through ILGPU: the PTX tests.)</summary>
public sealed class GemmKernelTranslationTests
{
    private static IEnumerable<TestCaseData> Kernels()
        => from type in typeof(DenseGemm).Assembly.GetTypes()
                   .SelectMany(t => t.IsGenericTypeDefinition ? Gpu.Tests.Ilgpu.IlgpuKernels.Closed(t, typeof(DenseGemm).Assembly) : [t])
           where type.IsValueType && type.Namespace is { } ns && ns.StartsWith("Gpu.Ops.Gemm", StringComparison.Ordinal)
           let shape = KernelShapes.Of(type)
           where shape is not null
           select new TestCaseData(type, shape!.Value).SetArgDisplayNames(type.IsGenericType ? $"{type.Name}[{type.GetGenericArguments()[0].Name}]" : type.Name);

    [TestCaseSource(nameof(Kernels))]
    public void KernelTranslates(Type kernel, KernelShape shape)
    {
        var generated = KernelCompiler.Generate(kernel, shape, new KernelCompileOptions(Guarded: shape != KernelShape.Grouped, FastMath: false));
        Assert.That(generated.Source, Does.Contain(kernel.Name.Split('`')[0]));
        if (shape == KernelShape.Grouped)
            Assert.That(generated.Source, Does.Contain("barrier("));
    }

    [Test]
    public void EveryKernelShapeIsCovered()
        => Assert.That(Kernels().Select(c => (Type)c.Arguments[0]!).Distinct(),
            Does.Contain(typeof(TiledGemmKernel)).And.Contain(typeof(SimpleGemmKernel)).And.Contain(typeof(Gpu.Ops.Gemm.Quantized.QuantizedGemmKernel))
                .And.Contain(typeof(Gpu.Ops.Gemm.Quantized.CodebookGemmGroupedKernel)));
}
