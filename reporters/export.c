/* Exports of a run to other tools' formats: a CSV of estimates, Google
 * Benchmark JSON (read by github-action-benchmark, Bencher and Google
 * Benchmark's own compare.py) and a Chrome trace / Perfetto timeline. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bg_config.h"
#include "bg_report.h"
#include "bg_reporter.h"

/* ---- CSV ---- */

static void csv_num(FILE *f, double v)
{
    /* 17 significant digits read back as the same double. */
    if (isfinite(v))
        fprintf(f, ",%.17g", v);
    else
        fputc(',', f);
}

static int csv_begin(FILE *f, const bg_report_src *s)
{
    fputs("commit,machine,benchmark,status,statistic,point_ns,lo_ns,hi_ns,se_ns,confidence,processes,"
          "samples\n",
          f);
    return 0;
}

static int csv_bench(FILE *f, const bg_report_src *src, size_t i)
{
    const bg_run *run = src->run;
    {
        const bg_result *r = &run->results[i];
        for (int s = 0; s < BG_STAT_COUNT; s++) {
            bg__csv_escape(f, run->git_commit);
            fputc(',', f);
            bg__csv_escape(f, run->machine_id);
            fputc(',', f);
            bg__csv_escape(f, r->name);
            fprintf(f, ",%s,%s", bg__status_name(r->status), bg_statistic_name((bg_statistic)s));
            const bg_estimate *e = &r->wall.est[s];
            bool has = r->has_summary;
            csv_num(f, has ? e->point : NAN);
            csv_num(f, has ? e->lo : NAN);
            csv_num(f, has ? e->hi : NAN);
            csv_num(f, has ? e->se : NAN);
            csv_num(f, run->config.confidence);
            fprintf(f, ",%zu,%zu\n", r->nprocs, has ? r->wall.nsamples : 0);
            if (!has)
                break; /* one row says the benchmark has no estimates */
        }
    }
    return 0;
}

static int csv_end(FILE *f, const bg_report_src *s)
{
    return ferror(f) ? BG_EIO : 0;
}

const bg_reporter bg__csv_reporter = {"csv", BG_REPORT_RUN, csv_begin, csv_bench, csv_end};

/* ---- Google Benchmark JSON ---- */

static const char *machine_field(const bg_run *run, const char *key)
{
    for (size_t i = 0; i < run->nmachine_fields; i++)
        if (!strcmp(run->machine_fields[i].key, key))
            return run->machine_fields[i].value;
    return NULL;
}

static cJSON *gbench_context(const bg_run *run)
{
    cJSON *c = cJSON_CreateObject();
    if (!c)
        return NULL;
    cJSON_AddStringToObject(c, "date", run->created);
    cJSON_AddStringToObject(c, "host_name", run->host);
    cJSON_AddStringToObject(c, "executable", "benchgate");
    const char *cores = machine_field(run, "cores");
    cJSON_AddNumberToObject(c, "num_cpus", cores ? atoi(cores) : 0);
    cJSON_AddNumberToObject(c, "mhz_per_cpu", 0);
    cJSON_AddBoolToObject(c, "cpu_scaling_enabled", false);
    cJSON_AddArrayToObject(c, "caches");
    cJSON_AddArrayToObject(c, "load_avg");
    const char *bt = machine_field(run, "buildtype");
    cJSON_AddStringToObject(c, "library_build_type", bt && strstr(bt, "debug") ? "debug" : "release");
    /* Extra context keys are allowed by the format; tools ignore them. */
    cJSON_AddStringToObject(c, "benchgate_version", BG_VERSION);
    cJSON_AddStringToObject(c, "benchgate_commit", run->git_commit);
    cJSON_AddStringToObject(c, "benchgate_machine", run->machine_id);
    /* What the importer needs to compute the same intervals again. */
    cJSON_AddNumberToObject(c, "benchgate_resamples", (double)run->config.resamples);
    cJSON_AddNumberToObject(c, "benchgate_confidence", run->config.confidence);
    const char *cpu = machine_field(run, "cpu_model");
    if (cpu)
        cJSON_AddStringToObject(c, "benchgate_cpu_model", cpu);
    return c;
}

/* The unit a benchmark's times are written in: the one an imported file
 * showed them in (r->time_unit), else ns; *scale is ns per unit. */
