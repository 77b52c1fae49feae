using Gpu.Core;
using ILGPU;

namespace Gpu.Conformance.Corpus;

/// <summary>The launch mechanics every corpus case shares: upload the input and the output's initial
/// contents, launch, read the output back. Cases only say which kernel and what the host expects.</summary>
internal static class CorpusDriver
{
    /// <summary>Launches a 1D kernel over <paramref name="length"/> indices (default: one per input element).</summary>
    /// <returns>The output after the launch.</returns>
    /// <exception cref="ConformanceSkippedException">ILGPU refuses the kernel and runs this device (<see cref="IlgpuRefusals"/>).</exception>
    public static TOut[] Map<TIn, TOut, TKernel>(Accelerator accelerator, TIn[] input, TOut[] initialOutput,
        Func<ArrayView<TIn>, ArrayView<TOut>, TKernel> kernel, int? length = null)
        where TIn : unmanaged where TOut : unmanaged where TKernel : struct, IKernel1D
    {
        IlgpuRefusals.SkipOnIlgpuDevices<TKernel>(accelerator);
        return RoundTrip(accelerator, input, initialOutput, (x, y) => accelerator.Launch(length ?? input.Length, kernel(x.View, y.View)));
    }

    /// <summary>Launches a grouped kernel over <paramref name="extent"/>.</summary>
    /// <returns>The output after the launch.</returns>
    public static TOut[] Grouped<TIn, TOut, TKernel>(Accelerator accelerator, TIn[] input, GroupedExtent extent, TOut[] initialOutput,
        Func<ArrayView<TIn>, ArrayView<TOut>, TKernel> kernel)
        where TIn : unmanaged where TOut : unmanaged where TKernel : struct, IGroupKernel
        => RoundTrip(accelerator, input, initialOutput, (x, y) => accelerator.LaunchGrouped(extent, kernel(x.View, y.View)));

    // Uploads the input and the output's initial contents, launches, reads the output back.
    private static TOut[] RoundTrip<TIn, TOut>(Accelerator accelerator, TIn[] input, TOut[] initialOutput, Action<DeviceBuffer<TIn>, DeviceBuffer<TOut>> launch)
        where TIn : unmanaged where TOut : unmanaged
    {
        using var inputBuffer = accelerator.Allocate<TIn>(input);
        using var outputBuffer = accelerator.Allocate<TOut>(initialOutput);
        launch(inputBuffer, outputBuffer);
        return outputBuffer.ToArray();
    }

    /// <summary>Every pair (a, b) of <paramref name="values"/>, flattened as a0 b0 a1 b1 …</summary>
    public static T[] AllPairs<T>(T[] values) => [.. values.SelectMany(a => values.SelectMany(b => new[] { a, b }))];
}
