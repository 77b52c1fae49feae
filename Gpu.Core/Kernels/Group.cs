namespace Gpu.Core;

/// <summary>Where the calling thread of an <see cref="IGroupKernel"/> stands. The kernel
/// compiler maps each member to the device's own index registers; the CPU accelerator sets them
/// per emulated thread.</summary>
public static class Group
{
    [ThreadStatic] private static GroupThreadState? current;

    internal static GroupThreadState Current => current ?? throw new InvalidOperationException(
        "Group intrinsics are only valid inside an IGroupKernel launched with LaunchGrouped.");

    internal static void Enter(GroupThreadState state) => current = state;

    internal static void Leave() => current = null;

    /// <summary>Index of this thread's group along x.</summary>
    public static int IndexX => Current.GroupX;
    /// <summary>Index of this thread's group along y.</summary>
    public static int IndexY => Current.GroupY;
    /// <summary>Index of this thread's group along z.</summary>
    public static int IndexZ => Current.GroupZ;
    /// <summary>This thread's index inside its group along x.</summary>
    public static int ThreadX => Current.ThreadX;
    /// <summary>This thread's index inside its group along y.</summary>
    public static int ThreadY => Current.ThreadY;
    /// <summary>This thread's index inside its group along z.</summary>
    public static int ThreadZ => Current.ThreadZ;
    /// <summary>Threads per group along x.</summary>
    public static int SizeX => Current.Extent.GroupSizeX;
    /// <summary>Threads per group along y.</summary>
    public static int SizeY => Current.Extent.GroupSizeY;
    /// <summary>Threads per group along z.</summary>
    public static int SizeZ => Current.Extent.GroupSizeZ;
    /// <summary>Number of groups along x.</summary>
    public static int CountX => Current.Extent.GroupsX;
    /// <summary>Number of groups along y.</summary>
    public static int CountY => Current.Extent.GroupsY;
    /// <summary>Number of groups along z.</summary>
    public static int CountZ => Current.Extent.GroupsZ;

    /// <summary>Waits until every thread of the group has arrived; shared-memory writes made
    /// before it are visible to the whole group after it.</summary>
    public static void Barrier() => Current.Barrier();
}

/// <summary>The CPU emulation's per-thread view of a grouped launch.</summary>
internal sealed class GroupThreadState(GroupedExtent extent, Action barrier, SharedMemoryArena arena)
{
    public GroupedExtent Extent { get; } = extent;
    public SharedMemoryArena Arena { get; } = arena;
    public int GroupX, GroupY, GroupZ, ThreadX, ThreadY, ThreadZ;
    public int AllocationOrdinal;

    public void Barrier() => barrier();
}