static const char *time_unit(const bg_result *r, double *scale)
{
    static const struct { const char *name; double ns; } units[] = {{"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(r->time_unit, units[i].name)) {
            *scale = units[i].ns;
            return units[i].name;
        }
    *scale = 1;
    return "ns";
}

/* The mean over processes of each counter's per-iteration figure, as user
 * counters of an aggregate entry (Google Benchmark gives its aggregates
 * the user counters' mean, median, ... over repetitions). */
static void add_counter_means(cJSON *o, const bg_result *r)
{
    if (r->nprocs == 0)
        return;
    const bg_proc *p0 = &r->procs[0];
    for (size_t k = 0; k < p0->ncounters && k < BG_COUNTERS_MAX; k++) {
        const char *name = p0->counters[k].name;
        double sum = 0;
        size_t n = 0;
        for (size_t i = 0; i < r->nprocs; i++) {
            const bg_proc *p = &r->procs[i];
            for (size_t j = 0; j < p->ncounters && j < BG_COUNTERS_MAX; j++)
                if (!strcmp(p->counters[j].name, name) && isfinite(p->counter_per_iter[j])) {
                    sum += p->counter_per_iter[j];
                    n++;
                }
        }
        if (n && !cJSON_GetObjectItemCaseSensitive(o, name))
            cJSON_AddNumberToObject(o, name, sum / (double)n);
    }
}

/* The fields every entry of one benchmark shares. */
static cJSON *gbench_entry(const char *name, const char *run_name, size_t family, const char *run_type,
                           size_t reps)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddNumberToObject(o, "family_index", (double)family);
    cJSON_AddNumberToObject(o, "per_family_instance_index", 0);
    cJSON_AddStringToObject(o, "run_name", run_name);
    cJSON_AddStringToObject(o, "run_type", run_type);
    cJSON_AddNumberToObject(o, "repetitions", (double)reps);
    return o;
}

static void add_rates(cJSON *o, const bg_result *r, double real_ns)
{
    if (!(real_ns > 0))
        return;
    if (r->items_per_iter)
        cJSON_AddNumberToObject(o, "items_per_second", (double)r->items_per_iter * 1e9 / real_ns);
    if (r->bytes_per_iter)
        cJSON_AddNumberToObject(o, "bytes_per_second", (double)r->bytes_per_iter * 1e9 / real_ns);
}

/* Counters as Google Benchmark user counters (as its perf counters are
 * written): totals per iteration, peaks as the largest sample's value, as
 * the model derived them for the process. */
static void add_counters(cJSON *o, const bg_proc *p)
{
    for (size_t k = 0; k < p->ncounters && k < BG_COUNTERS_MAX; k++) {
        const bg_series *c = &p->counters[k];
        double v = p->counter_per_iter[k];
        if (isfinite(v) && !cJSON_GetObjectItemCaseSensitive(o, c->name))
            cJSON_AddNumberToObject(o, c->name, v);
    }
}

/* A JSON array of n numbers, each with 17 significant digits so that it
 * reads back as the same double (cJSON's own printing stops at 15 digits
 * when those come within its epsilon); a non-finite one is null. */
