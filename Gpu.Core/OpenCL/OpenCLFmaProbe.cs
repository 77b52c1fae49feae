using System.Text;
using Gpu.Core.OpenCL.Native;

namespace Gpu.Core.OpenCL;

/// <summary>The float32 FMA throughput of an OpenCL device from a hand-written kernel of explicit
/// vectors (<c>float16</c> on AVX-512 CPUs, <c>float8</c> on other CPUs, <c>float4</c> on GPUs):
/// eight independent <c>fma</c> chains per work item. A CPU runtime such as PoCL reaches its
/// vector units only where it vectorises a kernel, and a scalar kernel leaves that to its
/// work-group vectoriser; explicit vectors do not, so this is the peak bench judges results against.</summary>
internal static unsafe class OpenCLFmaProbe
{
    private const int Chains = 8, Iterations = 4096, TimedRuns = 5;

    /// <summary>The vector width the probe uses on <paramref name="device"/>.</summary>
    public static int Width(OpenCLDevice device) => device.Hardware != DeviceHardware.Cpu ? 4 : device.SimdWidth >= 16 ? 16 : 8;

    /// <summary>Best GFLOP/s (an FMA as two flops) of <see cref="TimedRuns"/> launches, timed by profiling events.</summary>
    public static double Measure(OpenCLContext context, OpenCLDevice device)
    {
        var api = context.Api;
        int width = Width(device);
        // Enough work items to fill every compute unit many times over, whatever the device.
        int items = device.ComputeUnits * (device.Hardware == DeviceHardware.Cpu ? 1024 : 16384);
        nint program = Build(api, context, device, Source(width));
        nint kernel = 0;
        try
        {
            int error;
            byte[] name = Encoding.UTF8.GetBytes("fma_vector_chains\0");
            fixed (byte* text = name)
                kernel = api.clCreateKernel(program, text, &error);
            OpenCLApi.Check(error, $"Creating the FMA probe kernel on {device.Name}");
            using var output = new OpenCLMemory(context, device.MaxAllocationBytes, (long)items * width * sizeof(float));
            nint buffer = output.Handle;
            float a = 0.999f, b = 0.001f;
            int iterations = Iterations;
            OpenCLApi.Check(api.clSetKernelArg(kernel, 0, (nuint)sizeof(nint), &buffer), "Setting the FMA probe's output");
            OpenCLApi.Check(api.clSetKernelArg(kernel, 1, sizeof(float), &a), "Setting the FMA probe's multiplier");
            OpenCLApi.Check(api.clSetKernelArg(kernel, 2, sizeof(float), &b), "Setting the FMA probe's addend");
            OpenCLApi.Check(api.clSetKernelArg(kernel, 3, sizeof(int), &iterations), "Setting the FMA probe's iteration count");
            long best = long.MaxValue;
            // The first launch is a warm-up: PoCL compiles the work-group function for the launch's shape then.
            for (int run = 0; run <= TimedRuns; run++)
            {
                nuint global = (nuint)items;
                nint completed;
                OpenCLApi.Check(api.clEnqueueNDRangeKernel(context.Queue, kernel, 1, null, &global, null, 0, null, &completed), $"Launching the FMA probe on {device.Name}");
                try
                {
                    long elapsed = context.ElapsedNanoseconds(completed);
                    if (run > 0)
                        best = Math.Min(best, elapsed);
                }
                finally
                {
                    api.clReleaseEvent(completed);
                }
            }
            return 2.0 * Chains * width * Iterations * items / best;
        }
        finally
        {
            if (kernel != 0)
                api.clReleaseKernel(kernel);
            api.clReleaseProgram(program);
        }
    }

    /// <summary>Eight chains c = fma(c, a, b) of floatN, written out so no result is dead code.</summary>
    private static string Source(int width)
    {
        string type = $"float{width}";
        var chains = Enumerable.Range(0, Chains);
        return $$"""
            __kernel void fma_vector_chains(__global float* y, float a, float b, int iterations)
            {
                int i = get_global_id(0);
                {{type}} av = ({{type}})(a), bv = ({{type}})(b);
                {{type}} {{string.Join(", ", chains.Select(c => $"c{c} = ({type})(i * 1e-9f + {c} * 0.1f)"))}};
                for (int k = 0; k < iterations; k++)
                {
                    {{string.Join(" ", chains.Select(c => $"c{c} = fma(c{c}, av, bv);"))}}
                }
                vstore{{width}}({{string.Join(" + ", chains.Select(c => $"c{c}"))}}, i, y);
            }
            """;
    }

    private static nint Build(OpenCLApi api, OpenCLContext context, OpenCLDevice device, string source)
    {
        nint program = context.CreateProgram(source, out int error);
        OpenCLApi.Check(error, $"Creating the FMA probe program on {device.Name}");
        byte[] options = "-cl-std=CL1.2\0"u8.ToArray();
        nint handle = device.Handle;
        int built;
        fixed (byte* optionText = options)
            built = api.clBuildProgram(program, 1, &handle, optionText, null, null);
        if (built != OpenCLErrorNames.Success)
        {
            string log = api.BuildLog(program, device.Handle);
            api.clReleaseProgram(program);
            throw OpenCLApi.Failure(built, $"Building the FMA probe on {device.Name}: {log}");
        }
        return program;
    }
}
