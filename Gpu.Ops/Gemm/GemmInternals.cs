using System.Runtime.CompilerServices;

// The tests force the CPU GEMM paths' vector width to cover the AVX2 fallback on AVX-512 machines.
[assembly: InternalsVisibleTo("Gpu.Tests")]

// ILGPU loads internal kernel structs only when their assembly opens its internals to ILGPU's runtime.
[assembly: InternalsVisibleTo("ILGPURuntime")]

// The Oclgrind small-op sweep launches the CPU-runtime schedules' kernels directly, internal ones
// included, since the simulator is no CPU device and the ops would not choose them there.
[assembly: InternalsVisibleTo("Gpu.Tests.Child")]
