namespace Gpu.Models.Crnn;

/// <summary>How a text-line image becomes CRNN's input, as the weights were trained: grayscale,
/// bilinear resize (half-pixel centres, no antialiasing, as OpenCV's <c>INTER_LINEAR</c>) to
/// height 32 keeping the aspect ratio; with a fixed <see cref="Width"/>, narrower lines are padded
/// on the right by repeating their last column and wider ones squeezed to it; values in [0, 1], or
/// mapped to [−1, 1] when <see cref="Symmetric"/>. Read from the <c>input_width</c> and
/// <c>input_range</c> metadata of the weights.</summary>
/// <param name="Width">The fixed line width, or 0 to keep each line's aspect ratio.</param>
/// <param name="Symmetric">Whether values are mapped from [0, 1] to [−1, 1] (crnn.pytorch's normalisation).</param>
public sealed record CrnnInput(int Width, bool Symmetric)
{
    /// <summary>The preprocessing the metadata names; without metadata, crnn.pytorch's [−1, 1] at the line's own width.</summary>
    /// <exception cref="InvalidDataException">A metadata value is malformed.</exception>
    public static CrnnInput FromMetadata(ModelWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        int width = 0;
        if (weights.Metadata.TryGetValue("input_width", out string? text) && (!int.TryParse(text, out width) || width < 4))
            throw weights.Error($"metadata 'input_width' = '{text}' is not a width of at least 4");
        bool symmetric = true;
        if (weights.Metadata.TryGetValue("input_range", out string? range))
            symmetric = range.StartsWith("[-1,1]", StringComparison.Ordinal) ? true
                : range.StartsWith("[0,1]", StringComparison.Ordinal) ? false
                : throw weights.Error($"metadata 'input_range' = '{range}' is neither [-1,1] nor [0,1]");
        return new CrnnInput(width, symmetric);
    }

    /// <summary>The width a line of <paramref name="width"/> × <paramref name="height"/> pixels gets.</summary>
    public int LineWidth(int width, int height) => Width > 0 ? Width : Math.Max(4, ScaledWidth(width, height));

    /// <summary>Prepares one line from RGB planes in [0, 1] (N·3·H·W layout of one image): the
    /// result holds 32 × <see cref="LineWidth"/> values.</summary>
    /// <exception cref="ArgumentException">The planes do not hold 3 × <paramref name="width"/> × <paramref name="height"/> values.</exception>
    public float[] FromRgb(ReadOnlySpan<float> rgb, int width, int height)
    {
        int plane = checked(width * height);
        if (width <= 0 || height <= 0 || rgb.Length != 3 * plane)
            throw new ArgumentException($"An RGB image of {width}×{height} holds {3L * plane} values; {rgb.Length} were given.", nameof(rgb));
        var gray = new float[plane];
        for (int i = 0; i < plane; i++)
            gray[i] = 0.299f * rgb[i] + 0.587f * rgb[plane + i] + 0.114f * rgb[2 * plane + i];
        return FromGray(gray, width, height);
    }

    /// <summary>Prepares one line from grayscale values in [0, 1], row-major.</summary>
    /// <exception cref="ArgumentException">The values do not hold <paramref name="width"/> × <paramref name="height"/>.</exception>
    public float[] FromGray(ReadOnlySpan<float> gray, int width, int height)
    {
        if (width <= 0 || height <= 0 || gray.Length != (long)width * height)
            throw new ArgumentException($"A grayscale image of {width}×{height} holds {(long)width * height} values; {gray.Length} were given.", nameof(gray));
        const int rows = CrnnNetwork.Height;
        int scaled = Math.Max(1, ScaledWidth(width, height)), lineWidth = LineWidth(width, height);
        int resizedWidth = Width > 0 && scaled > Width ? Width : Math.Min(scaled, lineWidth);
        var line = new float[rows * lineWidth];
        for (int y = 0; y < rows; y++)
        {
            var (y0, y1, fy) = Tap(y, height, rows);
            for (int x = 0; x < lineWidth; x++)
            {
                var (x0, x1, fx) = Tap(Math.Min(x, resizedWidth - 1), width, resizedWidth);
                float top = gray[y0 * width + x0] + fx * (gray[y0 * width + x1] - gray[y0 * width + x0]);
                float bottom = gray[y1 * width + x0] + fx * (gray[y1 * width + x1] - gray[y1 * width + x0]);
                float value = top + fy * (bottom - top);
                line[y * lineWidth + x] = Symmetric ? value * 2f - 1f : value;
            }
        }
        return line;
    }

    private static int ScaledWidth(int width, int height) => (int)Math.Round((double)width * CrnnNetwork.Height / height, MidpointRounding.ToEven);

    /// <summary>The two source samples and the weight of the second for output sample <paramref name="index"/>.</summary>
    private static (int First, int Second, float Weight) Tap(int index, int source, int destination)
    {
        double position = (index + 0.5) * source / destination - 0.5;
        if (position <= 0)
            return (0, 0, 0f);
        int first = (int)position;
        if (first >= source - 1)
            return (source - 1, source - 1, 0f);
        return (first, first + 1, (float)(position - first));
    }
}
