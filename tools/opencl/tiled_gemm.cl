// The translated TiledGemmKernel's tiling written by hand in OpenCL C, as the yardstick of what
// PoCL makes of that schedule: a 64×64 tile of C per 16×16 work-group, each work-item a 4×4
// block strided by 16, K in steps of 16 through local memory. Row-major A (M×K), B (K×N), C (M×N).
// Unlike the translation: structured loops, restrict and const, 32-bit indices, arguments passed
// directly, and unrolled inner loops. Sixteen scalar accumulators as in the translation (a private
// 4×4 array ran at about half the speed on PoCL), and a multiply and an add, not fma(): PoCL 3.1
// does not inline its fma() (remark "_Z7_cl_fmafff not inlined ... cost=never").
#define TILE 64
#define DEPTH 16
#define THREADS 16

__kernel __attribute__((reqd_work_group_size(THREADS, THREADS, 1)))
void tiled_gemm(const int m, const int n, const int k,
                __global const float* restrict a, __global const float* restrict b, __global float* restrict c)
{
    __local float aTile[DEPTH * TILE];
    __local float bTile[DEPTH * TILE];
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int thread = ty * THREADS + tx;
    const int row0 = get_group_id(1) * TILE, column0 = get_group_id(0) * TILE;
    float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
    float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
    for (int k0 = 0; k0 < k; k0 += DEPTH)
    {
        #pragma unroll
        for (int e = thread; e < DEPTH * TILE; e += THREADS * THREADS)
        {
            const int aStep = e % DEPTH, aRow = e / DEPTH;
            const int row = row0 + aRow, ka = k0 + aStep;
            aTile[aStep * TILE + aRow] = row < m && ka < k ? a[row * k + ka] : 0.0f;
            const int bStep = e / TILE, bColumn = e % TILE;
            const int column = column0 + bColumn, kb = k0 + bStep;
            bTile[bStep * TILE + bColumn] = column < n && kb < k ? b[kb * n + column] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        #pragma unroll
        for (int s = 0; s < DEPTH; s++)
        {
            float av[4], bv[4];
            #pragma unroll
            for (int i = 0; i < 4; i++)
            {
                av[i] = aTile[s * TILE + ty + i * THREADS];
                bv[i] = bTile[s * TILE + tx + i * THREADS];
            }
            c00 += av[0] * bv[0]; c01 += av[0] * bv[1]; c02 += av[0] * bv[2]; c03 += av[0] * bv[3];
            c10 += av[1] * bv[0]; c11 += av[1] * bv[1]; c12 += av[1] * bv[2]; c13 += av[1] * bv[3];
            c20 += av[2] * bv[0]; c21 += av[2] * bv[1]; c22 += av[2] * bv[2]; c23 += av[2] * bv[3];
            c30 += av[3] * bv[0]; c31 += av[3] * bv[1]; c32 += av[3] * bv[2]; c33 += av[3] * bv[3];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float acc[16] = { c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 };
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
        {
            const int row = row0 + ty + i * THREADS, column = column0 + tx + j * THREADS;
            if (row < m && column < n)
                c[row * n + column] = acc[i * 4 + j];
        }
}
