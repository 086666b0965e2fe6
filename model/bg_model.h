/* The run/result model: what a run measured (bg_config, bg_result, bg_run),
 * its lifecycle (run.c), named and derived metrics (metric.c), the run record
 * (record.c), whole-file I/O (files.c) and messages (error.c).
 *
 * Data flows one way: the harness (harness/bg_harness.h) measures into
 * bg_result, the model summarises it and computes the derived figures once,
 * the record, comparisons and reporters only read finished results. Nothing
 * here calls up into the harness, the store or the command line.
 */
#ifndef BG_MODEL_H
#define BG_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "benchgate.h"
#include "bg_counters.h"
#include "bg_stats.h"

/* ---- messages (error.c) and files (files.c) ---- */

/* Prints "benchgate: <message>\n" to stderr. */
void bg__errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parses a number in [lo, hi] given to `flag`; otherwise prints what was
 * expected and returns BG_EINVAL. */
int bg__parse_number(const char *flag, const char *v, double lo, double hi, double *out);
/* Reads a whole file into a NUL-terminated string (caller frees); NULL on
 * failure, with "cannot read PATH: why" in err when err is not NULL. */
char *bg__read_file(const char *path, char *err, size_t errlen);
/* Writes len bytes to `path` atomically: a temporary file in the same
 * directory, fsync, rename. A message naming the file goes to err. */
int bg__write_file_atomic(const char *path, const char *data, size_t len, char *err,
                          size_t errlen);

/* ---- the harness's own overhead, measured once per run (harness/runner.c) ---- */

typedef struct bg_overhead {
    double wall_read_ns;   /* cost of one wall-clock read */
    double cpu_read_ns;    /* cost of one CPU-clock read */
    double resolution_ns;  /* smallest observed non-zero wall-clock step */
    double empty_loop_ns;  /* per-iteration cost of an empty BENCH_LOOP */
    double sample_overhead_ns; /* fixed cost of one sample (begin + end) */
    double counters_sample_ns; /* counter reads per sample, outside the timed interval */
} bg_overhead;

/* ---- configuration (defaults: run.c; the bench binary's flags: harness/driver.c) ---- */

/* What a run measures (--mode). */
typedef enum bg_mode {
    BG_MODE_TIME = 0,        /* wall and CPU time, counters beside them */
    BG_MODE_INSTRUCTIONS,    /* instructions: the hardware counter, else valgrind */
    BG_MODE_INSTR_HW,        /* instructions from the hardware counter */
    BG_MODE_INSTR_VALGRIND   /* instructions and estimated cycles from callgrind */
} bg_mode;

typedef struct bg_config {
    double warmup_s;          /* warm-up per process */
    double measure_s;         /* measurement time per process */
    double budget_s;          /* most wall time per benchmark, all processes */
    double target;            /* relative CI half-width at which to stop */
    double timeout_s;         /* a process that finishes no sample for this long hangs */
    size_t samples;           /* samples per process (linear plan k, 2k, ... mk) */
    int min_procs, max_procs; /* processes per benchmark */
    uint64_t seed;            /* seeds bootstrap and layout randomisation */
    size_t resamples;         /* bootstrap resamples for reported intervals */
    double confidence;        /* interval level, e.g. 0.95 */
    bg_statistic primary;     /* statistic shown first and compared */
    const char *filter;       /* POSIX extended regex on names, or NULL */
    int shard_k, shard_n;     /* --shard K/N: run shard K of N of the selection (n 0: all) */
    const char *shard_cost;   /* --shard-cost B: the run whose times balance the shards, or NULL */
    const char *json_path;    /* --json FILE, or NULL */
    const char *store_dir;    /* --store DIR, or NULL for the default */
    const char *baseline;     /* --baseline REF|NAME|FILE|auto, or NULL for none */
    const char *save_baseline; /* --save-baseline NAME, or NULL */
    bool save;                /* save the run in the store */
    bool list;                /* --list: print names and exit */
    bool quick;               /* --quick: short, rough run */
    bool color;               /* colour on the console */
    bool progress;            /* progress line on stderr */
    uint32_t counters;        /* counter groups measured (bit i: bg__counter_group_at(i)) */
    bool counters_all;        /* console: every counter, not the compact set */
    bg_mode mode;             /* --mode */
} bg_config;

/* The defaults; measured choices are explained where they are set. */
void bg__config_default(bg_config *c);

/* "time", "instructions", "instructions:hw", "instructions:valgrind". */
const char *bg__mode_name(bg_mode m);
/* Parses a --mode value; BG_EINVAL for anything else. */
int bg__mode_parse(const char *s, bg_mode *m);


