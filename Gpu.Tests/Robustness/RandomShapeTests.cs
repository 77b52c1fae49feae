using CsCheck;
using Gpu.Core;
using Gpu.Ops;
using Gpu.Ops.Gemm;
using Gpu.Ops.Gemm.Sparse;
using Gpu.Ops.Image;
using Gpu.Ops.Sequence;
using Gpu.Tests.Ops.Image;

namespace Gpu.Tests.Robustness;

/// <summary>Property tests over random shapes, degenerate ones included (size 1, dilation past the
/// image, stride larger than the kernel, padding past the rules): every path of conv, pooling, GEMM,
/// CSR / block-sparse products and LSTM either matches its reference or refuses with an
/// <see cref="ArgumentException"/> (an invalid shape) or a <see cref="NotSupportedException"/> (a path
/// that does not run that shape); nothing else is accepted. Each generator draws small integers that
/// are mapped to the parameters, so CsCheck shrinks a failure towards the smallest shape.</summary>
public sealed class RandomShapeTests(string deviceName) : DeviceTest(deviceName)
{
    /// <summary>Cases per property: 40 on the CPU (under a second for all five properties), 10 on the
    /// other devices, where each new launch geometry can cost PoCL a work-group function build
    /// (about 0.2 s a case), so that the whole fixture stays within seconds on two cores.</summary>
    private int Iterations => Accelerator.IsHostAddressable() ? 40 : 10;

    private static readonly Gen<int[]> Parameters = Gen.Int[0, 999].Array[14];

    private static int Pick(int value, int low, int high) => low + value % (high - low + 1);

    private static void Sample(Action<int[]> property, int iterations)
        => Parameters.Sample(property, iter: iterations, threads: 1, print: p => $"[{string.Join(", ", p)}]");

    /// <summary>Runs <paramref name="path"/>; true when it ran, false when it refused the shape as not supported.</summary>
    private static bool RanOrRefused(Action path)
    {
        try
        {
            path();
            return true;
        }
        catch (NotSupportedException)
        {
            return false;
        }
    }

    [Test]
    public void ConvolutionPathsMatchTheReferenceOrRefuse()
    {
        (Conv2dPath, TensorLayout)[] paths = Accelerator.IsHostAddressable()
            // The tiled kernel's CPU emulation takes a thread per group member: Conv2dTests covers it.
            ? [(Conv2dPath.Auto, TensorLayout.RowMajor), (Conv2dPath.Auto, TensorLayout.Nhwc), (Conv2dPath.Direct, TensorLayout.Nhwc),
               (Conv2dPath.CpuSimd, TensorLayout.Nhwc), (Conv2dPath.CpuWinograd, TensorLayout.Nhwc), (Conv2dPath.CpuWinograd4x4, TensorLayout.Nhwc)]
            : [(Conv2dPath.Auto, TensorLayout.RowMajor), (Conv2dPath.Auto, TensorLayout.Nhwc), (Conv2dPath.Direct, TensorLayout.RowMajor), (Conv2dPath.Tiled, TensorLayout.RowMajor),
               (Conv2dPath.RegisterBlocked, TensorLayout.RowMajor)];
        Sample(p =>
        {
            var shape = new Conv2dShape(Pick(p[0], 1, 2), Pick(p[1], 1, 9), Pick(p[2], 1, 9), Pick(p[3], 1, 9), Pick(p[4], 1, 9),
                Pick(p[5], 1, 4), Pick(p[6], 1, 4), Pick(p[7], 1, 5), Pick(p[8], 1, 12),
                new Padding2d(Pick(p[9], 0, 3), Pick(p[10], 0, 3), Pick(p[11], 0, 3), Pick(p[12], 0, 3)));
            var activation = (p[13] % 3) switch { 0 => Activation.None, 1 => Activation.Relu, _ => Activation.Leaky(0.2f) };
            if (!IsValid(shape.Validate))
            {
                Assert.That(() => new Conv2d(Accelerator, shape, new float[Math.Max(0, Math.Min(shape.WeightLength, 1 << 16))]), Throws.InstanceOf<ArgumentException>(), shape.ToString());
                return;
            }
            int seed = string.Join(",", p).GetHashCode();
            float[] input = ImageTestData.Random(shape.InputLength, seed), weights = ImageTestData.Random(shape.WeightLength, seed + 1);
            var epilogue = new Conv2dEpilogue(ImageTestData.Random(shape.OutChannels, seed + 2), null, null, activation);
            float[] expected = Conv2dReference.Forward(shape, input, weights, epilogue);
            using var conv = new Conv2d(Accelerator, shape, weights, epilogue);
            using var output = Accelerator.Allocate<float>(shape.OutputLength);
            foreach (var (path, layout) in paths)
            {
                float[] source = layout == TensorLayout.Nhwc ? ImageTestData.ToNhwc(input, shape.Batch, shape.InChannels, shape.Height, shape.Width) : input;
                using var x = Accelerator.Allocate<float>(source);
                if (!RanOrRefused(() => conv.Forward(x.View, output.View, layout, path: path)))
                {
                    Assert.That(path, Is.Not.EqualTo(Conv2dPath.Auto), $"Auto refused {shape}");
                    continue;
                }
                float[] actual = output.ToArray();
                if (layout == TensorLayout.Nhwc)
                    actual = ImageTestData.ToNchw(actual, shape.Batch, shape.OutChannels, shape.OutHeight, shape.OutWidth);
                ImageTestData.AssertClose(expected, actual, 1e-4f, 1e-4f, $"{path} {layout} {shape}");
            }
        }, Iterations);
    }

