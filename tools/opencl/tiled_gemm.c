// Builds tiled_gemm.cl on the first device of the first OpenCL platform (PoCL here), times C = A·B
// for square sizes, and checks sampled elements of C against a double-precision host product.
// Usage: tiled_gemm KERNEL.cl SIZE... ; prints one line per size (best of 5 runs, each waited for).
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHECK(call) do { cl_int status_ = (call); if (status_ != CL_SUCCESS) { fprintf(stderr, "%s failed: %d\n", #call, status_); exit(1); } } while (0)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static char* read_file(const char* path)
{
    FILE* file = fopen(path, "rb");
    if (!file) { perror(path); exit(1); }
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    rewind(file);
    char* text = malloc(length + 1);
    if (fread(text, 1, length, file) != (size_t)length) { perror(path); exit(1); }
    text[length] = 0;
    fclose(file);
    return text;
}

int main(int argc, char** argv)
{
    if (argc < 3) { fprintf(stderr, "usage: %s KERNEL.cl SIZE...\n", argv[0]); return 2; }
    cl_platform_id platform;
    cl_device_id device;
    cl_int error;
    CHECK(clGetPlatformIDs(1, &platform, NULL));
    CHECK(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL));
    char name[256];
    CHECK(clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name, name, NULL));
    cl_context context = clCreateContext(NULL, 1, &device, NULL, NULL, &error);
    CHECK(error);
    cl_command_queue queue = clCreateCommandQueue(context, device, 0, &error);
    CHECK(error);
    const char* source = read_file(argv[1]);
    cl_program program = clCreateProgramWithSource(context, 1, &source, NULL, &error);
    CHECK(error);
    if (clBuildProgram(program, 1, &device, "", NULL, NULL) != CL_SUCCESS)
    {
        char log[65536];
        clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, sizeof log, log, NULL);
        fprintf(stderr, "build failed:\n%s\n", log);
        return 1;
    }
    cl_kernel kernel = clCreateKernel(program, "tiled_gemm", &error);
    CHECK(error);
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
