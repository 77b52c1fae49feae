using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Gpu.Media.Frames;

namespace Gpu.Media.Pipeline;

/// <summary>
/// Decode → process → encode as concurrent stages joined by bounded channels: the decode stage
/// reads and converts frames into pooled batches, one worker per processor takes batches as they
/// come (so several devices share a run), and the encode stage puts the results back in frame order
/// before handing them to the sink. The number of batches alive at once is bounded, so a slow stage
/// holds the others back instead of letting memory grow. Any failure or cancellation stops every
/// stage; the sink is completed only when every frame that went in came out.
/// </summary>
public static class FramePipeline
{
    /// <summary>Runs <paramref name="source"/> through one processor into <paramref name="sink"/>.</summary>
    public static Task<PipelineReport> RunAsync(IFrameSource source, IFrameProcessor processor, IFrameSink sink,
        FramePipelineOptions? options = null, CancellationToken cancellationToken = default) =>
        RunAsync(source, [processor], sink, options, cancellationToken);

    /// <summary>
    /// Runs <paramref name="source"/> through <paramref name="processors"/> (one worker each, batches
    /// spread over whichever is free) into <paramref name="sink"/>. Throws the first stage's failure
    /// (a <see cref="MediaException"/> naming the frames where frames are concerned), or
    /// <see cref="OperationCanceledException"/> when cancelled; the caller disposes source and sink,
    /// which removes unfinished outputs.
    /// </summary>
    public static async Task<PipelineReport> RunAsync(IFrameSource source, IReadOnlyList<IFrameProcessor> processors,
        IFrameSink sink, FramePipelineOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(processors);
        if (processors.Count == 0)
            throw new ArgumentException("at least one processor is needed", nameof(processors));
        options ??= new FramePipelineOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.QueueCapacity);

