// Builds tiled_gemm.cl on the first device of the first OpenCL platform (PoCL here), times C = A·B
// for square sizes, and checks sampled elements of C against a double-precision host product.
// Usage: tiled_gemm KERNEL.cl SIZE... ; prints one line per size (best of 5 runs, each waited for).
#include "harness.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>


int main(int argc, char** argv)
{
    if (argc < 3) { fprintf(stderr, "usage: %s KERNEL.cl SIZE...\n", argv[0]); return 2; }
    harness h = build_kernel(argv[1], "", "tiled_gemm");
    cl_device_id device = h.device;
    cl_context context = h.context;
    cl_command_queue queue = h.queue;
    cl_kernel kernel = h.kernel;
    cl_int error;
    char name[256];
    CHECK(clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name, name, NULL));
    printf("device: %s\n", name);
    for (int arg = 2; arg < argc; arg++)
    {
        int size = atoi(argv[arg]);
        size_t count = (size_t)size * size;
        float* a = malloc(count * sizeof(float));
        float* b = malloc(count * sizeof(float));
        float* c = malloc(count * sizeof(float));
        for (size_t i = 0; i < count; i++)
        {
            a[i] = (float)((i * 7919) % 2003) / 1001.5f - 1.0f;
            b[i] = (float)((i * 104729) % 1999) / 999.5f - 1.0f;
        }
        cl_mem da = clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, count * sizeof(float), a, &error);
        CHECK(error);
        cl_mem db = clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, count * sizeof(float), b, &error);
        CHECK(error);
        cl_mem dc = clCreateBuffer(context, CL_MEM_WRITE_ONLY, count * sizeof(float), NULL, &error);
        CHECK(error);
        CHECK(clSetKernelArg(kernel, 0, sizeof(int), &size));
        CHECK(clSetKernelArg(kernel, 1, sizeof(int), &size));
        CHECK(clSetKernelArg(kernel, 2, sizeof(int), &size));
        CHECK(clSetKernelArg(kernel, 3, sizeof(cl_mem), &da));
        CHECK(clSetKernelArg(kernel, 4, sizeof(cl_mem), &db));
        CHECK(clSetKernelArg(kernel, 5, sizeof(cl_mem), &dc));
        size_t groups = (size + 63) / 64;
        size_t global[2] = { groups * 16, groups * 16 }, local[2] = { 16, 16 };
        double best = 1e30;
        for (int run = 0; run < 6; run++)
        {
            double start = now();
            CHECK(clEnqueueNDRangeKernel(queue, kernel, 2, NULL, global, local, 0, NULL, NULL));
            CHECK(clFinish(queue));
            double elapsed = now() - start;
            if (run > 0 && elapsed < best)
                best = elapsed;
        }
        CHECK(clEnqueueReadBuffer(queue, dc, CL_TRUE, 0, count * sizeof(float), c, 0, NULL, NULL));
        double worst = 0;
        for (size_t sample = 0; sample < count; sample += 997)
        {
            size_t row = sample / size, column = sample % size;
            double expected = 0;
            for (int kk = 0; kk < size; kk++)
                expected += (double)a[row * size + kk] * b[(size_t)kk * size + column];
            worst = fmax(worst, fabs(c[sample] - expected) / fmax(1.0, fabs(expected)));
        }
        printf("sgemm %d: %.3f ms, %.1f GFLOP/s, max relative error %.1e at sampled elements\n",
            size, best * 1e3, 2.0 * size * size * size / best / 1e9, worst);
        if (worst > 1e-4) { fprintf(stderr, "wrong result\n"); return 1; }
        clReleaseMemObject(da);
        clReleaseMemObject(db);
        clReleaseMemObject(dc);
        free(a);
        free(b);
        free(c);
    }
    return 0;
}
