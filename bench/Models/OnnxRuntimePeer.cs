using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Gpu.Bench.Models;

/// <summary>ONNX Runtime (the Microsoft.ML.OnnxRuntime package, CPU execution provider) as the
/// models' peer, in this process: it runs the exported shipped models on the very input our
/// networks get, so its output can be compared with ours before its time is kept.</summary>
public static class OnnxRuntimePeer
{
    /// <summary>The peer's name in reports.</summary>
    public const string Name = "ONNX Runtime";

    private static readonly Lazy<(string? Version, string? Unavailable)> runtime = new(() =>
    {
        try
        {
            return (OrtEnv.Instance().GetVersionString(), null);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or OnnxRuntimeException)
        {
            return (null, $"the ONNX Runtime native library cannot be loaded: {e.GetBaseException().Message}");
        }
    });

    /// <summary>The native library's version, or null where it cannot be loaded.</summary>
    public static string? Version => runtime.Value.Version;

    /// <summary>Why the peer cannot run here, or null where it can.</summary>
    public static string? Unavailable => runtime.Value.Unavailable;

    /// <summary>Runs <paramref name="model"/> on <paramref name="input"/> (shape <paramref name="dimensions"/>)
    /// with <paramref name="threads"/> threads: its output from the first call, and the time of the timed calls.</summary>
    public static (float[] Output, Timing Time) Run(OnnxExports.Model model, float[] input, int[] dimensions, int threads, double budgetSeconds, int runs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model.OnnxPath, options);
        var inputs = new[] { NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), new DenseTensor<float>(input, dimensions)) };
        float[] output;
        using (var first = session.Run(inputs, [model.Output]))
            output = [.. first.Single().AsEnumerable<float>()];
        // Timed calls leave their output in ONNX Runtime's buffers, as ours stays on the device.
        return (output, Measure.Within(() => session.Run(inputs, [model.Output]).Dispose(), budgetSeconds, runs));
    }
}
