// The SRU recurrence (forward direction, k = 3: the highway is the input) in two schedules, written by
// hand as the yardstick for Gpu.Ops' SruRecurrenceKernel and SruRecurrenceSegmentKernel:
// column: one work item per (sequence, hidden column), the steps looped inside the item;
// segment: one work item per (sequence, 16 adjacent columns), the 16 lanes as separate scalars.
// FP_CONTRACT OFF as the translator writes it, so both give the same bits.
#pragma OPENCL FP_CONTRACT OFF

inline float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

__kernel void column(__global const float* restrict u, __global const float* restrict x, __global float* restrict h,
                     __global const float* restrict vf, __global const float* restrict vr, int steps, int batch, int d)
{
    int index = get_global_id(0), j = index % d, b = index / d;
    float c = 0.0f;
    for (int t = 0; t < steps; t++)
    {
        int at = (t * batch + b) * 3 * d + j, out = (t * batch + b) * d + j;
        float f = sigmoid(u[at + d] + vf[j] * c), r = sigmoid(u[at + 2 * d] + vr[j] * c);
        c = f * c + (1.0f - f) * u[at];
        h[out] = r * tanh(c) + (1.0f - r) * x[out];
    }
}

#define LANES(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
#define DECLARE(i) float c##i = 0.0f;
#define STEP(i) \
    { \
        float f = sigmoid(u[at + d + i] + vf[j + i] * c##i), r = sigmoid(u[at + 2 * d + i] + vr[j + i] * c##i); \
        c##i = f * c##i + (1.0f - f) * u[at + i]; \
        h[out + i] = r * tanh(c##i) + (1.0f - r) * x[out + i]; \
    }

__kernel void segment(__global const float* restrict u, __global const float* restrict x, __global float* restrict h,
                      __global const float* restrict vf, __global const float* restrict vr, int steps, int batch, int d)
{
    int index = get_global_id(0), segments = d / 16, j = index % segments * 16, b = index / segments;
    LANES(DECLARE)
    for (int t = 0; t < steps; t++)
    {
        // 64-bit indices, so the compiler sees the 16 lanes' addresses are adjacent.
        long at = (long)(t * batch + b) * 3 * d + j, out = (long)(t * batch + b) * d + j;
        LANES(STEP)
    }
}
