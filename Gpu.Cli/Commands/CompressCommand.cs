using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gpu.Core;
using Gpu.Models;
using Gpu.Models.Compression;
using Gpu.Models.Safetensors;
using Spectre.Console;

namespace Gpu.Cli.Commands;

/// <summary>
/// <c>gpuc compress</c>: Deep Compression of a model into a <c>.gpuc</c> file: pruning (none, one
/// magnitude sparsity for every layer, per-layer sparsities by sensitivity to a quality budget, or a
/// plan given as JSON) of single weights or whole output channels, then k-means weight sharing and
/// Huffman coding or int8, with the per-tensor table and the quality reached.
/// </summary>
internal static class CompressCommand
{
    // Calibration crops: big enough for CAN24's context, small enough that a sweep of every layer takes seconds.
    private const int CanCrop = 128, VdsrCrop = 64;

    // CRNN's budget when none is given: one percentage point of character error rate.
    private const double DefaultCerBudget = 1;

    private sealed record Settings(string Model, string Output, string Prune, double Sparsity, double MinPsnr, string? Budget, double? TaskPsnr,
        int Bits, bool Structured, bool Int8, string? PlanFile, string? Decoded, string Device, string[] Calibration, bool Overwrite, bool Json);

    /// <summary>A quality measure, higher is better, with the floors a sensitivity schedule must meet.</summary>
    /// <summary>How a model's quality is measured and the floors the sensitivity schedule keeps; <paramref name="OriginalTask"/>
    /// is set when <paramref name="Measure"/> is the task's PSNR itself (VDSR) rather than closeness to the original's outputs.</summary>
    private sealed record Quality(Func<ModelWeights, double> Measure, double ModelFloor, double LayerFloor, string Describe, double? OriginalTask = null);

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A shipped model's name (see `gpuc models`) or a safetensors file." };
        var output = new Option<string>("--output", "-o") { Description = "The .gpuc file to write.", Required = true };
        var prune = new Option<string>("--prune") { Description = "none, magnitude (every layer at --sparsity), global (one magnitude threshold over all layers dropping --sparsity of all their weights) or sensitivity (per-layer sparsity meeting --budget or --min-psnr).", DefaultValueFactory = _ => "sensitivity" };
        var structured = new Option<bool>("--structured") { Description = "Prune whole output channels by their L1 norm instead of single weights: each pruned channel leaves its layer (weights, bias, norm) and the next layer's input, so the network runs narrower. Only layers whose output feeds just the next layer are pruned (not the last layer, nor the LSTMs); the others are only shared." };
        var int8 = new Option<bool>("--int8") { Description = "Store weights as int8 with one scale per output channel instead of shared values; combines with --prune none or --structured." };
        var sparsity = new Option<double>("--sparsity") { Description = "With --prune magnitude: the share of each layer's weights (or channels) dropped; with --prune global, of all layers' weights together (0 to 1).", DefaultValueFactory = _ => 0.5 };
        var budget = new Option<string>("--budget") { Description = "With --prune sensitivity: the quality compression may cost. Image models: a loss of task PSNR, e.g. 0.5dB: VDSR's task PSNR is measured on the calibration images (shrunk by bicubic, upscaled back); FIP's becomes a floor on the PSNR against the original's outputs of task PSNR − 10·log10(10^(dB/10) − 1) (errors adding as uncorrelated). CRNN: a rise of character error rate on the calibration lines, e.g. 1% or 1pp (default 1pp)." };
        var taskPsnr = new Option<double?>("--task-psnr") { Description = "With a dB budget, FIP: the original model's PSNR on its task; by default the held-out mean in the model card (NAME.json) beside the weights." };
        var minPsnr = new Option<double>("--min-psnr") { Description = "With --prune sensitivity and no --budget, image models: the least PSNR (dB) of the compressed model's outputs against the original's on the calibration images.", DefaultValueFactory = _ => 40 };
        var bits = new Option<int>("--bits") { Description = "Bits per shared weight value (k-means with 2^bits centroids), 2 to 8.", DefaultValueFactory = _ => 5 };
        var plan = new Option<string>("--plan") { Description = "Per-tensor sparsity and bits from a JSON file: the \"plan\" array of a `gpuc compress --json` report (overrides --prune and --bits; used to recompress a retrained model as it was planned; a layer already narrowed to the kept_channels the report records is not narrowed again)." };
        var decoded = new Option<string>("--decoded") { Description = "Also write the compressed model decoded to dense float32 (pruned weights zero, shared values exact) as safetensors, e.g. for tools/training/finetune_compressed.py." };
        var device = new Option<string>("--device", "-d") { Description = "Device the calibration runs on.", DefaultValueFactory = _ => "cpu" };
        var calibration = new Option<string[]>("--calibration") { Description = "Calibration images (files or folders; FIP, VDSR) or folders of text lines with a lines.json (CRNN); the shipped samples by default.", AllowMultipleArgumentsPerToken = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var command = new Command("compress", "Prune, share (or int8-quantize) and Huffman-code a model's weights into a .gpuc file, with a per-layer report.")
            { model, output, prune, structured, int8, sparsity, budget, taskPsnr, minPsnr, bits, plan, decoded, device, calibration, overwrite, json };
        command.SetAction(result =>
        {
            try
            {
                return Run(new Settings(result.GetValue(model)!, result.GetValue(output)!, result.GetValue(prune)!, result.GetValue(sparsity), result.GetValue(minPsnr),
                    result.GetValue(budget), result.GetValue(taskPsnr), result.GetValue(bits), result.GetValue(structured), result.GetValue(int8), result.GetValue(plan), result.GetValue(decoded),
                    result.GetValue(device)!, result.GetValue(calibration) ?? [], result.GetValue(overwrite), result.GetValue(json)));
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or FormatException or JsonException
                or IOException or UnauthorizedAccessException or NotSupportedException or DeviceNotFoundException or Gpu.Media.MediaException)
            {
                Console.Error.WriteLine($"gpuc compress: {e.Message}");
                return e is ArgumentException or FormatException ? 2 : 1;
            }
        });
        return command;
    }

