namespace Gpu.Core;

/// <summary>Warp-level intrinsics of CUDA devices: the lanes of a warp exchange registers without
/// shared memory. All lanes of the warp must take part (full mask). The kernel compiler maps them
/// to <c>__shfl_*_sync</c> on CUDA and rejects them for OpenCL 1.2, which has no shuffles; the CPU
/// accelerator has no warps and throws <see cref="NotSupportedException"/>, so a kernel using them
/// needs a shared-memory path for other devices.</summary>
public static class Warp
{
    private static NotSupportedException NoWarps() => new(
        "Warp intrinsics exist only on CUDA devices; the CPU accelerator and OpenCL 1.2 have no warps. Use shared memory and Group.Barrier for a portable kernel.");

    /// <summary>This thread's lane in its warp, 0 ≤ lane &lt; <see cref="Size"/>.</summary>
    public static int Lane => throw NoWarps();

    /// <summary>Threads per warp (32 on every CUDA device so far).</summary>
    public static int Size => throw NoWarps();

    /// <summary>The value held by lane <c>Lane + delta</c> (this lane's own when that is past the warp).</summary>
    /// <param name="value">This lane's value.</param>
    /// <param name="delta">How many lanes down to read from.</param>
    public static int ShuffleDown(int value, int delta) => throw NoWarps();

    /// <inheritdoc cref="ShuffleDown(int, int)"/>
    public static float ShuffleDown(float value, int delta) => throw NoWarps();

    /// <summary>The value held by lane <c>Lane − delta</c> (this lane's own when that is before lane 0).</summary>
    /// <param name="value">This lane's value.</param>
    /// <param name="delta">How many lanes up to read from.</param>
    public static int ShuffleUp(int value, int delta) => throw NoWarps();

    /// <inheritdoc cref="ShuffleUp(int, int)"/>
    public static float ShuffleUp(float value, int delta) => throw NoWarps();

    /// <summary>The value held by lane <c>Lane ^ laneMask</c> (butterfly exchange).</summary>
    /// <param name="value">This lane's value.</param>
    /// <param name="laneMask">The bits of the lane index to flip.</param>
    public static int ShuffleXor(int value, int laneMask) => throw NoWarps();

    /// <inheritdoc cref="ShuffleXor(int, int)"/>
    public static float ShuffleXor(float value, int laneMask) => throw NoWarps();

    /// <summary>The value held by lane <paramref name="sourceLane"/>.</summary>
    /// <param name="value">This lane's value.</param>
    /// <param name="sourceLane">The lane to read from.</param>
    public static int Shuffle(int value, int sourceLane) => throw NoWarps();

    /// <inheritdoc cref="Shuffle(int, int)"/>
    public static float Shuffle(float value, int sourceLane) => throw NoWarps();
}
