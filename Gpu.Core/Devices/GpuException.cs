namespace Gpu.Core;

/// <summary>A failure reported by a device runtime (OpenCL, CUDA, NVRTC), carrying the runtime's
/// own error name so it can be looked up.</summary>
public class GpuException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorName">The runtime's name for the error, e.g. <c>CL_OUT_OF_RESOURCES</c>.</param>
    /// <param name="message">What was being done when it failed.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public GpuException(string errorName, string message, Exception? inner = null)
        : base($"{message}: {errorName}", inner) => ErrorName = errorName;

    /// <summary>The runtime's name for the error.</summary>
    public string ErrorName { get; }
}

/// <summary>The device could not satisfy an allocation.</summary>
/// <param name="errorName">The runtime's name for the error.</param>
/// <param name="message">What was being allocated.</param>
public sealed class DeviceOutOfMemoryException(string errorName, string message) : GpuException(errorName, message);

/// <summary>A generated kernel failed to build for the device. Carries the generated source and
/// the device compiler's log.</summary>
/// <param name="errorName">The runtime's name for the error.</param>
/// <param name="kernelName">The kernel being built.</param>
/// <param name="source">The generated source handed to the device compiler.</param>
/// <param name="buildLog">The device compiler's output.</param>
public sealed class KernelBuildException(string errorName, string kernelName, string source, string buildLog)
    : GpuException(errorName, $"Building kernel {kernelName} failed.\n--- build log ---\n{buildLog}\n--- source ---\n{source}\n---")
{
    /// <summary>The generated source handed to the device compiler.</summary>
    public string GeneratedSource { get; } = source;
    /// <summary>The device compiler's output.</summary>
    public string BuildLog { get; } = buildLog;
}

/// <summary>No device of the requested name exists on this machine.</summary>
/// <param name="requested">The name asked for.</param>
/// <param name="available">The names that exist.</param>
/// <param name="unavailable">Backends that found no devices, with their reasons.</param>
public sealed class DeviceNotFoundException(string requested, IEnumerable<string> available, IEnumerable<string> unavailable)
    : ArgumentException($"No device named '{requested}'. Available: {string.Join(", ", available)}." +
        (unavailable.Any() ? $" Not available here: {string.Join("; ", unavailable)}." : ""));