static cJSON *num_array(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.17g", v[i]);
        cJSON *x = isfinite(v[i]) ? cJSON_CreateRaw(buf) : cJSON_CreateNull();
        if (!x || !cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(x);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

/* The process's raw samples, in fields Google Benchmark's tools ignore:
 * "benchgate_samples" [[iterations, wall_ns, cpu_ns], ...] (totals of
 * each sample), "benchgate_counters" {name: [value of each sample]} and
 * "benchgate_seed", the benchmark's bootstrap seed as a decimal string
 * (JSON numbers lose integers above 2^53). The importer rebuilds the run
 * from them, so its estimates are the original's. */
static int add_samples(cJSON *o, const bg_result *r, const bg_proc *p)
{
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, r->seed);
    if (!cJSON_AddStringToObject(o, "benchgate_seed", seed))
        return BG_ENOMEM;
    cJSON *arr = cJSON_AddArrayToObject(o, "benchgate_samples");
    if (!arr)
        return BG_ENOMEM;
    for (size_t j = 0; j < p->n; j++) {
        double v[3] = {p->iters[j], p->wall_ns[j], p->cpu_ns[j]};
        cJSON *s = num_array(v, 3);
        if (!s || !cJSON_AddItemToArray(arr, s)) {
            cJSON_Delete(s);
            return BG_ENOMEM;
        }
    }
    if (p->ncounters == 0)
        return 0;
    cJSON *co = cJSON_AddObjectToObject(o, "benchgate_counters");
    if (!co)
        return BG_ENOMEM;
    for (size_t k = 0; k < p->ncounters; k++) {
        cJSON *a = num_array(p->counters[k].v, p->n);
        if (!a || !cJSON_AddItemToObject(co, p->counters[k].name, a)) {
            cJSON_Delete(a);
            return BG_ENOMEM;
        }
    }
    return 0;
}

/* Appends one benchmark: an "iteration" entry per process with samples
 * (with the process's raw samples, see add_samples), then the aggregates
 * when there are several. */
static int gbench_bench(cJSON *arr, const bg_result *r, size_t family)
{
    size_t reps = r->fig.reps;
    if (r->status != BG_STATUS_OK || reps == 0) {
        cJSON *o = gbench_entry(r->name, r->name, family, "iteration", 1);
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            return BG_ENOMEM;
        }
        cJSON_AddNumberToObject(o, "repetition_index", 0);
        cJSON_AddNumberToObject(o, "threads", 1);
        cJSON_AddBoolToObject(o, "error_occurred", true);
        cJSON_AddStringToObject(o, "error_message",
                                r->message[0] ? r->message : bg__status_name(r->status));
        cJSON_AddNumberToObject(o, "iterations", 0);
        cJSON_AddNumberToObject(o, "real_time", 0);
        cJSON_AddNumberToObject(o, "cpu_time", 0);
        cJSON_AddStringToObject(o, "time_unit", "ns");
        return 0;
    }
    int rc = 0;
    size_t k = 0;
    for (size_t i = 0; !rc && i < r->nprocs; i++) {
        const bg_proc *p = &r->procs[i];
        if (p->n == 0)
            continue;
        cJSON *o = gbench_entry(r->name, r->name, family, "iteration", reps);
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            rc = BG_ENOMEM;
            break;
        }
        cJSON_AddNumberToObject(o, "repetition_index", (double)k);
        cJSON_AddNumberToObject(o, "threads", 1);
        cJSON_AddNumberToObject(o, "iterations", p->iters_total);
        double scale;
        const char *unit = time_unit(r, &scale);
        cJSON_AddNumberToObject(o, "real_time", p->wall_per_iter_ns / scale);
        cJSON_AddNumberToObject(o, "cpu_time", p->cpu_per_iter_ns / scale);
        cJSON_AddStringToObject(o, "time_unit", unit);
        add_rates(o, r, p->wall_per_iter_ns);
        add_counters(o, p);
        rc = add_samples(o, r, p);
        k++;
    }
    static const char *const aggs[] = {"mean", "median", "stddev", "cv"};
    for (size_t a = 0; !rc && reps > 1 && a < sizeof aggs / sizeof aggs[0]; a++) {
        size_t len = strlen(r->name) + 8;
        char *name = malloc(len);
        cJSON *o = name ? gbench_entry("", r->name, family, "aggregate", reps) : NULL;
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            free(name);
            rc = BG_ENOMEM;
            break;
        }
        snprintf(name, len, "%s_%s", r->name, aggs[a]);
        cJSON_ReplaceItemInObjectCaseSensitive(o, "name", cJSON_CreateString(name));
        free(name);
        cJSON_AddNumberToObject(o, "threads", 1);
        cJSON_AddStringToObject(o, "aggregate_name", aggs[a]);
        cJSON_AddStringToObject(o, "aggregate_unit", strcmp(aggs[a], "cv") ? "time" : "percentage");
        cJSON_AddNumberToObject(o, "iterations", (double)reps);
        double rt = r->fig.rep_wall[a], ct = r->fig.rep_cpu[a];
        /* cv is a ratio: never scaled */
        double scale;
        const char *unit = time_unit(r, &scale);
        if (!strcmp(aggs[a], "cv"))
            scale = 1;
        cJSON_AddNumberToObject(o, "real_time", rt / scale);
        cJSON_AddNumberToObject(o, "cpu_time", ct / scale);
        cJSON_AddStringToObject(o, "time_unit", unit);
        if (a < 2)
            add_rates(o, r, rt);
        if (a == 0)
            add_counter_means(o, r);
    }
    return rc;
}

