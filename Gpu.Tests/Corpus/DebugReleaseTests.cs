using System.Diagnostics;
using System.Reflection;
using Gpu.Core;
using Microsoft.CodeAnalysis;

namespace Gpu.Tests.Corpus;

/// <summary>Kernels compiled in memory at Debug and at Release optimisation run on every device and
/// give the host's result, so the kernel compiler is proven on both kinds of IL.</summary>
public sealed class DebugReleaseTests(string deviceName) : DeviceTest(deviceName)
{
    public static IEnumerable<TestCaseData> Cases =>
        from kernel in DebugReleaseKernels.All
        from level in new[] { OptimizationLevel.Debug, OptimizationLevel.Release }
        select new TestCaseData(kernel, level).SetArgDisplayNames(kernel.TypeName, level.ToString());

    [TestCaseSource(nameof(Cases))]
    public void KernelGivesTheHostResult(DebugReleaseKernel kernel, OptimizationLevel level)
    {
        var type = InMemoryKernels.Get(level).GetType(kernel.TypeName, throwOnError: true)!;
        int[] input = DebugReleaseKernels.Inputs;
        using var inputBuffer = Accelerator.Allocate<int>(input);
        using var outputBuffer = Accelerator.Allocate<int>(Enumerable.Repeat(DebugReleaseKernels.OutputFill, input.Length * kernel.OutputsPerIndex).ToArray());
        object instance = Activator.CreateInstance(type)!;
        type.GetField("Input")!.SetValue(instance, inputBuffer.View);
        type.GetField("Output")!.SetValue(instance, outputBuffer.View);
        LaunchMethod.MakeGenericMethod(type).Invoke(null, [Accelerator, input.Length, instance]);
        Assert.That(outputBuffer.ToArray(), Is.EqualTo(input.SelectMany(kernel.Expected).ToArray()));
    }

    private static readonly MethodInfo LaunchMethod = typeof(DebugReleaseTests).GetMethod(nameof(Launch), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static void Launch<TKernel>(Accelerator accelerator, int length, object kernel) where TKernel : struct, IKernel1D
        => accelerator.Launch(length, (TKernel)kernel);
}

/// <summary>The in-memory compilation itself: the two levels really give different IL, and broken
/// sources are reported rather than half-loaded.</summary>
public sealed class InMemoryKernelTests
{
    [Test]
    public void DebugAndReleaseBuildsReallyDiffer()
    {
        static (bool Optimised, byte[] IL) Inspect(OptimizationLevel level)
        {
            var assembly = InMemoryKernels.Get(level);
            bool optimised = assembly.GetCustomAttribute<DebuggableAttribute>() is not { IsJITOptimizerDisabled: true };
            var execute = assembly.GetType("InMemory.TernaryKernel", throwOnError: true)!.GetMethod("Execute")!;
            return (optimised, execute.GetMethodBody()!.GetILAsByteArray()!);
        }
        var debug = Inspect(OptimizationLevel.Debug);
        var release = Inspect(OptimizationLevel.Release);
        Assert.That(debug.Optimised, Is.False);
        Assert.That(release.Optimised, Is.True);
        Assert.That(debug.IL, Is.Not.EqualTo(release.IL));
    }

    [Test]
    public void SourcesThatDoNotCompileAreReportedWithTheirDiagnostics()
        => Assert.That(() => InMemoryKernels.Compile(OptimizationLevel.Release, ["public struct Broken { int x = ; }"]),
            Throws.InvalidOperationException.With.Message.Contains("CS1525"));
}
