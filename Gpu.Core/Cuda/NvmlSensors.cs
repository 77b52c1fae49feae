using ILGPU.Runtime.Cuda;

namespace Gpu.Core.Cuda;

/// <summary>Reads a GPU's clocks, power and temperature through NVML (ILGPU.Algorithms' binding), matched to
/// the CUDA device by PCI bus id since NVML and CUDA may number GPUs differently.</summary>
internal static class NvmlSensors
{
    /// <summary>The readings NVML gives now; null when NVML is absent or does not know the device. A single
    /// sensor NVML refuses (some boards report no power) is null in the result rather than failing the rest.</summary>
    public static DeviceSensors? Read(ILGPU.Runtime.Cuda.CudaDevice device)
    {
        NvmlDevice nvml;
        try
        {
            nvml = NvmlDevice.CreateFromPciBusId(device.NVMLPCIBusId);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or NvmlException)
        {
            return null;
        }
        using (nvml)
        {
            double? Try(Func<double> read)
            {
                try
                {
                    return read();
                }
                catch (NvmlException)
                {
                    return null;
                }
            }
            return new DeviceSensors(
                GraphicsClockMHz: Try(() => nvml.GetStreamingMultiprocessorClockSpeed()),
                MemoryClockMHz: Try(() => nvml.GetMemoryClockSpeed()),
                PowerWatts: Try(() =>
                {
                    NvmlException.ThrowIfFailed(nvml.API.DeviceGetPowerUsage(nvml.DeviceHandle, out uint milliwatts));
                    return milliwatts / 1000.0;
                }),
                TemperatureCelsius: Try(() => nvml.GetGpuTemperature()));
        }
    }
}
