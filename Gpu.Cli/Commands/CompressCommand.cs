using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gpu.Core;
using Gpu.Media.Frames;
using Gpu.Media.Images;
using Gpu.Models;
using Gpu.Models.Compression;
using Spectre.Console;

namespace Gpu.Cli.Commands;

/// <summary>
/// <c>gpuc compress</c>: Deep Compression of a model into a <c>.gpuc</c> file: pruning (none, one
/// magnitude sparsity for every layer, or per-layer sparsities by sensitivity to a quality floor),
/// k-means weight sharing and Huffman coding, with the per-tensor table and the quality reached.
/// </summary>
internal static class CompressCommand
{
    // Calibration crops: big enough for CAN24's context, small enough that a sweep of every layer takes seconds.
    private const int CanCrop = 128, VdsrCrop = 64;

    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A shipped model's name (see `gpuc models`) or a safetensors file." };
        var output = new Option<string>("--output", "-o") { Description = "The .gpuc file to write.", Required = true };
        var prune = new Option<string>("--prune") { Description = "none, magnitude (every layer at --sparsity) or sensitivity (per-layer sparsity meeting --min-psnr).", DefaultValueFactory = _ => "sensitivity" };
        var sparsity = new Option<double>("--sparsity") { Description = "With --prune magnitude: the share of each layer's weights dropped (0 to 1).", DefaultValueFactory = _ => 0.5 };
        var minPsnr = new Option<double>("--min-psnr") { Description = "With --prune sensitivity: the least PSNR (dB) of the compressed model's outputs against the original's on the calibration images.", DefaultValueFactory = _ => 40 };
        var bits = new Option<int>("--bits") { Description = "Bits per shared weight value (k-means with 2^bits centroids), 2 to 8.", DefaultValueFactory = _ => 5 };
        var device = new Option<string>("--device", "-d") { Description = "Device the calibration runs on.", DefaultValueFactory = _ => "cpu" };
        var calibration = new Option<string[]>("--calibration") { Description = "Calibration images (files or folders); the shipped sample images by default.", AllowMultipleArgumentsPerToken = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var command = new Command("compress", "Prune, share and Huffman-code a model's weights into a .gpuc file, with a per-layer report.")
            { model, output, prune, sparsity, minPsnr, bits, device, calibration, overwrite, json };
        command.SetAction(result =>
        {
            try
            {
                return Run(result.GetValue(model)!, result.GetValue(output)!, result.GetValue(prune)!, result.GetValue(sparsity), result.GetValue(minPsnr),
                    result.GetValue(bits), result.GetValue(device)!, result.GetValue(calibration) ?? [], result.GetValue(overwrite), result.GetValue(json));
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                or IOException or UnauthorizedAccessException or NotSupportedException or DeviceNotFoundException or Gpu.Media.MediaException)
            {
                Console.Error.WriteLine($"gpuc compress: {e.Message}");
                return e is ArgumentException ? 2 : 1;
            }
        });
        return command;
    }

