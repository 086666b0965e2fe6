/* A bench binary with benchmarks that misbehave, for the runner tests:
 * one crashes, one hangs, one exits, one never loops, one skips, and two are
 * fine. Environment variables make `fine_slowable` slower: all its
 * processes by a percentage, or every other one by 50 %. With
 * FAULTY_COUNT_ROUNDS set, fine_slowable counts its rounds per iteration
 * (user counter "rounds") and fine_fast reports 100 + that percentage as
 * "most_rounds" (a maximum): exact figures that tests compare on. */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "benchgate.h"

static volatile uint64_t g_rounds = 2000;

static uint64_t spin(uint64_t rounds, uint64_t x)
{
    for (uint64_t i = 0; i < rounds; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x;
}

/* 100 + FAULTY_SLOWDOWN_PCT. */
static uint64_t slowdown(void)
{
    const char *s = getenv("FAULTY_SLOWDOWN_PCT");
    return 100 + (s ? (uint64_t)atoi(s) : 0);
}

BENCH(fine_fast)
{
    uint64_t x = 1, n = g_rounds;
    bool count = getenv("FAULTY_COUNT_ROUNDS") != NULL;
    double peak = (double)slowdown();
    bg_set_items(b, n);
    BENCH_LOOP(b) {
        x = spin(n, x);
        bg_do_not_optimize(x);
        if (count)
            bg_counter(b, "most_rounds", peak, BG_COUNT_MAX);
    }
}

/* With FAULTY_ALTERNATE_FILE=PATH, every other process that runs
 * fine_slowable (counted in PATH) is 50 % slower: the processes of one run
 * disagree, as on a noisy machine. Decided once per process. */
static uint64_t alternate(uint64_t n)
{
    static pid_t decided;
    static bool slow;
    const char *path = getenv("FAULTY_ALTERNATE_FILE");
    if (!path)
        return n;
    if (decided != getpid()) {
        decided = getpid();
        int fd = open(path, O_RDWR | O_CREAT, 0644);
        if (fd >= 0 && flock(fd, LOCK_EX) == 0) {
            char buf[32] = "";
            ssize_t got = read(fd, buf, sizeof buf - 1);
            long count = got > 0 ? atol(buf) : 0;
            slow = count % 2 == 1;
            int len = snprintf(buf, sizeof buf, "%ld\n", count + 1);
            if (lseek(fd, 0, SEEK_SET) != 0 || write(fd, buf, (size_t)len) != len)
                slow = false;
        }
        if (fd >= 0)
            close(fd);
    }
    return slow ? n * 3 / 2 : n;
}

BENCH(fine_slowable)
{
    uint64_t x = 1, n = g_rounds;
    n = n * slowdown() / 100;
    n = alternate(n);
    bool count = getenv("FAULTY_COUNT_ROUNDS") != NULL;
    BENCH_LOOP(b) {
        x = spin(n, x);
        bg_do_not_optimize(x);
        if (count)
            bg_counter(b, "rounds", (double)n, BG_COUNT_ITER);
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
