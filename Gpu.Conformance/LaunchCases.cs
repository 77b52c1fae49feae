using Gpu.Conformance.Kernels;
using Gpu.Core;
using ILGPU;
using ILGPU.Runtime;
using Accelerator = Gpu.Core.Accelerator;

namespace Gpu.Conformance;

/// <summary>Conformance of the launch machinery: 1D/2D/3D extents, views with strides and
/// offsets, grouped launches with shared memory and barriers, and atomics under contention.</summary>
public static class LaunchCases
{
    /// <summary>The cases.</summary>
    public static IEnumerable<ConformanceCase> All =>
    [
        new("launch/saxpy-1d-length-1", a => Saxpy(a, 1)),
        new("launch/saxpy-1d-length-1000", a => Saxpy(a, 1000)),
        new("launch/saxpy-1d-length-100003", a => Saxpy(a, 100_003)),
        new("launch/subviews-with-offsets", SubViews),
        new("launch/2d-strided", Grid2D),
        new("launch/3d", Grid3D),
        new("launch/grouped-tree-reduction", TreeReduction),
        new("launch/atomics-under-contention", ContendedAtomics),
    ];

    private static void Saxpy(Accelerator accelerator, int length)
    {
        var x = Enumerable.Range(0, length).Select(i => i * 0.25f).ToArray();
        var y = Enumerable.Range(0, length).Select(i => 1f - i).ToArray();
        using var xBuffer = accelerator.Allocate<float>(x);
        using var yBuffer = accelerator.Allocate<float>(y);
        accelerator.Launch(length, new SaxpyKernel { X = xBuffer.View, Y = yBuffer.View, A = 3f });
        Check.Exact("y", x.Zip(y, (xi, yi) => 3f * xi + yi).ToArray(), yBuffer.ToArray());
    }

    private static void SubViews(Accelerator accelerator)
    {
        using var x = accelerator.Allocate<float>(Enumerable.Range(0, 8).Select(i => (float)i).ToArray());
        using var y = accelerator.Allocate<float>(new float[8]);
        accelerator.Launch(3, new SaxpyKernel { X = x.View.SubView(5, 3), Y = y.View.SubView(2, 3), A = 2f });
        Check.Exact("y", [0f, 0f, 10f, 12f, 14f, 0f, 0f, 0f], y.ToArray());
    }

    private static void Grid2D(Accelerator accelerator)
    {
        const int width = 37, height = 19, stride = 40;
        using var buffer = accelerator.Allocate<int>(Enumerable.Repeat(-1, stride * height).ToArray());
        accelerator.Launch(width, height, new IndexGrid2DKernel { Output = ((ArrayView1D<int, Stride1D.Dense>)buffer.View).As2DView(new LongIndex2D(width, height), new Stride2D.DenseX(stride)) });
        var expected = new int[stride * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < stride; x++)
                expected[y * stride + x] = x < width ? y * 1000 + x : -1;
        Check.Exact("grid", expected, buffer.ToArray());
    }

    private static void Grid3D(Accelerator accelerator)
    {
        const int width = 5, height = 7, depth = 3;
        using var buffer = accelerator.Allocate<int>(width * height * depth);
        accelerator.Launch(width, height, depth, new IndexGrid3DKernel { Output = ((ArrayView1D<int, Stride1D.Dense>)buffer.View).As3DDenseXYView(new LongIndex3D(width, height, depth)) });
        var expected = new int[width * height * depth];
        for (int z = 0; z < depth; z++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    expected[(z * height + y) * width + x] = z * 1_000_000 + y * 1000 + x;
        Check.Exact("volume", expected, buffer.ToArray());
    }

    private static void TreeReduction(Accelerator accelerator)
    {
        const int groups = 6;
        int length = groups * TreeReductionKernel.GroupSize - 17;
        var input = Enumerable.Range(0, length).Select(i => (i * 7919) % 1001 - 500).ToArray();
        using var inputBuffer = accelerator.Allocate<int>(input);
        using var sums = accelerator.Allocate<int>(groups);
        accelerator.LaunchGrouped(new GroupedExtent(groups, TreeReductionKernel.GroupSize),
            new TreeReductionKernel { Input = inputBuffer.View, GroupSums = sums.View });
        var expected = Enumerable.Range(0, groups)
            .Select(g => input.Skip(g * TreeReductionKernel.GroupSize).Take(TreeReductionKernel.GroupSize).Sum()).ToArray();
        Check.Exact("group sums", expected, sums.ToArray());
    }

    private static void ContendedAtomics(Accelerator accelerator)
    {
        const int length = 200_000, counters = 7;
        using var counterBuffer = accelerator.Allocate<int>(new int[counters]);
        using var minimum = accelerator.Allocate<int>([int.MaxValue]);
        using var maximum = accelerator.Allocate<int>([int.MinValue]);
        using var floatSum = accelerator.Allocate<float>([0f]);
        accelerator.Launch(length, new ContendedAtomicsKernel
        {
            Counters = counterBuffer.View, Minimum = minimum.View, Maximum = maximum.View, FloatSum = floatSum.View,
        });
        var expectedCounts = Enumerable.Range(0, counters).Select(c => Enumerable.Range(0, length).Count(i => i % counters == c)).ToArray();
        Check.Exact("counters", expectedCounts, counterBuffer.ToArray());
        Check.Exact("minimum", [1000 - (length - 1)], minimum.ToArray());
        Check.Exact("maximum", [length - 1], maximum.ToArray());
        // 0.5 steps are exact in float up to 2^23, so the sum has no rounding to excuse.
        Check.Exact("float sum", [length * 0.5f], floatSum.ToArray());
    }
}
