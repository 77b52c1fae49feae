namespace Gpu.Core.Compiler;

/// <summary>The kernel compiler met something it cannot translate. Names the method, the IL
/// offset and, where a PDB is available, the C# source line.</summary>
public sealed class KernelCompilationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="method">The method being translated, as <c>Type.Method</c>.</param>
    /// <param name="ilOffset">The IL offset of the offending instruction.</param>
    /// <param name="sourceLocation">The C# file and line, when the PDB tells.</param>
    /// <param name="reason">What cannot be translated and why.</param>
    public KernelCompilationException(string method, int ilOffset, string? sourceLocation, string reason)
        : base($"Cannot compile kernel code in {method} at IL_{ilOffset:x4}{(sourceLocation is null ? "" : $" ({sourceLocation})")}: {reason}")
    {
        Method = method;
        ILOffset = ilOffset;
        SourceLocation = sourceLocation;
        Reason = reason;
    }

    /// <summary>The method being translated.</summary>
    public string Method { get; }
    /// <summary>The IL offset of the offending instruction.</summary>
    public int ILOffset { get; }
    /// <summary>The C# file and line, or null when no PDB was found.</summary>
    public string? SourceLocation { get; }
    /// <summary>What cannot be translated.</summary>
    public string Reason { get; }
}
