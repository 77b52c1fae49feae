using System.Reflection;
using System.Reflection.Emit;
using Gpu.Core;
using Gpu.Core.Compiler;
using Gpu.Ops.Gemm;
using Gpu.Tests.Compiler;
using ILGPU;

namespace Gpu.Tests.Ops.Gemm;

/// <summary>Every GEMM-family kernel translates to OpenCL C, with a barrier exactly where it calls one; OpenCL
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
        var execute = kernel.GetMethod("Execute", BindingFlags.Public | BindingFlags.Instance)!;
        Assert.That(generated.Source.Contains("barrier(", StringComparison.Ordinal), Is.EqualTo(CallsBarrier(execute, [])),
            "the source holds a barrier exactly where the kernel calls Group.Barrier");
    }

    /// <summary>Whether <paramref name="method"/> or a method of the project it calls calls <see cref="Group.Barrier"/>.</summary>
    private static bool CallsBarrier(MethodBase method, HashSet<MethodBase> seen)
    {
        if (!seen.Add(method) || method.GetMethodBody()?.GetILAsByteArray() is not { } il)
            return false;
        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        foreach (var instruction in ILDecoder.Decode(il).Where(i => i.OpCode == OpCodes.Call || i.OpCode == OpCodes.Callvirt))
        {
            var callee = method.Module.ResolveMethod(instruction.Int, typeArguments, methodArguments);
            if (callee is { Name: nameof(Group.Barrier) } && callee.DeclaringType == typeof(Group))
                return true;
            if (callee?.DeclaringType?.Assembly == typeof(DenseGemm).Assembly && CallsBarrier(callee, seen))
                return true;
        }
        return false;
    }

    [Test]
    public void EveryKernelShapeIsCovered()
        => Assert.That(Kernels().Select(c => (Type)c.Arguments[0]!).Distinct(),
            Does.Contain(typeof(TiledGemmKernel)).And.Contain(typeof(SimpleGemmKernel)).And.Contain(typeof(Gpu.Ops.Gemm.Quantized.QuantizedGemmKernel))
                .And.Contain(typeof(Gpu.Ops.Gemm.Quantized.CodebookGemmGroupedKernel)));
}
