using System.Runtime.InteropServices;

namespace Gpu.Core.Native;

/// <summary>Loads one of several candidate native libraries and resolves its exports. The CUDA
/// libraries are bound through function pointers rather than <c>LibraryImport</c> because their file
/// names vary by platform and toolkit version (NVRTC ships as <c>libnvrtc.so.12</c>,
/// <c>libnvrtc.so.13</c>, <c>nvrtc64_120_0.dll</c>, often outside the loader's search path), and
/// an assembly-wide import resolver would clash with the other backends.</summary>
internal sealed class NativeExports
{
    private NativeExports(nint handle, string loadedFrom)
    {
        Handle = handle;
        LoadedFrom = loadedFrom;
    }

    /// <summary>The library's handle.</summary>
    public nint Handle { get; }

    /// <summary>The candidate that loaded.</summary>
    public string LoadedFrom { get; }

    /// <summary>Loads the first candidate (a file name or a path) that the platform loader accepts.</summary>
    public static NativeExports? TryLoad(IEnumerable<string> candidates)
    {
        foreach (string candidate in candidates)
            if (NativeLibrary.TryLoad(candidate, out nint handle))
                return new NativeExports(handle, candidate);
        return null;
    }

    /// <summary>The address of the first of <paramref name="names"/> the library exports (newest
    /// versioned name first).</summary>
    /// <exception cref="EntryPointNotFoundException">None is exported.</exception>
    public nint Get(params ReadOnlySpan<string> names)
    {
        foreach (string name in names)
            if (NativeLibrary.TryGetExport(Handle, name, out nint address))
                return address;
        throw new EntryPointNotFoundException($"{LoadedFrom} exports none of {string.Join(", ", names.ToArray())}");
    }

    /// <summary>The address of <paramref name="name"/>, or 0 when the library predates it.</summary>
    public nint GetOptional(string name) => NativeLibrary.TryGetExport(Handle, name, out nint address) ? address : 0;
}