    private static int Run(string modelName, string output, string prune, double sparsity, double minPsnr, int bits, string deviceName,
        string[] calibration, bool overwrite, bool json)
    {
        if (bits is < 2 or > 8)
            throw new ArgumentException($"--bits {bits}: 2 to 8.");
        if (prune is not ("none" or "magnitude" or "sensitivity"))
            throw new ArgumentException($"--prune '{prune}': none, magnitude or sensitivity.");
        if (!(sparsity is >= 0 and < 1))
            throw new ArgumentException($"--sparsity {sparsity}: a fraction from 0 up to (not including) 1.");
        if (File.Exists(output) && !overwrite)
            throw new IOException($"{output} exists; pass --overwrite to replace it.");
        var clock = Stopwatch.StartNew();
        var weights = ModelWeights.Read(ModelCatalog.Resolve(modelName));
        var architecture = ModelSummary.Recognize(weights);
        var layers = ModelCompressor.Compressible(weights);
        using var accelerator = Devices.Open(deviceName);
        var fidelity = architecture is ModelArchitecture.Can or ModelArchitecture.Vdsr
            ? new ImageModelFidelity(accelerator, weights, CalibrationImages(calibration, architecture == ModelArchitecture.Can ? CanCrop : VdsrCrop))
            : null;
        if (fidelity is null && prune == "sensitivity")
            throw new NotSupportedException($"{weights.Source} is a {architecture} model: sensitivity pruning measures image fidelity (FIP, VDSR); use --prune magnitude or none.");

        Dictionary<string, TensorPlan> plan;
        IReadOnlyList<SensitivityPoint> sweep = [];
        if (prune == "sensitivity")
        {
            // Errors of layers pruned together roughly add up, so each layer alone may cost a share of the floor's error: 10·log10(L) dB more.
            double layerFloor = minPsnr + 10 * Math.Log10(layers.Count);
            sweep = SensitivityAnalysis.Sweep(weights, layers, SensitivityAnalysis.DefaultSparsities, fidelity!.Psnr);
            plan = SensitivityAnalysis.Schedule(weights, sweep, layerFloor, minPsnr, bits, fidelity.Psnr).Plan;
        }
        else
            plan = layers.ToDictionary(name => name, _ => new TensorPlan(prune == "none" ? 0 : sparsity, bits));

        var compressed = ModelCompressor.Compress(weights, plan);
        double? psnr = fidelity?.Psnr(compressed.ToWeights(output));
        GpucFile.Write(output, compressed);
        bool floorMissed = prune == "sensitivity" && psnr < minPsnr;
        if (floorMissed)
            Console.Error.WriteLine($"gpuc compress: warning: the model reaches {Db(psnr!.Value)} against the original, under --min-psnr {minPsnr}, " +
                $"even with nothing pruned: weight sharing at {bits} bits alone costs that much; pass more --bits.");
        long fileBytes = new FileInfo(output).Length;
        var rows = CompressionTable.Rows(compressed);
        long denseBytes = rows.Sum(r => r.DenseBytes);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                model = weights.Source, output, prune, bits, file_bytes = fileBytes, dense_bytes = denseBytes, ratio = denseBytes / (double)fileBytes,
                psnr_vs_original = psnr is double p && double.IsFinite(p) ? p : (double?)null, min_psnr_met = prune == "sensitivity" ? !floorMissed : (bool?)null, seconds = clock.Elapsed.TotalSeconds,
                tensors = rows.Select(r => new { tensor = r.Tensor, shape = r.Shape, codec = r.Codec, zeros = r.Sparsity, value_bits = r.ValueBits, gap_bits = r.GapBits, bytes = r.Bytes }),
                sensitivity = sweep.Select(s => new { tensor = s.Tensor, sparsity = s.Sparsity, psnr = double.IsFinite(s.Quality) ? s.Quality : (double?)null }),
            }));
            return 0;
        }
        var console = AnsiConsole.Console;
        CompressionTable.Print(console, rows, fileBytes);
        string quality = psnr is double q ? $"; PSNR against the original's outputs on the calibration images {Db(q)}" : "; quality not measured for this architecture";
        console.MarkupLineInterpolated($"wrote {output}: {fileBytes:N0} bytes, {denseBytes / (double)fileBytes:F1}× smaller than float32{quality} ({clock.Elapsed.TotalSeconds:F1} s)");
        return 0;
    }

    private static string Db(double psnr) => double.IsFinite(psnr) ? psnr.ToString("F1", CultureInfo.InvariantCulture) + " dB" : "∞ (identical)";

    /// <summary>Centre crops of the calibration images (the shipped samples by default), RGB in [0, 1].</summary>
    private static IReadOnlyList<(ImageShape, float[])> CalibrationImages(string[] given, int crop)
    {
        string[] paths = given.Length > 0 ? given : [Path.Combine(Path.GetDirectoryName(ModelCatalog.Folder() ?? ".")!, "images")];
        var files = paths.SelectMany(path => Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Where(f => ImageCodec.InputExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal)
            : File.Exists(path) ? (IEnumerable<string>)[path] : throw new FileNotFoundException($"{path}: no such calibration image or folder", path)).ToList();
        if (files.Count == 0)
            throw new FileNotFoundException($"no calibration images in {string.Join(", ", paths)}; give some with --calibration");
        var pool = new FrameBatchPool();
        return [.. files.Select(file =>
        {
            using var image = ImageCodec.Read(file, pool);
            var size = image.Format.Size;
            int height = Math.Min(crop, size.Height), width = Math.Min(crop, size.Width);
            int top = (size.Height - height) / 2, left = (size.Width - width) / 2;
            var pixels = new float[3 * height * width];
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < height; y++)
                    image.Plane(0, c).Slice((top + y) * size.Width + left, width).CopyTo(pixels.AsSpan((c * height + y) * width, width));
            return (new ImageShape(1, 3, height, width), pixels);
        })];
    }
}
