namespace Gpu.Core;

/// <summary>How the dimensions of a 4D image tensor lie in memory. The shape is always given in
/// logical (N, C, H, W) order; the layout decides the strides.</summary>
public enum TensorLayout
{
    /// <summary>Row-major in the order of the shape (for 4D: NCHW).</summary>
    RowMajor,
    /// <summary>Channels innermost: (N, H, W, C) in memory; PyTorch's <c>channels_last</c>.</summary>
    Nhwc,
}

/// <summary>The element types a tensor can hold.</summary>
public enum TensorElementType
{
    /// <summary>32-bit float.</summary>
    Float32,
    /// <summary>16-bit float.</summary>
    Float16,
    /// <summary>Signed 8-bit integer.</summary>
    Int8,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8,
    /// <summary>Signed 32-bit integer.</summary>
    Int32,
}