/* Google Benchmark's names of the growth orders (GetBigOString). */
static const char *gbench_big_o(bg_big_o o)
{
    static const char *const names[] = {"", "", "(1)", "lgN", "N", "NlgN", "N^2", "N^3"};
    return o >= BG_BIGO_1 && o <= BG_BIGO_N3 ? names[o] : "";
}

/* The entries of result r (arr's items from `start` on): its team size as
 * "threads", and its family and arguments in "benchgate_instance" (which
 * the importer reads back; Google Benchmark's tools ignore it). */
static int gbench_instance(cJSON *arr, int start, const bg_result *r)
{
    if (!r->family[0])
        return 0;
    for (int i = start; i < cJSON_GetArraySize(arr); i++) {
        cJSON *o = cJSON_GetArrayItem(arr, i);
        if (r->threads > 0)
            cJSON_ReplaceItemInObjectCaseSensitive(o, "threads", cJSON_CreateNumber(r->threads));
        cJSON *in = cJSON_AddObjectToObject(o, "benchgate_instance");
        if (!in || !cJSON_AddStringToObject(in, "family", r->family) ||
            !cJSON_AddNumberToObject(in, "threads", r->threads))
            return BG_ENOMEM;
        cJSON *args = cJSON_AddObjectToObject(in, "args");
        for (size_t k = 0; args && k < r->nargs; k++)
            cJSON_AddNumberToObject(args, r->arg_names[k], (double)r->args[k]);
        if (r->complexity != BG_BIGO_NONE && r->complexity_arg >= 0)
            cJSON_AddStringToObject(in, "complexity_arg", r->arg_names[r->complexity_arg]);
    }
    return 0;
}

/* A growth sweep as Google Benchmark writes a complexity: a "<family>_BigO"
 * aggregate (big_o, the coefficients) and a "<family>_RMS" one. */
static int gbench_complexity(cJSON *arr, const bg_run *run)
{
    for (size_t i = 0; i < run->nsweeps; i++) {
        const bg_sweep *w = &run->sweeps[i];
        if (w->kind != BG_SWEEP_GROWTH || w->big_o < BG_BIGO_1)
            continue;
        char name[256];
        for (int row = 0; row < 2; row++) {
            snprintf(name, sizeof name, "%s_%s", w->key, row ? "RMS" : "BigO");
            cJSON *o = gbench_entry(name, w->key, run->nresults + i, "aggregate", 0);
            if (!o || !cJSON_AddItemToArray(arr, o)) {
                cJSON_Delete(o);
                return BG_ENOMEM;
            }
            cJSON_AddNumberToObject(o, "threads", 1);
            cJSON_AddStringToObject(o, "aggregate_name", row ? "RMS" : "BigO");
            cJSON_AddStringToObject(o, "aggregate_unit", row ? "percentage" : "time");
            if (row) {
                cJSON_AddNumberToObject(o, "rms", w->rms);
            } else {
                cJSON_AddNumberToObject(o, "cpu_coefficient", w->coef);
                cJSON_AddNumberToObject(o, "real_coefficient", w->coef);
                cJSON_AddStringToObject(o, "big_o", gbench_big_o(w->big_o));
                cJSON_AddStringToObject(o, "time_unit", "ns");
            }
        }
    }
    return 0;
}

/* The default form, one entry per benchmark, as Google Benchmark writes
 * with --benchmark_report_aggregates_only and only the mean: run_type
 * "aggregate", aggregate_name "mean", name "<benchmark>_mean", real_time
 * the mean over processes. github-action-benchmark's googlecpp parser
 * turns every entry into a point (name, real_time, time_unit, iterations,
 * cpu_time, threads) and Bencher's cpp_google adapter keeps one value per
 * name (name, real_time, time_unit), so one entry is one point per
 * benchmark in both. Each process's raw samples ride along in
 * "benchgate_processes" (as add_samples writes them), for the importer. */
