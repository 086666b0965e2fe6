/* Counters measured around every sample, beside the wall and CPU clocks.
 *
 * A counter group is a set of counters read together (one perf event group,
 * the allocator's tallies, CUPTI's activity records). Each group opens once
 * per benchmark process; when it cannot (no hardware events in a VM,
 * perf_event_paranoid too high, no GPU driver, ...) it says why, once, and
 * every other group and the timing still run. Values are totals over the
 * sample's iterations; per-iteration figures are derived by the reader. */
#ifndef BG_COUNTERS_H
#define BG_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>

#define BG_COUNTERS_MAX 32   /* counters of all groups together */
#define BG_COUNTER_NAME 32

typedef struct bg_counter_group {
    const char *name;               /* "hw", "sw", "alloc", "gpu", ... */
    size_t ncounters;
    const char *const *names;       /* counter names, e.g. "instructions" */
    const char *const *units;       /* "" for counts, "ns", "bytes" */
    /* Opens the group in the current (benchmark) process. 0 when available;
     * otherwise fills `why` ("perf_event_open: ENOENT: no hardware events in
     * this VM") and the group is left out of this run. */
    int (*open)(char *why, size_t whylen);
    /* Called just before the sample's clock starts / after it stops. end()
     * writes ncounters values (NAN for one that could not be read). */
    void (*begin)(void);
    void (*end)(double *values);
    void (*close)(void);
} bg_counter_group;

#endif
