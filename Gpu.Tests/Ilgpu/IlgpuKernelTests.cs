using System.Reflection;
using Gpu.Conformance;
using Gpu.Conformance.Kernels;
using Gpu.Core;
using Gpu.Core.Compiler;
using Gpu.Core.Ilgpu;
using ILGPU;

namespace Gpu.Tests.Ilgpu;

/// <summary>The kernel structs written with ILGPU's types: the kernels themselves, found by reflection
/// (a struct implementing IKernel1D/2D/3D or IGroupKernel that holds ILGPU views),
/// so a new kernel is checked here without being listed. The corpus and Gpu.Ops grant ILGPU's runtime their
/// internals, so internal kernel structs count.</summary>
public static class IlgpuKernels
{
    private static bool IsKernel(Type t) => typeof(IKernel1D).IsAssignableFrom(t) || typeof(IKernel2D).IsAssignableFrom(t)
        || typeof(IKernel3D).IsAssignableFrom(t) || typeof(IGroupKernel).IsAssignableFrom(t);

    /// <summary>Every ILGPU-ready kernel struct of the conformance corpus.</summary>
    public static IEnumerable<Type> All => Ready(typeof(SaxpyKernel).Assembly);

    /// <summary>Every kernel struct of the conformance corpus that holds no ILGPU view.</summary>
    public static IEnumerable<Type> NotMoved => NotReady(typeof(SaxpyKernel).Assembly);

    /// <summary>Every ILGPU-ready kernel struct of Gpu.Ops.</summary>
    public static IEnumerable<Type> Ops => Ready(typeof(Gpu.Ops.Image.Elementwise).Assembly);

    /// <summary>Every kernel struct of Gpu.Ops that holds no ILGPU view.</summary>
    public static IEnumerable<Type> OpsNotMoved => NotReady(typeof(Gpu.Ops.Image.Elementwise).Assembly);

    private static IEnumerable<Type> Kernels(Assembly assembly) => assembly.GetTypes()
        .Where(t => t.IsValueType && IsKernel(t))
        .SelectMany(t => t.IsGenericTypeDefinition ? Closed(t, assembly) : [t]);

    /// <summary>A generic kernel (one per activation type, say) closed over each struct of its assembly
    /// that meets its one type parameter's constraints; none for other generic kernels.</summary>
    public static IEnumerable<Type> Closed(Type definition, Assembly assembly)
    {
        if (definition.GetGenericArguments() is not [var parameter] || parameter.GetGenericParameterConstraints() is not { Length: > 0 } constraints)
            return [];
        return assembly.GetTypes()
            .Where(t => t.IsValueType && !t.IsGenericTypeDefinition && constraints.All(c => c.IsAssignableFrom(t)))
            .Select(t => definition.MakeGenericType(t));
    }

    private static IEnumerable<Type> Ready(Assembly assembly) => Kernels(assembly)
        .Where(t => HoldsIlgpuViews(t, []))
        .OrderBy(t => t.Name);

    private static IEnumerable<Type> NotReady(Assembly assembly) => Kernels(assembly).Except(Ready(assembly)).OrderBy(t => t.Name);

    /// <summary>Whether the struct holds ILGPU views, nested structs included (views may sit only in a
    /// nested struct; a nested struct may hold no view at all).</summary>
    private static bool HoldsIlgpuViews(Type type, HashSet<Type> seen)
        => KernelTypes.InstanceFields(type).Any(field => field.FieldType is var fieldType
            && (KernelTypes.IsView(fieldType) || fieldType.Namespace?.StartsWith("ILGPU", StringComparison.Ordinal) == true
                || fieldType.IsValueType && !fieldType.IsPrimitive && !fieldType.IsEnum && seen.Add(fieldType) && HoldsIlgpuViews(fieldType, seen)));

