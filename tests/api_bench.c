/* A bench binary for test_api: arguments, a thread team, user counters of
 * every kind, pause/resume, manual time, a batched setup and an empty body.
 * API_BENCH_BAD=<case> makes a spec or a counter name wrong on purpose. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <benchgate.h>

static const char *bad(void)
{
    const char *v = getenv("API_BENCH_BAD");
    return v ? v : "";
}

/* Records its argument as a per-sample counter so the test can check that
 * each instance saw its own value. */
BENCH(args)
{
    int64_t n = bg_arg(b, 0), k = bg_arg(b, 1);
    BENCH_LOOP(b) {
        bg_counter(b, "n_seen", (double)n, BG_COUNT_MAX);
        bg_counter(b, "k_seen", (double)k, BG_COUNT_MAX);
        bg_do_not_optimize(n);
    }
}

BENCH_SPEC(args)
{
    if (!strcmp(bad(), "range"))
        bg_spec_range(s, "n", 100, 10, 2);
    else if (!strcmp(bad(), "mult"))
        bg_spec_range(s, "n", 1, 10, 0);
    else if (!strcmp(bad(), "threads"))
        bg_spec_threads(s, (const int[]){1, 100000}, 2);
    bg_spec_args(s, "n", (const int64_t[]){8, 64}, 2);
    bg_spec_dense(s, "k", 1, 2, 1);
}

/* Every thread counts one per iteration; the team's sum is T per iteration. */
BENCH(team)
{
    int t = bg_thread_index(b), n = bg_threads(b);
    bg_set_items(b, 1);
    BENCH_LOOP(b) {
        bg_counter(b, "ticks", 1, BG_COUNT_ITER);
        bg_counter(b, "index_max", (double)t, BG_COUNT_MAX);
        bg_do_not_optimize(n);
    }
}

BENCH_SPEC(team)
{
    bg_spec_threads(s, (const int[]){1, 2}, 2);
}

BENCH(counters)
{
    BENCH_LOOP(b) {
        bg_counter(b, "per_iter", 2, BG_COUNT_ITER);
        bg_counter(b, "per_sample", 1, BG_COUNT_SAMPLE);
        bg_counter(b, "rate", 1, BG_COUNT_RATE);
        bg_counter(b, !strcmp(bad(), "counter") ? "time" : "biggest", 7, BG_COUNT_MAX);
    }
}

/* Manual time: every iteration reports exactly 1000 ns. */
BENCH(manual)
{
    BENCH_LOOP(b) {
        bg_set_iteration_time(b, 1000.0);
    }
}

static void spin_us(unsigned us)
{
    unsigned x = 0;
    for (unsigned i = 0; i < us * 300; i++) {
        x += i;
        bg_do_not_optimize(x);
    }
}

/* 20 µs of work inside pause/resume in every iteration: none of it timed. */
BENCH(paused)
{
    BENCH_LOOP(b) {
        bg_pause(b);
        spin_us(20);
        bg_resume(b);
    }
}

/* The batched setup runs once per iteration, untimed, with the body's i. */
BENCH(batched)
{
    static uint64_t seen[4096];
    BENCH_LOOP_BATCHED(b, i, seen[i % 4096] = i) {
        /* Every setup ran before the body: slot i % 4096 holds the last
         * index of the batch that maps to it, never an earlier one. */
        if (seen[i % 4096] < i || seen[i % 4096] % 4096 != i % 4096)
            abort();
    }
}

/* A size that cannot fit: 10^18 bytes a unit. */
BENCH(huge)
{
    BENCH_LOOP(b) {
    }
}

BENCH_SPEC(huge)
{
    bg_spec_args(s, "n", (const int64_t[]){1000}, 1);
    bg_spec_memory(s, "n", 1e18);
}

BENCH(empty)
{
    BENCH_LOOP(b) {
    }
}
