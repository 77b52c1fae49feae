using Gpu.Conformance.Kernels;
using Gpu.Core;
using Gpu.Core.Compiler;
using ILGPU;
using ILGPU.Runtime;

namespace Gpu.Tests.Compiler;

/// <summary>What the translator generates, read as text: pragmas, OpenCL spellings, parameter
/// order, literals, caching and the dump directory.</summary>
public sealed class TranslationTests
{
    private static readonly KernelCompileOptions Exact = new(Guarded: false, FastMath: false);

    private static GeneratedKernel Generate<TKernel>(KernelShape shape, KernelCompileOptions? options = null)
        => KernelCompiler.Generate(typeof(TKernel), shape, options ?? Exact);

    [Test]
    public void OpenCLSourceTurnsContractionOffUnlessTheKernelAsksForFastMath()
    {
        Assert.That(Generate<MultiplyAddKernel>(KernelShape.OneD).Source, Does.Contain("#pragma OPENCL FP_CONTRACT OFF"));
        var fast = Generate<FastMultiplyAddKernel>(KernelShape.OneD, options: new KernelCompileOptions(false, FastMath: true));
        Assert.That(fast.Source, Does.Not.Contain("FP_CONTRACT OFF"));
    }

    [Test]
    public void OpenCLSpellsQualifiersIndicesBarriersAndAtomics()
    {
        string openCL = Generate<SharedAtomicsKernel>(KernelShape.Grouped).Source;
        Assert.Multiple(() =>
        {
            Assert.That(openCL, Does.Contain("__kernel void gpuc_"));
            Assert.That(openCL, Does.Contain("__local float shared"));
            Assert.That(openCL, Does.Contain("get_local_id(0)"));
            Assert.That(openCL, Does.Contain("barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);"));
            Assert.That(openCL, Does.Contain("atomic_add(&"));
            Assert.That(openCL, Does.Match(@"gpuc_atomic_add_f32_global\(&\w+\["));
            Assert.That(openCL, Does.Contain("__global float* p_Sums"));
        });
    }

    [Test]
    public void GlobalIndicesComeFromOpenCLsRegisters()
        => Assert.That(Generate<IndexGrid3DKernel>(KernelShape.ThreeD).Source,
            Does.Contain("get_global_id(0)").And.Contain("get_global_id(1)").And.Contain("get_global_id(2)"));

    [Test]
    public void WarpShufflesAreRefusedNamingTheMethod()
        => Assert.That(() => Generate<WarpSumKernel>(KernelShape.Grouped),
            Throws.InstanceOf<KernelCompilationException>().With.Message.Contains("ILGPU.Warp.get_WarpSize").And.Message.Contains("OpenCL 1.2 does not have"));

    [Test]
    public void DynamicSharedMemoryIsRefusedByName()
        => Assert.That(() => Generate<DynamicSharedKernel>(KernelShape.Grouped),
            Throws.InstanceOf<KernelCompilationException>().With.Message.Contains("ILGPU.SharedMemory.GetDynamic"));

    [Test]
    public void PackedDot4IsExactMultipliesOnOpenCL()
    {
        string openCL = Generate<Dot4AccumulateKernel>(KernelShape.OneD).Source;
        Assert.Multiple(() =>
        {
            Assert.That(KernelBody(openCL), Does.Contain("gpuc_dot4_i8("));
            Assert.That(openCL, Does.Contain("(schar)(a >> 24) * (schar)(b >> 24)"));
        });
    }

    private static string KernelBody(string source) => source[source.IndexOf("/* the kernel ", StringComparison.Ordinal)..];

    [Test]
    public void FieldsFlattenInDeclarationOrderWithViewsAsPointerOffsetAndLength()
    {
        var kernel = Generate<NestedParametersKernel>(KernelShape.OneD);
        Assert.That(kernel.Parameters.Select(p => $"{p.Name}:{p.Kind}"), Is.EqualTo(new[]
        {
            "p_Input:ViewHandle", "p_Input_offset:ViewOffset", "p_Input_length:ViewLength",
            "p_Affine_Scale:Scalar", "p_Affine_Bias:Scalar", "p_Enabled:Scalar",
            "p_Table_BaseView:ViewHandle", "p_Table_BaseView_offset:ViewOffset", "p_Table_BaseView_length:ViewLength",
            "p_Table_Extent_X:Scalar", "p_Table_Extent_Y:Scalar", "p_Table_Stride_YStride:Scalar", "p_Count:Scalar",
        }));
        Assert.That(kernel.Source, Does.Contain("__global float* p_Input, llong p_Input_offset, llong p_Input_length, float p_Affine_Scale"));
    }

