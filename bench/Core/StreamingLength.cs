using System.Numerics;
using System.Runtime.InteropServices;
using Gpu.Core;

namespace Gpu.Bench.Core;

/// <summary>How long the bandwidth cases' float vectors must be for their bytes to come from memory
/// rather than the last-level cache: a streaming pass over a working set larger than an LRU cache
/// evicts every line before its reuse, and twice the cache leaves room for replacement policies
/// that are not LRU. Hosts with large caches (this project's EPYC machine reports a 508 MiB L3)
/// otherwise read a 128 MiB working set partly from cache and beat the memory's bandwidth.</summary>
public static partial class StreamingLength
{
    /// <summary>The shortest vectors measured, whatever the cache.</summary>
    private const long MinimumElements = 1 << 24;

    /// <summary>glibc's <c>_SC_LEVEL3_CACHE_SIZE</c>.</summary>
    private const int Level3CacheSizeName = 194;

    /// <summary>OpenCL promises a single allocation of a quarter of the device's memory; the
    /// vectors stay within it on every device.</summary>
    private const int MaxAllocationFraction = 4;

    /// <summary>Elements per vector for two float vectors that together span at least twice the
    /// last-level cache, as a power of two that every one of <paramref name="devices"/> can allocate
    /// (none: the host); a short length under <c>--quick</c>.</summary>
    /// <param name="devices">The devices the vectors are allocated on.</param>
    public static int For(IEnumerable<Device> devices)
    {
        long maxElements = devices.Select(d => d.MemoryBytes / MaxAllocationFraction / sizeof(float)).DefaultIfEmpty(Array.MaxLength).Min();
        long wanted = Math.Max(MinimumElements, 2 * LastLevelCacheBytes / (2 * sizeof(float)));
        long elements = Math.Min((long)BitOperations.RoundUpToPowerOf2((ulong)wanted), Math.Min(maxElements, Array.MaxLength));
        return QuickMode.Pick((int)elements, 1 << 20);
    }

    /// <summary>The host's last-level cache in bytes as the C library reports it (the L3; 0 where unknown).</summary>
    public static long LastLevelCacheBytes { get; } = OperatingSystem.IsLinux() ? Math.Max(0, Sysconf(Level3CacheSizeName)) : 0;

    /// <summary>How the length was chosen, for reports.</summary>
    public static string Description => QuickMode.Enabled ? "short vectors under --quick, which the caches can hold"
        : LastLevelCacheBytes > 0
        ? $"vectors spanning at least twice the {LastLevelCacheBytes / (1 << 20)} MiB last-level cache"
        : "vectors of at least 16 M elements (the last-level cache size is unknown)";

    [LibraryImport("libc.so.6", EntryPoint = "sysconf")]
    private static partial long Sysconf(int name);
}