        using var run = new PipelineRun(source, processors, sink, options, cancellationToken);
        return await run.ExecuteAsync().ConfigureAwait(false);
    }

    private sealed class PipelineRun : IDisposable
    {
        private readonly IFrameSource source;
        private readonly IReadOnlyList<IFrameProcessor> processors;
        private readonly IFrameSink sink;
        private readonly FramePipelineOptions options;
        private readonly FrameBatchPool pool;
        private readonly CancellationToken callerToken;
        private readonly CancellationTokenSource stop;
        private readonly Channel<(long Sequence, FrameBatch Batch)> decoded, processed;
        private readonly SemaphoreSlim slots;
        private readonly object failureLock = new();
        private ExceptionDispatchInfo? failure, decodeFailure;
        private int workersLeft;

        private long decodeTicks, convertTicks, encodeTicks, framesDecoded, framesWritten, batchesWritten;
        private readonly long[] processTicks, processCalls;

        public PipelineRun(IFrameSource source, IReadOnlyList<IFrameProcessor> processors, IFrameSink sink,
            FramePipelineOptions options, CancellationToken callerToken)
        {
            this.source = source;
            this.processors = processors;
            this.sink = sink;
            this.options = options;
            this.callerToken = callerToken;
            pool = options.Pool ?? new FrameBatchPool();
            stop = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
            var bounded = new BoundedChannelOptions(options.QueueCapacity) { FullMode = BoundedChannelFullMode.Wait };
            decoded = Channel.CreateBounded<(long, FrameBatch)>(bounded);
            processed = Channel.CreateBounded<(long, FrameBatch)>(bounded);
            // Both queues full, every worker holding one batch, and one batch each in the decode
            // and encode stages: beyond this the re-ordering buffer could grow behind a slow worker.
            slots = new SemaphoreSlim(2 * options.QueueCapacity + processors.Count + 2);
            workersLeft = processors.Count;
            processTicks = new long[processors.Count];
            processCalls = new long[processors.Count];
        }

        public async Task<PipelineReport> ExecuteAsync()
        {
            long start = Stopwatch.GetTimestamp();
            var stages = new List<Task> { Stage(Decode, decoded.Writer), Stage(Encode, null) };
            for (int w = 0; w < processors.Count; w++)
            {
                int worker = w;
                stages.Add(Stage(() => Process(worker), null, onExit: () =>
                {
                    if (Interlocked.Decrement(ref workersLeft) == 0)
                        processed.Writer.TryComplete();
                }));
            }
            await Task.WhenAll(stages).ConfigureAwait(false);
            ReleaseLeftovers();

            failure?.Throw();
            callerToken.ThrowIfCancellationRequested();
            decodeFailure?.Throw();
            if (framesWritten != framesDecoded)
                throw new MediaException(
                    $"{source.Name}: {framesDecoded} frames went in but {framesWritten} came out; frame {framesWritten} is the first missing");

            long t = Stopwatch.GetTimestamp();
            sink.Complete(framesWritten, callerToken);
            encodeTicks += Stopwatch.GetTimestamp() - t;
            return Report(Stopwatch.GetElapsedTime(start));
        }

        private Task Stage(Action body, ChannelWriter<(long, FrameBatch)>? output, Action? onExit = null) =>
            Task.Factory.StartNew(() =>
            {
                try
                {
                    body();
                }
                catch (Exception e)
                {
                    Fail(e);
                }
                finally
                {
                    output?.TryComplete();
                    onExit?.Invoke();
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        private void Fail(Exception e)
        {
            lock (failureLock)
            {
                // Once a run is stopping, the errors of stages torn down by the stop (a killed
                // ffmpeg's broken pipe, a cancelled wait) are consequences, not causes.
                if (failure is null && !stop.IsCancellationRequested)
                    failure = ExceptionDispatchInfo.Capture(e);
            }
            stop.Cancel();
        }

        private void Decode()
        {
            var token = stop.Token;
            long sequence = 0;
            long t = Stopwatch.GetTimestamp();
            bool more = TryDecodeNext(out var format, token);
            decodeTicks += Stopwatch.GetTimestamp() - t;
            while (more)
            {
                slots.Wait(token);
                var batch = pool.Rent(format, options.BatchSize);
                batch.FirstFrameIndex = framesDecoded;
                int n = 0;
                FrameFormat next;
                try
                {
                    do
                    {
                        t = Stopwatch.GetTimestamp();
                        source.ConvertCurrent(batch.FrameMemory(n));
                        long u = Stopwatch.GetTimestamp();
                        convertTicks += u - t;
                        n++;
                        framesDecoded++;
                        more = TryDecodeNext(out next, token);
                        decodeTicks += Stopwatch.GetTimestamp() - u;
                    } while (more && n < options.BatchSize && next == format);
                    batch.Count = n;
                    Put(decoded.Writer, (sequence++, batch), token);
                }
                catch
                {
                    batch.Dispose();
                    throw;
                }
                format = next;
            }
        }

        // A corrupt input ends the input where it is: the frames before it still go through (so a
        // folder run keeps the images before a bad file), and the run fails once they are out.
        private bool TryDecodeNext(out FrameFormat format, CancellationToken token)
        {
            try
            {
                return source.TryDecodeNext(out format, token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                decodeFailure = ExceptionDispatchInfo.Capture(e);
                format = default;
                return false;
            }
        }

        private void Process(int worker)
        {
            var token = stop.Token;
            var processor = processors[worker];
            while (Take(decoded.Reader, out var item, token))
            {
                var input = item.Batch;
                int count = input.Count;
                long first = input.FirstFrameIndex;
                FrameBatch output;
                long t = Stopwatch.GetTimestamp();
                try
                {
                    output = processor.Process(input, pool, token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    input.Dispose();
                    throw new MediaException($"{source.Name}: processor '{processor.Name}' failed on {Frames(first, count)}: {e.Message}", e);
                }
                catch
                {
                    input.Dispose();
                    throw;
                }
                processTicks[worker] += Stopwatch.GetTimestamp() - t;
                processCalls[worker]++;
                if (!ReferenceEquals(output, input))
                    input.Dispose();
                if (output.Count != count)
                {
                    output.Dispose();
                    throw new MediaException(
                        $"{source.Name}: processor '{processor.Name}' returned {output.Count} frames for the {count} of {Frames(first, count)}; frames out must equal frames in");
                }
                output.FirstFrameIndex = first;
                Put(processed.Writer, (item.Sequence, output), token);
            }
        }

        private void Encode()
        {
            var token = stop.Token;
            var pending = new Dictionary<long, FrameBatch>();
            long next = 0;
            try
            {
                while (Take(processed.Reader, out var item, token))
                {
                    pending.Add(item.Sequence, item.Batch);
                    while (pending.Remove(next, out var batch))
                    {
                        using (batch)
                        {
                            long t = Stopwatch.GetTimestamp();
                            sink.Write(batch, token);
                            encodeTicks += Stopwatch.GetTimestamp() - t;
                            framesWritten += batch.Count;
                            batchesWritten++;
                        }
                        slots.Release();
                        next++;
                    }
                }
            }
            finally
            {
                foreach (var batch in pending.Values)
                    batch.Dispose();
            }
        }

        private static string Frames(long first, int count) =>
            count == 1 ? $"frame {first}" : $"frames {first}–{first + count - 1}";

        private static void Put<T>(ChannelWriter<T> writer, T item, CancellationToken token)
        {
            token.ThrowIfCancellationRequested();
            if (!writer.TryWrite(item))
                writer.WriteAsync(item, token).AsTask().GetAwaiter().GetResult();
        }

        // Stages run on dedicated threads and block here, rather than awaiting on the thread pool:
        // their work is synchronous (decoders, devices, pipes) and would otherwise starve the pool.
        private static bool Take<T>(ChannelReader<T> reader, out T item, CancellationToken token)
        {
            // A stopped run does no more work, even where batches are still queued.
            token.ThrowIfCancellationRequested();
            while (!reader.TryRead(out item!))
            {
                if (!reader.WaitToReadAsync(token).AsTask().GetAwaiter().GetResult())
                    return false;
            }
            return true;
        }

        private void ReleaseLeftovers()
        {
            while (decoded.Reader.TryRead(out var item))
                item.Batch.Dispose();
            while (processed.Reader.TryRead(out var item))
                item.Batch.Dispose();
        }

        private PipelineReport Report(TimeSpan elapsed)
        {
            var stages = new List<StageTiming>
            {
                new("decode", Stopwatch.GetElapsedTime(0, decodeTicks), framesDecoded),
                new("convert", Stopwatch.GetElapsedTime(0, convertTicks), framesDecoded),
            };
            for (int w = 0; w < processors.Count; w++)
                stages.Add(new($"process {processors[w].Name}", Stopwatch.GetElapsedTime(0, processTicks[w]), processCalls[w]));
            stages.Add(new("encode", Stopwatch.GetElapsedTime(0, encodeTicks), batchesWritten));
            return new PipelineReport(framesWritten, elapsed, stages);
        }

        public void Dispose()
        {
            stop.Dispose();
            slots.Dispose();
        }
    }
}