static int gbench_mean_bench(cJSON *arr, const bg_result *r, size_t family)
{
    size_t reps = r->fig.reps;
    if (r->status != BG_STATUS_OK || reps == 0)
        return gbench_bench(arr, r, family); /* the errored entry */
    size_t len = strlen(r->name) + 8;
    char *name = malloc(len);
    cJSON *o = name ? gbench_entry("", r->name, family, "aggregate", reps) : NULL;
    if (!o || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        free(name);
        return BG_ENOMEM;
    }
    snprintf(name, len, "%s_mean", r->name);
    cJSON_ReplaceItemInObjectCaseSensitive(o, "name", cJSON_CreateString(name));
    free(name);
    cJSON_AddNumberToObject(o, "threads", 1);
    cJSON_AddStringToObject(o, "aggregate_name", "mean");
    cJSON_AddStringToObject(o, "aggregate_unit", "time");
    double iters = 0;
    for (size_t i = 0; i < r->nprocs; i++)
        iters += r->procs[i].iters_total;
    cJSON_AddNumberToObject(o, "iterations", iters);
    double scale;
    const char *unit = time_unit(r, &scale);
    cJSON_AddNumberToObject(o, "real_time", r->fig.rep_wall[0] / scale);
    cJSON_AddNumberToObject(o, "cpu_time", r->fig.rep_cpu[0] / scale);
    cJSON_AddStringToObject(o, "time_unit", unit);
    add_rates(o, r, r->fig.rep_wall[0]);
    add_counter_means(o, r);
    cJSON *procs = cJSON_AddArrayToObject(o, "benchgate_processes");
    if (!procs)
        return BG_ENOMEM;
    for (size_t i = 0; i < r->nprocs; i++) {
        const bg_proc *p = &r->procs[i];
        if (p->n == 0)
            continue;
        cJSON *po = cJSON_CreateObject();
        if (!po || !cJSON_AddItemToArray(procs, po)) {
            cJSON_Delete(po);
            return BG_ENOMEM;
        }
        int rc = add_samples(po, r, p);
        if (rc)
            return rc;
    }
    return 0;
}

/* One document: built and printed whole at the end; per_process: every
 * process's entry and four aggregates per benchmark, else gbench_mean_bench. */
static int gbench_doc(FILE *f, const bg_report_src *s, bool per_process)
{
    const bg_run *run = s->run;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return BG_ENOMEM;
    cJSON *ctx = gbench_context(run);
    if (!ctx || !cJSON_AddItemToObject(root, "context", ctx)) {
        cJSON_Delete(ctx);
        cJSON_Delete(root);
        return BG_ENOMEM;
    }
    cJSON *arr = cJSON_AddArrayToObject(root, "benchmarks");
    int rc = arr ? 0 : BG_ENOMEM;
    for (size_t i = 0; !rc && i < run->nresults; i++) {
        int start = cJSON_GetArraySize(arr);
        rc = per_process ? gbench_bench(arr, &run->results[i], i) : gbench_mean_bench(arr, &run->results[i], i);
        if (!rc)
            rc = gbench_instance(arr, start, &run->results[i]);
    }
    if (!rc)
        rc = gbench_complexity(arr, run);
    if (rc) {
        cJSON_Delete(root);
        return rc;
    }
    return bg__json_fprint(f, root);
}

static int gbench_end(FILE *f, const bg_report_src *s)
{
    return gbench_doc(f, s, false);
}

static int gbench_processes_end(FILE *f, const bg_report_src *s)
{
    return gbench_doc(f, s, true);
}

/* ---- Chrome trace event format ---- */

/* A metadata event naming a process or thread (track). */
static cJSON *trace_meta(const char *what, int pid, int tid, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "name", what);
    cJSON_AddStringToObject(o, "ph", "M");
    cJSON_AddNumberToObject(o, "pid", pid);
    cJSON_AddNumberToObject(o, "tid", tid);
    cJSON *args = cJSON_AddObjectToObject(o, "args");
    if (args)
        cJSON_AddStringToObject(args, "name", name);
    return o;
}

/* A complete ("X") event; times in microseconds, as the format wants. */
static cJSON *trace_event(const char *name, const char *cat, int pid, int tid, double ts_us, double dur_us)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "cat", cat);
    cJSON_AddStringToObject(o, "ph", "X");
    cJSON_AddNumberToObject(o, "ts", ts_us);
    cJSON_AddNumberToObject(o, "dur", dur_us);
    cJSON_AddNumberToObject(o, "pid", pid);
    cJSON_AddNumberToObject(o, "tid", tid);
    return o;
}

