namespace Gpu.Core.Compiler;

/// <summary>The helper functions every translation unit starts with: C# semantics where C's
/// operators differ (division, saturating conversions, Math.Min/Max NaN and signed-zero rules),
/// and the packed int8 dot product.
/// Written once in C common to both dialects; <see cref="CDialect"/> supplies the macros.</summary>
internal static class CPrelude
{
    public static readonly string Common = """
        GPUC_FN int gpuc_div_i32(int a, int b) { return b == 0 ? 0 : b == -1 ? (int)(0u - (uint)a) : a / b; }
        GPUC_FN int gpuc_rem_i32(int a, int b) { return b == 0 || b == -1 ? 0 : a % b; }
        GPUC_FN uint gpuc_div_u32(uint a, uint b) { return b == 0u ? 0u : a / b; }
        GPUC_FN uint gpuc_rem_u32(uint a, uint b) { return b == 0u ? 0u : a % b; }
        GPUC_FN llong gpuc_div_i64(llong a, llong b) { return b == 0 ? 0 : b == -1 ? (llong)((ullong)0 - (ullong)a) : a / b; }
        GPUC_FN llong gpuc_rem_i64(llong a, llong b) { return b == 0 || b == -1 ? 0 : a % b; }
        GPUC_FN ullong gpuc_div_u64(ullong a, ullong b) { return b == 0 ? 0 : a / b; }
        GPUC_FN ullong gpuc_rem_u64(ullong a, ullong b) { return b == 0 ? 0 : a % b; }
        GPUC_FN int gpuc_abs_i32(int a) { return a < 0 ? (int)(0u - (uint)a) : a; }
        GPUC_FN llong gpuc_abs_i64(llong a) { return a < 0 ? (llong)((ullong)0 - (ullong)a) : a; }
        #define GPUC_INTEGER_MIN_MAX(suffix, T) \
            GPUC_FN T gpuc_min_##suffix(T a, T b) { return a < b ? a : b; } \
            GPUC_FN T gpuc_max_##suffix(T a, T b) { return a > b ? a : b; } \
            GPUC_FN T gpuc_clamp_##suffix(T v, T lo, T hi) { return v < lo ? lo : v > hi ? hi : v; }
        GPUC_INTEGER_MIN_MAX(i32, int)
        GPUC_INTEGER_MIN_MAX(u32, uint)
        GPUC_INTEGER_MIN_MAX(i64, llong)
        GPUC_INTEGER_MIN_MAX(u64, ullong)
        GPUC_FN float gpuc_clamp_f32(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }
        GPUC_FN float gpuc_max_f32(float a, float b) { if (a != b) return a == a ? (b < a ? a : b) : a; return (GPUC_AS_UINT(b) >> 31) != 0u ? a : b; }
        GPUC_FN float gpuc_min_f32(float a, float b) { if (a != b) return a == a ? (a < b ? a : b) : a; return (GPUC_AS_UINT(a) >> 31) != 0u ? a : b; }
        GPUC_FN int gpuc_f32_to_i32(float v) { return v != v ? 0 : v >= 0x1p31f ? 2147483647 : v <= -0x1p31f ? (-2147483647 - 1) : (int)v; }
        GPUC_FN uint gpuc_f32_to_u32(float v) { return !(v > -1.0f) ? 0u : v >= 0x1p32f ? 4294967295u : (uint)v; }
        GPUC_FN llong gpuc_f32_to_i64(float v) { return v != v ? 0 : v >= 0x1p63f ? (llong)(~(ullong)0 >> 1) : v <= -0x1p63f ? -(llong)(~(ullong)0 >> 1) - 1 : (llong)v; }
        GPUC_FN ullong gpuc_f32_to_u64(float v) { return !(v > -1.0f) ? (ullong)0 : v >= 0x1p64f ? ~(ullong)0 : (ullong)v; }
        """ + FusedMultiplyAdd("f32", "float") + PackedInt8;

