using System.Runtime.InteropServices;

namespace Gpu.Core.Compiler;

/// <summary>One argument value ready for <c>clSetKernelArg</c> or <c>cuLaunchKernel</c>: up to
/// eight bytes stored inline.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KernelArgument
{
    /// <summary>The value's bytes, little-endian, in the low <see cref="Size"/> bytes.</summary>
    public ulong Bits;

    /// <summary>The value's size in bytes as the C parameter declares it.</summary>
    public int Size;
}
