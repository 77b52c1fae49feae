using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gpu.Ops.Gemm.Cpu;

/// <summary>The vector operations the CPU GEMM micro-kernel needs, over one register width. The
/// micro-kernel is generic over an implementing struct, so the JIT emits one specialised copy per
/// width with every call inlined: one source for the AVX2 and the AVX-512 kernels.</summary>
/// <typeparam name="TVector">The register type.</typeparam>
internal unsafe interface IVectorIsa<TVector> where TVector : struct
{
    /// <summary>float32 lanes per register.</summary>
    static abstract int Width { get; }
    /// <summary>Whether the running processor has the instructions.</summary>
    static abstract bool IsSupported { get; }
    static abstract TVector Zero { get; }
    static abstract TVector Load(float* source);
    static abstract void Store(float* destination, TVector value);
    static abstract TVector Broadcast(float value);
    /// <summary><c>a·b + c</c>, fused.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);
    static abstract TVector Multiply(TVector a, TVector b);
    static abstract TVector Add(TVector a, TVector b);
    static abstract TVector Subtract(TVector a, TVector b);
    /// <summary>The sum of the lanes.</summary>
    static abstract float Sum(TVector value);
}

/// <summary>256-bit AVX2 with FMA3.</summary>
internal unsafe struct Avx2Isa : IVectorIsa<Vector256<float>>
{
    public static int Width => 8;
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* source) => Avx.LoadVector256(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* destination, Vector256<float> value) => Avx.Store(destination, value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Fma.MultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> value) => Vector256.Sum(value);
}

/// <summary>512-bit AVX-512F (FMA is part of it).</summary>
internal unsafe struct Avx512Isa : IVectorIsa<Vector512<float>>
{
    public static int Width => 16;
    public static bool IsSupported => Avx512F.IsSupported;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* source) => Avx512F.LoadVector512(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float* destination, Vector512<float> value) => Avx512F.Store(destination, value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Avx512F.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> value) => Vector512.Sum(value);
}
