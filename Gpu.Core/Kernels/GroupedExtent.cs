namespace Gpu.Core;

/// <summary>The shape of a grouped launch: how many groups in each dimension and how many
/// threads per group.</summary>
/// <param name="GroupsX">Groups along x.</param>
/// <param name="GroupsY">Groups along y.</param>
/// <param name="GroupsZ">Groups along z.</param>
/// <param name="GroupSizeX">Threads per group along x.</param>
/// <param name="GroupSizeY">Threads per group along y.</param>
/// <param name="GroupSizeZ">Threads per group along z.</param>
public readonly record struct GroupedExtent(int GroupsX, int GroupsY, int GroupsZ, int GroupSizeX, int GroupSizeY, int GroupSizeZ)
{
    /// <summary>A 1D launch of <paramref name="groups"/> groups of <paramref name="groupSize"/> threads.</summary>
    /// <param name="groups">Number of groups.</param>
    /// <param name="groupSize">Threads per group.</param>
    public GroupedExtent(int groups, int groupSize) : this(groups, 1, 1, groupSize, 1, 1) { }

    /// <summary>Threads in one group.</summary>
    public int GroupSize => GroupSizeX * GroupSizeY * GroupSizeZ;

    /// <summary>Number of groups.</summary>
    public int GroupCount => GroupsX * GroupsY * GroupsZ;

    /// <summary>Throws unless every dimension is positive.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is zero or negative.</exception>
    public void Validate()
    {
        if (GroupsX <= 0 || GroupsY <= 0 || GroupsZ <= 0 || GroupSizeX <= 0 || GroupSizeY <= 0 || GroupSizeZ <= 0)
            throw new ArgumentOutOfRangeException(nameof(GroupedExtent), $"Every dimension of a grouped launch must be positive: {this}.");
    }
}