/* ---- results (filled by the harness; names and lifecycle: run.c) ---- */

typedef enum bg_status {
    BG_STATUS_OK = 0,
    BG_STATUS_SKIPPED,  /* bg_skip() was called */
    BG_STATUS_CRASHED,  /* a process died of a signal or exited non-zero */
    BG_STATUS_TIMEOUT,  /* a process finished no sample within timeout_s */
    BG_STATUS_ERROR     /* the harness could not run it (fork failed, ...) */
} bg_status;

const char *bg__status_name(bg_status s);

/* One counter's values, one per sample of a process. */
typedef struct bg_series {
    char name[BG_COUNTER_NAME];
    double *v;
} bg_series;

/* What the kernel says one benchmark process used (wait4), and its peak
 * resident set when the benchmark function was called (the harness's own,
 * inherited from the parent at fork). */
typedef struct bg_rusage {
    double user_ns, sys_ns;
    double max_rss_bytes;   /* peak resident set of the process */
    double start_rss_bytes; /* peak resident set before the benchmark ran */
    double minor_faults, major_faults;
    double voluntary_cs, involuntary_cs;
} bg_rusage;

/* Samples of one process. */
typedef struct bg_proc {
    size_t n;
    double *iters;   /* iterations of each sample */
    double *wall_ns; /* wall time of each sample */
    double *cpu_ns;  /* CPU time of each sample */
    double *start_ns; /* when each sample's timed interval began, ns since the
                       * run started (CLOCK_MONOTONIC); NULL when unknown */
    uint64_t warmup_iters;
    double warmup_ns;
    uint32_t stack_offset; /* layout variation applied to this process */
    uint32_t heap_offset;
    size_t ncounters;      /* counters measured in this process */
    bg_series *counters;   /* each with n values */
    bool has_rusage;
    bg_rusage ru;
    /* Derived (bg__result_derive): totals over the process's samples. */
    double iters_total;
    double wall_per_iter_ns; /* wall time / iterations */
    double cpu_per_iter_ns;  /* CPU time / iterations */
    /* counters[k]'s finite values: their total / iterations, or for a peak
     * the largest (-INFINITY when none) */
    double counter_per_iter[BG_COUNTERS_MAX];
} bg_proc;

/* One per-sample metric of a result, summarised: its per-sample values per
 * iteration (a peak as measured) over every sample of every process. */
typedef struct bg_metric_figure {
    char name[BG_COUNTER_NAME]; /* "time", "cpu" or a counter */
    double value;  /* the per-iteration figure (bg__result_metric) */
    size_t n;      /* samples with a value (0: the statistics below are 0) */
    double mean, median, min, max, sd;
} bg_metric_figure;

#define BG_DERIVED_METRICS 4 /* bg__derived_metrics */
#define BG_PROCESS_METRICS 8 /* bg__process_metrics */
#define BG_REP_AGGREGATES 4  /* mean, median, stddev, cv */

/* Everything a reporter shows that is not a recorded number, computed once
 * per result by bg__result_derive, so that every reporter shows the same
 * figure and none computes one. */
typedef struct bg_figures {
    bool done;                /* bg__result_derive ran on this result */
    size_t nmetrics;          /* time, cpu, then every counter, first seen first */
    bg_metric_figure metrics[BG_COUNTERS_MAX + 2];
    double derived[BG_DERIVED_METRICS]; /* in bg__derived_metrics' order; NAN: not measured */
    double process[BG_PROCESS_METRICS]; /* medians over processes, bg__process_metrics' order */
    bool has_rusage;          /* some process has rusage: process[] and rusage hold */
    bg_rusage rusage;         /* the same medians, as a struct */
    /* Throughput at the primary estimate (bytes or items per second; 0 when
     * not declared or no estimate), and the interval's half-width relative to
     * the primary estimate (0 when the point is not positive). */
    double bytes_per_s, items_per_s;
    double primary_half_width;
    /* The same throughputs at the mean (the HTML report's figure). */
    double mean_bytes_per_s, mean_items_per_s;
    /* Over processes with samples (Google Benchmark's repetitions): how many,
     * and the mean, median, sample sd and cv of wall and CPU time per
     * iteration. */
    size_t reps;
    double rep_wall[BG_REP_AGGREGATES], rep_cpu[BG_REP_AGGREGATES];
} bg_figures;

