using System.Reflection;
using Gpu.Conformance;
using Gpu.Conformance.Kernels;
using Gpu.Core;
using Gpu.Core.Compiler;
using Gpu.Core.Ilgpu;

namespace Gpu.Tests.Ilgpu;

/// <summary>The kernel structs written with ILGPU's types: the kernels themselves, found by reflection
/// (a struct implementing IKernel1D/2D/3D or IGroupKernel with no field of the project's own View types
/// and, if grouped, no use of the project's Group/SharedMemory), so a kernel that moves to ILGPU's
/// types is checked here without being listed. The corpus grants ILGPU's runtime its internals, so
/// internal kernel structs count.</summary>
public static class IlgpuKernels
{
    private static bool IsKernel(Type t) => typeof(IKernel1D).IsAssignableFrom(t) || typeof(IKernel2D).IsAssignableFrom(t)
        || typeof(IKernel3D).IsAssignableFrom(t) || typeof(IGroupKernel).IsAssignableFrom(t);

    /// <summary>Every ILGPU-ready kernel struct of the conformance corpus.</summary>
    public static IEnumerable<Type> All => typeof(SaxpyKernel).Assembly.GetTypes()
        .Where(t => t.IsValueType && !t.IsGenericTypeDefinition && IsKernel(t))
        .Where(t => UsesIlgpuViewsOnly(t, []))
        .Where(t => !typeof(IGroupKernel).IsAssignableFrom(t) || GroupIntrinsics.Of(t) != GroupIntrinsicsKind.Project)
        .OrderBy(t => t.Name);

    /// <summary>Every kernel struct of the conformance corpus still written with the project's types.</summary>
    public static IEnumerable<Type> NotMoved => typeof(SaxpyKernel).Assembly.GetTypes()
        .Where(t => t.IsValueType && !t.IsGenericTypeDefinition && IsKernel(t))
        .Except(All)
        .OrderBy(t => t.Name);

    private static bool UsesIlgpuViewsOnly(Type type, HashSet<Type> seen)
    {
        bool anyArrayView = false;
        foreach (var field in KernelTypes.InstanceFields(type))
        {
            var fieldType = field.FieldType;
            if (fieldType.IsGenericType && fieldType.GetGenericTypeDefinition() is var definition
                && (definition == typeof(View<>) || definition == typeof(View2D<>) || definition == typeof(View3D<>)))
                return false;
            if (KernelTypes.IsArrayView(fieldType) || fieldType.Namespace?.StartsWith("ILGPU", StringComparison.Ordinal) == true)
                anyArrayView = true;
            else if (fieldType.IsValueType && !fieldType.IsPrimitive && !fieldType.IsEnum && seen.Add(fieldType) && !UsesIlgpuViewsOnly(fieldType, seen))
                return false;
        }
        return anyArrayView;
    }

    /// <summary>Each kernel with each PTX target, named for the test.</summary>
    public static IEnumerable<TestCaseData> PtxCases
        => All.SelectMany(kernel => IlgpuPtx.Targets.Keys.Select(target => new TestCaseData(kernel, target).SetArgDisplayNames(kernel.Name, target)));
}

/// <summary>(c) of issue 12: every ILGPU-ready kernel compiles to PTX for sm_70, sm_80 and sm_90 with
/// ILGPU's PTX backend, with no GPU and no driver.</summary>
[NonParallelizable]
public sealed class IlgpuPtxTests
{
    private IlgpuPtx ptx = null!;

    [OneTimeSetUp]
    public void CreateContext() => ptx = new IlgpuPtx();

    [OneTimeTearDown]
    public void DisposeContext() => ptx.Dispose();

    [Test]
    public void TheLaunchKernelsAreWrittenWithIlgpuViews()
        => Assert.That(IlgpuKernels.All, Is.SupersetOf(new[]
        {
            typeof(SaxpyKernel), typeof(IndexGrid2DKernel), typeof(IndexGrid3DKernel), typeof(TreeReductionKernel), typeof(ContendedAtomicsKernel),
        }));

    [Test]
    public void ListsTheKernelsNotYetMoved()
    {
        TestContext.Out.WriteLine($"{IlgpuKernels.All.Count()} kernel structs on ILGPU's types, {IlgpuKernels.NotMoved.Count()} not: {string.Join(", ", IlgpuKernels.NotMoved.Select(t => t.Name))}");
        Assert.That(IlgpuKernels.All, Is.Not.Empty);
    }

