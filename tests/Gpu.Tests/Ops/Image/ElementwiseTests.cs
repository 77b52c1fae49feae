using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Image;

namespace Gpu.Tests.Ops.Image;

/// <summary>Colour conversion against the VDSR (MATLAB rgb2ycbcr) fixture, element-wise ops and
/// layout conversion against host computations.</summary>
public sealed class ElementwiseTests(string deviceName) : DeviceTest(deviceName)
{
    [Test]
    public void RgbToYCbCrMatchesTheFixtureAndInvertsBack([Values(TensorLayout.RowMajor, TensorLayout.Nhwc)] TensorLayout layout)
    {
        var fixture = ImageTestData.Load("ycbcr");
        float[] rgb = fixture.Get("rgb"), ycbcr = fixture.Get("ycbcr");
        const int n = 2, h = 4, w = 5;
        bool nhwc = layout == TensorLayout.Nhwc;
        using var buffer = Accelerator.Allocate<float>(nhwc ? ImageTestData.ToNhwc(rgb, n, 3, h, w) : rgb);
        using var converted = Accelerator.Allocate<float>(rgb.Length);
        ColorConversion.RgbToYCbCr(Accelerator, buffer.View, converted.View, layout, n, h, w);
        float[] forward = converted.ToArray();
        ImageTestData.AssertClose(ycbcr, nhwc ? ImageTestData.ToNchw(forward, n, 3, h, w) : forward, 1e-6f, 1e-6f, "YCbCr");
        ColorConversion.YCbCrToRgb(Accelerator, converted.View, converted.View, layout, n, h, w);
        float[] back = converted.ToArray();
        ImageTestData.AssertClose(rgb, nhwc ? ImageTestData.ToNchw(back, n, 3, h, w) : back, 2e-6f, 2e-6f, "RGB round trip");

    }

    [Test]
    public void ActivateScaleAndAddMatchTheHost()
    {
        float[] a = ImageTestData.Random(1000, 1, -2f, 2f), b = ImageTestData.Random(1000, 2);
        using var aBuffer = Accelerator.Allocate<float>(a);
        using var bBuffer = Accelerator.Allocate<float>(b);
        using var output = Accelerator.Allocate<float>(a.Length);
        Elementwise.Activate(Accelerator, aBuffer.View, output.View, Activation.Leaky(0.2f));
        ImageTestData.AssertClose([.. a.Select(x => x >= 0 ? x : 0.2f * x)], output.ToArray(), 0f, 0f, "leaky");
        Elementwise.Scale(Accelerator, aBuffer.View, output.View, -3f);
        ImageTestData.AssertClose([.. a.Select(x => -3f * x)], output.ToArray(), 0f, 0f, "scale");
        Elementwise.Add(Accelerator, aBuffer.View, bBuffer.View, output.View, activation: Activation.Relu);
        ImageTestData.AssertClose([.. a.Zip(b, (x, y) => Math.Max(x + y, 0f))], output.ToArray(), 0f, 0f, "add relu");

        using var shortBuffer = Accelerator.Allocate<float>(3);
        using var longBuffer = Accelerator.Allocate<float>(4);
        Assert.That(() => Elementwise.Add(Accelerator, shortBuffer.View, longBuffer.View, shortBuffer.View), Throws.ArgumentException);
    }

    [Test]
    public void LayoutConversionRoundTrips()
    {
        const int n = 2, c = 5, h = 3, w = 7;
        float[] nchw = ImageTestData.Random(n * c * h * w, 3);
        using var source = Accelerator.Allocate<float>(nchw);
        using var nhwc = Accelerator.Allocate<float>(nchw.Length);
        using var back = Accelerator.Allocate<float>(nchw.Length);
        ImageLayoutConversion.Convert(Accelerator, source.View, TensorLayout.RowMajor, nhwc.View, TensorLayout.Nhwc, n, c, h, w);
        Assert.That(nhwc.ToArray(), Is.EqualTo(ImageTestData.ToNhwc(nchw, n, c, h, w)));
        ImageLayoutConversion.Convert(Accelerator, nhwc.View, TensorLayout.Nhwc, back.View, TensorLayout.RowMajor, n, c, h, w);
        Assert.That(back.ToArray(), Is.EqualTo(nchw));

    }
}
