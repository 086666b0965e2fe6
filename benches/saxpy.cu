/* An example GPU benchmark: SAXPY (y = a*x + y) on 2^20 and 2^24 floats.
 *
 * saxpy_kernel_* times the kernel alone with CUDA events (the data stays on
 * the device); saxpy_roundtrip_* copies x and y to the device, runs the
 * kernel and copies y back, so the GPU counters show both directions of
 * memcpy beside the kernel. Two benchmarks of a known cost sit beside them:
 * copy_dtod_64M copies 64 MiB from one device buffer to another (exactly
 * that many dtod bytes and no kernel per iteration), and fma_chain_1M runs
 * one kernel of a fixed count of dependent multiply-adds per thread, more by
 * BG_FMA_EXTRA_PCT percent when that environment variable is set (a kernel
 * made slower on purpose, to test detection). Without a GPU each is
 * reported as skipped.
 */
#include <stdlib.h>

#include "benchgate_cuda.h"

__global__ void saxpy(size_t n, float a, const float *x, float *y)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        y[i] = a * x[i] + y[i];
}

/* 256 threads per block: a multiple of the warp size that every
 * architecture since sm_30 runs at full occupancy for a kernel this small. */
static const unsigned kThreads = 256;

static unsigned blocks_for(size_t n)
{
    return (unsigned)((n + kThreads - 1) / kThreads);
}

typedef struct saxpy_data {
    size_t n;
    float *hx, *hy; /* host */
    float *dx, *dy; /* device */
} saxpy_data;

static void saxpy_setup(saxpy_data *d, size_t n)
{
    d->n = n;
    d->hx = (float *)malloc(n * sizeof(float));
    d->hy = (float *)malloc(n * sizeof(float));
    if (!d->hx || !d->hy) {
        fprintf(stderr, "saxpy: out of memory for %zu floats\n", n);
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        d->hx[i] = (float)(i % 1024) * 0.5f;
        d->hy[i] = 1.0f;
    }
    BG_CUDA_CHECK(cudaMalloc(&d->dx, n * sizeof(float)));
    BG_CUDA_CHECK(cudaMalloc(&d->dy, n * sizeof(float)));
    BG_CUDA_CHECK(cudaMemcpy(d->dx, d->hx, n * sizeof(float), cudaMemcpyHostToDevice));
    BG_CUDA_CHECK(cudaMemcpy(d->dy, d->hy, n * sizeof(float), cudaMemcpyHostToDevice));
}

static void saxpy_teardown(saxpy_data *d)
{
    cudaFree(d->dx);
    cudaFree(d->dy);
    free(d->hx);
    free(d->hy);
}

static void saxpy_kernel_bench(bg_state *b, size_t n)
{
    if (bg_cuda_require(b) != 0)
        return;
    saxpy_data d;
    saxpy_setup(&d, n);
    bg_cuda_timer t;
    BG_CUDA_CHECK(bg_cuda_timer_init(&t, 0));
    bg_set_items(b, n);
    bg_set_bytes(b, 3 * n * sizeof(float)); /* read x and y, write y */
    BENCH_LOOP(b) {
        bg_cuda_timer_start(&t);
        saxpy<<<blocks_for(n), kThreads>>>(n, 2.0f, d.dx, d.dy);
        BG_CUDA_CHECK(cudaGetLastError());
        bg_cuda_timer_stop(&t); /* waits: the sample's wall time includes the kernel */
    }
    bg_cuda_timer_destroy(&t);
    saxpy_teardown(&d);
}

