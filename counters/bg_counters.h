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
#include <stdint.h>

#define BG_COUNTERS_MAX 32   /* counters of all groups together */
#define BG_COUNTER_NAME 32

/* What a group gathered over one benchmark process beyond its per-sample
 * counters, sent to the parent once the benchmark function has returned:
 * GPU activity by kernel and by copy (summed over the measured samples) and
 * the GPU's state at the start and end of the process. */
typedef enum bg_activity_kind {
    BG_ACT_KERNEL = 1,  /* name: the kernel (demangled where possible) */
    BG_ACT_MEMCPY_HTOD, /* copies of one size in one direction; name "" */
    BG_ACT_MEMCPY_DTOH,
    BG_ACT_MEMCPY_DTOD, /* device to device, arrays and peer copies included */
    BG_ACT_MEMSET,
    BG_ACT_GPU_START,   /* name: the GPU; v: the state (BG_ACT_SM_MHZ, ...) */
    BG_ACT_GPU_END,
    BG_ACT_KIND_MAX = BG_ACT_GPU_END
} bg_activity_kind;

/* v[] of an activity row (kernel, memcpy, memset) ... */
enum { BG_ACT_COUNT, BG_ACT_NS, BG_ACT_BYTES /* per call */ };
/* ... and of a GPU state row: clocks in MHz, temperature in degrees C, the
 * NVML clock-event (throttle) reason bits. */
enum { BG_ACT_SM_MHZ, BG_ACT_MEM_MHZ, BG_ACT_TEMP_C, BG_ACT_REASONS };

#define BG_ACTIVITY_NAME 200 /* longer kernel names are cut */

typedef struct bg_activity {
    int kind; /* bg_activity_kind */
    char name[BG_ACTIVITY_NAME];
    double v[4];
} bg_activity;

/* "kernel", "memcpy_htod", ..., "gpu_start"; NULL for an unknown kind. */
const char *bg__activity_kind_name(int kind);
/* The kind of a name above; 0 when unknown. */
int bg__activity_kind_parse(const char *name);

typedef struct bg_counter_group {
    const char *name;               /* "hw", "sw", "alloc", "gpu", ... */
    size_t ncounters;
    const char *const *names;       /* counter names, e.g. "instructions" */
    const char *const *units;       /* "" for counts, "ns", "bytes" */
    /* Opens the group in the current (benchmark) process. 0 when available;
     * otherwise fills `why` ("perf_event_open: ENOENT: no hardware events in
     * this VM") and the group is left out of this run. On success `why` may
     * hold a note on counters of the group that cannot be read (their end()
     * values are then always NAN and the runner leaves them out). */
    int (*open)(char *why, size_t whylen);
    /* Called just before the sample's clock starts / after it stops. end()
     * writes ncounters values (NAN for one that could not be read). */
    void (*begin)(void);
    void (*end)(double *values);
    void (*close)(void);
    /* Optional (NULL): after end(), why the group's values turned unknown
     * since open() (CUPTI could not start recording once the benchmark
     * loaded CUDA, ...), returned once per open; NULL otherwise. The text is
     * the group's, valid until its next call. */
    const char *(*failure)(void);
    /* Optional (NULL): once the benchmark function has returned, before
     * close(), what the group gathered over this process (bg_activity);
     * writes at most max rows to out and returns how many. */
    size_t (*activity)(bg_activity *out, size_t max);
} bg_counter_group;

/* ---- the counter table and the runner's use of it (counters.c) ---- */

#define BG_COUNTER_GROUPS_MAX 8

/* The groups open in one benchmark process, begun in order and ended in
 * reverse, so the group nearest the clock reads is the one opened last. */
typedef struct bg_counter_set {
    size_t ngroups;
    const bg_counter_group *groups[BG_COUNTER_GROUPS_MAX];
    size_t nvalues; /* values per sample over all groups */
    /* Where a group's failure() is told (the note of bg__counter_set_open). */
    void (*note)(void *ctx, const char *group, const char *why);
    void *note_ctx;
} bg_counter_set;

/* What one requested group did in a run: probed once in the parent, so a
 * group that is unavailable says so once per run, not per process. */
typedef struct bg_counter_status {
    char group[16];
    bool available;
    char note[320];   /* why it is unavailable, or which of its counters are */
    double sample_ns; /* measured cost of its begin() + end() per sample */
} bg_counter_status;

/* The table: group i is bit i of a mask. */
size_t bg__counter_group_count(void);
const bg_counter_group *bg__counter_group_at(size_t i);
/* The groups measured when --counters is not given. */
uint32_t bg__counters_default_mask(void);
/* Parses "all", "none", "default" (or NULL) or a comma-separated list of
 * group names into a mask. BG_EINVAL with a message naming the groups
 * otherwise: an unknown name, an empty list or an empty name ("sw,"). */
int bg__counters_parse(const char *list, uint32_t *mask, char *err, size_t errlen);
/* Writes the names of the groups in mask, comma-separated ("" for none). */
void bg__counters_format(uint32_t mask, char *buf, size_t len);

/* Opens every group of mask in this process to learn which are available,
 * measures what begin() + end() of each costs, and closes them again. Fills
 * out[] (one per requested group, at most max) and returns how many. Groups
 * found unavailable are not tried again by bg__counter_set_open in this
 * process or its children. */
size_t bg__counters_probe(uint32_t mask, bg_counter_status *out, size_t max);

/* Opens the groups of mask in this (benchmark) process; for a group that
 * fails, calls note(ctx, group, why) and leaves it out. A group whose
 * values later turn unknown says why through the same note, once, from
 * bg__counter_set_end. */
void bg__counter_set_open(bg_counter_set *s, uint32_t mask,
                          void (*note)(void *ctx, const char *group, const char *why),
                          void *ctx);
void bg__counter_set_begin(const bg_counter_set *s);
/* Writes s->nvalues values, group by group in the order of the set. */
void bg__counter_set_end(const bg_counter_set *s, double *values);
void bg__counter_set_close(bg_counter_set *s);
/* What the set's groups gathered over this process (their activity()),
 * group by group: writes at most max rows and returns how many. */
size_t bg__counter_set_activity(const bg_counter_set *s, bg_activity *out, size_t max);

/* The unit ("" for counts, "ns", "bytes") and group of a counter name;
 * NULL when no group of the table has that counter. */
const char *bg__counter_unit(const char *name);
const bg_counter_group *bg__counter_owner(const char *name);

/* Looks up `name` in the dlopen handle `h` into the function pointer at
 * `fp` (of any type; memcpy, because ISO C has no conversion from void *
 * to a function pointer). False when `h` lacks it. The GPU groups load
 * their libraries at run time with it (gpu_cupti.c, nvml.c). */
bool bg__dl_sym(void *h, const char *name, void *fp, size_t fpsize);
#define SYM(h, name, fp) bg__dl_sym((h), (name), &(fp), sizeof(fp))

/* The groups implemented here (perf_events.c, alloc_count.c). */
extern const bg_counter_group bg__hw_group;
extern const bg_counter_group bg__sw_group;
extern const bg_counter_group bg__alloc_group;
/* The GPU's clocks, temperature and throttling from NVML (nvml.c). */
extern const bg_counter_group bg__nvml_group;

/* The text for a perf_event_open failure on `event` with errno `errnum`,
 * given the value of /proc/sys/kernel/perf_event_paranoid (INT_MIN when it
 * could not be read): what failed, why, and what to do (perf_events.c). */
void bg__perf_reason(char *buf, size_t len, const char *event, int errnum, int paranoid);

#endif
