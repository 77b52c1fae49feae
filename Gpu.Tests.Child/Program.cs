using Gpu.Core;
using Gpu.Ops.Gemm.Sparse;
using Gpu.Ops.Image;

namespace Gpu.Tests.Child;

/// <summary>Runs one scenario that used to kill the process, in a process of its own, so that a
/// regression fails the test that started it instead of the whole test run. It reports what
/// happened on standard output (<c>threw TYPE</c> and the message, or <c>returned</c> and details)
/// and exits 0; a crash shows as a signal exit code. The tests judge the report.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Scenarios.TryGetValue(args[0], out var scenario))
        {
            Console.Error.WriteLine($"usage: Gpu.Tests.Child <{string.Join("|", Scenarios.Keys)}> [device] [arguments]");
            return 2;
        }
        try
        {
            string details = scenario(args[1..]);
            Console.WriteLine("returned");
            Console.WriteLine(details);
        }
        catch (Exception e)
        {
            Console.WriteLine($"threw {e.GetType().FullName}");
            Console.WriteLine(e.Message);
        }
        return 0;
    }

    private static readonly Dictionary<string, Func<string[], string>> Scenarios = new()
    {
        ["divide-after-discovery"] = _ => DivideAfterDiscovery(),
        ["discover"] = _ => string.Join(", ", Devices.All.Select(d => d.Name)),
        ["default-device"] = _ => Devices.Default.Name,
        ["conv-stride-zero"] = args => ConvStrideZero(args[0]),
        ["conv-dilation"] = args => ConvDilation(args[0], int.Parse(args[1]), new Padding2d(int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[2]), int.Parse(args[3])),
            [.. args[4].Split(',').Select(Enum.Parse<Conv2dPath>)]),
        ["view-of-disposed-buffer"] = args => ViewOfDisposedBuffer(args[0]),
        ["conv-after-accelerator-disposed"] = args => ConvAfterAcceleratorDisposed(args[0]),
        ["view-of-other-accelerator"] = args => ViewOfOtherAccelerator(args[0], args[1]),
        ["csr-column-out-of-range"] = args => CorruptCsr(args[0], rowPointers: false),
        ["csr-last-row-pointer-past-end"] = args => CorruptCsr(args[0], rowPointers: true),
        ["small-op-sweep"] = args => RunOn(args[0], SmallOpSweep.Run),
        ["deliberately-wrong-kernel"] = args => RunOn(args[0], accelerator => { DeliberatelyWrongKernels.All[args[1]](accelerator); return "launched"; }),
    };

    private static string RunOn(string device, Func<Accelerator, string> work)
    {
        using var accelerator = Devices.Open(device);
        return work(accelerator);
    }

    private static string DivideAfterDiscovery()
    {
        _ = Devices.All;
        int zero = int.Parse("0");
        return (7 / zero).ToString();
    }

    private static string ConvStrideZero(string device)
    {
        using var accelerator = Devices.Open(device);
        var shape = new Conv2dShape(1, 1, 4, 4, 1, 3, 3, 0, 1, Padding2d.Symmetric(1));
        using var conv = new Conv2d(accelerator, shape, new float[9]);
        return "constructed";
    }

    /// <summary>A 3×3 convolution of 8 → 8 channels over 5×5 at dilation d on each of <paramref name="paths"/>
    /// (NHWC), against the reference: one line per path, <c>PATH max-error E</c> or <c>PATH threw TYPE: MESSAGE</c>.</summary>
    private static string ConvDilation(string device, int dilation, Padding2d padding, Conv2dPath[] paths)
    {
        using var accelerator = Devices.Open(device);
        var lines = new List<string>();
        foreach (var path in paths)
        {
            try
            {
                lines.Add($"{path} max-error {ConvDilation(accelerator, dilation, padding, path):R}");
            }
            catch (Exception e)
            {
                lines.Add($"{path} threw {e.GetType().FullName}: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
        return string.Join("\n", lines);
    }

    private static double ConvDilation(Accelerator accelerator, int dilation, Padding2d padding, Conv2dPath path)
    {
        var shape = new Conv2dShape(1, 8, 5, 5, 8, 3, 3, 1, dilation, padding);
        var random = new Random(7);
        float[] input = [.. Enumerable.Range(0, (int)shape.InputLength).Select(_ => random.NextSingle() * 2 - 1)];
        float[] weights = [.. Enumerable.Range(0, (int)shape.WeightLength).Select(_ => random.NextSingle() * 2 - 1)];
        float[] expected = Conv2dReference.Forward(shape, input, weights, Conv2dEpilogue.None);
        using var conv = new Conv2d(accelerator, shape, weights);
        using var x = accelerator.Allocate<float>(ToNhwc(input, 8, 25));
        using var y = accelerator.Allocate<float>(shape.OutputLength);
        conv.Forward(x.View, y.View, TensorLayout.Nhwc, path: path);
        float[] actual = FromNhwc(y.ToArray(), 8, shape.OutHeight * shape.OutWidth);
        return actual.Any(float.IsNaN) ? double.NaN : expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
    }

    private static float[] ToNhwc(float[] nchw, int channels, int pixels)
    {
        var nhwc = new float[nchw.Length];
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < pixels; p++)
                nhwc[p * channels + c] = nchw[c * pixels + p];
        return nhwc;
    }

    private static float[] FromNhwc(float[] nhwc, int channels, int pixels)
    {
        var nchw = new float[nhwc.Length];
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < pixels; p++)
                nchw[c * pixels + p] = nhwc[p * channels + c];
        return nchw;
    }

    private static string ViewOfDisposedBuffer(string device)
    {
        using var accelerator = Devices.Open(device);
        var shape = Conv2dShape.Same(1, 8, 16, 16, 8, 3);
        using var conv = new Conv2d(accelerator, shape, new float[shape.WeightLength]);
        using var output = accelerator.Allocate<float>(shape.OutputLength);
        var input = accelerator.Allocate<float>(shape.InputLength);
        var stale = input.View;
        input.Dispose();
        conv.Forward(stale, output.View, TensorLayout.Nhwc);
        return "ran";
    }

    private static string ConvAfterAcceleratorDisposed(string device)
    {
        var accelerator = Devices.Open(device);
        var shape = Conv2dShape.Same(1, 8, 16, 16, 8, 3);
        using var conv = new Conv2d(accelerator, shape, new float[shape.WeightLength]);
        var input = accelerator.Allocate<float>(shape.InputLength).View;
        var output = accelerator.Allocate<float>(shape.OutputLength).View;
        accelerator.Dispose();
        conv.Forward(input, output, TensorLayout.Nhwc);
        return "ran";
    }

    /// <summary>Views of <paramref name="other"/>'s buffers passed to a layer on <paramref name="device"/>;
    /// both accelerators are disposed before returning, since a crash used to come at teardown.</summary>
    private static string ViewOfOtherAccelerator(string device, string other)
    {
        using var accelerator = Devices.Open(device);
        using var foreign = Devices.Open(other);
        var shape = Conv2dShape.Same(1, 8, 16, 16, 8, 3);
        using var conv = new Conv2d(accelerator, shape, new float[shape.WeightLength]);
        using var input = foreign.Allocate<float>(shape.InputLength);
        using var output = foreign.Allocate<float>(shape.OutputLength);
        foreach (var layout in (TensorLayout[])[TensorLayout.Nhwc, TensorLayout.RowMajor])
            conv.Forward(input.View, output.View, layout);
        return "ran";
    }

    /// <summary>A CSR matrix whose public structure buffers are overwritten with a column index past the
    /// last column, or a last row pointer past the non-zeros, then multiplied.</summary>
    private static string CorruptCsr(string device, bool rowPointers)
    {
        using var accelerator = Devices.Open(device);
        float[] dense = [1, 0, 2, 0, 0, 3, 4, 0, 0, 0, 5, 6];
        using var w = CsrMatrix.FromDense(accelerator, dense, 3, 4, 0f);
        if (rowPointers)
            w.RowPointers.CopyFromHost([1 << 28], 3);
        else
            w.ColumnIndices.CopyFromHost([1 << 28], 2);
        using var x = accelerator.Allocate<float>(new float[8]);
        using var y = accelerator.Allocate<float>(6);
        SparseGemm.Multiply(accelerator, w, x.View, y.View, 2);
        accelerator.Synchronize();
        return string.Join(" ", y.ToArray());
    }
}
