namespace Gpu.Core.Compiler;

/// <summary>The spellings of OpenCL C 1.2 the emitter uses: qualifiers, index registers, barrier,
/// 64-bit literal suffixes and the header of the prelude, kept apart from the emitter's structure.
/// (CUDA devices run ILGPU's PTX backend, so no other dialect is emitted.)</summary>
internal sealed record CDialect(
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
    public static readonly CDialect OpenCL = new(
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

}
