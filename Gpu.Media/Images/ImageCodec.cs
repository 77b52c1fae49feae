using Gpu.Media.Files;
using Gpu.Media.Frames;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Gpu.Media.Images;

/// <summary>What an image file's header says, read without decoding its pixels.</summary>
/// <param name="Size">Stored width and height (before EXIF orientation is applied).</param>
/// <param name="Depth">16 bits where the file stores more than 8 bits per sample, else 8.</param>
/// <param name="Format">The format's name, as ImageSharp calls it ("PNG", "JPEG" …).</param>
public sealed record ImageInfo(FrameSize Size, SampleDepth Depth, string Format);

/// <summary>
/// Image files through ImageSharp 2.1: PNG, JPEG, BMP, TIFF, WebP and GIF in (GIF and multi-page
/// TIFF: the first frame), PNG (8 or 16 bits), JPEG and WebP out, chosen by extension. Pixels become
/// planar float RGB in [0, 1]: alpha is dropped, EXIF orientation is applied, and embedded colour
/// profiles are ignored (samples are taken as sRGB as stored).
/// </summary>
public static class ImageCodec
{
    private static readonly Configuration Configuration = CreateConfiguration();

    /// <summary>Extensions read (lower case, with the dot).</summary>
    public static IReadOnlySet<string> InputExtensions { get; } =
        new HashSet<string>([".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Extensions written (lower case, with the dot).</summary>
    public static IReadOnlySet<string> OutputExtensions { get; } =
        new HashSet<string>([".png", ".jpg", ".jpeg", ".webp"], StringComparer.OrdinalIgnoreCase);

    private static Configuration CreateConfiguration()
    {
        var configuration = Configuration.Default.Clone();
        // Only the first frame is used; decoding every frame of an animation would cost memory for nothing.
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    }

    /// <summary>
    /// Reads <paramref name="path"/>'s header. Throws <see cref="MediaException"/> when it is not an
    /// image of a supported format, or has more pixels than the options allow.
    /// </summary>
    public static ImageInfo Identify(string path, ImageDecodeOptions? options = null)
    {
        using var stream = OpenRead(path);
        return Identify(stream, path, options ?? new ImageDecodeOptions());
    }

    /// <summary>
    /// Decodes <paramref name="path"/> into a one-frame batch from <paramref name="pool"/>, with the
    /// same checks as <see cref="Identify(string, ImageDecodeOptions?)"/>.
    /// </summary>
    public static FrameBatch Read(string path, FrameBatchPool pool, ImageDecodeOptions? options = null)
    {
        using var image = DecodedImage.Load(path, options ?? new ImageDecodeOptions());
        var batch = pool.Rent(image.Format, 1);
        image.ConvertTo(batch.FrameMemory(0));
        return batch;
    }

    /// <summary>
    /// Writes frame <paramref name="n"/> of <paramref name="batch"/> to <paramref name="path"/> in the
    /// format its extension names, atomically (a temporary renamed when complete). A 16-bit frame
    /// written as PNG keeps 16 bits.
    /// </summary>
    public static void Write(FrameBatch batch, int n, string path, ImageEncodeOptions? options = null,
        ExistingOutputPolicy policy = ExistingOutputPolicy.Refuse)
    {
        var encoder = EncoderFor(path, batch.Format.Depth, options ?? new ImageEncodeOptions());
        using var output = new AtomicOutputFile(path, policy);
        using (var stream = output.OpenWrite())
        {
            bool deep = encoder is PngEncoder { BitDepth: PngBitDepth.Bit16 };
            Encode(batch.FrameMemory(n), batch.Format.Size, encoder, deep, stream);
        }
        output.Commit();
    }

    internal static ImageInfo Identify(Stream stream, string path, ImageDecodeOptions options)
    {
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(Configuration, stream, out format);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            throw new MediaException($"{path}: unreadable image header: {e.Message}", e);
        }
        if (info is null || format is null)
            throw new MediaException($"{path}: not an image in a supported format (PNG, JPEG, BMP, TIFF, WebP, GIF)");

        var size = new FrameSize(info.Width, info.Height);
        if (size.Pixels > options.MaxPixels)
            throw new MediaException(
                $"{path}: {size} is {size.Pixels:N0} pixels, over the limit of {options.MaxPixels:N0}; raise the pixel limit to read it");
        return new ImageInfo(size, DepthOf(info, format), format.Name);
    }

    private static SampleDepth DepthOf(IImageInfo info, IImageFormat format)
    {
        if (format == PngFormat.Instance)
            return info.Metadata.GetPngMetadata().BitDepth == PngBitDepth.Bit16 ? SampleDepth.Bits16 : SampleDepth.Bits8;
        // Other formats report only bits per pixel: 48 and more is three 16-bit samples or four.
        return info.PixelType.BitsPerPixel >= 48 ? SampleDepth.Bits16 : SampleDepth.Bits8;
    }

    private static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MediaException($"{path}: cannot be opened: {e.Message}", e);
        }
    }

    private static IImageEncoder EncoderFor(string path, SampleDepth depth, ImageEncodeOptions options)
    {
        if (options.Quality is < 1 or > 100)
            throw new ArgumentOutOfRangeException(nameof(options), options.Quality, "quality runs from 1 to 100");
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => new PngEncoder
            {
                ColorType = PngColorType.Rgb,
                BitDepth = depth == SampleDepth.Bits16 ? PngBitDepth.Bit16 : PngBitDepth.Bit8,
            },
            ".jpg" or ".jpeg" => new JpegEncoder { Quality = options.Quality },
            ".webp" => new WebpEncoder
            {
                Quality = options.Quality,
                FileFormat = options.WebpLossless ? WebpFileFormatType.Lossless : WebpFileFormatType.Lossy,
            },
            var extension => throw new MediaException(
                $"{path}: cannot write '{extension}' images; the output formats are PNG, JPEG and WebP (.png, .jpg, .jpeg, .webp)"),
        };
    }

    // ProcessPixelRows takes a delegate, which cannot capture a span: the frame travels as memory.
    private static void Encode(ReadOnlyMemory<float> planar, FrameSize size, IImageEncoder encoder, bool deep, Stream stream)
    {
        if (deep)
        {
            using var image = new Image<Rgb48>(Configuration, size.Width, size.Height);
            image.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                    PixelConversion.RowToInterleaved(planar.Span, size, y, MemoryMarshal.Cast<Rgb48, ushort>(rows.GetRowSpan(y)));
            });
            image.Save(stream, encoder);
        }
        else
        {
            using var image = new Image<Rgb24>(Configuration, size.Width, size.Height);
            image.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height; y++)
                    PixelConversion.RowToInterleaved(planar.Span, size, y, MemoryMarshal.AsBytes(rows.GetRowSpan(y)));
            });
            image.Save(stream, encoder);
        }
    }

    /// <summary>An image decoded into ImageSharp's memory, oriented, waiting to be converted to floats.</summary>
    internal sealed class DecodedImage : IDisposable
    {
        private readonly Image image;

        private DecodedImage(Image image, SampleDepth depth)
        {
            this.image = image;
            Format = new FrameFormat(new FrameSize(image.Width, image.Height), depth);
        }

        public FrameFormat Format { get; }

        public static DecodedImage Load(string path, ImageDecodeOptions options)
        {
            using var stream = OpenRead(path);
            var info = Identify(stream, path, options);
            stream.Position = 0;
            Image image;
            try
            {
                image = info.Depth == SampleDepth.Bits16
                    ? Image.Load<Rgb48>(Configuration, stream)
                    : Image.Load<Rgb24>(Configuration, stream);
                image.Mutate(x => x.AutoOrient());
            }
            catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
            {
                throw new MediaException($"{path}: corrupt or truncated {info.Format} image: {e.Message}", e);
            }
            return new DecodedImage(image, info.Depth);
        }

        public void ConvertTo(Memory<float> planar)
        {
            var size = Format.Size;
            if (image is Image<Rgb48> deep)
            {
                deep.ProcessPixelRows(rows =>
                {
                    for (int y = 0; y < rows.Height; y++)
                        PixelConversion.RowToPlanar(MemoryMarshal.Cast<Rgb48, ushort>(rows.GetRowSpan(y)), planar.Span, size, y);
                });
            }
            else
            {
                ((Image<Rgb24>)image).ProcessPixelRows(rows =>
                {
                    for (int y = 0; y < rows.Height; y++)
                        PixelConversion.RowToPlanar(MemoryMarshal.AsBytes(rows.GetRowSpan(y)), planar.Span, size, y);
                });
            }
        }

        public void Dispose() => image.Dispose();
    }
}