    [Test]
    public void ArgumentsAreReadAlongTheFieldPathsInParameterOrder()
    {
        using var accelerator = Devices.Open("cpu");
        using var input = accelerator.Allocate<float>(10);
        using var table = accelerator.Allocate<int>(12);
        var value = new NestedParametersKernel
        {
            Input = input.View.SubView(3, 5),
            Affine = new ScaleAndBias { Scale = 2.5f, Bias = -1f },
            Enabled = true,
            Table = ((ArrayView1D<int, Stride1D.Dense>)table.View).As2DView(new LongIndex2D(3, 3), new Stride2D.DenseX(4)),
            Count = 1L << 40,
        };
        var kernel = Generate<NestedParametersKernel>(KernelShape.OneD);
        var arguments = new KernelArgument[kernel.Parameters.Count];
        kernel.Arguments.Read(value, [5], arguments);
        Assert.That(arguments.Select(a => (a.Bits, a.Size)), Is.EqualTo(new (ulong, int)[]
        {
            ((ulong)((IArrayView)input.View).Buffer.NativePtr, 8), (3, 8), (5, 8),
            (BitConverter.SingleToUInt32Bits(2.5f), 4), (BitConverter.SingleToUInt32Bits(-1f), 4), (1, 4),
            // The 2D view: its base view (As2DView ends it at the last row's last column: 2 × 4 + 3 elements),
            // its extent (x = columns, y = rows, 64-bit), its row stride.
            ((ulong)((IArrayView)table.View).Buffer.NativePtr, 8), (0, 8), (11, 8), (3, 8), (3, 8), (4, 4), (1UL << 40, 8),
        }));
    }

    [Test]
    public void GuardedVariantsTakeTheExtentAndReturnBeyondIt()
    {
        var plain = Generate<IndexGrid2DKernel>(KernelShape.TwoD);
        var guarded = Generate<IndexGrid2DKernel>(KernelShape.TwoD, options: new KernelCompileOptions(Guarded: true, FastMath: false));
        Assert.That(plain.Parameters.Any(p => p.Kind == KernelParameterKind.ExtentLimit), Is.False);
        Assert.That(guarded.Parameters.Where(p => p.Kind == KernelParameterKind.ExtentLimit).Select(p => p.Name),
            Is.EqualTo(new[] { "gpuc_extent_x", "gpuc_extent_y" }));
        Assert.That(guarded.Source, Does.Contain(">= gpuc_extent_x)").And.Contain(">= gpuc_extent_y)"));
        Assert.That(guarded.EntryPoint, Is.Not.EqualTo(plain.EntryPoint));
    }

    [Test]
    public void FloatAndIntegerLiteralsAreExact()
    {
        string source = Generate<ExactLiteralsKernel>(KernelShape.OneD).Source;
        Assert.Multiple(() =>
        {
            Assert.That(source, Does.Contain($"GPUC_AS_FLOAT(0x{BitConverter.SingleToUInt32Bits(float.NaN):x8}u)"));
            Assert.That(source, Does.Contain("GPUC_AS_FLOAT(0x7f800000u)"));
            Assert.That(source, Does.Contain("GPUC_AS_FLOAT(0xff800000u)"));
            Assert.That(source, Does.Contain("(-0x0p+0f)"));
            Assert.That(source, Does.Contain("0x1.99999a0000000p-4f"));
            Assert.That(source, Does.Contain("0x1.0000000000000p-149f"));
            Assert.That(source, Does.Contain("(-2147483647 - 1)"));
            Assert.That(source, Does.Contain("2147483647;"));
            Assert.That(source, Does.Contain("(-9223372036854775807L - 1)"));
        });
    }

    [TestCase(0.1f)]
    [TestCase(-3.75f)]
    [TestCase(1e-45f)]
    [TestCase(3.4028235e38f)]
    public void HexFloatLiteralsRoundTrip(float value)
    {
        string literal = CEmitter.HexFloat(value, "").Trim('(', ')');
        bool negative = literal.StartsWith('-');
        string digits = literal.TrimStart('-')[2..];
        int p = digits.IndexOf('p');
        string[] mantissa = digits[..p].Split('.');
        double parsed = Convert.ToUInt64(mantissa[0], 16) + Convert.ToUInt64(mantissa[1], 16) / Math.Pow(16, mantissa[1].Length);
        parsed = Math.ScaleB(parsed, int.Parse(digits[(p + 1)..]));
        Assert.That((float)(negative ? -parsed : parsed), Is.EqualTo(value));
    }

