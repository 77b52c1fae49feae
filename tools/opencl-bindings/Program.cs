// Launch-path cost of two OpenCL bindings over the same handles: function pointers resolved from the loader
// (as Gpu.Core's OpenCLApi does) and Silk.NET.OpenCL. Setup uses the raw pointers; only the timed calls differ.
// Runs on the first device of the first platform (PoCL here):
//   dotnet run -c Release --project tools/opencl-bindings -- [rounds, default 15]
// Each round times both bindings, in alternating order; medians over the rounds are what to compare.
using System.Diagnostics;
using System.Runtime.InteropServices;
using Silk.NET.OpenCL;

unsafe
{
    nint lib = NativeLibrary.Load("libOpenCL.so.1");
    var getPlatforms = (delegate* unmanaged<uint, nint*, uint*, int>)NativeLibrary.GetExport(lib, "clGetPlatformIDs");
    var getDevices = (delegate* unmanaged<nint, ulong, uint, nint*, uint*, int>)NativeLibrary.GetExport(lib, "clGetDeviceIDs");
    var createContext = (delegate* unmanaged<nint*, uint, nint*, void*, void*, int*, nint>)NativeLibrary.GetExport(lib, "clCreateContext");
    var createQueue = (delegate* unmanaged<nint, nint, ulong, int*, nint>)NativeLibrary.GetExport(lib, "clCreateCommandQueue");
    var createBuffer = (delegate* unmanaged<nint, ulong, nuint, void*, int*, nint>)NativeLibrary.GetExport(lib, "clCreateBuffer");
    var createProgram = (delegate* unmanaged<nint, uint, byte**, nuint*, int*, nint>)NativeLibrary.GetExport(lib, "clCreateProgramWithSource");
    var build = (delegate* unmanaged<nint, uint, nint*, byte*, void*, void*, int>)NativeLibrary.GetExport(lib, "clBuildProgram");
    var createKernel = (delegate* unmanaged<nint, byte*, int*, nint>)NativeLibrary.GetExport(lib, "clCreateKernel");
    var setArg = (delegate* unmanaged<nint, uint, nuint, void*, int>)NativeLibrary.GetExport(lib, "clSetKernelArg");
    var enqueue = (delegate* unmanaged<nint, nint, uint, nuint*, nuint*, nuint*, uint, nint*, nint*, int>)NativeLibrary.GetExport(lib, "clEnqueueNDRangeKernel");
    var finish = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(lib, "clFinish");
    var releaseEvent = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(lib, "clReleaseEvent");

    static void Check(int error, string call)
    {
        if (error != 0)
            throw new InvalidOperationException($"{call} failed with OpenCL error {error}.");
    }
    nint platform, device; uint n; int error;
    Check(getPlatforms(1, &platform, &n), "clGetPlatformIDs");
    Check(getDevices(platform, 0xFFFFFFFF, 1, &device, &n), "clGetDeviceIDs");
    nint context = createContext(null, 1, &device, null, null, &error);
    Check(error, "clCreateContext");
    nint queue = createQueue(context, device, 0, &error);
    Check(error, "clCreateCommandQueue");
    nint a = createBuffer(context, 1, 64, null, &error), b = createBuffer(context, 1, 64, null, &error);
    Check(error, "clCreateBuffer");
    byte[] source = "__kernel void empty(__global float* a, long ao, long al, __global float* b, long bo, long bl, float s, int c) {}"u8.ToArray();
    nint program;
    fixed (byte* s = source) { byte* p = s; nuint len = (nuint)source.Length; program = createProgram(context, 1, &p, &len, &error); }
    Check(error, "clCreateProgramWithSource");
    byte[] options = "-cl-std=CL1.2\0"u8.ToArray();
    fixed (byte* o = options) Check(build(program, 1, &device, o, null, null), "clBuildProgram");
    nint kernel;
    fixed (byte* name = "empty\0"u8) kernel = createKernel(program, name, &error);
    Check(error, "clCreateKernel");

    var cl = CL.GetApi();
    // Argument values in native memory: the local functions below cannot capture addresses of locals.
    byte* block = (byte*)NativeMemory.AllocZeroed(64);
    nint* pa = (nint*)block; nint* pb = (nint*)(block + 8); long* off = (long*)(block + 16); long* len8 = (long*)(block + 24);
    float* scale = (float*)(block + 32); int* count = (int*)(block + 36); nuint* global = (nuint*)(block + 40);
    *pa = a; *pb = b; *off = 3; *len8 = 16; *scale = 0.5f; *count = 16; *global = 1;
    const int Launches = 2000;

    // One launch: the eight arguments a two-view kernel has, then the enqueue with an event (as OpenCLAccelerator does).
    double RunRaw()
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Launches; i++)
        {
            setArg(kernel, 0, (nuint)sizeof(nint), pa); setArg(kernel, 1, 8, off); setArg(kernel, 2, 8, len8);
            setArg(kernel, 3, (nuint)sizeof(nint), pb); setArg(kernel, 4, 8, off); setArg(kernel, 5, 8, len8);
            setArg(kernel, 6, 4, scale); setArg(kernel, 7, 4, count);
            nint done;
            enqueue(queue, kernel, 1, null, global, null, 0, null, &done);
            releaseEvent(done);
        }
        finish(queue);
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / Launches;
    }
    double RunSilk()
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Launches; i++)
        {
            cl.SetKernelArg(kernel, 0, (nuint)sizeof(nint), pa); cl.SetKernelArg(kernel, 1, 8, off); cl.SetKernelArg(kernel, 2, 8, len8);
            cl.SetKernelArg(kernel, 3, (nuint)sizeof(nint), pb); cl.SetKernelArg(kernel, 4, 8, off); cl.SetKernelArg(kernel, 5, 8, len8);
            cl.SetKernelArg(kernel, 6, 4, scale); cl.SetKernelArg(kernel, 7, 4, count);
            nint done;
            cl.EnqueueNdrangeKernel(queue, kernel, 1, null, global, null, 0, null, &done);
            releaseEvent(done);
        }
        finish(queue);
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / Launches;
    }
    // The arguments alone: what the binding adds per call, with no queue behind it.
    double ArgsRaw()
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Launches * 10; i++)
        {
            setArg(kernel, 0, (nuint)sizeof(nint), pa); setArg(kernel, 1, 8, off); setArg(kernel, 6, 4, scale); setArg(kernel, 7, 4, count);
        }
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / (Launches * 40.0);
    }
    double ArgsSilk()
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Launches * 10; i++)
        {
            cl.SetKernelArg(kernel, 0, (nuint)sizeof(nint), pa); cl.SetKernelArg(kernel, 1, 8, off); cl.SetKernelArg(kernel, 6, 4, scale); cl.SetKernelArg(kernel, 7, 4, count);
        }
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / (Launches * 40.0);
    }
    for (int w = 0; w < 3; w++) { RunRaw(); RunSilk(); ArgsRaw(); ArgsSilk(); }
    var (raw, silk, argRaw, argSilk) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
    int rounds = args.Length > 0 ? int.Parse(args[0]) : 15;
    for (int r = 0; r < rounds; r++)
    {
        // Alternate the order so drift in the machine's load falls on both alike.
        if (r % 2 == 0) { raw.Add(RunRaw()); silk.Add(RunSilk()); argRaw.Add(ArgsRaw()); argSilk.Add(ArgsSilk()); }
        else { silk.Add(RunSilk()); raw.Add(RunRaw()); argSilk.Add(ArgsSilk()); argRaw.Add(ArgsRaw()); }
    }
    static double Median(List<double> v) { var s = v.Order().ToArray(); return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2; }
    Console.WriteLine($"rounds {rounds}, {Launches} launches a round, 8 arguments a launch");
    Console.WriteLine($"launch (8 clSetKernelArg + clEnqueueNDRangeKernel + clReleaseEvent), µs: function pointers median {Median(raw):F2} min {raw.Min():F2}; Silk.NET median {Median(silk):F2} min {silk.Min():F2}");
    Console.WriteLine($"clSetKernelArg alone, ns per call: function pointers median {Median(argRaw):F1} min {argRaw.Min():F1}; Silk.NET median {Median(argSilk):F1} min {argSilk.Min():F1}");
}
