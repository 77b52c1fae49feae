using System.Runtime.CompilerServices;

// The tests force the CPU GEMM paths' vector width to cover the AVX2 fallback on AVX-512 machines.
[assembly: InternalsVisibleTo("Gpu.Tests")]

// ILGPU loads internal kernel structs only when their assembly opens its internals to ILGPU's runtime.
[assembly: InternalsVisibleTo("ILGPURuntime")]