static bool add_event(cJSON *arr, cJSON *o)
{
    if (o && cJSON_AddItemToArray(arr, o))
        return true;
    cJSON_Delete(o);
    return false;
}

/* One benchmark: a track per process, its warm-up and then its samples.
 * A process with recorded start times has its samples where they ran, and
 * its warm-up (whose start is not recorded) ending where the first sample
 * began. A process without them is laid end to end from *t_us, the end of
 * everything placed so far, which moves past it; *real counts the processes
 * placed at their real times, *synthetic the others. */
size_t bg__trace_max_samples = BG_TRACE_MAX_SAMPLES;

/* Where each sample of a result (or a scope's slice of it) lies on the
 * trace, in µs: at[i][j] its start, end[i][j] its end, next[i][j] where the
 * next scope inside it goes. */
typedef struct trace_pos {
    size_t nprocs;
    size_t *n;
    double **at, **end, **next;
} trace_pos;

static void trace_pos_free(trace_pos *p)
{
    for (size_t i = 0; i < p->nprocs; i++) {
        free(p->at[i]);
        free(p->end[i]);
        free(p->next[i]);
    }
    free(p->n);
    free(p->at);
    free(p->end);
    free(p->next);
    memset(p, 0, sizeof *p);
}

static int trace_pos_init(trace_pos *p, const bg_result *r)
{
    memset(p, 0, sizeof *p);
    size_t np = r->nprocs ? r->nprocs : 1;
    p->n = calloc(np, sizeof *p->n);
    p->at = calloc(np, sizeof *p->at);
    p->end = calloc(np, sizeof *p->end);
    p->next = calloc(np, sizeof *p->next);
    if (!p->n || !p->at || !p->end || !p->next) {
        trace_pos_free(p);
        return BG_ENOMEM;
    }
    p->nprocs = r->nprocs;
    for (size_t i = 0; i < r->nprocs; i++) {
        size_t n = r->procs[i].n ? r->procs[i].n : 1;
        p->n[i] = r->procs[i].n;
        p->at[i] = calloc(n, sizeof **p->at);
        p->end[i] = calloc(n, sizeof **p->end);
        p->next[i] = calloc(n, sizeof **p->next);
        if (!p->at[i] || !p->end[i] || !p->next[i]) {
            trace_pos_free(p);
            return BG_ENOMEM;
        }
    }
    return 0;
}

static void trace_pos_set(trace_pos *p, size_t i, size_t j, double at, double dur)
{
    if (i < p->nprocs && j < p->n[i]) {
        p->at[i][j] = p->next[i][j] = at;
        p->end[i][j] = at + dur;
    }
}

/* A scope's slices, inside the samples (or the enclosing scope's slices)
 * of its benchmark's tracks: each its total time in that sample, placed
 * after the slices of the scopes before it in the same enclosing slice
 * (where in the sample its entries ran is not measured; the slice shows
 * how much of the sample they took). */
static int trace_scope(cJSON *arr, const bg_result *r, int pid, trace_pos *around, trace_pos *self,
                       size_t stride, size_t *kept)
{
    const char *leaf = strrchr(r->name, '/');
    leaf = leaf ? leaf + 1 : r->name;
    for (size_t i = 0; i < r->nprocs && i < around->nprocs; i++) {
        const bg_proc *p = &r->procs[i];
        int calls = -1;
        for (size_t k = 0; k < p->ncounters; k++)
            if (!strcmp(p->counters[k].name, "calls"))
                calls = (int)k;
        for (size_t j = 0; j < p->n && j < around->n[i]; j++) {
            double at = around->next[i][j];
            double dur = fmin(p->wall_ns[j] / 1e3, around->end[i][j] - at);
            if (!(dur > 0))
                dur = 0;
            around->next[i][j] = at + dur;
            trace_pos_set(self, i, j, at, dur);
            if (j % stride != 0)
                continue;
            ++*kept;
            cJSON *e = trace_event(leaf, "scope", pid, (int)i + 1, at, dur);
            if (!add_event(arr, e))
                return BG_ENOMEM;
            cJSON *args = cJSON_AddObjectToObject(e, "args");
            if (args) {
                cJSON_AddStringToObject(args, "scope", r->name);
                cJSON_AddNumberToObject(args, "wall_ns", p->wall_ns[j]);
                if (calls >= 0)
                    cJSON_AddNumberToObject(args, "entries", p->counters[calls].v[j]);
                cJSON_AddNumberToObject(args, "ns_per_iteration", p->wall_ns[j] / p->iters[j]);
            }
        }
    }
    return 0;
}

