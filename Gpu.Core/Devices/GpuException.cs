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
public sealed class DeviceNotFoundException : ArgumentException
{
    /// <summary>Reports a name passed to <see cref="Devices.Get"/> or <see cref="Devices.Open"/>.</summary>
    /// <param name="requested">The name asked for.</param>
    /// <param name="available">The names that exist.</param>
    /// <param name="unavailable">Backends that found no devices, with their reasons.</param>
    public DeviceNotFoundException(string requested, IEnumerable<string> available, IEnumerable<string> unavailable)
        : this(requested, available, unavailable, null)
    {
    }

    /// <summary>Reports a name read from an environment variable, which the message names, since the
    /// caller passed no name and would otherwise not know where it came from.</summary>
    /// <param name="requested">The name asked for.</param>
    /// <param name="available">The names that exist.</param>
    /// <param name="unavailable">Backends that found no devices, with their reasons.</param>
    /// <param name="variable">The environment variable the name came from, or null.</param>
    public DeviceNotFoundException(string requested, IEnumerable<string> available, IEnumerable<string> unavailable, string? variable)
        : base((variable is null ? $"No device named '{requested}'." : $"The environment variable {variable}='{requested}' names no device.") +
            $" Available: {string.Join(", ", available)}." +
            (unavailable.Any() ? $" Not available here: {string.Join("; ", unavailable)}." : ""))
    {
        Requested = requested;
    }

    /// <summary>The name asked for.</summary>
    public string Requested { get; }
}

/// <summary>An environment variable the library reads holds a value it cannot use; the message names
/// the variable, the value and what is accepted, since nothing else would lead the caller to it.</summary>
/// <param name="variable">The variable's name.</param>
/// <param name="value">The value found.</param>
/// <param name="expected">What the variable accepts.</param>
public sealed class InvalidEnvironmentVariableException(string variable, string value, string expected)
    : InvalidOperationException($"The environment variable {variable}='{value}' is invalid: expected {expected}. Fix or unset it.")
{
    /// <summary>The variable's name.</summary>
    public string Variable { get; } = variable;

    /// <summary>The value found.</summary>
    public string Value { get; } = value;
}
