using Gpu.Conformance.Kernels;
using Gpu.Core;
using Gpu.Core.Ilgpu;
using Gpu.Ops.Image;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace Gpu.Tests.Ilgpu;

/// <summary>Research code's own ILGPU kernels, written as ILGPU users write them: static methods over an index.</summary>
public static class UserKernels
{
    /// <summary>values[i] = values[i] · 10 + i.</summary>
    public static void ScaleAndAddIndex(Index1D index, ArrayView<float> values) => values[index] = values[index] * 10f + index;
}

/// <summary>Issue 12 step 6 on ILGPU's CPU accelerator (an emulator, so small sizes): the caller's ILGPU
/// accelerator and buffers go into the library's launches, ops and tensors without copies, and the
/// library's buffers go into the caller's own ILGPU kernels. Expected values are computed here on the host.</summary>
[NonParallelizable]
public sealed class IlgpuInteropTests
{
    private Context context = null!;
    private CPUAccelerator user = null!;

    [SetUp]
    public void CreateUsersAccelerator()
    {
        context = Context.Create(builder => builder.CPU());
        user = context.CreateCPUAccelerator(0);
    }

    [TearDown]
    public void DisposeUsersAccelerator()
    {
        user.Dispose();
        context.Dispose();
    }

    private static float[] Ramp(int length, float step) => [.. Enumerable.Range(0, length).Select(i => i * step - 3f)];

    [Test]
    public void UsersBuffersRunThroughLibraryKernelsOpsAndTensorsInPlace()
    {
        float[] x = Ramp(37, 0.25f), y = Ramp(37, -0.5f);
        using var xs = user.Allocate1D(x);
        using var ys = user.Allocate1D(y);
        using var gpu = IlgpuAccelerator.Wrap(user);
        using var adoptedX = gpu.Adopt(xs);
        var adoptedY = gpu.Adopt(ys);

        // A library kernel struct launched on the caller's own views of their buffers.
        gpu.Launch(x.Length, new SaxpyKernel { X = xs.View, Y = ys.View, A = 2f });
        // An op on the adopted buffer's view: ys *= -1.5 in place.
        Elementwise.Scale(gpu, adoptedY.View, adoptedY.View, -1.5f);
        gpu.Synchronize();
        float[] expected = [.. x.Zip(y, (a, b) => (2f * a + b) * -1.5f)];
        Assert.That(ys.GetAsArray1D(), Is.EqualTo(expected), "the caller's buffer holds the results: nothing was copied out of it");

        // A tensor over the same memory reads what the caller's buffer holds, and writes through to it.
        using var tensor = DeviceTensor<float>.Over(adoptedY, [1, 37]);
        Assert.That(tensor.ToArray(), Is.EqualTo(expected));
        Elementwise.Add(gpu, tensor.View, adoptedX.View, tensor.View);
        Assert.That(ys.GetAsArray1D(), Is.EqualTo(expected.Zip(x, (e, a) => e + a)));
        Assert.That(((IArrayView)adoptedX.View).Buffer.NativePtr, Is.EqualTo(xs.NativePtr), "the adopted buffer is the caller's memory, not a copy");
    }

    [Test]
    public void LibraryBuffersRunTheUsersOwnIlgpuKernels()
    {
        float[] data = Ramp(29, 0.75f);
        using var gpu = IlgpuAccelerator.Wrap(user);
        using var buffer = gpu.Allocate<float>(data);
        var kernel = gpu.Ilgpu.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>>(UserKernels.ScaleAndAddIndex);

        kernel(data.Length, buffer.View);
        kernel(10, buffer.View.SubView(5, 10));
        gpu.Ilgpu.Synchronize();

        float[] expected = [.. data.Select((v, i) => v * 10f + i)];
        for (int i = 5; i < 15; i++)
            expected[i] = expected[i] * 10f + (i - 5);
        Assert.That(buffer.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void TheEnginesOwnAcceleratorRunsTheUsersKernelsToo()
    {
        using var accelerator = IlgpuCpuDevice.Instance.Open();
        var gpu = (IlgpuAccelerator)accelerator;
        using var buffer = gpu.Allocate<float>([1f, 2f, 3f]);
        gpu.Ilgpu.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>>(UserKernels.ScaleAndAddIndex)(3, buffer.View);
        gpu.Synchronize();
        Assert.That(buffer.ToArray(), Is.EqualTo(new[] { 10f, 21f, 32f }));
    }

    [Test]
    public void AViewOfABufferNotHandedToTheLibraryIsRefused()
    {
        using var gpu = IlgpuAccelerator.Wrap(user);
        using var stranger = user.Allocate1D<float>(4);
        Assert.That(() => gpu.Launch(4, new SaxpyKernel { X = stranger.View, Y = stranger.View, A = 1f }),
            Throws.ArgumentException.With.Message.Contains("is not a view of a DeviceBuffer"));
    }

    [Test]
    public void ABufferTheUserDisposedIsRefusedEverywhere()
    {
        using var gpu = IlgpuAccelerator.Wrap(user);
        var ys = user.Allocate1D<float>(8);
        using var adopted = gpu.Adopt(ys);
        var view = adopted.View;
        ArrayView<float> usersView = ys.View;
        ys.Dispose();
        // Each is refused before anything reads the freed memory (ILGPU's own view members would assert and abort).
        Assert.Multiple(() =>
        {
            Assert.That(() => gpu.Launch(8, new SaxpyKernel { X = usersView, Y = usersView, A = 1f }), Throws.InstanceOf<ObjectDisposedException>());
            Assert.That(() => Elementwise.Scale(gpu, view, view, 2f), Throws.InstanceOf<ObjectDisposedException>());
            Assert.That(() => adopted.ToArray(), Throws.InstanceOf<ObjectDisposedException>());
            Assert.That(adopted.IsDisposed, Is.True);
        });
    }

    [Test]
    public void AdoptionChecksTheBufferAndLeavesItToItsOwner()
    {
        using var otherContext = Context.Create(builder => builder.CPU());
        using var other = otherContext.CreateCPUAccelerator(0);
        using var foreign = other.Allocate1D<float>(4);
        using var ys = user.Allocate1D<float>([1f, 2f, 3f, 4f]);
        var gpu = IlgpuAccelerator.Wrap(user);
        Assert.That(() => gpu.Adopt(foreign), Throws.ArgumentException.With.Message.Contains("not on"));
        var adopted = gpu.Adopt(ys);
        Assert.That(() => gpu.Adopt(ys), Throws.ArgumentException.With.Message.Contains("already adopted"));

        adopted.Dispose();
        using (var again = gpu.Adopt(ys))
            Assert.That(again.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f }), "ending an adoption leaves the caller's buffer alive");
        gpu.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(user.IsDisposed, Is.False, "disposing the engine leaves the caller's accelerator alone");
            Assert.That(ys.IsDisposed, Is.False);
            Assert.That(ys.GetAsArray1D(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f }));
        });
    }
}
