using System.Runtime.InteropServices;

namespace Gpu.Ops.Gemm.Cpu;

/// <summary>A 64-byte aligned native buffer per thread and purpose, grown on demand and kept for
/// the thread's life: packing buffers are needed on every GEMM call, and allocating megabytes each
/// time would cost page faults comparable to the work itself.</summary>
internal sealed unsafe class ThreadScratch
{
    [ThreadStatic] private static ThreadScratch? packedA;
    [ThreadStatic] private static ThreadScratch? packedB;
    [ThreadStatic] private static ThreadScratch? rowScratch;
    [ThreadStatic] private static ThreadScratch? previousRow;

    private void* pointer;
    private long capacity;

    /// <summary>The calling thread's buffer for packed panels of A.</summary>
    public static float* PackedA(long floats) => (packedA ??= new()).Get(floats);

    /// <summary>The calling thread's buffer for packed panels of B.</summary>
    public static float* PackedB(long floats) => (packedB ??= new()).Get(floats);

    /// <summary>The calling thread's buffer for a row of partial results.</summary>
    public static float* Row(long floats) => (rowScratch ??= new()).Get(floats);

    /// <summary>The calling thread's buffer for an output row's values before an accumulating product
    /// overwrites it (apart from <see cref="Row"/>, which the quantized path's sums already take).</summary>
    public static float* Previous(long floats) => (previousRow ??= new()).Get(floats);

    private float* Get(long floats)
    {
        long bytes = floats * sizeof(float);
        if (bytes > capacity)
        {
            NativeMemory.AlignedFree(pointer);
            pointer = null;
            pointer = NativeMemory.AlignedAlloc((nuint)bytes, 64);
            capacity = bytes;
        }
        return (float*)pointer;
    }

    ~ThreadScratch() => NativeMemory.AlignedFree(pointer);
}
