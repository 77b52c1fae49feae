using Gpu.Bench;
using Gpu.Bench.Core;
using Gpu.Core;

// bench [suite ...] [--devices name,name] [--filter TEXT] [--frames N (pipeline clip)]: suites run in the order given; none means all.
var suites = new Dictionary<string, Action<TextWriter, IReadOnlyList<Device>>>(StringComparer.OrdinalIgnoreCase)
{
    ["saxpy"] = (output, devices) => SaxpyBench.Run(output, devices),
    ["gemm"] = (output, devices) => Gpu.Bench.Gemm.GemmBench.Run(output, devices),
    ["sequence"] = (output, devices) => Gpu.Bench.Sequence.SequenceBench.Run(output, devices),
    ["conv"] = (output, devices) => Gpu.Bench.Image.ConvBench.Run(output, devices),
    ["image"] = (output, devices) => Gpu.Bench.Image.ImageOpsBench.Run(output, devices),
    ["models"] = (output, devices) => Gpu.Bench.Models.ModelBench.Run(output, devices),
    ["pipeline"] = (output, devices) => Gpu.Bench.Pipeline.PipelineBench.Run(output, devices),
};

var requested = new List<string>();
IReadOnlyList<Device> devices = Devices.All;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--filter" && i + 1 < args.Length)
        BenchFilter.Text = args[++i];
    else if (args[i] == "--frames" && i + 1 < args.Length && int.TryParse(args[i + 1], out int frames) && frames > 0)
    {
        Gpu.Bench.Pipeline.PipelineBench.Frames = frames;
        i++;
    }
    else if (args[i] == "--devices" && i + 1 < args.Length)
    {
        try
        {
            devices = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Devices.Get)];
        }
        catch (DeviceNotFoundException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
    }
    else if (suites.ContainsKey(args[i]))
        requested.Add(args[i]);
    else
    {
        Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: bench [{string.Join("|", suites.Keys)} ...] [--devices cpu,opencl:0,...] [--filter TEXT] [--frames N]");
        return 2;
    }
}

Console.WriteLine($"devices: {string.Join(", ", devices.Select(d => $"{d.Name} ({d.DisplayName}, peak {d.PeakGflops:F0} GFLOP/s, {d.PeakGBps:F0} GB/s)"))}");
if (devices.Any(d => d.Hardware == DeviceHardware.Cpu) && HostFmaProbe.Measure() is { } fma)
    Console.WriteLine($"host FMA throughput now: {fma.OneThread:F0} GFLOP/s on one thread, {fma.AllCores:F0} on {Environment.ProcessorCount} " +
        "(the CPU's nominal peak assumes every core at two FMAs a cycle)");
foreach (var backend in Devices.Backends.Where(b => b.UnavailableReason is not null))
    Console.WriteLine($"{backend.Backend}: no devices ({backend.UnavailableReason})");
foreach (string suite in requested.Count > 0 ? requested : [.. suites.Keys])
{
    Console.WriteLine();
    suites[suite](Console.Out, devices);
}
return 0;
