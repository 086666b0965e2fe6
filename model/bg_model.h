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
#include "bg_profile.h"
#include "bg_stats.h"

/* ---- messages (error.c) and files (files.c) ---- */

/* Prints "benchgate: <message>\n" to stderr, wrapped (bg__wrap) at
 * bg__wrap_width(stderr): on a terminal, or with COLUMNS set. */
void bg__errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ---- wrapping of console messages (wrap.c) ---- */

/* The width messages wrap at on a terminal whose width is unknown. */
#define BG_WRAP_DEFAULT 80
/* The width messages written to f wrap at: $COLUMNS when set to a positive
 * number; else, when f is a terminal, its width (BG_WRAP_DEFAULT when
 * unknown); else 0, no wrapping: in a file or a pipe each message stays one
 * line, as the tables keep their full width there. */
int bg__wrap_width(FILE *f);
/* Writes text (any number of lines) to f, each line word-wrapped at `width`
 * display columns (UTF-8 code points; ANSI colour sequences take none):
 * the continuation lines are indented two columns past the line's own
 * leading spaces. A word wider than the room stays whole on a line of its
 * own. Every line ends with a newline, the last one too; width <= 0 wraps
 * nothing. Table rows must not go through it: they are laid out already. */
void bg__wrap(FILE *f, const char *text, int width);
/* bg__wrap of a printf-formatted text. */
void bg__wrapf(FILE *f, int width, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A message composed with stdio calls (escapers that write to a FILE)
 * before it is wrapped: bg__msg_begin returns a memory stream to write the
 * message to, or f itself when there is no memory for one (the message is
 * then written unwrapped); bg__msg_end wraps what was written into f at
 * `width` and frees the buffer. */
typedef struct bg_msgbuf {
    FILE *m;
    char *buf;
    size_t len;
} bg_msgbuf;
FILE *bg__msg_begin(bg_msgbuf *b, FILE *f);
void bg__msg_end(bg_msgbuf *b, FILE *f, int width);
/* Parses a number in [lo, hi] given to `flag`; otherwise prints what was
 * expected and returns BG_EINVAL. */
int bg__parse_number(const char *flag, const char *v, double lo, double hi, double *out);
/* The largest file read whole: 256 MiB, about 20 times the largest run
 * record seen (1000 benchmarks x 20 processes x 100 samples with four
 * numbers each is ~13 MB), so no genuine file is refused and a file that is
 * not a record (a link to /dev/zero, a huge dump) cannot exhaust memory.
 * $BENCHGATE_MAX_READ (bytes) replaces it. */
#define BG_READ_MAX ((size_t)256 << 20)
size_t bg__read_limit(void);
/* bg__read_file_ex flag: refuse a symbolic link (O_NOFOLLOW), as the store
 * does for its own files. */
#define BG_READ_NOFOLLOW 1u
/* Reads a whole regular file into a NUL-terminated string (caller frees).
 * A FIFO, device or directory is refused without blocking, as is a file
 * larger than bg__read_limit(). NULL on failure, with "cannot read PATH:
 * why" in err (may be NULL) and a BG_E* code in *code (may be NULL:
 * BG_ENOTFOUND, BG_EIO or BG_ENOMEM); *len (may be NULL) is the length. */
char *bg__read_file_ex(const char *path, unsigned flags, size_t *len, int *code, char *err,
                       size_t errlen);
/* bg__read_file_ex(path, 0, NULL, NULL, err, errlen). */
char *bg__read_file(const char *path, char *err, size_t errlen);
/* Writes len bytes to `path` atomically: a temporary file created
 * exclusively (never through a planted symbolic link) in the same
 * directory, fsync, rename. A message naming the file goes to err. */
int bg__write_file_atomic(const char *path, const char *data, size_t len, char *err,
                          size_t errlen);
/* Appends len bytes to path (created when missing); when the write fails
 * the file is cut back to its old length, so no half text is left. */
int bg__append_file(const char *path, const char *data, size_t len, char *err, size_t errlen);
/* Removes temporary files bg__write_file_atomic or the store left in dir
 * (".*.tmp", regular files) older than max_age_s: a process killed
 * mid-save leaves one. Returns how many were removed. */
size_t bg__sweep_stale_tmp(const char *dir, double max_age_s);

/* ---- the harness's own overhead, measured once per run (harness/runner.c) ---- */

typedef struct bg_overhead {
    double wall_read_ns;   /* cost of one wall-clock read */
    double cpu_read_ns;    /* cost of one CPU-clock read */
    double resolution_ns;  /* smallest observed non-zero wall-clock step */
    double empty_loop_ns;  /* per-iteration cost of an empty BENCH_LOOP */
    double sample_overhead_ns; /* fixed cost of one sample (begin + end) */
    double counters_sample_ns; /* counter reads per sample, outside the timed interval */
    double scope_entry_ns;  /* one BG_SCOPE entry (begin + end, nothing inside), timed */
    double scope_off_ns;    /* the same with scopes switched off (--no-scopes) */
    double scope_read_ns;   /* what an empty scope reads: taken out of every entry */
    bool scope_tsc;         /* scopes read the TSC (else clock_gettime) */
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
    bool gpu_flush_l2;        /* --gpu-flush-l2: overwrite L2 before each sample */
    bool color;               /* colour on the console */
    bool progress;            /* progress line on stderr */
    size_t progress_total;    /* benchmarks in the run, for the progress line (0: not known) */
    uint32_t counters;        /* counter groups measured (bit i: bg__counter_group_at(i)) */
    bool counters_all;        /* console: every counter, not the compact set */
    bg_mode mode;             /* --mode */
    bool profile;             /* --profile: each selected benchmark once more under perf */
    bool no_scopes;           /* --no-scopes: BG_SCOPE times nothing (costs a call and a test) */
    const char *profile_dir;  /* --profile-dir (default "benchgate-profile") */
    double profile_s;         /* --profile-seconds: the profiled process's measure time */
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
/* Length of the valid UTF-8 sequence at s (1-4), or 0 when s does not start
 * one (a stray continuation byte, an overlong form, a UTF-16 surrogate, a
 * code point past U+10FFFF, a truncated sequence). run.c; the escapers of
 * the reporters use it too. */
size_t bg__utf8_len(const char *s);
/* Checks a benchmark name that came from outside (a run record, an
 * import): not empty, valid UTF-8, no control characters (escape sequences
 * would reach terminals, a newline would break a Markdown row). 0, or
 * BG_EPARSE with what is wrong ("is empty", "holds a control character
 * (0x1b at offset 3)") in why. */
int bg__name_check(const char *name, char *why, size_t n);

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
/* One scope's time and entries per sample, in one process. */
typedef struct bg_scope_series {
    char path[256]; /* "parse/tokenize": the names of its enclosing scopes first */
    double *ns;    /* its time in each sample, the clock's cost taken out */
    double *calls; /* its entries in each sample */
} bg_scope_series;

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
    /* counters[k] is a user counter of this bg_count_kind (0: a built-in one) */
    uint8_t counter_kind[BG_COUNTERS_MAX];
    bool has_rusage;
    bg_rusage ru;
    /* GPU activity by kernel and copy size over the measured samples, and
     * the GPU's state at the start and end (bg_counters.h); owned. */
    size_t nactivity;
    bg_activity *activity;
    /* Scopes (BG_SCOPE) the process timed, each with n values per series:
     * gathered by the runner and turned into results of their own
     * (bg__scope_results); never recorded. Owned. */
    size_t nscopes;
    bg_scope_series *scopes;
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
/* One row of a result's GPU breakdown: a kernel or a copy size, over every
 * process, per iteration (bg__result_derive). */
typedef struct bg_gpu_row {
    int kind;                     /* BG_ACT_KERNEL ... BG_ACT_MEMSET */
    char name[BG_ACTIVITY_NAME];  /* the kernel; "" for copies */
    double bytes;                 /* a copy's size per call */
    double calls_per_iter;        /* launches (copies) per iteration */
    double ns_per_iter;           /* GPU time per iteration */
    double ns_per_call;
    double share;                 /* of the GPU time of all rows, 0..1 */
} bg_gpu_row;

#define BG_GPU_ROWS_MAX 48

typedef struct bg_figures {
    bool done;                /* bg__result_derive ran on this result */
    /* The GPU breakdown, by GPU time per iteration, largest first (rows
     * beyond BG_GPU_ROWS_MAX are left out and counted). */
    size_t ngpu, ngpu_more;
    bg_gpu_row gpu[BG_GPU_ROWS_MAX];
    /* Samples flagged gpu_throttled, of those with the flag read. */
    size_t throttled, throttle_read;
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

/* A recommendation backed by numbers (harness/advice.c): the rule that
 * fired, the figures that made it fire, and one concrete action. */
typedef struct bg_advice {
    char rule[24];      /* "noisy", "near-clock", "optimised-away", "allocs-in-loop",
                         * "page-faults", "memory-bound", "branch-misses", "gpu-transfers",
                         * "gpu-launch-overhead" */
    char evidence[256]; /* the numbers */
    char action[320];   /* what to do */
} bg_advice;

#define BG_ADVICE_MAX 8

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
    char note[192];          /* what to know about the figures (a body below the loop's
                              * resolution), "" when nothing */
    /* The instance of a BENCH_SPEC this result measured; family "" for a
     * plain BENCH. Arguments in the spec's order. */
    char family[128];
    size_t nargs;
    char arg_names[BG_ARGS_MAX][32];
    int64_t args[BG_ARGS_MAX];
    int threads;             /* team size; 0: no team */
    bg_big_o complexity;     /* growth order asked for (BG_BIGO_NONE: none) */
    int complexity_arg;      /* its size argument's index in args (-1: none) */
    bg_figures fig;          /* derived figures (bg__result_derive) */
    bg_profile *profile;     /* --profile: its files and top functions (owned, freed
                              * by bg__result_free); NULL when not profiled */
    size_t nadvice;          /* recommendations (harness/advice.c), recorded */
    bg_advice advice[BG_ADVICE_MAX];
    /* A scope (BG_SCOPE): the benchmark it is inside ("" for a benchmark),
     * its nesting depth (1: directly in the body) and its share of the time
     * of what encloses it (the scope around it, or the body). The result's
     * name is scope_of + "/" + the scope's path. Recorded. */
    char scope_of[256];
    int scope_depth;
    double scope_share;
    char time_unit[4];       /* the unit an imported file showed its times in ("us"; "ns",
                              * "ms", "s"), for exports to keep; "" : ns. Recorded. */
} bg_result;

/* A key/value pair of the machine fingerprint, as recorded. */
typedef struct bg_kv {
    char key[32];
    char value[512];
} bg_kv;

#define BG_MACHINE_FIELDS 16

typedef struct bg_sweep bg_sweep; /* sweep.c, below */
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
    /* Growth orders and thread scaling over the results (bg__run_sweeps):
     * derived once when the run is finished or read; owned by the run. */
    size_t nsweeps;
    bg_sweep *sweeps;
    bg_shard shard;          /* n == 0 unless the run is one shard of its suite */
} bg_run;

/* ---- sweeps over a family's instances (sweep.c) ---- */

#define BG_SWEEP_POINTS 64

typedef enum bg_sweep_kind {
    BG_SWEEP_GROWTH = 1, /* time per iteration against a size argument */
    BG_SWEEP_THREADS     /* throughput against the team size */
} bg_sweep_kind;

/* The instances of one family that differ only in the swept dimension,
 * with the figures made from them: a growth order, or the scaling of a
 * thread team. */
struct bg_sweep {
    bg_sweep_kind kind;
    char key[192];  /* the family and the fixed arguments: "sort", "psum/n:1000000" */
    char arg[32];   /* the swept argument, "threads" for a team sweep */
    size_t n;       /* points, in ascending x */
    double x[BG_SWEEP_POINTS];      /* sizes or thread counts */
    double t_ns[BG_SWEEP_POINTS];   /* mean time per iteration */
    const char *names[BG_SWEEP_POINTS]; /* the instances, borrowed from the run */
    /* BG_SWEEP_GROWTH: the class (fitted, or declared), time ~= coef * f(n),
     * and the normalised RMS of that fit. */
    bg_big_o big_o;
    bool declared;
    double coef, rms;
    /* The class the sizes fit best and its RMS, also when one was declared
     * (then it may differ from big_o). Not recorded: fitted again on load. */
    bg_big_o fitted;
    double fitted_rms;
    /* BG_SWEEP_THREADS: throughput (items/s when declared, else iterations/s),
     * efficiency = throughput(T) / (T/T0 * throughput(T0)) against the
     * smallest team T0, the team with the highest throughput, and the first
     * team whose efficiency is below BG_KNEE_EFFICIENCY (0: none). */
    double throughput[BG_SWEEP_POINTS];
    double efficiency[BG_SWEEP_POINTS];
    int best_threads, knee_threads;
};

/* Efficiency below which more threads stop paying: 80 %, the usual line of
 * "linear enough" in scaling studies. */
#define BG_KNEE_EFFICIENCY 0.8

/* "O(n log n)" and the like; "" for BG_BIGO_NONE and BG_BIGO_AUTO. */
const char *bg__big_o_name(bg_big_o o);
/* Parses a name of bg__big_o_name (or "auto"); BG_EINVAL otherwise. */
int bg__big_o_parse(const char *s, bg_big_o *o);
/* Computes run->sweeps from the finished results (replacing any). A result
 * without a summary is left out of its sweep. Returns BG_ENOMEM. */
int bg__run_sweeps(bg_run *run);
/* Whether class b grows faster than class a (both fitted or declared). */
bool bg__big_o_worse(bg_big_o a, bg_big_o b);

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
    BG_METRIC_UNKNOWN,
    BG_METRIC_SAMPLE   /* a figure per sample (a user counter per sample or rate): not divided */
} bg_metric_kind;
bg_metric_kind bg__metric_kind(const char *metric);
/* The kind of `metric` in r: a user counter's by its bg_count_kind (per
 * iteration: SUM, max: PEAK, per sample and rate: SAMPLE), else by name. */
bg_metric_kind bg__result_metric_kind(const bg_result *r, const char *metric);

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