    [Test]
    public void MaxPoolingMatchesTheReferenceOrRefuses()
    {
        Sample(p =>
        {
            var shape = new MaxPool2dShape(Pick(p[0], 1, 2), Pick(p[1], 1, 5), Pick(p[2], 1, 9), Pick(p[3], 1, 9), Pick(p[4], 1, 4), Pick(p[5], 1, 4),
                Pick(p[6], 1, 5), Pick(p[7], 1, 5), new Padding2d(Pick(p[8], 0, 2), Pick(p[9], 0, 2), Pick(p[10], 0, 2), Pick(p[11], 0, 2)));
            using var input = Accelerator.Allocate<float>(Math.Max(1, Math.Min(shape.InputLength, 1 << 16)));
            if (!IsValid(shape.Validate))
            {
                Assert.That(() => MaxPool2d.Forward(Accelerator, shape, input.View, input.View), Throws.InstanceOf<ArgumentException>(), shape.ToString());
                return;
            }
            float[] data = ImageTestData.RandomWithSpecials(shape.InputLength, string.Join(",", p).GetHashCode());
            float[] expected = MaxPool2d.Reference(shape, data);
            using var output = Accelerator.Allocate<float>(shape.OutputLength);
            foreach (var layout in (TensorLayout[])[TensorLayout.RowMajor, TensorLayout.Nhwc])
            {
                foreach (bool portable in (bool[])[false, true])
                {
                    input.CopyFromHost(layout == TensorLayout.Nhwc ? ImageTestData.ToNhwc(data, shape.Batch, shape.Channels, shape.Height, shape.Width) : data);
                    MaxPool2d.Forward(Accelerator, shape, input.View.SubView(0, (int)shape.InputLength), output.View, layout, portable);
                    float[] actual = output.ToArray();
                    if (layout == TensorLayout.Nhwc)
                        actual = ImageTestData.ToNchw(actual, shape.Batch, shape.Channels, shape.OutHeight, shape.OutWidth);
                    ImageTestData.AssertClose(expected, actual, 0f, 0f, $"{layout} portable={portable} {shape}");
                }
            }
        }, Iterations);
    }

    [Test]
    public void DenseGemmMatchesTheReference()
    {
        Sample(p =>
        {
            var shape = new GemmShape(Pick(p[0], 1, 17), Pick(p[1], 1, 17), Pick(p[2], 1, 17), p[3] % 2 == 1, p[4] % 2 == 1);
            float alpha = p[5] % 2 == 0 ? 1f : 0.5f, beta = p[6] % 2 == 0 ? 0f : 1f;
            var activation = (p[7] % 3) switch { 0 => Activation.None, 1 => Activation.Relu, _ => Activation.Leaky(0.1f) };
            int seed = string.Join(",", p).GetHashCode();
            float[] a = ImageTestData.Random((long)shape.M * shape.K, seed), b = ImageTestData.Random((long)shape.K * shape.N, seed + 1);
            float[] c = ImageTestData.Random((long)shape.M * shape.N, seed + 2), bias = p[8] % 2 == 0 ? [] : ImageTestData.Random(shape.N, seed + 3);
            float[] expected = (float[])c.Clone();
            GemmReference.Multiply(shape, a, b, expected, alpha, beta, bias, activation);
            using var aBuffer = Accelerator.Allocate<float>(a);
            using var bBuffer = Accelerator.Allocate<float>(b);
            using var cBuffer = Accelerator.Allocate<float>(c);
            using var biasBuffer = Accelerator.Allocate<float>(bias);
            DenseGemm.Multiply(Accelerator, shape, aBuffer.View, bBuffer.View, cBuffer.View, alpha, beta, biasBuffer.View, activation);
            ImageTestData.AssertClose(expected, cBuffer.ToArray(), 1e-4f, 1e-4f, shape.ToString());
        }, Iterations);
    }