typedef struct bg_result {
    const char *name;
    bool owns_name;          /* name was allocated by the record reader */
    bg_status status;
    int signal;              /* BG_STATUS_CRASHED by signal: its number */
    int exit_code;           /* BG_STATUS_CRASHED by exit: its code */
    char message[256];       /* skip reason / error text */
    size_t nprocs;
    bg_proc *procs;
    uint64_t items_per_iter; /* 0 when not declared */
    uint64_t bytes_per_iter;
    bool has_summary;
    bg_summary wall;         /* per-iteration wall time statistics */
    double cpu_per_iter_ns;  /* pooled CPU ns / iterations */
    double elapsed_s;        /* wall time the harness spent on it */
    uint64_t seed;           /* bootstrap seed used for its intervals */
    char counter_note[256];  /* counters a process could not measure, and why */
    bg_figures fig;          /* derived figures (bg__result_derive) */
} bg_result;

/* A key/value pair of the machine fingerprint, as recorded. */
typedef struct bg_kv {
    char key[32];
    char value[512];
} bg_kv;

#define BG_MACHINE_FIELDS 16

/* The part of a suite one run measured (--shard K/N; plan: shard.c). */
typedef struct bg_shard {
    int k, n;                 /* shard k of n, 1 <= k <= n; n == 0: the whole suite */
    char method[8];           /* "name" or "cost" */
    char cost_from[80];       /* "cost": the run whose times balanced it, "<commit>@<created_unix>" */
    size_t nsuite;            /* benchmarks in the whole suite */
    const char *const *suite; /* their names, sorted; borrowed by the writer (the
                               * registry's), NULL in a run read back (the store
                               * reads the names from the record itself) */
    int merged;               /* read back: the run is the merge of this many shard
                               * runs ("merged", store/bg_merge.h), else 0 */
} bg_shard;

typedef struct bg_run {
    bg_config config;
    bg_overhead overhead;
    size_t nresults;
    bg_result *results;
    int64_t created_unix;
    char created[32]; /* ISO 8601 UTC */
    uint64_t start_mono_ns; /* CLOCK_MONOTONIC when the run began (bg__wall_ns);
                             * samples' start_ns count from it; not recorded */
    char host[128];
    /* Where the run was made: filled by the caller (git and fingerprint
     * modules); empty strings mean unknown. */
    char git_commit[41];
    char git_branch[256];
    bool git_dirty;
    char git_status[32];     /* "ok", "no-repo", "no-commits", "detached", ... */
    char machine_id[16];
    size_t nmachine_fields;
    bg_kv machine_fields[BG_MACHINE_FIELDS];
    /* The counter groups requested, whether each could be measured and why
     * not (bg__counters_probe, before the first benchmark). */
    size_t ncounter_groups;
    bg_counter_status counter_groups[BG_COUNTER_GROUPS_MAX];
    /* Why the measurements look noisy (the doctor's test, bg__run_noisy),
     * set by the caller once every result is in and before the reporters'
     * end; "" when they do not, or nobody asked. Not recorded. */
    char noisy[320];
    bg_shard shard;          /* n == 0 unless the run is one shard of its suite */
} bg_run;

/* Probes the counter groups of mask before the first benchmark: fills
 * run->counter_groups and run->overhead.counters_sample_ns (counters.c). */
void bg__counters_probe_run(bg_run *run, uint32_t mask);

/* ---- named metrics (metric.c) ---- */

/* The per-sample values (one per sample of process `proc`, totals over the
 * sample's iterations) of `metric`: "time" (wall ns), "cpu" (CPU ns), or a
 * recorded counter. NULL when the result has no such metric. */
const double *bg__proc_metric(const bg_result *r, size_t proc, const char *metric);
/* "ns" for times, "" for plain counts, else the counter's unit. */
const char *bg__metric_unit(const char *metric);

/* How a metric's per-sample values turn into a per-iteration figure. */
typedef enum bg_metric_kind {
    BG_METRIC_SUM,     /* totals over the sample: divide by its iterations */
    BG_METRIC_PEAK,    /* a maximum during the sample (peak_live_bytes): not divided */
    BG_METRIC_PROCESS, /* one value per process (rusage: max_rss_bytes, ...) */
    BG_METRIC_UNKNOWN
} bg_metric_kind;
bg_metric_kind bg__metric_kind(const char *metric);

/* Per-iteration value of a SUM metric (the mean over samples of value /
 * iterations, as comparisons compute it), the largest sample value of a PEAK metric, the median
 * over processes of a PROCESS metric, or a derived ratio: "ipc"
 * (instructions / cycles), "cache_miss_rate" (cache_misses /
 * cache_references), "branch_mpki" (branch misses per 1000 instructions),
 * "bytes_per_alloc". NAN when the result lacks what it needs. */