    private static int Run(Settings settings)
    {
        if (settings.Bits is < 2 or > 8)
            throw new ArgumentException($"--bits {settings.Bits}: 2 to 8.");
        if (settings.Prune is not ("none" or "magnitude" or "global" or "sensitivity"))
            throw new ArgumentException($"--prune '{settings.Prune}': none, magnitude, global or sensitivity.");
        if (settings.Prune == "global" && settings.Structured)
            throw new ArgumentException("--prune global ranks single weights across layers; --structured drops whole channels per layer: use --prune magnitude or sensitivity with it.");
        if (!(settings.Sparsity is >= 0 and < 1))
            throw new ArgumentException($"--sparsity {settings.Sparsity}: a fraction from 0 up to (not including) 1.");
        if (settings.Int8 && !settings.Structured && settings.Prune != "none" && settings.PlanFile is null)
            throw new ArgumentException("--int8 stores every weight, so pruning single weights saves nothing: pass --prune none or --structured.");
        var budget = settings.Budget is null ? null : QualityBudget.Parse(settings.Budget);
        if (File.Exists(settings.Output) && !settings.Overwrite)
            throw new IOException($"{settings.Output} exists; pass --overwrite to replace it.");
        var clock = Stopwatch.StartNew();
        string source = ModelCatalog.Resolve(settings.Model);
        var weights = ModelWeights.Read(source);
        var architecture = ModelSummary.Recognize(weights);
        var layers = ModelCompressor.Compressible(weights);
        using var accelerator = Devices.Open(settings.Device);
        // Structured pruning removes the output channels of layers that feed only the next layer; the other tensors are only shared.
        IReadOnlyList<string> prunable = settings.Structured ? [.. layers.Intersect(ChannelGroup.Of(weights).Select(g => g.Producer))] : layers;
        var quality = Measure(settings, budget, source, weights, architecture, prunable.Count, accelerator);
        var template = new TensorPlan(0, settings.Bits, settings.Structured ? PruningGranularity.Channels : PruningGranularity.Weights,
            settings.Int8 ? ValueQuantization.Int8 : ValueQuantization.Shared);

        Dictionary<string, TensorPlan> plan;
        IReadOnlyList<SensitivityPoint> sweep = [];
        bool floorHollow = false;
        double? hollow = null;
        if (settings.PlanFile is not null)
            plan = ReadPlan(settings.PlanFile, template);
        else if (settings.Prune == "sensitivity")
        {
            if (quality is null)
                throw new NotSupportedException($"{weights.Source} is a {architecture} model: sensitivity pruning measures FIP, VDSR and CRNN models; use --prune magnitude or none.");
            hollow = quality.Measure(SensitivityAnalysis.WithoutTensors(weights, layers));
            floorHollow = hollow >= quality.ModelFloor;
            if (floorHollow)
                Console.Error.WriteLine($"gpuc compress: warning: the model meets its floor ({quality.Describe}) even with every compressible weight zero " +
                    $"(quality {hollow:F2}), so the schedule may prune what the network adds away; raise the floor (--min-psnr, or --task-psnr with --budget).");
            sweep = SensitivityAnalysis.Sweep(weights, prunable, SensitivityAnalysis.DefaultSparsities, quality.Measure, template.Granularity);
            var unpruned = layers.Except(prunable).ToDictionary(name => name, _ => template, StringComparer.Ordinal);
            plan = SensitivityAnalysis.Schedule(weights, sweep, quality.LayerFloor, quality.ModelFloor, template, quality.Measure, unpruned).Plan;
        }
        else if (settings.Prune == "global")
            plan = GlobalPlan(weights, layers, settings.Sparsity, template);
        else
            plan = layers.ToDictionary(name => name, name => template with { Sparsity = settings.Prune == "none" || !prunable.Contains(name) ? 0 : settings.Sparsity });

        var compressed = ModelCompressor.Compress(weights, plan);
        var decoded = compressed.ToWeights(settings.Output);
        double? reached = quality?.Measure(decoded);
        double? psnr = architecture is ModelArchitecture.Can or ModelArchitecture.Vdsr && quality?.OriginalTask is null ? reached : null;
        double? taskPsnr = quality?.OriginalTask is null ? null : reached;
        var reading = architecture == ModelArchitecture.Crnn && quality is not null ? TextScore(settings, accelerator, decoded) : null;
        var denseReading = reading is null ? null : TextScore(settings, accelerator, weights);
        GpucFile.Write(settings.Output, compressed);
        if (settings.Decoded is not null)
            SafetensorsFile.Write(settings.Decoded, compressed.Tensors.Select(t => SafetensorsFile.Tensor<float>(t.Name, t.Decode(), t.Shape)), compressed.Metadata);
        bool floorMissed = settings.Prune == "sensitivity" && settings.PlanFile is null && reached < quality!.ModelFloor;
        if (floorMissed)
            Console.Error.WriteLine($"gpuc compress: warning: the compressed model misses its floor ({quality!.Describe}) even with nothing pruned: " +
                $"{(settings.Int8 ? "int8" : $"weight sharing at {settings.Bits} bits")} alone costs that much{(settings.Int8 ? "" : "; pass more --bits")}.");
        long fileBytes = new FileInfo(settings.Output).Length;
        var rows = CompressionTable.Rows(compressed);
        var selections = compressed.Tensors.Where(t => t.ChannelSelection is not null).ToDictionary(t => t.Name, t => t.ChannelSelection!, StringComparer.Ordinal);
        long denseBytes = rows.Sum(r => r.DenseBytes);
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                model = weights.Source, output = settings.Output, prune = settings.Prune, structured = settings.Structured, int8 = settings.Int8, bits = settings.Bits,
                budget = budget?.ToString(), floor = quality?.Describe, file_bytes = fileBytes, dense_bytes = denseBytes, ratio = denseBytes / (double)fileBytes,
                psnr_vs_original = psnr is double p && double.IsFinite(p) ? p : (double?)null, task_psnr = taskPsnr, original_task_psnr = quality?.OriginalTask,
                cer = reading?.CharacterErrorRate, word_accuracy = reading?.WordAccuracy, original_cer = denseReading?.CharacterErrorRate, original_word_accuracy = denseReading?.WordAccuracy,
                floor_met = settings.Prune == "sensitivity" && settings.PlanFile is null ? !floorMissed : (bool?)null, floor_met_with_weights_zero = floorHollow,
                quality_with_weights_zero = hollow is double h && double.IsFinite(h) ? h : (double?)null, seconds = clock.Elapsed.TotalSeconds,
                plan = plan.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new
                {
                    tensor = p.Key, sparsity = p.Value.Sparsity, bits = p.Value.Bits, granularity = p.Value.Granularity.ToString(), quantization = p.Value.Quantization.ToString(),
                    // What a later --plan on this model decoded (and retrained) needs so as not to narrow it again.
                    channels = selections.GetValueOrDefault(p.Key)?.Original, kept_channels = selections.GetValueOrDefault(p.Key)?.Kept,
                }),
                tensors = rows.Select(r => new { tensor = r.Tensor, shape = r.Shape, codec = r.Codec, zeros = r.Sparsity, value_bits = r.ValueBits, gap_bits = r.GapBits, bytes = r.Bytes }),
                sensitivity = sweep.Select(s => new { tensor = s.Tensor, sparsity = s.Sparsity, quality = double.IsFinite(s.Quality) ? s.Quality : (double?)null }),
            }));
            return 0;
        }
        var console = AnsiConsole.Console;
        CompressionTable.Print(console, rows, fileBytes);
        string measured = psnr is double q ? $"; PSNR against the original's outputs on the calibration images {Db(q)}"
            : taskPsnr is double t ? $"; task PSNR on the calibration images {Db(t)} (original {Db(quality!.OriginalTask!.Value)})"
            : reading is not null ? $"; calibration lines: CER {reading.CharacterErrorRate:P1} (original {denseReading!.CharacterErrorRate:P1}), words {reading.WordAccuracy:P1} (original {denseReading.WordAccuracy:P1})"
            : "; quality not measured";
        console.MarkupLineInterpolated(
            $"wrote {settings.Output}: {fileBytes:N0} bytes, {denseBytes / (double)fileBytes:F1}× smaller than float32{measured} ({clock.Elapsed.TotalSeconds:F1} s)");
        return 0;
    }

    /// <summary>The quality measure and floors for the model's architecture, or null where none is known.</summary>
    private static Quality? Measure(Settings settings, QualityBudget? budget, string source, ModelWeights weights, ModelArchitecture architecture, int layers, Accelerator accelerator)
    {
        if (architecture is ModelArchitecture.Can or ModelArchitecture.Vdsr)
        {
            if (budget is { Unit: not BudgetUnit.Decibels })
                throw new ArgumentException($"--budget {settings.Budget}: image models take a PSNR loss in dB, e.g. 0.5dB.");
            if (architecture == ModelArchitecture.Vdsr && budget is not null)
                return SuperResolutionTask(settings, budget, source, weights, layers, accelerator);
            var fidelity = new ImageModelFidelity(accelerator, weights, CompressionCalibration.Images(settings.Calibration, architecture == ModelArchitecture.Can ? CanCrop : VdsrCrop));
            double floor = budget is null ? settings.MinPsnr : budget.FidelityFloor(settings.TaskPsnr ?? CardTaskPsnr(source));
            // Errors of layers pruned together roughly add up, so each layer alone may cost a share of the floor's error: 10·log10(L) dB more.
            return new Quality(fidelity.Psnr, floor, floor + 10 * Math.Log10(layers), $"PSNR against the original's outputs ≥ {floor:F2} dB");
        }
        if (architecture == ModelArchitecture.Crnn)
        {
            if (budget is { Unit: not BudgetUnit.PercentagePoints })
                throw new ArgumentException($"--budget {settings.Budget}: CRNN takes a rise of character error rate, e.g. 1% or 1pp.");
            var accuracy = new TextLineAccuracy(accelerator, CompressionCalibration.TextLines(settings.Calibration));
            double allowed = budget?.Amount ?? DefaultCerBudget;
            double originalCer = 100 * accuracy.Score(weights).CharacterErrorRate;
            // Quality is minus the CER in percent; as with PSNR, each layer alone may cost its share of the budget.
            return new Quality(w => -100 * accuracy.Score(w).CharacterErrorRate, -(originalCer + allowed), -(originalCer + allowed / layers),
                $"CER on the calibration lines ≤ {originalCer + allowed:F2} % (original {originalCer:F2} %)");
        }
        return null;
    }

    /// <summary>
    /// VDSR's budget as a loss of its task PSNR, measured directly (the calibration crops shrunk and
    /// upscaled back): its output is bicubic plus a small learned residual, so closeness to the
    /// original's outputs says little (bicubic alone is close) and the lost residual is exactly its gain.
    /// </summary>
    private static Quality SuperResolutionTask(Settings settings, QualityBudget budget, string source, ModelWeights weights, int layers, Accelerator accelerator)
    {
        if (settings.TaskPsnr is not null)
            throw new ArgumentException("--task-psnr: VDSR's task PSNR is measured on the calibration images, not given.");
        int scale = CardScale(source);
        var task = new SuperResolutionQuality(accelerator, CompressionCalibration.Images(settings.Calibration, CanCrop), scale);
        double original = task.Psnr(weights), floor = original - budget.Amount;
        // As for fidelity, the layers' errors roughly add: each layer alone may cost a 1/L share of the budget's squared error.
        double originalError = Math.Pow(10, -original / 10), floorError = Math.Pow(10, -floor / 10);
        double layerFloor = -10 * Math.Log10(originalError + (floorError - originalError) / layers);
        return new Quality(task.Psnr, floor, layerFloor, $"task PSNR (×{scale}, calibration crops shrunk by bicubic) ≥ {floor:F2} dB (original {original:F2} dB)", original);
    }

    /// <summary>The scale a VDSR model card (NAME.json) names; 2 where there is no card.</summary>
    private static int CardScale(string weightsPath)
    {
        return Card(weightsPath).Node?["scale"] is { } scale ? scale.GetValue<int>() : 2;
    }

    /// <summary>The model card beside a weights file (NAME.json beside NAME.safetensors): its path, and its contents where it exists.</summary>
    private static (string Path, JsonNode? Node) Card(string weightsPath)
    {
        string card = Path.ChangeExtension(weightsPath, ".json");
        return (card, File.Exists(card) ? JsonNode.Parse(File.ReadAllText(card)) : null);
    }

    private static TextReadingScore TextScore(Settings settings, Accelerator accelerator, ModelWeights weights)
        => new TextLineAccuracy(accelerator, CompressionCalibration.TextLines(settings.Calibration)).Score(weights);

    /// <summary>The held-out mean PSNR the model card (NAME.json beside NAME.safetensors) reports: FIP's psnr_db, VDSR's psnr_rgb_vdsr_db.</summary>
    private static double CardTaskPsnr(string weightsPath)
    {
        var (card, node) = Card(weightsPath);
        if (node is null)
            throw new ArgumentException($"a dB budget needs the model's task PSNR: pass --task-psnr (no model card {card})");
        var mean = node["held_out_mean"];
        var value = mean?["psnr_db"] ?? mean?["psnr_rgb_vdsr_db"];
        return value is not null ? value.GetValue<double>() : throw new ArgumentException($"{card} reports no held-out PSNR; pass --task-psnr");
    }

    /// <summary>Global magnitude pruning: one threshold over every compressible layer's weights drops
    /// <paramref name="sparsity"/> of them all, so each layer's share is what falls under it.</summary>
    private static Dictionary<string, TensorPlan> GlobalPlan(ModelWeights weights, IReadOnlyList<string> layers, double sparsity, TensorPlan template)
    {
        var values = layers.ToDictionary(name => name, name => weights.Float(name, [.. weights.ShapeOf(name)]), StringComparer.Ordinal);
        float threshold = MagnitudePruning.GlobalThreshold(values.Values.Select(v => (ReadOnlyMemory<float>)v), sparsity);
        return layers.ToDictionary(name => name, name =>
        {
            var kept = MagnitudePruning.MaskByThreshold(values[name], threshold);
            return template with { Sparsity = kept.Count(k => !k) / (double)kept.Length };
        }, StringComparer.Ordinal);
    }

    /// <summary>A per-tensor plan from the "plan" array of a <c>--json</c> report; the template gives what an entry leaves out.</summary>
    private static Dictionary<string, TensorPlan> ReadPlan(string path, TensorPlan template)
    {
        var entries = JsonNode.Parse(File.ReadAllText(path))?["plan"] as JsonArray
            ?? throw new InvalidDataException($"{path}: no \"plan\" array (write one with gpuc compress --json)");
        var plan = new Dictionary<string, TensorPlan>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            string tensor = entry?["tensor"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: a plan entry without a \"tensor\"");
            double sparsity = entry["sparsity"]?.GetValue<double>() ?? 0;
            int bits = entry["bits"]?.GetValue<int>() ?? template.Bits;
            var granularity = entry["granularity"] is { } g ? Enum.Parse<PruningGranularity>(g.GetValue<string>()) : template.Granularity;
            var quantization = entry["quantization"] is { } q ? Enum.Parse<ValueQuantization>(q.GetValue<string>()) : template.Quantization;
            if (!(sparsity is >= 0 and <= 1) || bits is < 2 or > 8)
                throw new InvalidDataException($"{path}: {tensor}: sparsity {sparsity} or bits {bits} out of range");
            ChannelSelection? kept = null;
            if (entry["kept_channels"] is JsonArray indices)
            {
                int channels = entry["channels"]?.GetValue<int>() ?? throw new InvalidDataException($"{path}: {tensor}: \"kept_channels\" without \"channels\"");
                kept = new ChannelSelection(channels, [.. indices.Select(i => i?.GetValue<int>() ?? throw new InvalidDataException($"{path}: {tensor}: a null kept channel"))]);
                kept.Check(tensor, [kept.Kept.Count]);
            }
            plan[tensor] = new TensorPlan(sparsity, bits, granularity, quantization, kept);
        }
        return plan;
    }

    private static string Db(double psnr) => double.IsFinite(psnr) ? psnr.ToString("F1", CultureInfo.InvariantCulture) + " dB" : "∞ (identical)";
}
