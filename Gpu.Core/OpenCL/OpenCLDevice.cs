using Gpu.Core.OpenCL.Native;

namespace Gpu.Core.OpenCL;

/// <summary>One device of one OpenCL platform.</summary>
internal sealed class OpenCLDevice : Device
{
    /// <summary>The loader the device was found through.</summary>
    public required OpenCLApi Api { get; init; }

    /// <summary>The platform's name, e.g. <c>Portable Computing Language</c>.</summary>
    public required string PlatformName { get; init; }

    /// <summary>The <c>cl_device_id</c>.</summary>
    public required nint Handle { get; init; }

    /// <summary>CL_DEVICE_VERSION, e.g. <c>OpenCL 3.0 PoCL ...</c>.</summary>
    public required string Version { get; init; }

    /// <summary>The largest single allocation (CL_DEVICE_MAX_MEM_ALLOC_SIZE), in bytes.</summary>
    public required long MaxAllocationBytes { get; init; }

    /// <summary>Whether the device computes double precision (CL_DEVICE_DOUBLE_FP_CONFIG ≠ 0).</summary>
    public required bool SupportsDouble { get; init; }

    /// <summary>Whether float division and sqrt can be asked to round correctly
    /// (<c>-cl-fp32-correctly-rounded-divide-sqrt</c>), as C# computes them.</summary>
    public required bool CorrectlyRoundedDivideSqrt { get; init; }

    /// <summary>Whether ILGPU's OpenCL accelerator runs it rather than the OpenCL 1.2 engine (<see cref="IlgpuOpenCL.Choose"/>).</summary>
    public required bool RunsOnIlgpu { get; init; }

    public override Accelerator Open() => RunsOnIlgpu ? Ilgpu.IlgpuAccelerator.OpenOpenCL(this) : new OpenCLAccelerator(this);
}