    [Test]
    public void DoubleKernelsDeclareTheirNeed()
    {
        var kernel = Generate<DoubleKernel>(KernelShape.OneD);
        Assert.That(kernel.UsesDouble, Is.True);
        Assert.That(kernel.Source, Does.Contain("#pragma OPENCL EXTENSION cl_khr_fp64 : enable"));
        Assert.That(Generate<SaxpyKernel>(KernelShape.OneD).UsesDouble, Is.False);
    }

    [Test]
    public void SharedArraysAreSizedFromTheirConstantLength()
    {
        Assert.That(Generate<TreeReductionKernel>(KernelShape.Grouped).SharedMemoryBytes, Is.EqualTo(TreeReductionKernel.GroupSize * sizeof(int)));
        Assert.That(Generate<SharedAtomicsKernel>(KernelShape.Grouped).SharedMemoryBytes, Is.EqualTo(64 * sizeof(float) + 16 * sizeof(int)));
    }

    [Test]
    public void GenerationIsCachedPerTypeShapeAndOptions()
    {
        var first = Generate<SaxpyKernel>(KernelShape.OneD);
        Assert.That(Generate<SaxpyKernel>(KernelShape.OneD), Is.SameAs(first));
        Assert.That(Generate<SaxpyKernel>(KernelShape.OneD, options: new KernelCompileOptions(true, false)), Is.Not.SameAs(first));
    }

    [Test]
    public void StaticMethodsOfPrimitivesBecomeDeviceFunctionsDefinedOnceCalleesFirst()
    {
        string source = Generate<DeviceFunctionKernel>(KernelShape.OneD).Source;
        int square = source.IndexOf("GPUC_FN float gpuc_Gpu_Tests_Compiler_DeviceFunctionKernel_fn", StringComparison.Ordinal);
        Assert.That(square, Is.GreaterThanOrEqualTo(0), source);
        Assert.That(System.Text.RegularExpressions.Regex.Matches(source, @"GPUC_FN float \w+_Square\(").Count, Is.EqualTo(1));
        Assert.That(System.Text.RegularExpressions.Regex.Matches(source, @"GPUC_FN float \w+_SumOfSquares\(").Count, Is.EqualTo(1));
        Assert.That(source.IndexOf("_Square(float p0)", StringComparison.Ordinal), Is.LessThan(source.IndexOf("_SumOfSquares(float p0, float p1)", StringComparison.Ordinal)));
        // Scale takes a view: it is expanded in the kernel, where the view's address space is known.
        Assert.That(source, Does.Not.Contain("_Scale("));
    }

    [Test]
    public void AHelperDeclaringSharedMemoryIsExpandedAtKernelScope()
    {
        string source = Generate<SharedHelperKernel>(KernelShape.Grouped).Source;
        Assert.That(source, Does.Not.Contain("_SharedScratch("));
        Assert.That(source, Does.Contain("__local int shared"));
    }

    [Test]
    public void SizeofBecomesTheManagedSize()
        => Assert.That(Generate<SizeOfKernel>(KernelShape.OneD).Source, Does.Contain("] = 6;"));

    [Test]
    public void AKernelOfTheWrongShapeIsRejected()
        => Assert.That(() => Generate<SaxpyKernel>(KernelShape.TwoD),
            Throws.InstanceOf<KernelCompilationException>().With.Message.Contains("IKernel2D"));

    [Test, NonParallelizable]
    public void DumpVariableWritesEachGeneratedSource()
    {
        string directory = Directory.CreateTempSubdirectory("gpuc-dump-").FullName;
        string? previous = Environment.GetEnvironmentVariable(KernelCompiler.DumpVariable);
        try
        {
            Environment.SetEnvironmentVariable(KernelCompiler.DumpVariable, directory);
            var openCL = Generate<SaxpyKernel>(KernelShape.OneD);
            Assert.That(File.ReadAllText(Path.Combine(directory, openCL.EntryPoint + ".cl")), Is.EqualTo(openCL.Source));
        }
        finally
        {
            Environment.SetEnvironmentVariable(KernelCompiler.DumpVariable, previous);
            Directory.Delete(directory, recursive: true);
        }
    }
}
