using System.Reflection;
using Gpu.Conformance.Kernels;
using Gpu.Core;
using Gpu.Core.Compiler;

namespace Gpu.Tests.OpenCL;

/// <summary>OpenCL C written by hand for kernel structs, in the shape the kernel compiler produces
/// (flattened view and scalar parameters, extent limits on guarded variants), so the accelerator's
/// whole launch path can be tested before and independently of the compiler.</summary>
internal static class HandWrittenKernels
{
    /// <summary>The launch kernels of the conformance suite, unguarded and guarded.</summary>
    public static IEnumerable<GeneratedKernel> ConformanceKernels()
    {
        foreach (bool guarded in new[] { false, true })
        {
            yield return Saxpy(guarded);
            yield return Grid2D(guarded);
            yield return Grid3D(guarded);
            yield return ContendedAtomics(guarded);
        }
        yield return TreeReduction();
    }

    public static GeneratedKernel Saxpy(bool guarded) => Make(typeof(SaxpyKernel), KernelShape.OneD, "saxpy", guarded,
        [.. ViewParameters<SaxpyKernel>("X", typeof(float)), .. ViewParameters<SaxpyKernel>("Y", typeof(float)), Scalar<SaxpyKernel>("A")],
        "Y[Y_offset + index] = A * X[X_offset + index] + Y[Y_offset + index];");

    public static GeneratedKernel Grid2D(bool guarded) => Make(typeof(IndexGrid2DKernel), KernelShape.TwoD, "index_grid_2d", guarded,
        Grid2DParameters<IndexGrid2DKernel>("Output"),
        "Output[Output_offset + (long)y * Output_YStride + x] = y * 1000 + x;");

    public static GeneratedKernel Grid3D(bool guarded) => Make(typeof(IndexGrid3DKernel), KernelShape.ThreeD, "index_grid_3d", guarded,
        Grid3DParameters<IndexGrid3DKernel>("Output"),
        "Output[Output_offset + (long)z * Output_ZStride + (long)y * Output_YStride + x] = z * 1000000 + y * 1000 + x;");

    public static GeneratedKernel ContendedAtomics(bool guarded) => Make(typeof(ContendedAtomicsKernel), KernelShape.OneD, "contended_atomics", guarded,
        [.. ViewParameters<ContendedAtomicsKernel>("Counters", typeof(int)), .. ViewParameters<ContendedAtomicsKernel>("Minimum", typeof(int)),
         .. ViewParameters<ContendedAtomicsKernel>("Maximum", typeof(int)), .. ViewParameters<ContendedAtomicsKernel>("FloatSum", typeof(float))],
        """
        atomic_add(Counters + Counters_offset + index % Counters_length, 1);
        atomic_min(Minimum + Minimum_offset, 1000 - index);
        atomic_max(Maximum + Maximum_offset, index);
        __global volatile int* sum = (__global volatile int*)(FloatSum + FloatSum_offset);
        int seen = *sum, expected;
        do
        {
            expected = seen;
            seen = atomic_cmpxchg(sum, expected, as_int(as_float(expected) + 0.5f));
        } while (seen != expected);
        """);

    public static GeneratedKernel TreeReduction() => Make(typeof(TreeReductionKernel), KernelShape.Grouped, "tree_reduction", guarded: false,
        [.. ViewParameters<TreeReductionKernel>("Input", typeof(int)), .. ViewParameters<TreeReductionKernel>("GroupSums", typeof(int))],
        $$"""
        __local int partial[{{TreeReductionKernel.GroupSize}}];
        int local_index = (int)get_local_id(0);
        int global_index = (int)get_group_id(0) * {{TreeReductionKernel.GroupSize}} + local_index;
        partial[local_index] = global_index < Input_length ? Input[Input_offset + global_index] : 0;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int stride = {{TreeReductionKernel.GroupSize / 2}}; stride > 0; stride /= 2)
        {
            if (local_index < stride)
                partial[local_index] += partial[local_index + stride];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (local_index == 0)
            GroupSums[GroupSums_offset + get_group_id(0)] = partial[0];
        """, sharedMemoryBytes: TreeReductionKernel.GroupSize * sizeof(int));

    /// <summary>A kernel whose device code is <paramref name="source"/> verbatim, for build failures.</summary>
    public static GeneratedKernel Verbatim(Type kernelType, string entryPoint, string source) => new()
    {
        KernelType = kernelType,
        EntryPoint = entryPoint,
        Source = source,
        Shape = KernelShape.OneD,
        Options = new KernelCompileOptions(Guarded: false, FastMath: false),
        Parameters = [],
        SharedMemoryBytes = 0,
        UsesDouble = false,
    };