static int trace_bench(cJSON *arr, const bg_result *r, int pid, double *t_us, size_t *real,
                       size_t *synthetic, size_t stride, size_t *kept, trace_pos *pos)
{
    if (!add_event(arr, trace_meta("process_name", pid, 0, r->name)))
        return BG_ENOMEM;
    for (size_t i = 0; i < r->nprocs; i++) {
        const bg_proc *p = &r->procs[i];
        int tid = (int)i + 1;
        char label[96];
        snprintf(label, sizeof label, "process %zu (stack +%u B, heap +%u B)", i + 1, p->stack_offset,
                 p->heap_offset);
        if (!add_event(arr, trace_meta("thread_name", pid, tid, label)))
            return BG_ENOMEM;
        bool timed = p->start_ns && p->n > 0;
        if (timed) {
            *t_us = p->start_ns[0] / 1e3;
            if (isfinite(p->warmup_ns) && p->warmup_ns > 0)
                *t_us -= p->warmup_ns / 1e3;
            ++*real;
        } else {
            ++*synthetic;
        }
        if (isfinite(p->warmup_ns) && p->warmup_ns > 0) {
            cJSON *w = trace_event("warm-up", "warmup", pid, tid, *t_us, p->warmup_ns / 1e3);
            if (!add_event(arr, w))
                return BG_ENOMEM;
            cJSON *args = cJSON_AddObjectToObject(w, "args");
            if (args)
                cJSON_AddNumberToObject(args, "iterations", (double)p->warmup_iters);
            *t_us += p->warmup_ns / 1e3;
        }
        for (size_t j = 0; j < p->n; j++) {
            char name[64];
            snprintf(name, sizeof name, "sample %zu", j + 1);
            if (timed)
                *t_us = p->start_ns[j] / 1e3;
            trace_pos_set(pos, i, j, *t_us, p->wall_ns[j] / 1e3);
            if (j % stride != 0) { /* capped: this sample is left out */
                *t_us += p->wall_ns[j] / 1e3;
                continue;
            }
            ++*kept;
            cJSON *e = trace_event(name, "sample", pid, tid, *t_us, p->wall_ns[j] / 1e3);
            if (!add_event(arr, e))
                return BG_ENOMEM;
            cJSON *args = cJSON_AddObjectToObject(e, "args");
            if (args) {
                cJSON_AddStringToObject(args, "benchmark", r->name);
                cJSON_AddNumberToObject(args, "iterations", p->iters[j]);
                cJSON_AddNumberToObject(args, "wall_ns", p->wall_ns[j]);
                cJSON_AddNumberToObject(args, "cpu_ns", p->cpu_ns[j]);
                cJSON_AddNumberToObject(args, "ns_per_iteration", p->wall_ns[j] / p->iters[j]);
                for (size_t k = 0; k < p->ncounters; k++) /* counters of the sample, totals */
                    if (isfinite(p->counters[k].v[j]))
                        cJSON_AddNumberToObject(args, p->counters[k].name, p->counters[k].v[j]);
            }
            *t_us += p->wall_ns[j] / 1e3;
        }
    }
    return 0;
}

