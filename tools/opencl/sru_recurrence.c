// Times the SRU recurrence at T steps, B sequences, d hidden columns (forward, k = 3, tanh, no initial
// cell) on the first device of the first OpenCL platform (PoCL here): best wall time of 7 waited-for runs,
// and the output's bits compared with the first kernel named. A kernel is "column" or "segment" of
// sru_recurrence.cl, or a file GPUC_DUMP_KERNELS wrote for Gpu.Ops' SruRecurrenceKernel or
// SruRecurrenceSegmentKernel (the kernel named as its file; d must then be a multiple of 16).
// Usage: sru_recurrence T B d KERNEL... with KERNEL column | segment | path/to/gpuc_....cl
#include "harness.h"
#include <stdint.h>
#include <string.h>

static const char* base_name(const char* path)
{
    const char* slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int main(int argc, char** argv)
{
    if (argc < 5) { fprintf(stderr, "usage: %s T B d KERNEL...\n", argv[0]); return 2; }
    int steps = atoi(argv[1]), batch = atoi(argv[2]), d = atoi(argv[3]);
    size_t nu = (size_t)steps * batch * 3 * d, nx = (size_t)steps * batch * d, state = (size_t)batch * d;
    float* host[7] = { malloc(nu * 4), malloc(nx * 4), NULL, NULL, NULL, malloc(d * 4), malloc(d * 4) };
    size_t lengths[7] = { nu, nx, nx, state, state, d, d };
    for (size_t i = 0; i < nu; i++) host[0][i] = (float)(i * 2654435761u % 1000) / 500.0f - 1.0f;
    for (size_t i = 0; i < nx; i++) host[1][i] = (float)(i * 40503u % 1000) / 500.0f - 1.0f;
    for (int i = 0; i < d; i++) host[5][i] = host[6][i] = 0.3f - 0.001f * i;
    float* first = malloc(nx * 4);
    float* output = malloc(nx * 4);
    for (int k = 4; k < argc; k++)
    {
        int hand = strcmp(argv[k], "column") == 0 || strcmp(argv[k], "segment") == 0;
        char name[256];
        snprintf(name, sizeof name, "%s", hand ? argv[k] : base_name(argv[k]));
        if (!hand && strrchr(name, '.')) *strrchr(name, '.') = 0;
        harness h = build_kernel(hand ? "tools/opencl/sru_recurrence.cl" : argv[k], "", name);
        cl_int error;
        cl_mem buffers[7];
        for (int i = 0; i < 7; i++)
        {
            buffers[i] = clCreateBuffer(h.context, host[i] ? CL_MEM_COPY_HOST_PTR : 0, lengths[i] * 4, host[i], &error);
            CHECK(error);
        }
        int argument = 0;
        if (hand)
        {
            int order[5] = { 0, 1, 2, 5, 6 }, values[3] = { steps, batch, d };
            for (int i = 0; i < 5; i++) CHECK(clSetKernelArg(h.kernel, argument++, sizeof(cl_mem), &buffers[order[i]]));
            for (int i = 0; i < 3; i++) CHECK(clSetKernelArg(h.kernel, argument++, sizeof(int), &values[i]));
        }
        else
        {
            // The translator's layout: each view as (buffer, 64-bit offset, 64-bit length) in field order
            // (Projections, Input, Output, InitialCell, FinalCell, ForgetWeights, ResetWeights), then the ints.
            for (int i = 0; i < 7; i++)
            {
                long long offset = 0, length = (long long)lengths[i];
                CHECK(clSetKernelArg(h.kernel, argument++, sizeof(cl_mem), &buffers[i]));
                CHECK(clSetKernelArg(h.kernel, argument++, 8, &offset));
                CHECK(clSetKernelArg(h.kernel, argument++, 8, &length));
            }
            int values[8] = { steps, batch, d, d, 1, 3, 0, 1 };
            for (int i = 0; i < 8; i++) CHECK(clSetKernelArg(h.kernel, argument++, sizeof(int), &values[i]));
        }
        size_t items = strstr(name, "egment") ? state / 16 : state;
        double best = 1e9;
        for (int run = 0; run < 7; run++)
        {
            double start = now();
            CHECK(clEnqueueNDRangeKernel(h.queue, h.kernel, 1, NULL, &items, NULL, 0, NULL, NULL));
            CHECK(clFinish(h.queue));
            double elapsed = now() - start;
            if (elapsed < best) best = elapsed;
        }
        CHECK(clEnqueueReadBuffer(h.queue, buffers[2], CL_TRUE, 0, nx * 4, k == 4 ? first : output, 0, NULL, NULL));
        size_t differing = 0;
        if (k > 4)
            for (size_t i = 0; i < nx; i++) differing += memcmp(&first[i], &output[i], 4) != 0;
        printf("%-60s %8.2f ms  %zu outputs differ in bits from %s\n", name, best * 1e3, differing, k == 4 ? "itself" : argv[4]);
    }
    return 0;
}