    [TestCaseSource(typeof(IlgpuKernels), nameof(IlgpuKernels.PtxCases))]
    public void KernelCompilesToPtx(Type kernel, string target)
    {
        string assembly;
        try
        {
            assembly = ptx.Compile(kernel, target, out var elapsed);
            TestContext.Out.WriteLine($"{kernel.Name} {target}: {elapsed.TotalMilliseconds:F0} ms, {assembly.Length} characters of PTX");
        }
        catch (Exception e)
        {
            // A failed compilation leaves ILGPU's context unusable for the next kernel: start afresh.
            ptx.Dispose();
            ptx = new IlgpuPtx();
            Assert.Fail($"{kernel.Name} does not compile to PTX for {target}: {e.GetType().Name}: {e.Message}{(e.InnerException is { } inner ? $" ({inner.GetType().Name}: {inner.Message})" : "")}");
            return;
        }
        // ILGPU targets the lowest architecture with the capabilities it uses (at most sm_80 in 1.5.3),
        // which the driver compiles for any newer GPU: sm_90 yields ".target sm_80".
        var declared = System.Text.RegularExpressions.Regex.Match(assembly, @"^\.target sm_(\d+)", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.Multiple(() =>
        {
            Assert.That(declared.Success, $"{kernel.Name} for {target}: the PTX declares no .target");
            Assert.That(int.Parse(declared.Groups[1].Value), Is.LessThanOrEqualTo(int.Parse(target[3..])), $"{kernel.Name} for {target}: .target");
            Assert.That(assembly, Does.Contain(".entry"), $"{kernel.Name} for {target}");
        });
    }
}

/// <summary>(a) of issue 12: the conformance cases whose kernels use ILGPU's types, at small sizes, on
/// ILGPU's CPU accelerator (an emulator) through the test-only ILGPU engine; the same cases run on the
/// CPU engine and through the translator in <see cref="Core.ConformanceTests"/>.</summary>
[NonParallelizable]
public sealed class IlgpuCpuConformanceTests
{
    private Accelerator accelerator = null!;

    /// <summary>The cases of the kernels that moved to ILGPU's views, at their small sizes.</summary>
    public static IEnumerable<string> Cases =>
    [
        "launch/saxpy-1d-length-1", "launch/saxpy-1d-length-1000", "launch/subviews-with-offsets", "launch/2d-strided", "launch/3d",
        "launch/grouped-tree-reduction", "launch/atomics-under-contention",
        "corpus/int32-wrapping-arithmetic", "corpus/int64-wrapping-arithmetic", "corpus/unsigned-arithmetic", "corpus/signed-division-and-min-over-minus-one",
        "corpus/small-integer-types", "corpus/bitwise", "corpus/shift-32-counts-masked", "corpus/shift-64-and-promoted-counts-masked",
        "corpus/integer-comparisons-signed-unsigned", "corpus/constant-divisors", "corpus/packed-int8-dot4", "corpus/float-to-integer-saturating",
        "corpus/double-to-integer-saturating", "corpus/integer-to-float-rounding", "corpus/integer-narrowing-and-extension", "corpus/float-double-conversions",
        "corpus/float-literals-exact-bits", "corpus/double-literals-exact-bits", "corpus/float-arithmetic-exact",
        "corpus/group-intrinsics-3d", "corpus/shared-float-tree-sum", "corpus/shared-argmax-two-arrays", "corpus/shared-tile-transpose-2d-groups",
        "corpus/shared-memory-atomics-histogram", "corpus/atomics-int-add-min-max", "corpus/atomics-uint-unsigned-order",
        "corpus/atomics-exchange-chain", "corpus/atomics-compare-exchange", "corpus/atomics-float-add", "corpus/atomics-float-add-returns-previous",
    ];

    [OneTimeSetUp]
    public void Open() => accelerator = IlgpuCpuDevice.Instance.Open();

    [OneTimeTearDown]
    public void Close() => accelerator.Dispose();

    [TestCaseSource(nameof(Cases))]
    public void CaseProducesTheHostResult(string caseName) => ConformanceSuite.Get(caseName).Run(accelerator);

    [Test]
    public void AViewOfAnotherEnginesBufferIsRefused()
    {
        using var cpu = Devices.Open("cpu");
        using var foreign = cpu.Allocate<float>(4);
        using var own = accelerator.Allocate<float>(4);
        Assert.That(() => accelerator.Launch(4, new SaxpyKernel { X = foreign.ArrayView, Y = own.ArrayView, A = 1f }),
            Throws.ArgumentException.With.Message.Contains("SaxpyKernel.X").And.Message.Contains("another accelerator"));
    }

    [Test]
    public void AViewOfADisposedBufferIsRefused()
    {
        var x = accelerator.Allocate<float>(4);
        var view = x.ArrayView;
        x.Dispose();
        using var y = accelerator.Allocate<float>(4);
        Assert.That(() => accelerator.Launch(4, new SaxpyKernel { X = view, Y = y.ArrayView, A = 1f }),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("SaxpyKernel.X"));
    }
}