    /// <summary>MathF/Math.FusedMultiplyAdd. PoCL 3.1 compiles <c>fma()</c> to a call that is never
    /// inlined, one per operation; where the target has FMA instructions (<c>__FMA__</c>, x86) a
    /// product and sum contracted under <c>FP_CONTRACT ON</c> becomes one <c>vfmadd</c>, rounded
    /// once as <c>fma()</c> is, and vectorises. Elsewhere contraction may leave two roundings, so
    /// those targets keep <c>fma()</c>.</summary>
    private static string FusedMultiplyAdd(string suffix, string type) => $$"""

        #if defined(__FMA__)
        GPUC_FN {{type}} gpuc_fma_{{suffix}}({{type}} a, {{type}} b, {{type}} c)
        {
            #pragma OPENCL FP_CONTRACT ON
            return a * b + c;
        }
        #else
        #define gpuc_fma_{{suffix}} fma
        #endif
        """;

    /// <summary>PackedInt8.Dot4. OpenCL 1.2 has no integer dot product in its core, so four
    /// sign-extending multiplies: each product below 2^14 and their sum below 2^16 in
    /// magnitude, so only the accumulation can overflow, and it wraps through uint as in C#.</summary>
    private const string PackedInt8 = """

        GPUC_FN int gpuc_dot4_i8(int a, int b, int c)
        {
            return (int)((uint)c + (uint)((schar)a * (schar)b + (schar)(a >> 8) * (schar)(b >> 8) + (schar)(a >> 16) * (schar)(b >> 16) + (schar)(a >> 24) * (schar)(b >> 24)));
        }
        """;

    public static readonly string Double = """
        GPUC_FN double gpuc_clamp_f64(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }
        GPUC_FN double gpuc_max_f64(double a, double b) { if (a != b) return a == a ? (b < a ? a : b) : a; return (GPUC_AS_ULLONG(b) >> 63) != 0 ? a : b; }
        GPUC_FN double gpuc_min_f64(double a, double b) { if (a != b) return a == a ? (a < b ? a : b) : a; return (GPUC_AS_ULLONG(a) >> 63) != 0 ? a : b; }
        GPUC_FN int gpuc_f64_to_i32(double v) { return v != v ? 0 : v >= 0x1p31 ? 2147483647 : v <= -0x1p31 ? (-2147483647 - 1) : (int)v; }
        GPUC_FN uint gpuc_f64_to_u32(double v) { return !(v > -1.0) ? 0u : v >= 0x1p32 ? 4294967295u : (uint)v; }
        GPUC_FN llong gpuc_f64_to_i64(double v) { return v != v ? 0 : v >= 0x1p63 ? (llong)(~(ullong)0 >> 1) : v <= -0x1p63 ? -(llong)(~(ullong)0 >> 1) - 1 : (llong)v; }
        GPUC_FN ullong gpuc_f64_to_u64(double v) { return !(v > -1.0) ? (ullong)0 : v >= 0x1p64 ? ~(ullong)0 : (ullong)v; }
        """ + FusedMultiplyAdd("f64", "double");

    /// <summary>OpenCL 1.2 has no float atomic add: a compare-exchange loop on the bits, per address space.
    /// The first read is atomic too (an OR of zero): a plain load racing with another item's
    /// compare-exchange is a data race under OpenCL's memory model, which Oclgrind reports.</summary>
    public const string OpenCLFloatAtomics = """
        #define GPUC_ATOMIC_ADD_F32(space) \
            GPUC_FN float gpuc_atomic_add_f32_##space(volatile __##space float* target, float value) { \
                uint seen = atomic_or((volatile __##space uint*)target, 0u); \
                for (;;) { \
                    uint previous = atomic_cmpxchg((volatile __##space uint*)target, seen, GPUC_AS_UINT(GPUC_AS_FLOAT(seen) + value)); \
                    if (previous == seen) return GPUC_AS_FLOAT(seen); \
                    seen = previous; \
                } \
            }
        GPUC_ATOMIC_ADD_F32(global)
        GPUC_ATOMIC_ADD_F32(local)
        """;
}
