// Builds conv_register_blocked.cl (or, with "translated", the translator's Conv2dRegisterBlockedKernel<LeakyReluFunction>
// as GPUC_DUMP_KERNELS writes it, the kernel named as its file) on the first device of the first OpenCL platform
// (PoCL here), runs a 3×3
// same-padded stride-1 convolution C→C of dilation d on one H×W NCHW image, prints the best wall time of
// 5 waited-for runs, the least process CPU time of a run (less distorted than wall time on a busy shared
// machine), and the largest error of 4000 sampled outputs against a double-precision host sum.
// Usage: conv_register_blocked KERNEL.cl C H W d [translated]
#include "harness.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define RUN 16
#define BLOCK 4

static double processor_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec * 1e-6;
}

static cl_mem upload(cl_context context, const float* values, size_t count)
{
    cl_int error;
    cl_mem buffer = clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, (count ? count : 1) * sizeof(float), (void*)values, &error);
    CHECK(error);
    return buffer;
}

// The translated kernel's arguments: each view as (buffer, 64-bit offset, 64-bit length), then the
// geometry in the parameter struct's field order, then the LeakyReLU slope. Weights packed as Pack does.
// The slope is 1, so the LeakyReLU epilogue (the bench's) is computed and stored but leaves the sums as they are.
static void set_translated_arguments(cl_kernel kernel, cl_context context, cl_mem input, cl_mem output, const float* weights,
                                     int channels, int height, int width, int d)
{
    int blocks = (channels + BLOCK - 1) / BLOCK;
    size_t packed_count = (size_t)blocks * BLOCK * channels * 9;
    float* packed = calloc(packed_count, sizeof(float));
    float* ones = malloc(channels * sizeof(float));
    float* zeros = calloc(channels, sizeof(float));
    for (int o = 0; o < channels; o++)
    {
        ones[o] = 1.0f;
        for (int c = 0; c < channels; c++)
            for (int t = 0; t < 9; t++)
                packed[(((size_t)(o / BLOCK) * channels + c) * 9 + t) * BLOCK + o % BLOCK] = weights[((size_t)o * channels + c) * 9 + t];
    }
    cl_mem views[6] = { input, upload(context, packed, packed_count), upload(context, ones, channels), upload(context, zeros, channels),
                        upload(context, zeros, 0), output };
    long long lengths[6] = { (long long)channels * height * width, (long long)packed_count, channels, channels, 0, (long long)channels * height * width };
    long long offset = 0;
    cl_uint argument = 0;
    for (int i = 0; i < 6; i++)
    {
        CHECK(clSetKernelArg(kernel, argument++, sizeof(cl_mem), &views[i]));
        CHECK(clSetKernelArg(kernel, argument++, sizeof offset, &offset));
        CHECK(clSetKernelArg(kernel, argument++, sizeof lengths[i], &lengths[i]));
    }
    // Batch, InChannels, OutChannels, Height, Width, OutHeight, OutWidth, KernelHeight, KernelWidth, Stride, Dilation, PadTop, PadLeft,
    // ChannelBlocks, Activation (LeakyRelu, unused by the kernel, which has it as a type)
    int geometry[15] = { 1, channels, channels, height, width, height, width, 3, 3, 1, d, d, d, blocks, 2 };
    for (int i = 0; i < 15; i++)
        CHECK(clSetKernelArg(kernel, argument++, sizeof(int), &geometry[i]));
    float slope = 1.0f;
    CHECK(clSetKernelArg(kernel, argument++, sizeof slope, &slope));
    free(packed);
    free(ones);
    free(zeros);
}

