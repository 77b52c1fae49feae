using Gpu.Core;

namespace Gpu.Conformance;

/// <summary>One check that a device runs a kernel or op correctly: it launches on the given
/// accelerator and compares against results computed independently on the host.</summary>
/// <param name="Name">A unique name, e.g. <c>launch/saxpy-1d</c>.</param>
/// <param name="Run">Runs the case; throws <see cref="ConformanceException"/> on a wrong result.</param>
public sealed record ConformanceCase(string Name, Action<Accelerator> Run)
{
    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A conformance case produced a wrong result.</summary>
/// <param name="message">What differed, and where.</param>
public sealed class ConformanceException(string message) : Exception(message);
