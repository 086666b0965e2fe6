/* A bench binary for `benchgate ab --lockstep`: its one benchmark, `turns`,
 * spins about 20 us per iteration and, with TURNS_LOG=PATH and
 * TURNS_SIDE=A or B, appends to PATH one line per iteration it ran,
 * "SIDE START END" (CLOCK_MONOTONIC ns, the same clock in every process),
 * when its process ends. Taking turns means no iteration of A overlaps one
 * of B (tests/test_ab.c reads the log). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "benchgate.h"

#define MAX_LOGGED 20000

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t g_t[MAX_LOGGED][2];

BENCH(turns)
{
    const char *path = getenv("TURNS_LOG"), *side = getenv("TURNS_SIDE");
    size_t n = 0;
    BENCH_LOOP(b) {
        uint64_t t0 = now_ns(), t1;
        do
            t1 = now_ns();
        while (t1 - t0 < 20000);
        if (n < MAX_LOGGED) {
            g_t[n][0] = t0;
            g_t[n][1] = t1;
            n++;
        }
    }
    if (!path || !side)
        return;
    FILE *f = fopen(path, "a");
    if (!f)
        return;
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s %llu %llu\n", side, (unsigned long long)g_t[i][0], (unsigned long long)g_t[i][1]);
    fclose(f);
}

int main(int argc, char **argv)
{
    return bg_main(argc, argv);
}