int main(int argc, char** argv)
{
    if (argc < 6) { fprintf(stderr, "usage: %s KERNEL.cl C H W d [translated]\n", argv[0]); return 2; }
    int channels = atoi(argv[2]), height = atoi(argv[3]), width = atoi(argv[4]), d = atoi(argv[5]);
    int translated = argc > 6 && strcmp(argv[6], "translated") == 0;
    // GPUC_DUMP_KERNELS names each file after its kernel.
    char name[256] = "conv";
    if (translated)
    {
        const char* base = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
        snprintf(name, sizeof name, "%.*s", (int)(strlen(base) > 3 ? strlen(base) - 3 : 0), base);
    }
    harness h = build_kernel(argv[1], "-cl-std=CL1.2", name);
    cl_context context = h.context;
    cl_command_queue queue = h.queue;
    cl_kernel kernel = h.kernel;
    cl_int error;

    size_t image = (size_t)channels * height * width, weight_count = (size_t)channels * channels * 9;
    float* input = malloc(image * sizeof(float));
    float* weights = malloc(weight_count * sizeof(float));
    float* output = malloc(image * sizeof(float));
    for (size_t i = 0; i < image; i++)
        input[i] = (float)((i * 7919) % 2003) / 1001.5f - 1.0f;
    for (size_t i = 0; i < weight_count; i++)
        weights[i] = ((float)((i * 104729) % 1999) / 999.5f - 1.0f) * 0.1f;
    cl_mem input_buffer = upload(context, input, image);
    cl_mem output_buffer = clCreateBuffer(context, CL_MEM_WRITE_ONLY, image * sizeof(float), NULL, &error);
    CHECK(error);
    if (translated)
        set_translated_arguments(kernel, context, input_buffer, output_buffer, weights, channels, height, width, d);
    else
    {
        cl_mem weight_buffer = upload(context, weights, weight_count);
        CHECK(clSetKernelArg(kernel, 0, sizeof(cl_mem), &input_buffer));
        CHECK(clSetKernelArg(kernel, 1, sizeof(cl_mem), &weight_buffer));
        CHECK(clSetKernelArg(kernel, 2, sizeof(cl_mem), &output_buffer));
        int scalars[5] = { channels, channels, height, width, d };
        for (int i = 0; i < 5; i++)
            CHECK(clSetKernelArg(kernel, 3 + i, sizeof(int), &scalars[i]));
    }
    size_t global[3] = { (width + RUN - 1) / RUN, height, (channels + BLOCK - 1) / BLOCK };
    double best = 1e30, best_processor = 1e30;
    for (int run = 0; run < 6; run++) // the first run builds PoCL's work-group function: not timed
    {
        double start = now(), start_processor = processor_seconds();
        CHECK(clEnqueueNDRangeKernel(queue, kernel, 3, NULL, global, NULL, 0, NULL, NULL));
        CHECK(clFinish(queue));
        double wall = now() - start, processor = processor_seconds() - start_processor;
        if (run > 0 && wall < best) best = wall;
        if (run > 0 && processor < best_processor) best_processor = processor;
    }
    CHECK(clEnqueueReadBuffer(queue, output_buffer, CL_TRUE, 0, image * sizeof(float), output, 0, NULL, NULL));
    double worst = 0;
    for (int sample = 0; sample < 4000; sample++)
    {
        size_t at = ((size_t)sample * 2654435761u) % image;
        int o = (int)(at / ((size_t)height * width)), y = (int)(at / width % height), x = (int)(at % width);
        double sum = 0;
        for (int c = 0; c < channels; c++)
            for (int u = 0; u < 3; u++)
                for (int v = 0; v < 3; v++)
                {
                    int yi = y + (u - 1) * d, xi = x + (v - 1) * d;
                    if (yi >= 0 && yi < height && xi >= 0 && xi < width)
                        sum += (double)weights[((o * channels + c) * 3 + u) * 3 + v] * input[((size_t)c * height + yi) * width + xi];
                }
        worst = fmax(worst, fabs(sum - output[at]));
    }
    double flops = 2.0 * 9 * channels * channels * (double)height * width;
    printf("%s%s: %d→%d %d×%d d%d: %.1f ms (%.1f GFLOP/s), processor %.1f ms, largest error %.2g\n", argv[1], translated ? " (translated)" : "",
           channels, channels, width, height, d, best * 1e3, flops / best / 1e9, best_processor * 1e3, worst);
    return worst < 1e-4 ? 0 : 1;
}
