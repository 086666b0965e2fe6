/* What allocation counting costs: a malloc/free pair through the process's
 * malloc (glibc's own when the run has no --counters alloc, since the
 * interposer, libbenchgate-alloc.so, is then not loaded; its counting path
 * with --counters alloc) against the same pair straight into glibc.
 * The per-sample cost of each counter group the harness measures itself
 * when a run starts (the "counters:" line; counter_groups[].sample_ns in
 * the run record). tools/measure-counters.sh runs these both ways and
 * prints the figures. */
#include <dlfcn.h>
#include <stdlib.h>

#include "benchgate.h"

/* Through volatile pointers, so the compiler cannot drop the pair; both
 * benchmarks pay the same indirect call. */
static void *(*volatile v_malloc)(size_t) = malloc;
static void (*volatile v_free)(void *) = free;

/* malloc(64) + free through the process's malloc: glibc's, or with
 * --counters=alloc the interposer's counting path (or, preloaded by hand
 * without --counters alloc, its fast path: one load, one branch, an
 * indirect call). */
BENCH(alloc_pair_interposed)
{
    BENCH_LOOP(b) {
        void *p = v_malloc(64);
        bg_do_not_optimize(p);
        v_free(p);
    }
}

/* The same pair through glibc's own entry points, which the interposer
 * does not see: the baseline. */
BENCH(alloc_pair_libc)
{
    void *(*volatile m)(size_t) = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "__libc_malloc");
    void (*volatile f)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "__libc_free");
    if (!m || !f) {
        bg_skip(b, "unavailable: the C library has no __libc_malloc (not glibc)");
        return;
    }
    BENCH_LOOP(b) {
        void *p = m(64);
        bg_do_not_optimize(p);
        f(p);
    }
}
