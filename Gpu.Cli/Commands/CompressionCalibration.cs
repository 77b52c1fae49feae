using System.Text.Json;
using Gpu.Media.Frames;
using Gpu.Media.Images;
using Gpu.Models;
using Gpu.Models.Compression;

namespace Gpu.Cli.Commands;

/// <summary>The calibration inputs <c>gpuc compress</c> measures quality on: image crops for FIP and VDSR, text lines with truths for CRNN.</summary>
internal static class CompressionCalibration
{
    /// <summary>Centre crops of the calibration images (the shipped samples by default), RGB in [0, 1].</summary>
    public static IReadOnlyList<(ImageShape, float[])> Images(string[] given, int crop)
    {
        string[] paths = given.Length > 0 ? given : [SamplesImages()];
        var files = paths.SelectMany(path => Directory.Exists(path)
            ? Directory.EnumerateFiles(path).Where(f => ImageCodec.InputExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal)
            : File.Exists(path) ? (IEnumerable<string>)[path] : throw new FileNotFoundException($"{path}: no such calibration image or folder", path)).ToList();
        if (files.Count == 0)
            throw new FileNotFoundException($"no calibration images in {string.Join(", ", paths)}; give some with --calibration");
        return [.. files.Select(file =>
        {
            var (rgb, width, height) = ReadRgb(file);
            int cropHeight = Math.Min(crop, height), cropWidth = Math.Min(crop, width);
            int top = (height - cropHeight) / 2, left = (width - cropWidth) / 2;
            var pixels = new float[3 * cropHeight * cropWidth];
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < cropHeight; y++)
                    rgb.AsSpan((c * height + top + y) * width + left, cropWidth).CopyTo(pixels.AsSpan((c * cropHeight + y) * cropWidth, cropWidth));
            return (new ImageShape(1, 3, cropHeight, cropWidth), pixels);
        })];
    }

    /// <summary>
    /// Text lines with their truths from folders holding a <c>lines.json</c> (<c>{"lines": [{"file", "text"}]}</c>,
    /// as samples/images/text and tools/training/make_crnn_calibration.py write it); the shipped lines by default.
    /// </summary>
    public static IReadOnlyList<TextLine> TextLines(string[] given)
    {
        string[] folders = given.Length > 0 ? given : [Path.Combine(SamplesImages(), "text")];
        var lines = new List<TextLine>();
        foreach (string folder in folders)
        {
            string index = Path.Combine(folder, "lines.json");
            if (!File.Exists(index))
                throw new FileNotFoundException($"{folder}: CRNN calibration needs a folder with a lines.json naming each line's file and text", index);
            using var document = JsonDocument.Parse(File.ReadAllText(index));
            if (!document.RootElement.TryGetProperty("lines", out var entries) || entries.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{index}: no \"lines\" array");
            foreach (var entry in entries.EnumerateArray())
            {
                string file = entry.TryGetProperty("file", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : throw new InvalidDataException($"{index}: a line without a \"file\"");
                string text = entry.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : throw new InvalidDataException($"{index}: line {file} without a \"text\"");
                var (rgb, width, height) = ReadRgb(Path.Combine(folder, file));
                lines.Add(new TextLine(rgb, width, height, text));
            }
        }
        return lines.Count > 0 ? lines : throw new InvalidDataException($"no calibration text lines in {string.Join(", ", folders)}");
    }

    private static string SamplesImages() => Path.Combine(Path.GetDirectoryName(ModelCatalog.Folder() ?? ".")!, "images");

    private static (float[] Rgb, int Width, int Height) ReadRgb(string file)
    {
        using var image = ImageCodec.Read(file, new FrameBatchPool());
        var size = image.Format.Size;
        return (image.Frame(0).ToArray(), size.Width, size.Height);
    }
}
