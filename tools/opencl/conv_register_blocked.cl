// The schedule of Conv2dRegisterBlockedKernel written by hand in OpenCL C, as the yardstick of what
// PoCL makes of it: one work-item per 16 consecutive output pixels of one row in 4 output channels,
// 3×3 taps of dilation d with same-size zero padding, stride 1, NCHW, (O, C, 3, 3) weights, no epilogue.
// No barrier and no local memory; the 64 sums are scalars (LANES below expands them) so that LLVM's SLP
// vectoriser packs each channel's 16 pixels into vector registers. Items whose taps all fall inside
// the row run a loop of plain loads; the others a loop that reads zero outside the row. As in the
// translation: a multiply and an add (FP_CONTRACT OFF), not fma(), which PoCL 3.1 does not inline.
#pragma OPENCL FP_CONTRACT OFF
#define RUN 16
#define BLOCK 4
#define LANES(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)
// Sums declared channel by channel: LLVM's SLP vectoriser groups loop-carried values in the order they
// are declared, and lane by lane it mixes channels in a vector, which costs shuffles and ran slower.
#define DECLARE_0(i) float s0_##i = 0.0f;
#define DECLARE_1(i) float s1_##i = 0.0f;
#define DECLARE_2(i) float s2_##i = 0.0f;
#define DECLARE_3(i) float s3_##i = 0.0f;
#define LOAD(i) const float x##i = row[xs + i];
#define LOAD_CHECKED(i) const float x##i = (uint)(xs + i) < (uint)width ? row[xs + i] : 0.0f;
// Channel by channel, as the C# kernel's ChannelBlock.MultiplyAdd (lane by lane vectorised about 25 % slower).
#define MULTIPLY_ADD_0(i) s0_##i = w0 * x##i + s0_##i;
#define MULTIPLY_ADD_1(i) s1_##i = w1 * x##i + s1_##i;
#define MULTIPLY_ADD_2(i) s2_##i = w2 * x##i + s2_##i;
#define MULTIPLY_ADD_3(i) s3_##i = w3 * x##i + s3_##i;
#define STORE(i) if (first + i < width) { out[at + i] = s0_##i; out[at + plane + i] = s1_##i; out[at + 2 * plane + i] = s2_##i; out[at + 3 * plane + i] = s3_##i; }

// One channel block's taps over all input channels; LOADER is LOAD or LOAD_CHECKED.
#define ACCUMULATE(LOADER) \
    for (int c = 0; c < channels; c++) \
        for (int u = 0; u < 3; u++) \
        { \
            const int y_in = y + (u - 1) * d; \
            if (y_in < 0 || y_in >= height) continue; \
            __global const float* row = in + (c * height + y_in) * width; \
            __global const float* taps = w + ((o0 * channels + c) * 9 + u * 3); \
            for (int v = 0; v < 3; v++) \
            { \
                const int xs = first + (v - 1) * d; \
                LANES(LOADER) \
                const float w0 = taps[v], w1 = taps[9 * channels + v], w2 = taps[18 * channels + v], w3 = taps[27 * channels + v]; \
                LANES(MULTIPLY_ADD_0) LANES(MULTIPLY_ADD_1) LANES(MULTIPLY_ADD_2) LANES(MULTIPLY_ADD_3) \
            } \
        }

__kernel void conv(__global const float* restrict in, __global const float* restrict w, __global float* restrict out,
                   const int channels, const int outChannels, const int height, const int width, const int d)
{
    const int first = get_global_id(0) * RUN, y = get_global_id(1), o0 = get_global_id(2) * BLOCK;
    LANES(DECLARE_0) LANES(DECLARE_1) LANES(DECLARE_2) LANES(DECLARE_3)
    if (first - d >= 0 && first + RUN + d <= width)
    {
        ACCUMULATE(LOAD)
    }
    else
    {
        ACCUMULATE(LOAD_CHECKED)
    }
    const int plane = height * width, at = (o0 * height + y) * width + first;
    LANES(STORE)
}
