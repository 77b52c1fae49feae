using Gpu.Core;

namespace Gpu.Tests.Core;

public sealed class TensorTests(string deviceName) : DeviceTest(deviceName)
{
    [Test]
    public void NchwStridesAreRowMajor()
    {
        using var tensor = DeviceTensor<float>.Create(Accelerator, [2, 3, 4, 5]);
        Assert.That(tensor.Strides, Is.EqualTo(new long[] { 60, 20, 5, 1 }));
        Assert.That(tensor.OffsetOf(1, 2, 3, 4), Is.EqualTo(119));
    }

    [Test]
    public void NhwcStridesPutChannelsInnermost()
    {
        using var tensor = DeviceTensor<float>.Create(Accelerator, [2, 3, 4, 5], TensorLayout.Nhwc);
        Assert.That(tensor.Strides, Is.EqualTo(new long[] { 60, 1, 15, 3 }));
        Assert.That(tensor.OffsetOf(1, 2, 3, 4), Is.EqualTo(60 + 2 + 45 + 12));
    }

    [Test]
    public void HostRoundTripOfEveryElementType()
    {
        RoundTrip(new[] { 1.5f, -0f, float.NaN, float.MaxValue });
        RoundTrip(new[] { (Half)1.5f, Half.NegativeInfinity, Half.Epsilon });
        RoundTrip(new sbyte[] { -128, 0, 127 });
        RoundTrip(new byte[] { 0, 1, 255 });
        RoundTrip(new[] { int.MinValue, 0, int.MaxValue });
    }

    private void RoundTrip<T>(T[] data) where T : unmanaged
    {
        using var tensor = DeviceTensor<T>.FromHost(Accelerator, data, [1, data.Length]);
        Assert.That(tensor.ToArray(), Is.EqualTo(data), typeof(T).Name);
        Assert.That(tensor.Shape, Is.EqualTo(new[] { 1, data.Length }));
    }

    [Test]
    public void BadShapesAndLengthsAreClearErrors()
    {
        Assert.That(() => DeviceTensor<float>.FromHost(Accelerator, new float[5], [2, 3]),
            Throws.ArgumentException.With.Message.Contains("holds 6 elements; 5 were given"));
        Assert.That(() => DeviceTensor<float>.Create(Accelerator, [3, 4], TensorLayout.Nhwc),
            Throws.ArgumentException.With.Message.Contains("NHWC layout needs a 4D shape"));
        Assert.That(() => DeviceTensor<float>.Create(Accelerator, [2, -1]), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => DeviceTensor<long>.Create(Accelerator, [1]), Throws.InstanceOf<NotSupportedException>().With.Message.Contains("Int64"));
        using var tensor = DeviceTensor<float>.Create(Accelerator, [2, 2]);
        Assert.That(() => tensor.OffsetOf(0, 2), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => tensor.CopyToHost(new float[3]), Throws.ArgumentException);
    }
}
