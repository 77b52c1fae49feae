using Gpu.Core.OpenCL.Native;

namespace Gpu.Core.OpenCL;

/// <summary>A context on one device with its in-order, profiling command queue: every copy and
/// launch of an accelerator goes through this one queue, so they run in the order issued.</summary>
internal sealed unsafe class OpenCLContext : IDisposable
{
    private bool disposed;

    /// <summary>Creates the context and its queue.</summary>
    /// <param name="api">The loader.</param>
    /// <param name="device">The <c>cl_device_id</c>.</param>
    /// <param name="deviceName">The device's name for messages.</param>
    public OpenCLContext(OpenCLApi api, nint device, string deviceName)
    {
        Api = api;
        Device = device;
        DeviceName = deviceName;
        int error;
        Context = Api.clCreateContext(null, 1, &device, null, null, &error);
        OpenCLApi.Check(error, $"Creating a context on {deviceName}");
        Queue = Api.clCreateCommandQueue(Context, device, OpenCLApi.QueueProfilingEnable, &error);
        if (error != OpenCLErrorNames.Success)
        {
            Api.clReleaseContext(Context);
            throw OpenCLApi.Failure(error, $"Creating a command queue on {deviceName}");
        }
    }

    public OpenCLApi Api { get; }

    /// <summary>The <c>cl_device_id</c>.</summary>
    public nint Device { get; }

    /// <summary>The device's name (<c>opencl:N</c>) for messages.</summary>
    public string DeviceName { get; }

    /// <summary>The <c>cl_context</c>.</summary>
    public nint Context { get; }

    /// <summary>The <c>cl_command_queue</c>.</summary>
    public nint Queue { get; }

    /// <summary>Waits for everything queued, reporting the first failure of a queued command.</summary>
    public void Finish(string action) => OpenCLApi.Check(Api.clFinish(Queue), action);

    /// <summary>A program from OpenCL C <paramref name="source"/>, with the error code beside it so
    /// that each caller reports a failure in its own terms.</summary>
    public nint CreateProgram(string source, out int error)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(source);
        int result;
        nint program;
        fixed (byte* text = bytes)
        {
            byte* strings = text;
            nuint length = (nuint)bytes.Length;
            program = Api.clCreateProgramWithSource(Context, 1, &strings, &length, &result);
        }
        error = result;
        return program;
    }

    /// <summary>Nanoseconds between the start and the end of a completed, profiled command.</summary>
    public long ElapsedNanoseconds(nint completedEvent)
    {
        ulong start, end;
        OpenCLApi.Check(Api.clWaitForEvents(1, &completedEvent), "Waiting for a command");
        OpenCLApi.Check(Api.clGetEventProfilingInfo(completedEvent, OpenCLApi.ProfilingCommandStart, sizeof(ulong), &start, null), "Reading a command's start time");
        OpenCLApi.Check(Api.clGetEventProfilingInfo(completedEvent, OpenCLApi.ProfilingCommandEnd, sizeof(ulong), &end, null), "Reading a command's end time");
        return (long)(end - start);
    }

    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        // Not checked: a failure of an earlier command would surface here and leak the context;
        // Synchronize reports it to whoever waits for the work.
        Api.clFinish(Queue);
        Api.clReleaseCommandQueue(Queue);
        Api.clReleaseContext(Context);
    }
}
