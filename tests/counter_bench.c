/* A bench binary whose benchmarks have known counter values, for the
 * counter tests: exact allocation counts, one page fault per iteration, and
 * a known growth of the resident set. Linked with benchgate_main, as a
 * user's bench binary is. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "benchgate.h"

/* Called through volatile pointers: the compiler may not merge or drop an
 * allocation whose result it can see is unused. */
static void *(*volatile v_malloc)(size_t) = malloc;
static void *(*volatile v_calloc)(size_t, size_t) = calloc;
static void *(*volatile v_realloc)(void *, size_t) = realloc;
static char *(*volatile v_strdup)(const char *) = strdup;
static void (*volatile v_free)(void *) = free;

/* Per iteration: 3 allocations (100 + 200 + 300 bytes, all live at once),
 * 3 frees. */
BENCH(alloc_three_blocks)
{
    BENCH_LOOP(b) {
        void *p = v_malloc(100);
        void *q = v_calloc(2, 100);
        void *r = v_malloc(300);
        bg_do_not_optimize(p);
        bg_do_not_optimize(q);
        bg_do_not_optimize(r);
        v_free(r);
        v_free(q);
        v_free(p);
    }
}

/* Per iteration: malloc(16), realloc to 4096 (a free and an allocation),
 * strdup("hello") inside libc (6 bytes), two frees: 3 allocations of
 * 16 + 4096 + 6 bytes and 3 frees. */
BENCH(alloc_realloc_strdup)
{
    BENCH_LOOP(b) {
        char *p = v_malloc(16);
        p = v_realloc(p, 4096);
        char *s = v_strdup("hello");
        bg_do_not_optimize(p);
        bg_do_not_optimize(s);
        v_free(s);
        v_free(p);
    }
}

/* Per iteration: one new page touched once, one minor page fault. */
BENCH(page_fault_each)
{
    long page = sysconf(_SC_PAGESIZE);
    BENCH_LOOP(b) {
        char *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (p == MAP_FAILED)
            abort();
        p[0] = 1;
        bg_do_not_optimize(p[0]);
        munmap(p, (size_t)page);
    }
}

/* Setup touches 64 MiB: the process's peak resident set grows by at least
 * that much; the timed loop does nothing. */
BENCH(rss_64mib)
{
    size_t n = (size_t)64 << 20;
    char *p = v_malloc(n);
    if (!p)
        abort();
    memset(p, 1, n);
    bg_do_not_optimize(p[n - 1]);
    BENCH_LOOP(b) {
        bg_clobber_memory();
    }
    v_free(p);
}
