/* A bench binary with benchmarks that misbehave, for the runner tests:
 * one crashes, one hangs, one exits, one never loops, one skips, and two are
 * fine. An environment variable makes `fine_slowable` 20 % slower. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "benchgate.h"

static volatile uint64_t g_rounds = 2000;

static uint64_t spin(uint64_t rounds, uint64_t x)
{
    for (uint64_t i = 0; i < rounds; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x;
}

BENCH(fine_fast)
{
    uint64_t x = 1, n = g_rounds;
    bg_set_items(b, n);
    BENCH_LOOP(b) {
        x = spin(n, x);
        bg_do_not_optimize(x);
    }
}

BENCH(fine_slowable)
{
    uint64_t x = 1, n = g_rounds;
    const char *s = getenv("FAULTY_SLOWDOWN_PCT");
    if (s)
        n = n * (100 + (uint64_t)atoi(s)) / 100;
    BENCH_LOOP(b) {
        x = spin(n, x);
        bg_do_not_optimize(x);
    }
}

BENCH(crash_segv)
{
    /* The default action, so a sanitizer's own SIGSEGV handler (which would
     * turn the signal into an exit) does not hide what the harness must see. */
    signal(SIGSEGV, SIG_DFL);
    BENCH_LOOP(b) {
        raise(SIGSEGV);
    }
}

BENCH(hang_forever)
{
    BENCH_LOOP(b) {
        pause();
    }
}

BENCH(exit_seven)
{
    exit(7);
}

BENCH(no_loop)
{
    (void)b;
}

BENCH(skip_no_gpu)
{
    bg_skip(b, "unavailable: no GPU in this test");
    BENCH_LOOP(b) {
        abort(); /* never runs */
    }
}

int main(int argc, char **argv)
{
    return bg_main(argc, argv);
}
