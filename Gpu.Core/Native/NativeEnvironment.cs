using System.Runtime.InteropServices;

namespace Gpu.Core.Native;

/// <summary>Sets variables in the native environment that C libraries read with <c>getenv</c>;
/// .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> only changes the
/// runtime's own copy on Unix, which native code never sees.</summary>
internal static partial class NativeEnvironment
{
    /// <summary>PoCL's switch for the SIGFPE handler it installs when its devices are initialised.</summary>
    public const string PoclSigfpeHandler = "POCL_SIGFPE_HANDLER";

    /// <summary>Turns PoCL's SIGFPE handler off before any OpenCL library is loaded. The handler
    /// exists so that an integer division by zero inside a kernel does not kill the process, but it
    /// also takes over the signal .NET turns into <see cref="DivideByZeroException"/>, so that every
    /// managed division by zero afterwards aborted the process. The translated kernels never trap
    /// (their divisions are guarded in the generated C), so nothing needs the handler; the variable
    /// is overwritten even when set, because a process that loses its managed exceptions cannot be
    /// what a caller asked for.</summary>
    public static void DisablePoclSigfpeHandler()
    {
        if (OperatingSystem.IsLinux())
            Set(PoclSigfpeHandler, "0");
    }

    private static void Set(string name, string value)
    {
        // A libc without setenv under this name (not glibc) leaves the variable as it is; PoCL
        // ships for glibc systems, where the call cannot fail for a valid name.
        try
        {
            _ = setenv(name, value, 1);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
