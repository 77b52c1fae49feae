using Gpu.Media;
using Gpu.Media.Frames;
using Gpu.Media.Pipeline;

namespace Gpu.Tests.Media;

public sealed class FramePipelineTests
{
    private static readonly FrameFormat Small = new(new FrameSize(8, 4), SampleDepth.Bits8);

    [TestCase(1, 1)]
    [TestCase(4, 1)]
    [TestCase(3, 3)]
    public async Task EveryFrameArrivesOnceInOrder(int batchSize, int processors)
    {
        var source = new SyntheticSource(23, Small);
        var sink = new MemorySink();
        var random = new Random(7);
        // Random delays make the workers finish out of order, which the encode stage must undo.
        var workers = Enumerable.Range(0, processors).Select(p => (IFrameProcessor)new DelegateFrameProcessor($"dev{p}", (input, _, _) =>
        {
            int delay;
            lock (random)
                delay = random.Next(0, 4);
            Thread.Sleep(delay);
            return input;
        })).ToList();

        var report = await FramePipeline.RunAsync(source, workers, sink, new FramePipelineOptions { BatchSize = batchSize });

        Assert.That(report.Frames, Is.EqualTo(23));
        Assert.That(sink.CompletedWith, Is.EqualTo(23));
        Assert.That(sink.Frames.Select(f => f.Index), Is.EqualTo(Enumerable.Range(0, 23).Select(i => (long)i)));
        foreach (var frame in sink.Frames)
            Assert.That(frame.Pixels, Is.All.EqualTo(SyntheticSource.Value(frame.Index)), $"frame {frame.Index}");
        Assert.That(report.Stages.Select(s => s.Stage), Does.Contain("decode").And.Contain("encode").And.Contain("process dev0"));
        Assert.That(report.Stages.Where(s => s.Stage.StartsWith("process")).Sum(s => s.Calls), Is.EqualTo((23 + batchSize - 1) / batchSize));
    }

    [Test]
    public async Task BatchesAreNchwWithTheRequestedCountAndAShortLastBatch()
    {
        var counts = new List<int>();
        var processor = new DelegateFrameProcessor("check", (input, _, _) =>
        {
            lock (counts)
                counts.Add(input.Count);
            for (int n = 0; n < input.Count; n++)
                Assert.That(input.Plane(n, 2).ToArray(), Is.All.EqualTo(SyntheticSource.Value(input.FirstFrameIndex + n)));
            Assert.That(input.Pixels.Length, Is.EqualTo(input.Count * 3 * 8 * 4));
            return input;
        });

        await FramePipeline.RunAsync(new SyntheticSource(10, Small), processor, new MemorySink(), new FramePipelineOptions { BatchSize = 4 });

        Assert.That(counts, Is.EqualTo(new[] { 4, 4, 2 }));
    }

    [Test]
    public async Task AProcessorMayChangeTheFrameSizeAndTheSinkSeesTheNewSize()
    {
        var sink = new MemorySink();

        await FramePipeline.RunAsync(new SyntheticSource(5, Small), TestProcessors.Double(), sink, new FramePipelineOptions { BatchSize = 2 });

        Assert.That(sink.Frames, Has.Count.EqualTo(5));
        Assert.That(sink.Frames.Select(f => f.Format.Size), Is.All.EqualTo(new FrameSize(16, 8)));
        Assert.That(sink.Frames[4].Pixels, Is.All.EqualTo(SyntheticSource.Value(4)));
    }

    [Test]
    public async Task BuffersAreReusedSoALongRunAllocatesAFixedNumber()
    {
        var pool = new FrameBatchPool();

        await FramePipeline.RunAsync(new SyntheticSource(200, Small), TestProcessors.Double(), new MemorySink(),
            new FramePipelineOptions { BatchSize = 2, QueueCapacity = 2, Pool = pool });

        // Two sizes in flight (input and doubled output), each bounded by the batches alive at once.
        Assert.That(pool.Allocations, Is.LessThanOrEqualTo(2 * (2 * 2 + 1 + 2)));
    }

    [Test]
    public async Task AProcessorThatDropsFramesFailsTheRunNamingTheFrames()
    {
        var dropping = new DelegateFrameProcessor("lossy", (input, pool, _) =>
            input.FirstFrameIndex == 6 ? pool.Rent(input.Format, input.Count - 1) : input);
        var sink = new MemorySink();

        var error = await Assert.ThrowsAsync<MediaException>(() =>
            FramePipeline.RunAsync(new SyntheticSource(12, Small), dropping, sink, new FramePipelineOptions { BatchSize = 3 }));

        Assert.That(error!.Message, Does.Contain("'lossy' returned 2 frames for the 3 of frames 6–8"));
        Assert.That(sink.CompletedWith, Is.Null, "an incomplete run never completes its sink");
    }

    [Test]
    public async Task AProcessorFailureNamesTheProcessorAndFrame()
    {
        var failing = new DelegateFrameProcessor("cuda:1", (input, _, _) =>
            input.FirstFrameIndex == 4 ? throw new InvalidOperationException("device lost") : input);

        var error = await Assert.ThrowsAsync<MediaException>(() =>
            FramePipeline.RunAsync(new SyntheticSource(9, Small), failing, new MemorySink()));

        Assert.That(error!.Message, Does.Contain("'cuda:1' failed on frame 4: device lost"));
    }

    [Test]
    public async Task ADecodeFailureStopsTheRunWithTheSourcesError()
    {
        var sink = new MemorySink();

        var error = await Assert.ThrowsAsync<MediaException>(() =>
            FramePipeline.RunAsync(new SyntheticSource(20, Small, failAt: 7), TestProcessors.Identity(), sink));

        Assert.That(error!.Message, Does.Contain("frame 7 is corrupt"));
        Assert.That(sink.CompletedWith, Is.Null);
        Assert.That(sink.Frames.Select(f => f.Index), Is.EqualTo(Enumerable.Range(0, 7).Select(i => (long)i)),
            "the frames decoded before the failure still reach the sink, so finished image files are kept");
    }

    [Test]
    public async Task CancellationStopsEveryStage()
    {
        using var cancel = new CancellationTokenSource();
        var slow = new DelegateFrameProcessor("slow", (input, _, token) =>
        {
            if (input.FirstFrameIndex == 3)
            {
                // Blocked in the processor, as on a long device call, when the caller cancels.
                cancel.CancelAfter(50);
                token.WaitHandle.WaitOne(TimeSpan.FromSeconds(10));
            }
            return input;
        });
        var sink = new MemorySink();

        await Assert.CatchAsync<OperationCanceledException>(() =>
            FramePipeline.RunAsync(new SyntheticSource(1000, Small), slow, sink, cancellationToken: cancel.Token));
        Assert.That(sink.CompletedWith, Is.Null);
        Assert.That(sink.Frames, Has.Count.LessThanOrEqualTo(3));
    }
}