    /// <summary>The parameters of an ILGPU <see cref="ILGPU.ArrayView{T}"/> field
    /// (with a prefix: the base view of an ILGPU 2D/3D view): handle, offset, length.</summary>
    public static KernelParameter[] ViewParameters<TKernel>(string field, Type element, params FieldInfo[] prefix)
    {
        var view = prefix.Length == 0 ? typeof(TKernel).GetField(field)! : BackingField(prefix[^1].FieldType, "BaseView");
        FieldInfo[] path = prefix.Length == 0 ? [view] : [.. prefix, view];
        var (handle, offset, length) = KernelTypes.ViewFields(view.FieldType);
        return
        [
            new(field, KernelParameterKind.ViewHandle, element, [.. path, handle]),
            new($"{field}_offset", KernelParameterKind.ViewOffset, typeof(long), [.. path, offset]),
            new($"{field}_length", KernelParameterKind.ViewLength, length.FieldType, [.. path, length]),
        ];
    }

    private static FieldInfo BackingField(Type type, string property)
        => type.GetField($"<{property}>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic)!;

    /// <summary>A scalar field, named after it.</summary>
    public static KernelParameter Scalar<TKernel>(string field)
    {
        var info = typeof(TKernel).GetField(field)!;
        return new(field, KernelParameterKind.Scalar, info.FieldType, [info]);
    }

    private static KernelParameter[] Grid2DParameters<TKernel>(string field)
    {
        var view = typeof(TKernel).GetField(field)!;
        return
        [
            .. ViewParameters<TKernel>(field, typeof(int), view),
            Stride(view, field, "YStride"),
        ];
    }

    private static KernelParameter[] Grid3DParameters<TKernel>(string field)
    {
        var view = typeof(TKernel).GetField(field)!;
        return
        [
            .. ViewParameters<TKernel>(field, typeof(int), view),
            Stride(view, field, "YStride"),
            Stride(view, field, "ZStride"),
        ];
    }

    /// <summary>A stride of an ILGPU 2D/3D view field, named <c>{field}_{stride}</c>.</summary>
    private static KernelParameter Stride(FieldInfo view, string field, string stride)
    {
        var strideField = BackingField(view.FieldType, "Stride");
        return new($"{field}_{stride}", KernelParameterKind.Scalar, typeof(int), [view, strideField, BackingField(strideField.FieldType, stride)]);
    }

    /// <summary>Wraps <paramref name="body"/> in an entry point with the given parameters, the index
    /// variables of its shape and, when guarded, the extent limits and their early return.</summary>
    public static GeneratedKernel Make(Type kernelType, KernelShape shape, string entryPoint, bool guarded, KernelParameter[] parameters, string body, int sharedMemoryBytes = 0)
    {
        string[] indices = shape switch
        {
            KernelShape.OneD => ["index"],
            KernelShape.TwoD => ["x", "y"],
            KernelShape.ThreeD => ["x", "y", "z"],
            _ => [],
        };
        KernelParameter[] all = guarded
            ? [.. parameters, .. indices.Select(i => new KernelParameter($"limit_{i}", KernelParameterKind.ExtentLimit, typeof(int), []))]
            : parameters;
        string declarations = string.Concat(indices.Select((name, dimension) => $"    int {name} = (int)get_global_id({dimension});\n"));
        string guard = guarded ? $"    if ({string.Join(" || ", indices.Select(i => $"{i} >= limit_{i}"))}) return;\n" : "";
        string source = $"#pragma OPENCL FP_CONTRACT OFF\n__kernel void {entryPoint}({string.Join(", ", all.Select(Declaration))})\n{{\n{declarations}{guard}{body}\n}}\n";
        return new GeneratedKernel
        {
            KernelType = kernelType,
            EntryPoint = entryPoint,
            Source = source,
            Shape = shape,
            Options = new KernelCompileOptions(guarded, FastMath: false),
            Parameters = all,
            SharedMemoryBytes = sharedMemoryBytes,
            UsesDouble = parameters.Any(p => p.ValueType == typeof(double)),
        };
    }

    private static string Declaration(KernelParameter parameter) => parameter.Kind switch
    {
        KernelParameterKind.ViewHandle => $"__global {CType(parameter.ValueType)}* {parameter.Name}",
        KernelParameterKind.ViewOffset => $"long {parameter.Name}",
        _ => $"{CType(parameter.ValueType)} {parameter.Name}",
    };

    private static string CType(Type type) => type == typeof(bool) ? "int"
        : type == typeof(sbyte) ? "char"
        : type == typeof(byte) ? "uchar"
        : type == typeof(short) ? "short"
        : type == typeof(ushort) ? "ushort"
        : type == typeof(int) ? "int"
        : type == typeof(uint) ? "uint"
        : type == typeof(long) ? "long"
        : type == typeof(ulong) ? "ulong"
        : type == typeof(float) ? "float"
        : type == typeof(double) ? "double"
        : throw new NotSupportedException(type.Name);
}