double bg__result_metric(const bg_result *r, const char *metric);
/* One process's value of a PROCESS metric (NAN when not recorded). */
double bg__proc_value(const bg_proc *p, const char *metric);
/* The counter names recorded in any process of r, first seen first; returns
 * how many (at most max). */
size_t bg__result_counter_names(const bg_result *r, const char **names, size_t max);
/* The medians over processes of every rusage field; false when no process
 * has rusage. */
bool bg__result_rusage(const bg_result *r, bg_rusage *median);
/* Names of the PROCESS metrics and the derived ones, NULL-terminated. */
extern const char *const bg__process_metrics[];
extern const char *const bg__derived_metrics[];

/* Computes r->fig (and each process's and series' derived fields) from the
 * samples, once, for the reporters: `primary` is the statistic whose
 * estimate the throughput is taken at. Called by bg__summarize_result and
 * the record reader; call it again after changing a result's samples.
 * Returns BG_ENOMEM (r->fig.done stays false) when memory runs out. */
int bg__result_derive(bg_result *r, bg_statistic primary);
/* The figure of `metric` that bg__result_derive stored: a per-sample
 * metric's per-iteration value, a derived ratio or a process median. NAN
 * when the result has none (or was not derived). */
double bg__result_figure(const bg_result *r, const char *metric);
/* The stored summary of a per-sample metric, or NULL. */
const bg_metric_figure *bg__result_metric_figure(const bg_result *r, const char *metric);

/* ---- shards of a suite (shard.c) ---- */

#define BG_SHARDS_MAX 256

/* Parses "K/N" (1 <= K <= N <= BG_SHARDS_MAX); BG_EINVAL otherwise. */
int bg__shard_parse(const char *s, int *k, int *n);

/* Assigns each of the n benchmarks `names` to a shard: assign[i] in
 * 0..nshards-1. Without costs (cost NULL) the order is by a hash of the
 * name, dealt round robin: shard sizes differ by at most one, and the
 * assignment depends only on the set of names, never on link order or the
 * machine. With costs (seconds each; a value <= 0 or NaN is unknown and
 * counts as the median of the known ones), the longest first goes to the
 * shard with the least total (ties: the lower shard, then the name), which
 * balances time. Deterministic for the same names and costs. BG_ENOMEM or
 * BG_EINVAL (nshards < 1). */
int bg__shard_plan(const char *const *names, const double *cost, size_t n, int nshards, int *assign);

/* ---- lifecycle (run.c) ---- */

/* Computes r->wall and friends from r->procs. */
int bg__summarize_result(const bg_config *c, bg_result *r);
/* Frees what a process, a result or a run owns and zeroes the counts; the
 * structure itself stays the caller's. NULL is fine for r and run. */
void bg__proc_free(bg_proc *p);
void bg__result_free(bg_result *r);
void bg__run_free(bg_run *run);

/* ---- run record (record.c): the one place the JSON schema lives ---- */

#define BG_RECORD_SCHEMA "benchgate.run"
#define BG_RECORD_VERSION 1

/* Serialises a run; returns a malloc'd string the caller frees, or NULL. */
char *bg__record_to_json(const bg_run *run);
/* Writes the run record to `path` atomically (temp file + rename). */
int bg__record_write(const bg_run *run, const char *path, char *err, size_t errlen);
struct cJSON;
/* Validates the envelope fields every reader of a run record needs, the one
 * check of them that the store and bg__record_parse share: "schema" is
 * BG_RECORD_SCHEMA (else BG_ESCHEMA), "schema_version" a whole number from 1
 * (BG_EPARSE otherwise; above BG_RECORD_VERSION: BG_ESCHEMA, "... written by
 * a newer benchgate"), "created_unix" a whole number from 0 to 9.2e18
 * (BG_EPARSE). The message in err names the field, not the file. On success
 * fills *version and *created_unix (either may be NULL). */
int bg__record_check_header(const struct cJSON *root, int *version, int64_t *created_unix, char *err,
                            size_t errlen);
/* Parses a run record; on failure returns BG_EPARSE or BG_ESCHEMA with a
 * message in err. On success *run owns everything (free with bg__run_free). */
int bg__record_parse(const char *json, bg_run *run, char *err, size_t errlen);
/* The same from a parsed record (`root` stays the caller's): for a reader
 * that has parsed the text already, so each record is parsed once. */
int bg__record_from_json(const struct cJSON *root, bg_run *run, char *err, size_t errlen);
/* Prints `root` indented, then a newline, to f, and frees it: the call takes
 * ownership, also on failure. A NULL root (a builder that ran out of memory)
 * gives BG_ENOMEM; a write error BG_EIO. */
int bg__json_fprint(FILE *f, struct cJSON *root);


#endif
