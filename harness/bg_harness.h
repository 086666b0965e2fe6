/* The bench runtime's internals: BENCH() registration (registry.c), clocks
 * (timer.c), iteration planning (planner.c), the forking runner (runner.c)
 * and the bench binary's flags (driver.c). The harness measures into the
 * model's types (bg_model.h); nothing below it calls back up here except
 * through the clocks.
 */
#ifndef BG_HARNESS_H
#define BG_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bg_model.h"

/* ---- registry (registry.c) ---- */

typedef struct bg_bench {
    const char *name;
    bg_bench_fn fn;
    const char *file;
    int line;
    /* An instance of a spec (bg__registry_instances); zero for a plain BENCH. */
    const char *family;          /* the BENCH name; NULL: the same as name */
    size_t nargs;
    const char *arg_names[BG_ARGS_MAX];
    int64_t args[BG_ARGS_MAX];
    int threads;                 /* team size; 0: no team, the calling thread */
    bg_big_o complexity;         /* growth order asked for (BG_BIGO_NONE: none) */
    int complexity_arg;          /* index into args of its size argument */
    double mem_bytes;            /* memory the spec says it needs (0: not said) */
    bool on_request;             /* runs only when --filter selects it */
} bg_bench;

/* The registered benchmarks sorted by name; *n receives the count. The
 * array is owned by the registry. */
const bg_bench *bg__registry_sorted(size_t *n);
/* Writes the first duplicated name into `name` and returns 1, else 0. */
int bg__registry_duplicate(const char **name);
/* Forgets every registration (tests only). */
void bg__registry_reset(void);
/* The benchmarks to run: every registered BENCH in name order, each one with
 * a spec expanded into its instances (in the spec's order). The array and
 * its names are owned by the registry (valid until bg__registry_reset). On
 * a mistake in a spec (an empty range, a zero multiplier, too many threads,
 * a spec naming no BENCH) returns BG_EINVAL with a message naming the
 * benchmark in err; BG_ENOMEM when memory runs out. */
int bg__registry_instances(const bg_bench **out, size_t *n, char *err, size_t errlen);

/* ---- timers (timer.c) ---- */

/* Monotonic wall clock in nanoseconds (CLOCK_MONOTONIC, vDSO). */
uint64_t bg__wall_ns(void);
/* CPU time of the whole process in nanoseconds (CLOCK_PROCESS_CPUTIME_ID). */
uint64_t bg__cpu_ns(void);


/* Fills the clock fields of *o: read costs and resolution (timer.c). */
void bg__measure_timer(bg_overhead *o);
/* Measures the harness's own overhead, clocks and empty loop (runner.c). */
void bg__measure_overhead(bg_overhead *o);
/* The overhead measured once per process (measures on first call). */
void bg__overhead_get(bg_overhead *o);

/* ---- iteration planning (planner.c): pure functions ---- */

/* Warm-up: doubling batches until the per-iteration time is stable or the
 * warm-up budget is spent. */
typedef struct bg_warmup {
    uint64_t next;        /* iterations of the next warm-up batch */
    uint64_t total_iters; /* iterations run so far */
    double total_ns;
    double per_iter_ns;   /* per-iteration time of the latest batch */
    int stable_runs;      /* consecutive batches within BG_WARMUP_STABLE_REL */
} bg_warmup;

void bg__warmup_init(bg_warmup *w);
/* Feeds a finished warm-up batch (`iters` took `ns`; `elapsed_ns` since the
 * warm-up began). Returns true when warm-up is over, else sets w->next. */
bool bg__warmup_step(bg_warmup *w, uint64_t iters, double ns, double elapsed_ns,
                     double budget_ns, double min_sample_ns);

/* The sampling plan of one process: sample i (1-based) runs k*i iterations
 * (linear), or k iterations each when `flat` (iterations too slow for a
 * linear plan to fit the time). */
typedef struct bg_plan {
    uint64_t k;
    size_t m;
    bool flat;
} bg_plan;

/* Plans m samples taking about measure_ns in all, with the smallest sample
 * at least min_sample_ns. Returns BG_EINVAL for non-positive inputs. */
int bg__plan(double per_iter_ns, double measure_ns, size_t samples, double min_sample_ns,
             bg_plan *out);
uint64_t bg__plan_iters(const bg_plan *p, size_t i);

/* ---- the bench binary's flags (driver.c) ---- */

/* Parses argv into *c. Returns 0, or 1 after printing help/version (exit 0),
 * or BG_EINVAL after printing a message to `err` (exit 2). */
int bg__parse_args(int argc, char **argv, bg_config *c, FILE *out, FILE *err);

/* ---- the runner (runner.c) ---- */

/* A fixed sample schedule that replaces the timed plan (instruction mode's
 * inner run under callgrind): begin(i) gives the iterations of sample i
 * (1-based; 0 ends the process) and may switch counting on; end(i) switches
 * it off and says whether to report the sample. Called in the benchmark
 * process. */
typedef struct bg_schedule {
    uint64_t (*begin)(size_t i);
    bool (*end)(size_t i);
} bg_schedule;

/* Runs one benchmark as configured (index is its position, for seeds).
 * Sample start times are recorded relative to run_start_ns (a bg__wall_ns
 * reading, normally bg_run.start_mono_ns); 0 means when this call began. */
void bg__run_bench(const bg_config *c, const bg_bench *bench, size_t index,
                   uint64_t run_start_ns, bg_result *r);
/* The same on a fixed schedule (NULL: the timed plan, as bg__run_bench). */
void bg__run_bench_schedule(const bg_config *c, const bg_bench *bench, size_t index,
                            uint64_t run_start_ns, const bg_schedule *schedule, bg_result *r);

/* FNV-1a of s continuing from h (0xcbf29ce484222325 to start): the seeds
 * of benchmarks and of their scopes (runner.c). */
uint64_t bg__hash_name(uint64_t h, const char *s);

/* ---- scopes as results (scopes.c) ---- */

/* Turns the scopes (BG_SCOPE) r's processes timed into results of their
 * own, named r->name + "/" + path, each after the scope that encloses it
 * (depth first), summarised with c; r's processes give up their scope
 * series. overhead (may be NULL) gives the clock's cost for a note on a
 * scope near it. *out is NULL and *n 0 when r timed no scope; else the
 * caller owns *out: bg__result_free each, then free(*out). Returns 0 or
 * BG_ENOMEM (nothing made). */
int bg__scope_results(const bg_config *c, const bg_overhead *overhead, bg_result *r,
                      bg_result **out, size_t *n);

#endif