    /// <summary>The kernel structs <paramref name="conformanceCase"/> launches, read from its IL and the IL of the
    /// corpus methods and lambdas it reaches (the kernel appears as a type token, e.g. <c>initobj</c>, or as a
    /// type argument of <c>Launch</c>/<c>Map</c>).</summary>
    public static IReadOnlySet<Type> LaunchedBy(ConformanceCase conformanceCase)
    {
        var corpus = typeof(SaxpyKernel).Module;
        var named = ILReferences.Reachable(conformanceCase.Run.Method, callee => callee.Module == corpus)
            .SelectMany(member => member switch
            {
                Type type => [type, .. type.IsGenericType ? type.GetGenericArguments() : []],
                MethodInfo method => [method.DeclaringType, .. method.IsGenericMethod ? method.GetGenericArguments() : []],
                _ => new[] { member.DeclaringType },
            });
        return named.OfType<Type>().Where(t => t.IsValueType && IsKernel(t)).ToHashSet();
    }

    /// <summary>Whether every kernel the case launches is on ILGPU's types (and it launches any).</summary>
    public static bool RunsOnIlgpu(ConformanceCase conformanceCase)
        => LaunchedBy(conformanceCase) is { Count: > 0 } kernels && kernels.IsSubsetOf(All);

    /// <summary>Whether the case runs on ILGPU's types and launches no kernel ILGPU refuses (<see cref="IlgpuRefusals"/>).</summary>
    public static bool IlgpuAccepts(ConformanceCase conformanceCase)
        => RunsOnIlgpu(conformanceCase) && !LaunchedBy(conformanceCase).Any(kernel => IlgpuRefusals.Of(kernel) is not null);

    /// <summary>Each kernel of the corpus and of Gpu.Ops with each PTX target, named for the test, less the
    /// kernels ILGPU fails to compile (<see cref="IlgpuRefusals"/> at <see cref="RefusedAt.Compilation"/>).</summary>
    public static IEnumerable<TestCaseData> PtxCases
        => All.Where(kernel => IlgpuRefusals.Of(kernel)?.At != RefusedAt.Compilation).Select(kernel => (kernel, kernel.Name)).Concat(Ops.Select(kernel => (kernel, kernel.FullName!)))
            .SelectMany(k => IlgpuPtx.Targets.Keys.Select(target => new TestCaseData(k.kernel, target).SetArgDisplayNames(k.Item2, target)));
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
    public void TheMovedOpsKernelsAreWrittenWithIlgpuViews()
        => Assert.That(IlgpuKernels.Ops, Is.SupersetOf(new[]
        {
            typeof(Gpu.Ops.Image.RelayoutKernel), typeof(Gpu.Ops.Sequence.SoftmaxRowsKernel), typeof(Gpu.Ops.Sequence.CtcArgmaxKernel),
            typeof(Gpu.Ops.Sequence.CtcCollapseKernel), typeof(Gpu.Ops.Sequence.LstmCellKernel), typeof(Gpu.Ops.Sequence.LstmCellRowsKernel), typeof(Gpu.Ops.Sequence.ConcatenateDirectionsKernel),
            typeof(Gpu.Ops.Sequence.SruRecurrenceKernel), typeof(Gpu.Ops.Image.CopyKernel), typeof(Gpu.Ops.Image.ScaleAddActivateKernel),
            typeof(Gpu.Ops.Image.ClampKernel), typeof(Gpu.Ops.Image.ColorTransformKernel), typeof(Gpu.Ops.Image.BicubicResizeKernel),
            typeof(Gpu.Ops.Image.MaxPool2dKernel), typeof(Gpu.Ops.Image.AdaptiveAffineKernel),
            typeof(Gpu.Ops.Image.MaxPool2dRowKernel<Gpu.Ops.Image.PoolWindow2x2Stride2>), typeof(Gpu.Ops.Image.MaxPool2dRowKernel<Gpu.Ops.Image.PoolWindow2x2Stride2x1>),
            typeof(Gpu.Ops.Image.MaxPool2dRowKernel<Gpu.Ops.Image.PoolWindow3x3Stride1>),
            typeof(Gpu.Ops.Image.BicubicColumnPassKernel), typeof(Gpu.Ops.Image.BicubicRowPassKernel),
        }));

    [Test]
    public void EveryCorpusKernelIsWrittenWithIlgpuTypes()
        => Assert.That(IlgpuKernels.NotMoved.Select(t => t.Name), Is.Empty, "corpus kernels holding no ILGPU view");

