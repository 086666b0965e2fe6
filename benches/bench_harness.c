/* The harness's own benchmarks: what an empty loop and a clock read cost. */
#include <time.h>

#include "benchgate.h"

/* An empty timed loop: the per-iteration overhead BENCH_LOOP adds. The
 * clobber keeps the loop from being deleted without adding instructions. */
BENCH(harness_empty_loop)
{
    BENCH_LOOP(b) {
        bg_clobber_memory();
    }
}

/* One read of the monotonic clock (the harness's wall clock). */
BENCH(harness_clock_read)
{
    struct timespec ts;
    BENCH_LOOP(b) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        bg_do_not_optimize(ts.tv_nsec);
    }
}

/* One read of the process CPU clock (read twice per sample). */
BENCH(harness_cpu_clock_read)
{
    struct timespec ts;
    BENCH_LOOP(b) {
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        bg_do_not_optimize(ts.tv_nsec);
    }
}
