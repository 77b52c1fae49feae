using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ILGPU.Runtime;

namespace Gpu.Core;

/// <summary>The live <see cref="DeviceBuffer{T}"/>s of the process by id, each with its accelerator, and the
/// ILGPU buffer behind each one's views: what the launch and op checks look an <see cref="ILGPU.ArrayView{T}"/>'s
/// buffer up in.</summary>
internal static class Allocations
{
    private static readonly ConcurrentDictionary<int, (Accelerator Owner, MemoryBuffer? Borrowed)> live = new();
    private static int last;

    /// <summary>A fresh id for a buffer of <paramref name="owner"/>. Ids wrap after 2^32 allocations;
    /// one still held by a live buffer is skipped, so two live buffers never share one.</summary>
    /// <param name="owner">The accelerator the buffer belongs to.</param>
    /// <param name="borrowed">The user's ILGPU buffer the memory is borrowed from, or null: the user may
    /// dispose it behind the library's back, and from then on the id counts as disposed.</param>
    public static int Register(Accelerator owner, MemoryBuffer? borrowed)
    {
        while (true)
        {
            int id = Interlocked.Increment(ref last);
            if (id != 0 && live.TryAdd(id, (owner, borrowed)))
                return id;
        }
    }

    /// <summary>Forgets a disposed buffer: views carrying its id are refused from now on.</summary>
    public static void Release(int id) => live.TryRemove(id, out _);

    // Weak keys: the id outlives its buffer's disposal for as long as any view still holds the ILGPU buffer,
    // so a stale view is known as a view of a disposed buffer, and the entry goes once no view is left.
    private static readonly ConditionalWeakTable<MemoryBuffer, StrongBox<int>> sources = new();

    /// <summary>Records that ILGPU views over <paramref name="source"/> are views of the buffer <paramref name="id"/>.</summary>
    public static void RegisterSource(MemoryBuffer source, int id) => sources.AddOrUpdate(source, new StrongBox<int>(id));

    /// <summary>Forgets the user's ILGPU buffer when its adoption ends: its views are no library buffer's any more.</summary>
    public static void ForgetSource(MemoryBuffer source) => sources.Remove(source);

    /// <summary>The id of the buffer (live or disposed) whose ILGPU views read <paramref name="source"/>, or 0 for a
    /// source no <see cref="DeviceBuffer{T}"/> made.</summary>
    public static int SourceOf(MemoryBuffer? source) => source is not null && sources.TryGetValue(source, out var id) ? id.Value : 0;

    /// <summary>The accelerator of the live buffer <paramref name="id"/>, or null once it (or the user's
    /// buffer it borrows) is disposed.</summary>
    public static Accelerator? OwnerOf(int id)
        => live.TryGetValue(id, out var entry) && entry.Borrowed is not { IsDisposed: true } ? entry.Owner : null;

}