/* One document: built and printed whole at the end. */
static int trace_end(FILE *f, const bg_report_src *s)
{
    const bg_run *run = s->run;
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = root ? cJSON_AddArrayToObject(root, "traceEvents") : NULL;
    if (!arr) {
        cJSON_Delete(root);
        return BG_ENOMEM;
    }
    /* Durations are measured. Start times are where the run record has
     * them (microseconds since the run started); older records and imports
     * have none, and their samples are laid end to end after the warm-up,
     * processes one after another, in the order they ran. */
    double t_us = 0;
    size_t real = 0, synthetic = 0, total = 0, kept = 0;
    for (size_t i = 0; i < run->nresults; i++)
        for (size_t k = 0; k < run->results[i].nprocs; k++)
            total += run->results[i].procs[k].n;
    size_t cap = bg__trace_max_samples ? bg__trace_max_samples : 1;
    size_t stride = total > cap ? (total + cap - 1) / cap : 1;
    int rc = 0;
    trace_pos *pos = calloc(run->nresults ? run->nresults : 1, sizeof *pos);
    if (!pos)
        rc = BG_ENOMEM;
    size_t scopes = 0;
    for (size_t i = 0; !rc && i < run->nresults; i++) {
        const bg_result *r = &run->results[i];
        if ((rc = trace_pos_init(&pos[i], r)) != 0)
            break;
        /* A scope goes on its benchmark's tracks, inside what encloses it:
         * the nearest result before it named as its parent. */
        size_t enc = i;
        if (r->scope_of[0] && r->name) {
            const char *up = strrchr(r->name, '/');
            size_t upn = up ? (size_t)(up - r->name) : 0;
            for (size_t k = i; k-- > 0;)
                if (run->results[k].name && strlen(run->results[k].name) == upn &&
                    !strncmp(run->results[k].name, r->name, upn)) {
                    enc = k;
                    break;
                }
        }
        if (enc != i) {
            size_t b = enc;
            while (run->results[b].scope_of[0] && b > 0) /* the benchmark: its pid */
                b--;
            rc = trace_scope(arr, r, (int)b + 1, &pos[enc], &pos[i], stride, &kept);
            scopes++;
        } else {
            rc = trace_bench(arr, r, (int)i + 1, &t_us, &real, &synthetic, stride, &kept, &pos[i]);
        }
    }
    for (size_t i = 0; pos && i < run->nresults; i++)
        trace_pos_free(&pos[i]);
    free(pos);
    if (rc) {
        cJSON_Delete(root);
        return rc;
    }
    cJSON_AddStringToObject(root, "displayTimeUnit", "ns");
    cJSON *other = cJSON_AddObjectToObject(root, "otherData");
    if (other) {
        cJSON_AddStringToObject(other, "tool", "benchgate " BG_VERSION);
        cJSON_AddStringToObject(other, "commit", run->git_commit);
        cJSON_AddStringToObject(other, "machine", run->machine_id);
        cJSON_AddStringToObject(other, "created", run->created);
        const char *timeline =
            synthetic == 0
                ? "sample durations and start times are measured (since the run started); "
                  "a warm-up's start is not recorded, so it is shown ending where its "
                  "process's first sample began"
            : real == 0
                ? "sample durations are measured; start times are not recorded, so "
                  "samples are laid end to end per process, processes in run order"
                : "sample durations are measured; start times are measured for some "
                  "processes and not recorded for others, whose samples are laid end to "
                  "end after what came before them";
        cJSON_AddStringToObject(other, "timeline", timeline);
        if (scopes)
            cJSON_AddStringToObject(other, "scopes",
                                    "a scope's slice is its total time within the sample (its entries "
                                    "summed), placed after the slices of the scopes before it inside "
                                    "what encloses it; where in the sample its entries ran is not "
                                    "recorded");
        if (stride > 1) {
            char note[200];
            snprintf(note, sizeof note, "%zu of %zu samples shown (every %zu%s of each process): the trace is "
                     "capped at %zu sample events", kept, total, stride,
                     stride == 2 ? "nd" : stride == 3 ? "rd" : "th", cap);
            cJSON_AddStringToObject(other, "capped", note);
        }
    }
    return bg__json_fprint(f, root);
}

static int nothing(FILE *f, const bg_report_src *s)
{
    return 0;
}

static int nothing_per_bench(FILE *f, const bg_report_src *s, size_t i)
{
    return 0;
}

const bg_reporter bg__gbench_reporter = {"gbench", BG_REPORT_RUN, nothing, nothing_per_bench,
                                         gbench_end};
const bg_reporter bg__gbench_processes_reporter = {"gbench-processes", BG_REPORT_RUN, nothing,
                                                   nothing_per_bench, gbench_processes_end};
const bg_reporter bg__trace_reporter = {"trace", BG_REPORT_RUN, nothing, nothing_per_bench, trace_end};
