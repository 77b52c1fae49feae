namespace Gpu.Core;

/// <summary>A kernel run once per index of a 1D extent. Its fields are its parameters:
/// ILGPU's <see cref="ILGPU.ArrayView{T}"/>s, its 2D/3D views, scalars and structs of those.</summary>
public interface IKernel1D
{
    /// <summary>The work of one index.</summary>
    /// <param name="index">0 ≤ index &lt; the launched length.</param>
    void Execute(int index);
}

/// <summary>A kernel run once per point of a 2D extent; <c>x</c> varies fastest.</summary>
public interface IKernel2D
{
    /// <summary>The work of one point.</summary>
    /// <param name="x">0 ≤ x &lt; width.</param>
    /// <param name="y">0 ≤ y &lt; height.</param>
    void Execute(int x, int y);
}

/// <summary>A kernel run once per point of a 3D extent; <c>x</c> varies fastest.</summary>
public interface IKernel3D
{
    /// <summary>The work of one point.</summary>
    /// <param name="x">0 ≤ x &lt; width.</param>
    /// <param name="y">0 ≤ y &lt; height.</param>
    /// <param name="z">0 ≤ z &lt; depth.</param>
    void Execute(int x, int y, int z);
}

/// <summary>A kernel run by groups of cooperating threads. A thread finds itself through ILGPU's
/// <see cref="ILGPU.Group"/> and <see cref="ILGPU.Grid"/>, shares data through <see cref="ILGPU.SharedMemory"/>,
/// and waits for its group at <see cref="ILGPU.Group.Barrier"/>; every thread of a group must reach every barrier.</summary>
public interface IGroupKernel
{
    /// <summary>The work of one thread.</summary>
    void Execute();
}