    [Test]
    public void ListsTheKernelsNotYetMoved()
    {
        TestContext.Out.WriteLine($"corpus: {IlgpuKernels.All.Count()} kernel structs on ILGPU's views, {IlgpuKernels.NotMoved.Count()} without any: {string.Join(", ", IlgpuKernels.NotMoved.Select(t => t.Name))}");
        TestContext.Out.WriteLine($"Gpu.Ops: {IlgpuKernels.Ops.Count()} kernel structs on ILGPU's views, {IlgpuKernels.OpsNotMoved.Count()} without any: {string.Join(", ", IlgpuKernels.OpsNotMoved.Select(t => t.Name))}");
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

    /// <summary>Cases too large for the emulator (seconds per million indices): the same kernel runs here at a smaller size.</summary>
    private static readonly HashSet<string> TooLarge = ["launch/saxpy-1d-length-100003"];

    /// <summary>Every conformance case whose kernels are all on ILGPU's types (<see cref="IlgpuKernels.All"/>)
    /// and none refused by ILGPU (<see cref="IlgpuRefusals"/>), found from the kernels each case launches
    /// (<see cref="IlgpuKernels.LaunchedBy"/>), less the large ones. Other cases are left out here, before anything launches.</summary>
    public static IEnumerable<string> Cases => ConformanceSuite.All
        .Where(c => !TooLarge.Contains(c.Name) && IlgpuKernels.IlgpuAccepts(c))
        .Select(c => c.Name);

    [OneTimeSetUp]
    public void Open() => accelerator = IlgpuCpuDevice.Instance.Open();

    [OneTimeTearDown]
    public void Close() => accelerator.Dispose();

    [TestCaseSource(nameof(Cases))]
    public void CaseProducesTheHostResult(string caseName) => ConformanceSuite.Get(caseName).Run(accelerator);

    [Test]
    public void EveryCaseNamesTheKernelsItLaunches()
    {
        var unnamed = ConformanceSuite.All.Where(c => IlgpuKernels.LaunchedBy(c).Count == 0).Select(c => c.Name).ToList();
        var left = ConformanceSuite.All.Where(c => !IlgpuKernels.RunsOnIlgpu(c))
            .Select(c => $"{c.Name} ({string.Join(", ", IlgpuKernels.LaunchedBy(c).Except(IlgpuKernels.All).Select(t => t.Name))})").ToList();
        var refused = ConformanceSuite.All.Where(c => IlgpuKernels.RunsOnIlgpu(c) && !IlgpuKernels.IlgpuAccepts(c))
            .Select(c => $"{c.Name} ({string.Join(", ", IlgpuKernels.LaunchedBy(c).Where(t => IlgpuRefusals.Of(t) is not null).Select(t => t.Name))})").ToList();
        TestContext.Out.WriteLine($"{Cases.Count()} of {ConformanceSuite.All.Count} cases run here; not on ILGPU's types: {string.Join("; ", left)}; "
            + $"refused by ILGPU: {string.Join("; ", refused)}");
        Assert.Multiple(() =>
        {
            Assert.That(unnamed, Is.Empty, "cases whose kernels were not found in their IL");
            Assert.That(Cases, Does.Contain("launch/saxpy-1d-length-1").And.Contain("corpus/atomics-float-add"));
        });
    }

    [Test]
    public void AViewOfAnotherEnginesBufferIsRefused()
    {
        using var cpu = Devices.Open("cpu");
        using var foreign = cpu.Allocate<float>(4);
        using var own = accelerator.Allocate<float>(4);
        Assert.That(() => accelerator.Launch(4, new SaxpyKernel { X = foreign.View, Y = own.View, A = 1f }),
            Throws.ArgumentException.With.Message.Contains("SaxpyKernel.X").And.Message.Contains("another accelerator"));
    }

    [Test]
    public void AViewOfADisposedBufferIsRefused()
    {
        var x = accelerator.Allocate<float>(4);
        var view = x.View;
        x.Dispose();
        using var y = accelerator.Allocate<float>(4);
        Assert.That(() => accelerator.Launch(4, new SaxpyKernel { X = view, Y = y.View, A = 1f }),
            Throws.InstanceOf<ObjectDisposedException>().With.Message.Contains("SaxpyKernel.X").And.Message.Contains("disposed"));
    }
}
