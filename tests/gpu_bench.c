/* A bench binary for the GPU tests: one benchmark that needs a GPU, through
 * bg_cuda_require (the helper every GPU benchmark starts with), and one that
 * does not. Plain C: benchgate_cuda.h's device check needs no CUDA toolkit.
 * Where a device can be used the GPU benchmark runs a CPU loop, which is
 * enough to tell "ran" from "skipped". */
#include "benchgate_cuda.h"

static volatile uint64_t g_rounds = 1000;

static uint64_t spin(uint64_t rounds, uint64_t x)
{
    for (uint64_t i = 0; i < rounds; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x;
}

BENCH(gpu_needs_device)
{
    if (bg_cuda_require(b) != 0)
        return;
    uint64_t x = 1, n = g_rounds;
    BENCH_LOOP(b) {
        x = spin(n, x);
        bg_do_not_optimize(x);
    }
}

BENCH(cpu_only)
{
    uint64_t x = 1, n = g_rounds;
    BENCH_LOOP(b) {
        x = spin(n, x);
        bg_do_not_optimize(x);
    }
}
