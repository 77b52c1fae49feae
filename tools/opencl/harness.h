// What the hand-written OpenCL yardsticks share: error checks, a monotonic clock, and building one
// kernel from a source file on the first device of the first platform (PoCL here).
#ifndef GPUC_OPENCL_HARNESS_H
#define GPUC_OPENCL_HARNESS_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
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

// The device, its context and an in-order queue, and one kernel built from a source file.
typedef struct
{
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    cl_kernel kernel;
} harness;

// Builds KERNEL_NAME from SOURCE_PATH with OPTIONS; prints the build log and exits on failure.
static harness build_kernel(const char* source_path, const char* options, const char* kernel_name)
{
    harness h;
    cl_platform_id platform;
    cl_int error;
    CHECK(clGetPlatformIDs(1, &platform, NULL));
    CHECK(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &h.device, NULL));
    h.context = clCreateContext(NULL, 1, &h.device, NULL, NULL, &error);
    CHECK(error);
    h.queue = clCreateCommandQueue(h.context, h.device, 0, &error);
    CHECK(error);
    const char* source = read_file(source_path);
    cl_program program = clCreateProgramWithSource(h.context, 1, &source, NULL, &error);
    CHECK(error);
    if (clBuildProgram(program, 1, &h.device, options, NULL, NULL) != CL_SUCCESS)
    {
        static char log[65536];
        clGetProgramBuildInfo(program, h.device, CL_PROGRAM_BUILD_LOG, sizeof log, log, NULL);
        fprintf(stderr, "build failed:\n%s\n", log);
        exit(1);
    }
    h.kernel = clCreateKernel(program, kernel_name, &error);
    CHECK(error);
    return h;
}

#endif
