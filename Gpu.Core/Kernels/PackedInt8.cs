namespace Gpu.Core;

/// <summary>Arithmetic on four int8 values packed into one int (byte i is bits 8i to 8i+7, as a
/// little-endian load of four consecutive sbytes gives): the dp4a-style dot product of quantized
/// kernels. Every accelerator runs it and gets the same, exact result: the CPU accelerator runs
/// the C# definition below, CUDA devices of compute capability 6.1 and later one <c>__dp4a</c>
/// instruction, older CUDA devices and OpenCL (whose 1.2 core has no integer dot product) four
/// sign-extending multiplies.</summary>
public static class PackedInt8
{
    /// <summary>The four-way int8 dot product with int32 accumulation:
    /// <c>accumulator + Σ_{i&lt;4} (sbyte)(a &gt;&gt; 8i) · (sbyte)(b &gt;&gt; 8i)</c>, wrapping like
    /// unchecked C# int arithmetic (the products and their sum are exact; only the addition of the
    /// accumulator can wrap).</summary>
    /// <param name="a">Four int8 values.</param>
    /// <param name="b">Four int8 values, multiplied byte by byte with those of <paramref name="a"/>.</param>
    /// <param name="accumulator">The running sum.</param>
    /// <returns>The accumulator plus the four products.</returns>
    public static int Dot4(int a, int b, int accumulator)
        => accumulator + (sbyte)a * (sbyte)b + (sbyte)(a >> 8) * (sbyte)(b >> 8) + (sbyte)(a >> 16) * (sbyte)(b >> 16) + (sbyte)(a >> 24) * (sbyte)(b >> 24);
}
