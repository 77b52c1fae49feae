using Gpu.Bench.Gemm;
using Gpu.Bench.Models;
using Gpu.Bench.Reporting;
using Gpu.Core;

namespace Gpu.Bench;

/// <summary>Every peer bench knows, with its version or the reason it is absent, for the report:
/// a missing peer is named with its reason rather than silently left out of the tables.</summary>
public static class PeerCatalog
{
    /// <summary>OpenCV's dnn module, run through the Python peer.</summary>
    public const string OpenCvDnn = "OpenCV dnn";

    private const string UnavailablePrefix = "unavailable: ";

    private static readonly Lazy<string> openCv = new(() => PyTorchPeer.Query("import cv2; print(cv2.__version__)"));
    private static readonly Dictionary<string, string> learnedAbsent = [];

    /// <summary>cv2.__version__ of the peer interpreter, or null where OpenCV cannot be imported.</summary>
    public static string? OpenCvVersion => openCv.Value.StartsWith(UnavailablePrefix, StringComparison.Ordinal) ? null : openCv.Value;

    /// <summary>Records that a suite found <paramref name="name"/> unable to run, and why (e.g. the ONNX export failed).</summary>
    public static void Absent(string name, string reason) => learnedAbsent[name] = reason;

    /// <summary>Each peer: present with its version, or absent with the reason.</summary>
    /// <param name="devices">The devices of this run (CLBlast needs an OpenCL one).</param>
    public static IReadOnlyList<PeerStatus> Survey(IReadOnlyList<Device> devices)
    {
        string? pytorch = PyTorchPeer.Version.StartsWith(UnavailablePrefix, StringComparison.Ordinal) ? null : PyTorchPeer.Version;
        string? noOpenCl = devices.Any(d => d.Kind == DeviceKind.OpenCL) ? null : "no OpenCL device in this run";
        return
        [
            Status("PyTorch", "every suite's CPU peer (tools/reference/bench_*.py)", pytorch, pytorch is null ? PyTorchPeer.Version[UnavailablePrefix.Length..] : null),
            Status(ClBlastPeer.Name, "gemm on each OpenCL device, on our own queue and buffers", ClBlastPeer.Version, ClBlastPeer.Unavailable ?? noOpenCl),
            CuBlasStatus(devices),
            Status(OnnxRuntimePeer.Name, "models: the shipped models exported to ONNX, CPU provider, in process", OnnxRuntimePeer.Version, OnnxRuntimePeer.Unavailable),
            Status(OpenCvDnn, "models: CAN24 and the shipped models exported to ONNX, CPU, through Python", OpenCvVersion,
                OpenCvVersion is null ? openCv.Value[UnavailablePrefix.Length..] : null),
        ];
    }

    /// <summary>cuBLAS as the first CUDA device of the run reports it: its version, or why it is absent.</summary>
    private static PeerStatus CuBlasStatus(IReadOnlyList<Device> devices)
    {
        const string role = "gemm on each CUDA device, against the own tiled kernel (DenseGemm itself routes tile-filling products to it)";
        if (devices.FirstOrDefault(d => d.Kind == DeviceKind.Cuda) is not { } cuda)
            return Status("cuBLAS", role, null, "no CUDA device in this run");
        using var accelerator = (Gpu.Core.Ilgpu.IlgpuAccelerator)cuda.Open();
        return Status("cuBLAS", role, accelerator.CuBlas?.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), accelerator.CuBlasUnavailableReason);
    }

    private static PeerStatus Status(string name, string role, string? version, string? unavailable)
        => new(name, role, version, learnedAbsent.GetValueOrDefault(name) ?? unavailable);
}
