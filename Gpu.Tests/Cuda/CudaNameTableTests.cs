using Gpu.Core.Cuda.Native;

namespace Gpu.Tests.Cuda;

public sealed class CudaNameTableTests
{
    // Codes and names as cuda.h defines them.
    [TestCase(0, "CUDA_SUCCESS")]
    [TestCase(1, "CUDA_ERROR_INVALID_VALUE")]
    [TestCase(2, "CUDA_ERROR_OUT_OF_MEMORY")]
    [TestCase(3, "CUDA_ERROR_NOT_INITIALIZED")]
    [TestCase(34, "CUDA_ERROR_STUB_LIBRARY")]
    [TestCase(100, "CUDA_ERROR_NO_DEVICE")]
    [TestCase(200, "CUDA_ERROR_INVALID_IMAGE")]
    [TestCase(209, "CUDA_ERROR_NO_BINARY_FOR_GPU")]
    [TestCase(218, "CUDA_ERROR_INVALID_PTX")]
    [TestCase(222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION")]
    [TestCase(500, "CUDA_ERROR_NOT_FOUND")]
    [TestCase(700, "CUDA_ERROR_ILLEGAL_ADDRESS")]
    [TestCase(701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES")]
    [TestCase(719, "CUDA_ERROR_LAUNCH_FAILED")]
    [TestCase(999, "CUDA_ERROR_UNKNOWN")]
    public void DriverResultCodesHaveTheirHeaderNames(int code, string name)
        => Assert.That(CudaResultNames.Get(code), Is.EqualTo(name));

    [Test]
    public void UnknownDriverResultNamesItsNumber()
        => Assert.That(CudaResultNames.Get(12345), Is.EqualTo("CUresult 12345"));

    [TestCase(0, "NVRTC_SUCCESS")]
    [TestCase(3, "NVRTC_ERROR_INVALID_INPUT")]
    [TestCase(5, "NVRTC_ERROR_INVALID_OPTION")]
    [TestCase(6, "NVRTC_ERROR_COMPILATION")]
    [TestCase(11, "NVRTC_ERROR_INTERNAL_ERROR")]
    [TestCase(16, "NVRTC_ERROR_CANCELLED")]
    public void NvrtcResultCodesHaveTheirHeaderNames(int code, string name)
        => Assert.That(NvrtcResultNames.Get(code), Is.EqualTo(name));

    [TestCase(-1)]
    [TestCase(400)]
    public void UnknownNvrtcResultNamesItsNumber(int code)
        => Assert.That(NvrtcResultNames.Get(code), Is.EqualTo($"nvrtcResult {code}"));
}
