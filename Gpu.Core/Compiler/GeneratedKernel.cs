namespace Gpu.Core.Compiler;

/// <summary>Which kernel interface a struct implements, and so how its indices are formed.</summary>
public enum KernelShape
{
    /// <summary><see cref="IKernel1D"/>.</summary>
    OneD,
    /// <summary><see cref="IKernel2D"/>.</summary>
    TwoD,
    /// <summary><see cref="IKernel3D"/>.</summary>
    ThreeD,
    /// <summary><see cref="IGroupKernel"/>.</summary>
    Grouped,
}

/// <summary>What a flattened kernel parameter carries.</summary>
public enum KernelParameterKind
{
    /// <summary>A view's buffer handle (<see cref="ILGPU.Runtime.MemoryBuffer.NativePtr"/>): a <c>cl_mem</c> or host pointer, typed <c>T*</c> in C.</summary>
    ViewHandle,
    /// <summary>A view's element offset into its buffer (64-bit).</summary>
    ViewOffset,
    /// <summary>A view's length in elements (64-bit).</summary>
    ViewLength,
    /// <summary>A primitive field passed by value (bool as 32-bit int).</summary>
    Scalar,
    /// <summary>The launch extent along one dimension, appended to guarded variants only.</summary>
    ExtentLimit,
}

/// <summary>Options that change the generated code, and so key the caches.</summary>
/// <param name="Guarded">Emit a bounds check against <see cref="KernelParameterKind.ExtentLimit"/>
/// parameters because the launch covers more threads than the extent.</param>
/// <param name="FastMath">Allow FP contraction and approximate maths (off: results match C#).</param>
public readonly record struct KernelCompileOptions(bool Guarded, bool FastMath);

/// <summary>One parameter of the generated C entry point, in order.</summary>
/// <param name="Name">The C identifier.</param>
/// <param name="Kind">What it carries.</param>
/// <param name="ValueType">The .NET type of the value passed (element type for a view handle).</param>
/// <param name="FieldPath">The chain of fields from the kernel struct to the value (empty for extent limits).</param>
public sealed record KernelParameter(string Name, KernelParameterKind Kind, Type ValueType, IReadOnlyList<System.Reflection.FieldInfo> FieldPath);

/// <summary>A kernel struct translated to OpenCL C 1.2.</summary>
public sealed class GeneratedKernel
{
    /// <summary>The kernel struct it came from.</summary>
    public required Type KernelType { get; init; }
    /// <summary>The entry point's C name.</summary>
    public required string EntryPoint { get; init; }
    /// <summary>The complete translation unit.</summary>
    public required string Source { get; init; }
    /// <summary>The interface the struct implements.</summary>
    public required KernelShape Shape { get; init; }
    /// <summary>The options it was generated with.</summary>
    public required KernelCompileOptions Options { get; init; }
    /// <summary>The entry point's parameters in order: the struct's fields flattened, then the
    /// extent limits of a guarded variant.</summary>
    public required IReadOnlyList<KernelParameter> Parameters { get; init; }
    /// <summary>Bytes of statically sized shared memory per group.</summary>
    public required int SharedMemoryBytes { get; init; }
    /// <summary>Whether the code uses double precision (the device must support it).</summary>
    public required bool UsesDouble { get; init; }

    /// <summary>Reads <see cref="Parameters"/> from a <see cref="KernelType"/> value at each launch;
    /// made on first use so that the field offsets are found once per generated kernel (launches
    /// racing on first use may each make one; they are alike).</summary>
    internal KernelArguments Arguments => field ??= new KernelArguments(KernelType, Parameters);
}
