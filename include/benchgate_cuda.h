/* benchgate_cuda.h: helpers for benchmarks of GPU (CUDA) code.
 *
 * A GPU benchmark, in a .cu file built by nvcc and linked with the CUDA
 * runtime (cudart) and benchgate_main:
 *
 *     #include <benchgate_cuda.h>
 *
 *     BENCH(saxpy_1m) {
 *         if (bg_cuda_require(b) != 0)      // no GPU: reported as skipped,
 *             return;                       // "unavailable: <why>"
 *         ... cudaMalloc, cudaMemcpy: setup, not timed ...
 *         bg_cuda_timer t;
 *         BG_CUDA_CHECK(bg_cuda_timer_init(&t, 0));
 *         BENCH_LOOP(b) {
 *             bg_cuda_timer_start(&t);
 *             saxpy<<<blocks, 256>>>(n, 2.0f, x, y);
 *             bg_cuda_timer_stop(&t);       // waits for the kernel
 *         }
 *         bg_cuda_timer_destroy(&t);
 *     }
 *
 * What is measured. The sample's time is wall time on the host, as for any
 * benchmark: it includes GPU work only when the loop body waits for it
 * (bg_cuda_timer_stop, cudaDeviceSynchronize, a synchronous cudaMemcpy).
 * Beside it, per sample:
 *   - the GPU counter group (CUPTI, loaded at run time) records kernels run
 *     and their GPU time, memcpy bytes and GPU time by direction (htod, dtoh,
 *     dtod) and memset bytes and time: counters gpu_kernels, gpu_kernel_ns,
 *     gpu_memcpy_{htod,dtoh,dtod}_{bytes,ns}, gpu_memset_{bytes,ns};
 *   - the time between each bg_cuda_timer_start and _stop, measured by the
 *     GPU with CUDA events, summed into the counter gpu_timer_ns. It is GPU
 *     time, free of host jitter after the work is queued, so it is the
 *     metric to gate a kernel on (`benchgate ab --metric gpu_timer_ns`). It
 *     also holds the time the GPU waits, after the start event, for the
 *     host to launch what follows it: on an H200 with the gpu counters on,
 *     a median of 7-26 us per launch beyond the kernel's own time
 *     (docs/gpu-verified.md). For a kernel of a few microseconds, queue
 *     several launches between start and stop, or compare gpu_kernel_ns
 *     (CUPTI's time of the kernels alone).
 * A counter is a total over the sample's iterations; per-iteration figures
 * are derived. After the sample's clock stops the harness waits for the GPU
 * and flushes CUPTI's records, so work still running at the end of a sample
 * is counted in that sample, never in the next.
 *
 * Without a GPU, driver or CUPTI the GPU counters are reported as
 * "unavailable: <why>" and everything else runs; bg_cuda_require() makes a
 * GPU benchmark skipped (not failed) with the same reason.
 *
 * The first part of this header is plain C (bg_cuda_require works in a .c
 * file, without the CUDA toolkit). The timer needs the CUDA runtime API and
 * is declared only when compiling with nvcc, or with BG_CUDA_RUNTIME defined
 * and <cuda_runtime_api.h> on the include path.
 */
#ifndef BENCHGATE_CUDA_H
#define BENCHGATE_CUDA_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "benchgate.h"

#if defined(__CUDACC__) || defined(BG_CUDA_RUNTIME)
#include <cuda_runtime_api.h>
#define BG__HAVE_CUDART 1
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* 0 when a CUDA device can be used from this process: the driver
 * (libcuda.so.1) loads, cuInit succeeds and there is at least one device.
 * Otherwise BG_EUNAVAIL with the reason in `why` (for example "libcuda.so.1
 * not found: no NVIDIA driver", "cuInit: CUDA_ERROR_NO_DEVICE (...)").
 * Initialises the driver: call it in the benchmark process (inside BENCH),
 * not before the harness forks. */
BG_API int bg_gpu_check(char *why, size_t whylen);

/* Adds `ns` of GPU time to this sample's gpu_timer_ns counter
 * (bg_cuda_timer_stop calls it; any other GPU timing may too). */
BG_API void bg_gpu_timer_add(uint64_t ns);

#ifdef __cplusplus
}
#endif

/* Marks the benchmark skipped with "unavailable: <why>" unless a CUDA
 * device can be used, and returns BG_EUNAVAIL; returns 0 when it can. With
 * the CUDA runtime it also creates the runtime's context now, so that the
 * first sample does not pay for it. Call it first in a GPU BENCH. */
static inline int bg_cuda_require(bg_state *b)
{
    char why[200], msg[240];
    if (bg_gpu_check(why, sizeof why) == 0) {
#ifdef BG__HAVE_CUDART
        cudaError_t e = cudaFree(0);
        if (e == cudaSuccess)
            return 0;
        snprintf(why, sizeof why, "cudaFree(0): %s (%s)", cudaGetErrorName(e),
                 cudaGetErrorString(e));
#else
        return 0;
#endif
    }
    snprintf(msg, sizeof msg, "unavailable: %s", why);
    bg_skip(b, msg);
    return BG_EUNAVAIL;
}

#ifdef BG__HAVE_CUDART

/* Checks a CUDA runtime call inside a benchmark; on error prints the call,
 * file, line and CUDA's message and exits, which the harness reports as a
 * crash of this benchmark (the others still run). */
#define BG_CUDA_CHECK(call)                                                           \
    do {                                                                              \
        cudaError_t bg__e_ = (call);                                                  \
        if (bg__e_ != cudaSuccess) {                                                  \
            fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call,        \
                    cudaGetErrorName(bg__e_), cudaGetErrorString(bg__e_));            \
            exit(1);                                                                  \
        }                                                                             \
    } while (0)

/* Times GPU work on one stream with a pair of CUDA events. */
typedef struct bg_cuda_timer {
    cudaEvent_t start, stop;
    cudaStream_t stream;
} bg_cuda_timer;

/* Creates the events; `stream` is the stream whose work is timed (0: the
 * default stream). */
static inline cudaError_t bg_cuda_timer_init(bg_cuda_timer *t, cudaStream_t stream)
{
    t->stream = stream;
    cudaError_t e = cudaEventCreate(&t->start);
    if (e != cudaSuccess)
        return e;
    e = cudaEventCreate(&t->stop);
    if (e != cudaSuccess)
        cudaEventDestroy(t->start);
    return e;
}

/* Marks the start: work queued on the stream after this is timed. */
static inline void bg_cuda_timer_start(bg_cuda_timer *t)
{
    BG_CUDA_CHECK(cudaEventRecord(t->start, t->stream));
}

/* Marks the end, waits for the stream to reach it, adds the elapsed GPU
 * time to the sample's gpu_timer_ns counter and returns it in ns. CUDA
 * events resolve about 0.5 µs, and the interval includes the wait for the
 * launch after the start event: time batches, not single tiny kernels. */
static inline uint64_t bg_cuda_timer_stop(bg_cuda_timer *t)
{
    float ms = 0.0f;
    BG_CUDA_CHECK(cudaEventRecord(t->stop, t->stream));
    BG_CUDA_CHECK(cudaEventSynchronize(t->stop));
    BG_CUDA_CHECK(cudaEventElapsedTime(&ms, t->start, t->stop));
    uint64_t ns = (uint64_t)((double)ms * 1e6 + 0.5);
    bg_gpu_timer_add(ns);
    return ns;
}

static inline void bg_cuda_timer_destroy(bg_cuda_timer *t)
{
    cudaEventDestroy(t->start);
    cudaEventDestroy(t->stop);
}

#endif /* BG__HAVE_CUDART */

#endif
