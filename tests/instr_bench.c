/* A bench binary for the instruction-mode tests. `hash_env` hashes a
 * 20000-byte buffer plus $INSTR_EXTRA_BYTES per iteration (so a test can
 * make it longer by a known amount; FNV-1a's serial dependency keeps the
 * count proportional to the length whatever the compiler unrolls);
 * `alloc_walk` allocates, fills and sums a buffer (libc's allocator inside
 * the counted loop); `stack_position` does work proportional to where its
 * stack lies within a page; `skips` skips and `crashes` dies, to show those
 * outcomes survive the trip through valgrind. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "benchgate.h"

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

BENCH(hash_env)
{
    const char *s = getenv("INSTR_EXTRA_BYTES");
    size_t n = 20000 + (s ? strtoul(s, NULL, 10) : 0);
    unsigned char *buf = malloc(n);
    if (!buf) {
        bg_skip(b, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(i * 31 + 7);
    BENCH_LOOP(b) {
        bg_clobber_memory();
        uint64_t h = fnv1a(buf, n);
        bg_do_not_optimize(h);
    }
    free(buf);
}

BENCH(alloc_walk)
{
    BENCH_LOOP(b) {
        size_t n = 4096;
        unsigned char *p = malloc(n);
        if (!p)
            abort();
        memset(p, 7, n);
        unsigned sum = 0;
        for (size_t i = 0; i < n; i += 64)
            sum += p[i];
        bg_do_not_optimize(sum);
        free(p);
    }
}

BENCH(skips)
{
    bg_skip(b, "not on this machine");
    BENCH_LOOP(b) {
    }
}

BENCH(crashes)
{
    signal(SIGSEGV, SIG_DFL);
    BENCH_LOOP(b) {
        raise(SIGSEGV);
    }
}

/* Work proportional to where the stack is within a page: stands for code
 * whose instruction count depends on alignment (copies, vector loops). */
BENCH(stack_position)
{
    BENCH_LOOP(b) {
        volatile char here = 0;
        uintptr_t slot = ((uintptr_t)&here >> 4) & 255;
        uint64_t x = 1;
        for (uintptr_t i = 0; i < slot; i++)
            x = x * 6364136223846793005ull + 1442695040888963407ull;
        bg_do_not_optimize(x);
    }
}
