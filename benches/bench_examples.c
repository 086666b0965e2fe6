/* Example benchmarks a user would recognise: sorting, memcpy, hashing, an
 * LCG spin loop whose cost is exactly proportional to its round count, a
 * pointer chase bound by memory latency, and a pipeline timed in scopes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "benchgate.h"

/* ---- sorting ---- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint32_t *random_u32(size_t n, uint32_t seed)
{
    uint32_t *v = malloc(n * sizeof *v);
    if (!v)
        return NULL;
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; /* xorshift32 */
        x ^= x >> 17;
        x ^= x << 5;
        v[i] = x;
    }
    return v;
}

static void sort_bench(bg_state *b, size_t n)
{
    uint32_t *src = random_u32(n, 12345);
    uint32_t *work = malloc(n * sizeof *work);
    if (!src || !work) {
        free(src);
        free(work);
        bg_skip(b, "out of memory");
        return;
    }
    bg_set_items(b, n);
    BENCH_LOOP(b) {
        memcpy(work, src, n * sizeof *work);
        qsort(work, n, sizeof *work, cmp_u32);
        bg_do_not_optimize(work[n / 2]);
    }
    free(work);
    free(src);
}

BENCH(sort_qsort_1k) { sort_bench(b, 1000); }
BENCH(sort_qsort_100k) { sort_bench(b, 100000); }

/* ---- a pipeline in scopes: which stage takes the time ---- */

/* Copies 4096 numbers in, sorts them, then sums a prefix of them in a
 * binary search and a scan: each stage a scope, the search nested in
 * "query". */
BENCH(pipeline_4k)
{
    enum { N = 4096 };
    uint32_t *src = random_u32(N, 777), *work = malloc(N * sizeof *work);
    if (!src || !work) {
        free(src);
        free(work);
        bg_skip(b, "out of memory");
        return;
    }
    bg_set_items(b, N);
    uint64_t sum = 0;
    BENCH_LOOP(b) {
        BG_SCOPE(b, "load") { memcpy(work, src, N * sizeof *work); }
        BG_SCOPE(b, "sort") { qsort(work, N, sizeof *work, cmp_u32); }
        BG_SCOPE(b, "query") {
            size_t lo = 0, hi = N;
            BG_SCOPE(b, "search") {
                while (lo < hi) { /* the first value >= the median of the source */
                    size_t mid = lo + (hi - lo) / 2;
                    if (work[mid] < src[N / 2])
                        lo = mid + 1;
                    else
                        hi = mid;
                }
            }
            for (size_t i = 0; i < lo; i++)
                sum += work[i];
        }
    }
    bg_do_not_optimize(sum);
    free(work);
    free(src);
}

/* ---- memcpy ---- */

static void memcpy_bench(bg_state *b, size_t n)
{
    char *src = malloc(n), *dst = malloc(n);
    if (!src || !dst) {
        free(src);
        free(dst);
        bg_skip(b, "out of memory");
        return;
    }
    memset(src, 0x5a, n);
    memset(dst, 0, n);
    bg_set_bytes(b, n);
    BENCH_LOOP(b) {
        memcpy(dst, src, n);
        bg_clobber_memory();
    }
    free(dst);
    free(src);
}

BENCH(memcpy_64B) { memcpy_bench(b, 64); }
BENCH(memcpy_4KiB) { memcpy_bench(b, 4096); }
BENCH(memcpy_1MiB) { memcpy_bench(b, 1 << 20); }

/* ---- hashing ---- */

/* FNV-1a, 64-bit: byte-at-a-time, a dependency chain of one multiply per byte. */
static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

BENCH(hash_fnv1a_1KiB)
{
    unsigned char buf[1024];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 31 + 7);
    bg_set_bytes(b, sizeof buf);
    BENCH_LOOP(b) {
        bg_clobber_memory();
        uint64_t h = fnv1a(buf, sizeof buf);
        bg_do_not_optimize(h);
    }
}

/* ---- spin: cost proportional to rounds ---- */

/* The round count comes through a volatile so the loop cannot be folded. */
static volatile uint64_t g_rounds_1e4 = 10000, g_rounds_1e6 = 1000000;

/* A 64-bit LCG (Knuth's MMIX constants): each round depends on the last. */
static uint64_t spin(uint64_t rounds, uint64_t x)
{
    for (uint64_t i = 0; i < rounds; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x;
}

BENCH(spin_1e4)
{
    uint64_t x = 1, n = g_rounds_1e4;
    BENCH_LOOP(b) {
        x = spin(n, x);
        bg_do_not_optimize(x);
    }
}

BENCH(spin_1e6)
{
    uint64_t x = 1, n = g_rounds_1e6;
    BENCH_LOOP(b) {
        x = spin(n, x);
        bg_do_not_optimize(x);
    }
}

/* spin_1e4 whose cost $BENCHGATE_INJECT_PCT raises by that many percent
 * (rounds scaled, so the change is exact): the workload the detection-rate
 * scripts (tools/measure-gate.sh, tools/measure-ab.sh) inject slowdowns into.
 * Unset, it is spin_1e4. */
BENCH(spin_injected)
{
    const char *pct = getenv("BENCHGATE_INJECT_PCT");
    double scale = 1.0 + (pct ? atof(pct) : 0.0) / 100.0;
    uint64_t x = 1, n = (uint64_t)((double)g_rounds_1e4 * scale + 0.5);
    BENCH_LOOP(b) {
        x = spin(n, x);
        bg_do_not_optimize(x);
    }
}

/* ---- pointer chasing: bound by memory latency ---- */

/* A walk over a random single cycle of 16 MiB of pointers (Sattolo's
 * shuffle), 4096 dependent loads per iteration: each load misses the
 * caches, so the time is the memory latency, the kind of benchmark whose
 * runs drift most with the machine's state. $BENCHGATE_INJECT_MEM_PCT
 * lengthens the walk by that many percent (the memory-bound workload of
 * tools/measure-gate.sh and tools/measure-ab.sh); unset, 4096 loads. */
BENCH(chase_16MiB)
{
    size_t n = (16u << 20) / sizeof(size_t);
    size_t *next = malloc(n * sizeof *next);
    if (!next) {
        bg_skip(b, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        next[i] = i;
    uint64_t x = 88172645463325252ull;
    for (size_t i = n - 1; i > 0; i--) { /* Sattolo: one cycle through all */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t j = (size_t)(x % i);
        size_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
    const char *pct = getenv("BENCHGATE_INJECT_MEM_PCT");
    size_t steps = (size_t)(4096.0 * (1.0 + (pct ? atof(pct) : 0.0) / 100.0) + 0.5);
    size_t p = 0;
    BENCH_LOOP(b) {
        for (size_t s = 0; s < steps; s++)
            p = next[p];
        bg_do_not_optimize(p);
    }
    free(next);
}
