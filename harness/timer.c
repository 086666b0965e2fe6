/* Clocks and the measurement of their own cost and resolution. */
#include <time.h>

#include "bg_harness.h"

uint64_t bg__wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bg__cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads of each clock in one timing batch: enough to dwarf the two reads
 * that bracket it (a read costs ~20-400 ns here, so a batch is 0.2-4 ms). */
#define TIMER_BATCH 10000
/* Batches; the fastest is kept, as interruptions only ever add time. */
#define TIMER_ROUNDS 5

void bg__measure_timer(bg_overhead *o)
{
    double best_wall = 1e300, best_cpu = 1e300;
    volatile uint64_t sink = 0;
    for (int r = 0; r < TIMER_ROUNDS; r++) {
        uint64_t t0 = bg__wall_ns();
        for (int i = 0; i < TIMER_BATCH; i++)
            sink += bg__wall_ns();
        uint64_t t1 = bg__wall_ns();
        double w = (double)(t1 - t0) / TIMER_BATCH;
        if (w < best_wall)
            best_wall = w;

        t0 = bg__wall_ns();
        for (int i = 0; i < TIMER_BATCH; i++)
            sink += bg__cpu_ns();
        t1 = bg__wall_ns();
        double c = (double)(t1 - t0) / TIMER_BATCH;
        if (c < best_cpu)
            best_cpu = c;
    }
    (void)sink;

    /* Resolution: the smallest non-zero step between consecutive reads. */
    uint64_t min_step = UINT64_MAX;
    for (int i = 0; i < TIMER_BATCH; i++) {
        uint64_t a = bg__wall_ns(), b = bg__wall_ns();
        while (b == a)
            b = bg__wall_ns();
        if (b - a < min_step)
            min_step = b - a;
    }
    o->wall_read_ns = best_wall;
    o->cpu_read_ns = best_cpu;
    o->resolution_ns = (double)min_step;
}