static void saxpy_roundtrip_bench(bg_state *b, size_t n)
{
    if (bg_cuda_require(b) != 0)
        return;
    saxpy_data d;
    saxpy_setup(&d, n);
    bg_set_items(b, n);
    BENCH_LOOP(b) {
        BG_CUDA_CHECK(cudaMemcpy(d.dx, d.hx, n * sizeof(float), cudaMemcpyHostToDevice));
        BG_CUDA_CHECK(cudaMemcpy(d.dy, d.hy, n * sizeof(float), cudaMemcpyHostToDevice));
        saxpy<<<blocks_for(n), kThreads>>>(n, 2.0f, d.dx, d.dy);
        BG_CUDA_CHECK(cudaGetLastError());
        /* Synchronous: returns once y is back on the host. */
        BG_CUDA_CHECK(cudaMemcpy(d.hy, d.dy, n * sizeof(float), cudaMemcpyDeviceToHost));
        bg_do_not_optimize(d.hy[n / 2]);
    }
    saxpy_teardown(&d);
}

BENCH(saxpy_kernel_1M) { saxpy_kernel_bench(b, (size_t)1 << 20); }
BENCH(saxpy_kernel_16M) { saxpy_kernel_bench(b, (size_t)1 << 24); }
BENCH(saxpy_roundtrip_1M) { saxpy_roundtrip_bench(b, (size_t)1 << 20); }

/* ---- kernels of a known cost ---- */

static void copy_dtod_bench(bg_state *b, size_t bytes)
{
    if (bg_cuda_require(b) != 0)
        return;
    void *src = NULL, *dst = NULL;
    BG_CUDA_CHECK(cudaMalloc(&src, bytes));
    BG_CUDA_CHECK(cudaMalloc(&dst, bytes));
    BG_CUDA_CHECK(cudaMemset(src, 1, bytes));
    BG_CUDA_CHECK(cudaDeviceSynchronize());
    bg_cuda_timer t;
    BG_CUDA_CHECK(bg_cuda_timer_init(&t, 0));
    bg_set_bytes(b, 2 * bytes); /* read and written */
    BENCH_LOOP(b) {
        bg_cuda_timer_start(&t);
        BG_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0));
        bg_cuda_timer_stop(&t);
    }
    bg_cuda_timer_destroy(&t);
    cudaFree(src);
    cudaFree(dst);
}

/* `reps` dependent multiply-adds per thread: the kernel's time is
 * proportional to reps (arithmetic only, one store per thread). */
__global__ void fma_chain(size_t n, unsigned reps, float *out)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    float v = (float)(i & 1023) * 1e-3f;
    for (unsigned r = 0; r < reps; r++)
        v = v * 0.999f + 0.5f;
    out[i] = v;
}

/* The multiply-adds per thread: 8192, plus BG_FMA_EXTRA_PCT percent when
 * that is set to a number from 0 to 1000 (ignored otherwise). */
static unsigned fma_reps(void)
{
    const unsigned base = 8192;
    const char *e = getenv("BG_FMA_EXTRA_PCT");
    if (!e || !*e)
        return base;
    char *end;
    double pct = strtod(e, &end);
    if (*end || !(pct >= 0 && pct <= 1000))
        return base;
    return (unsigned)(base * (1 + pct / 100) + 0.5);
}

static void fma_chain_bench(bg_state *b, size_t n)
{
    if (bg_cuda_require(b) != 0)
        return;
    float *out = NULL;
    BG_CUDA_CHECK(cudaMalloc(&out, n * sizeof(float)));
    unsigned reps = fma_reps();
    bg_cuda_timer t;
    BG_CUDA_CHECK(bg_cuda_timer_init(&t, 0));
    bg_set_items(b, n);
    BENCH_LOOP(b) {
        bg_cuda_timer_start(&t);
        fma_chain<<<blocks_for(n), kThreads>>>(n, reps, out);
        BG_CUDA_CHECK(cudaGetLastError());
        bg_cuda_timer_stop(&t);
    }
    bg_cuda_timer_destroy(&t);
    cudaFree(out);
}

BENCH(copy_dtod_64M) { copy_dtod_bench(b, (size_t)64 << 20); }
BENCH(fma_chain_1M) { fma_chain_bench(b, (size_t)1 << 20); }
