namespace Gpu.Core.Cuda.Native;

/// <summary>The names of NVRTC's <c>nvrtcResult</c> codes, as <c>nvrtc.h</c> spells them, for
/// messages when <c>nvrtcGetErrorString</c> is unavailable.</summary>
internal static class NvrtcResultNames
{
    public const int Success = 0;
    public const int InvalidOption = 5;
    public const int Compilation = 6;

    private static readonly string[] names =
    [
        "NVRTC_SUCCESS",
        "NVRTC_ERROR_OUT_OF_MEMORY",
        "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
        "NVRTC_ERROR_INVALID_INPUT",
        "NVRTC_ERROR_INVALID_PROGRAM",
        "NVRTC_ERROR_INVALID_OPTION",
        "NVRTC_ERROR_COMPILATION",
        "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
        "NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION",
        "NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION",
        "NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID",
        "NVRTC_ERROR_INTERNAL_ERROR",
        "NVRTC_ERROR_TIME_FILE_WRITE_FAILED",
        "NVRTC_ERROR_NO_PCH_CREATE_ATTEMPTED",
        "NVRTC_ERROR_PCH_CREATE_HEAP_EXHAUSTED",
        "NVRTC_ERROR_PCH_CREATE",
        "NVRTC_ERROR_CANCELLED",
        "NVRTC_ERROR_TIME_TRACE_FILE_WRITE_FAILED",
    ];

    /// <summary>The <c>nvrtc.h</c> name of <paramref name="result"/>, or <c>nvrtcResult N</c> for an unknown code.</summary>
    public static string Get(int result) => (uint)result < (uint)names.Length ? names[result] : $"nvrtcResult {result}";
}
