namespace Gpu.Core.Compiler;

/// <summary>Everything that differs between OpenCL C 1.2 and CUDA C: qualifiers, index
/// registers, barrier, atomics, 64-bit literal suffixes and the header of the prelude. The rest
/// of the emitted C is common.</summary>
internal sealed record CDialect(
    KernelDialect Kind,
    string FileExtension,
    string EntryQualifier,
    string GlobalPointer,
    string SharedPointer,
    string SharedArray,
    string Barrier,
    string SignedLongSuffix,
    string UnsignedLongSuffix,
    Func<IndexKind, int, string> Index,
    Func<KernelCompileOptions, bool, string> Header)
{
    private static readonly string[] Axes = ["x", "y", "z"];

    public static readonly CDialect OpenCL = new(
        KernelDialect.OpenCL,
        "cl",
        "__kernel void",
        "__global ",
        "__local ",
        "__local ",
        "barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);",
        "L",
        "UL",
        (kind, dimension) => kind switch
        {
            IndexKind.GlobalId => $"(int)get_global_id({dimension})",
            IndexKind.GroupId => $"(int)get_group_id({dimension})",
            IndexKind.LocalId => $"(int)get_local_id({dimension})",
            IndexKind.LocalSize => $"(int)get_local_size({dimension})",
            IndexKind.GroupCount => $"(int)get_num_groups({dimension})",
            _ => throw new KernelCompilationException("(emitter)", 0, null, $"{kind} has no OpenCL C equivalent"),
        },
        (options, usesDouble) => string.Join('\n',
        [
            // OpenCL contracts a*b+c into fma by default; C# never does.
            options.FastMath ? "/* fast math: contraction allowed */" : "#pragma OPENCL FP_CONTRACT OFF",
            usesDouble ? "#pragma OPENCL EXTENSION cl_khr_fp64 : enable" : "",
            "typedef char schar;",
            "typedef long llong;",
            "typedef ulong ullong;",
            "#define GPUC_FN static inline",
            "#define GPUC_AS_FLOAT(x) as_float((uint)(x))",
            "#define GPUC_AS_UINT(x) as_uint(x)",
            "#define GPUC_AS_DOUBLE(x) as_double((ullong)(x))",
            "#define GPUC_AS_ULLONG(x) as_ulong(x)",
        ]));

    public static readonly CDialect Cuda = new(
        KernelDialect.Cuda,
        "cu",
        "extern \"C\" __global__ void",
        "",
        "",
        "__shared__ ",
        "__syncthreads();",
        "LL",
        "ULL",
        (kind, dimension) => kind switch
        {
            IndexKind.GlobalId => $"(int)(blockIdx.{Axes[dimension]} * blockDim.{Axes[dimension]} + threadIdx.{Axes[dimension]})",
            IndexKind.GroupId => $"(int)blockIdx.{Axes[dimension]}",
            IndexKind.LocalId => $"(int)threadIdx.{Axes[dimension]}",
            IndexKind.LocalSize => $"(int)blockDim.{Axes[dimension]}",
            IndexKind.GroupCount => $"(int)gridDim.{Axes[dimension]}",
            IndexKind.WarpLane => "(int)((threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)) & (warpSize - 1))",
            _ => "warpSize",
        },
        (options, _) => string.Join('\n',
        [
            // Contraction is switched off by NVRTC's --fmad=false unless the kernel asks for fast math.
            options.FastMath ? "/* fast math: contraction allowed (--use_fast_math) */" : "/* no contraction: compiled with --fmad=false */",
            "typedef signed char schar;",
            "typedef unsigned char uchar;",
            "typedef unsigned short ushort;",
            "typedef unsigned int uint;",
            "typedef long long llong;",
            "typedef unsigned long long ullong;",
            "#define GPUC_FN static __device__ __forceinline__",
            "#define GPUC_AS_FLOAT(x) __uint_as_float((uint)(x))",
            "#define GPUC_AS_UINT(x) __float_as_uint(x)",
            "#define GPUC_AS_DOUBLE(x) __longlong_as_double((llong)(x))",
            "#define GPUC_AS_ULLONG(x) ((ullong)__double_as_longlong(x))",
        ]));

    public static CDialect For(KernelDialect dialect) => dialect == KernelDialect.Cuda ? Cuda : OpenCL;

    /// <summary>The C spelling of an IR type (the prelude typedefs the short names).</summary>
    public static string TypeName(CType type) => type switch
    {
        CType.I8 => "schar",
        CType.U8 => "uchar",
        CType.I16 => "short",
        CType.U16 => "ushort",
        CType.I32 => "int",
        CType.U32 => "uint",
        CType.I64 => "llong",
        CType.U64 => "ullong",
        CType.F32 => "float",
        CType.F64 => "double",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "pointers are spelled with their space"),
    };

    /// <summary>The qualifier of a pointer into <paramref name="space"/>.</summary>
    public string PointerQualifier(AddressSpace space) => space == AddressSpace.Shared ? SharedPointer : GlobalPointer;

    /// <summary>The name of a C maths function for <paramref name="type"/>: OpenCL overloads, CUDA suffixes floats with f.</summary>
    public string MathFunction(string function, CType type)
        => Kind == KernelDialect.Cuda && type == CType.F32 && !function.StartsWith("gpuc_", StringComparison.Ordinal) ? function + "f" : function;
}
