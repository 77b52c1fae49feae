using Gpu.Core;
using Gpu.Core.Ilgpu;
using Gpu.Ops;
using Gpu.Ops.Image;

namespace Gpu.Tests.Ilgpu;

/// <summary>(a) of issue 12 for the Gpu.Ops kernels that no op launches on ILGPU's CPU accelerator: the
/// element-wise ops take their host path on every CPU engine, so their kernels are launched here directly
/// and compared with the host's arithmetic. The other moved kernels run through their ops' fixtures
/// (<see cref="TestDevices.FixturesWithIlgpuCpu"/>).</summary>
[NonParallelizable]
public sealed class IlgpuOpsKernelTests : IlgpuCpuTest
{
    private static float[] Values(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 8 - 4))];
    }

    [TestCase(ActivationKind.Identity)]
    [TestCase(ActivationKind.Relu)]
    [TestCase(ActivationKind.LeakyRelu)]
    public void ScaleAddActivateKernelMatchesTheHost(ActivationKind activation)
    {
        float[] a = Values(97, 1), b = Values(97, 2);
        using var aBuffer = Accelerator.Allocate<float>(a);
        using var bBuffer = Accelerator.Allocate<float>(b);
        using var output = Accelerator.Allocate<float>(a.Length);
        Accelerator.Launch(a.Length, new ScaleAddActivateKernel
        {
            A = aBuffer.View, B = bBuffer.View, Output = output.View, ScaleA = 0.5f, ScaleB = -2f, Activation = activation, Slope = 0.2f,
        });
        float[] expected = [.. a.Select((x, i) =>
        {
            float sum = 0.5f * x + -2f * b[i];
            return activation switch { ActivationKind.Relu => MathF.Max(sum, 0f), ActivationKind.LeakyRelu => sum >= 0f ? sum : 0.2f * sum, _ => sum };
        })];
        Assert.That(output.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void ClampKernelMatchesTheHostAndKeepsNaN()
    {
        float[] input = [.. Values(64, 3), float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        using var inputBuffer = Accelerator.Allocate<float>(input);
        using var output = Accelerator.Allocate<float>(input.Length);
        Accelerator.Launch(input.Length, new ClampKernel { Input = inputBuffer.View, Output = output.View, Min = -1f, Max = 2f });
        Assert.That(output.ToArray(), Is.EqualTo(input.Select(x => float.IsNaN(x) ? x : Math.Min(Math.Max(x, -1f), 2f)).ToArray()));
    }

    [Test]
    public void CopyKernelCopiesASubView()
    {
        float[] source = Values(50, 4);
        using var sourceBuffer = Accelerator.Allocate<float>(source);
        using var destination = Accelerator.Allocate<float>(20);
        Accelerator.Launch(20, new CopyKernel { Source = sourceBuffer.View.SubView(30, 20), Destination = destination.View });
        Assert.That(destination.ToArray(), Is.EqualTo(source[30..]));
    }
}