    [Test]
    public void SparseProductsMatchTheDenseProduct()
    {
        Sample(p =>
        {
            int rows = Pick(p[0], 1, 12), columns = Pick(p[1], 1, 20), n = Pick(p[2], 1, 4);
            float keepFraction = Pick(p[3], 0, 4) / 4f;
            var activation = p[4] % 2 == 0 ? Activation.None : Activation.Relu;
            int seed = string.Join(",", p).GetHashCode();
            var random = new Random(seed);
            float[] dense = ImageTestData.Random((long)rows * columns, seed);
            bool[] keep = [.. dense.Select(_ => random.NextSingle() < keepFraction)];
            float[] x = ImageTestData.Random((long)columns * n, seed + 1), bias = p[5] % 2 == 0 ? [] : ImageTestData.Random(rows, seed + 2);
            var expected = new float[rows * n];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = bias.Length == 0 ? 0 : bias[i];
                    for (int k = 0; k < columns; k++)
                        if (keep[i * columns + k])
                            sum += (double)dense[i * columns + k] * x[k * n + j];
                    expected[i * n + j] = activation.Apply((float)sum);
                }
            using var xBuffer = Accelerator.Allocate<float>(x);
            using var biasBuffer = Accelerator.Allocate<float>(bias);
            using var y = Accelerator.Allocate<float>((long)rows * n);
            using (var csr = CsrMatrix.FromDense(Accelerator, dense, rows, columns, keep))
                SparseGemm.Multiply(Accelerator, csr, xBuffer.View, y.View, n, biasBuffer.View, activation);
            ImageTestData.AssertClose(expected, y.ToArray(), 1e-4f, 1e-4f, $"CSR {rows}×{columns}, N={n}");
            using (var blocks = BlockSparseMatrix.FromDense(Accelerator, dense, rows, columns, keep))
                SparseGemm.Multiply(Accelerator, blocks, xBuffer.View, y.View, n, biasBuffer.View, activation);
            ImageTestData.AssertClose(expected, y.ToArray(), 1e-4f, 1e-4f, $"1×8 blocks {rows}×{columns}, N={n}");
        }, Iterations);
    }

    [Test]
    public void LstmMatchesTheReferenceOrRefuses()
    {
        Sample(p =>
        {
            var options = new LstmOptions(Pick(p[0], 1, 5), Pick(p[1], 1, 5), Pick(p[2], 0, 5), Pick(p[3], 1, 2), p[4] % 2 == 1, p[5] % 2 == 1);
            int steps = Pick(p[6], 1, 4), batch = Pick(p[7], 1, 3), seed = string.Join(",", p).GetHashCode();
            if (!IsValid(options.Validate))
            {
                Assert.That(() => new Lstm(Accelerator, options, new Dictionary<string, float[]>()), Throws.InstanceOf<ArgumentException>(), options.ToString());
                return;
            }
            var weights = Enumerable.Range(0, options.Layers)
                .SelectMany(layer => Enumerable.Range(0, options.Directions).SelectMany(direction => options.WeightNames(layer, direction)))
                .Select((w, i) => (w.Name, Values: ImageTestData.Random(w.Length, seed + i, -0.5f, 0.5f)))
                .ToDictionary(w => w.Name, w => w.Values);
            float[] input = ImageTestData.Random((long)steps * batch * options.InputSize, seed - 1);
            var (expected, _, _) = LstmReference.Run(options, weights, input, steps, batch);
            using var lstm = new Lstm(Accelerator, options, weights) { PreferPortableKernels = p[8] % 2 == 1 };
            using var x = Accelerator.Allocate<float>(input);
            using var y = Accelerator.Allocate<float>(expected.Length);
            lstm.Forward(x.View, steps, batch, y.View);
            ImageTestData.AssertClose(expected, y.ToArray(), 1e-4f, 1e-4f, $"{options}, T={steps}, B={batch}");
        }, Iterations / 2);
    }

    /// <summary>Whether <paramref name="validate"/> accepts; an invalid shape must say so with an <see cref="ArgumentException"/>.</summary>
    private static bool IsValid(Action validate)
    {
        try
        {
            validate();
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
