using Gpu.Conformance.Corpus;
using Gpu.Core;
using Gpu.Core.Ilgpu;

namespace Gpu.Conformance;

/// <summary>Where ILGPU refuses a kernel written with its types.</summary>
public enum RefusedAt
{
    /// <summary>ILGPU fails to compile it, for PTX and on its CPU accelerator.</summary>
    Compilation,

    /// <summary>ILGPU compiles it to PTX, but its launcher refuses the kernel's parameters.</summary>
    Launch,
}

/// <summary>Why ILGPU refuses one kernel (an entry of <see cref="IlgpuRefusals.Kernels"/>).</summary>
/// <param name="At">Where the refusal happens.</param>
/// <param name="Reason">What in the kernel ILGPU cannot handle.</param>
public sealed record IlgpuRefusal(RefusedAt At, string Reason);

/// <summary>Corpus kernels on ILGPU's types that ILGPU 1.5.3 itself refuses, with where and why. They test .NET's
/// semantics (Math.Clamp, char, bool) on the CPU engine and through the translator; ILGPU's engines skip their
/// cases as known gaps. The test suite checks each refusal still happens, so an entry cannot outlive its reason.</summary>
public static class IlgpuRefusals
{
    private const string ClampThrows = "Math.Clamp calls Math.ThrowMinMaxException, and ILGPU cannot compile a throw: "
        + "InternalCompilerException for PTX and on the CPU accelerator alike";

    /// <summary>The refused kernel structs.</summary>
    public static IReadOnlyDictionary<Type, IlgpuRefusal> Kernels { get; } = new Dictionary<Type, IlgpuRefusal>
    {
        [typeof(AbsClampKernel)] = new(RefusedAt.Compilation, ClampThrows),
        [typeof(IntegerMathKernel)] = new(RefusedAt.Compilation, ClampThrows),
        [typeof(CharKernel)] = new(RefusedAt.Launch, NotBlittable("char views")),
        [typeof(CharSwitchKernel)] = new(RefusedAt.Launch, NotBlittable("a char view")),
        [typeof(BoolKernel)] = new(RefusedAt.Launch, NotBlittable("a bool field")),
        [typeof(BoolViewKernel)] = new(RefusedAt.Launch, NotBlittable("bool views")),
    };

    /// <summary>Why ILGPU refuses <paramref name="kernel"/>, or null where it does not.</summary>
    public static IlgpuRefusal? Of(Type kernel) => Kernels.GetValueOrDefault(kernel);

    private static string NotBlittable(string what) => $"ILGPU's launcher refuses kernel parameters that are not blittable ({what}); the kernel compiles to PTX";

    /// <summary>Skips the case on ILGPU's CUDA and OpenCL engines when it launches a refused kernel: their ILGPU context is
    /// shared by the process, and a failed compilation leaves a context unusable for the kernels after it. ILGPU's CPU
    /// accelerator (test-only, a context of its own per accelerator) still tries, so the tests see the refusal happen.</summary>
    /// <exception cref="ConformanceSkippedException">The kernel is refused and the accelerator is an ILGPU GPU engine.</exception>
    internal static void SkipOnIlgpuDevices<TKernel>(Accelerator accelerator)
    {
        if (accelerator is IlgpuAccelerator && accelerator.Device.Kind != DeviceKind.Cpu && Of(typeof(TKernel)) is { } refusal)
            throw new ConformanceSkippedException($"known gap: ILGPU 1.5.3 refuses {typeof(TKernel).Name} ({refusal.At}): {refusal.Reason}");
    }
}
