/* bench_hash.c: an outside project's two benchmarks (FNV-1a hashing and a
 * byte-wise reverse), built against an installed benchgate. */
#include <benchgate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N 4096

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

BENCH(hash_4k)
{
    unsigned char *buf = malloc(N);
    if (!buf) {
        bg_skip(b, "out of memory");
        return;
    }
    for (size_t i = 0; i < N; i++)
        buf[i] = (unsigned char)(i * 31u);
    bg_set_bytes(b, N);
    BENCH_LOOP(b) {
        bg_do_not_optimize(fnv1a(buf, N));
    }
    free(buf);
}

BENCH(reverse_4k)
{
    unsigned char *buf = malloc(N);
    if (!buf) {
        bg_skip(b, "out of memory");
        return;
    }
    memset(buf, 7, N);
    bg_set_bytes(b, N);
    BENCH_LOOP(b) {
        for (size_t i = 0, j = N - 1; i < j; i++, j--) {
            unsigned char t = buf[i];
            buf[i] = buf[j];
            buf[j] = t;
        }
        bg_clobber_memory();
    }
    free(buf);
}
