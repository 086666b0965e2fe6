/* The run record: the one JSON schema, written and read here with cJSON.
 *
 * Schema "benchgate.run", version 1 (docs/run-record.md describes every
 * field). Raw samples are kept so any run can be re-analysed later. 64-bit
 * seeds are written as decimal strings: JSON numbers lose integers above 2^53.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_config.h"
#include "bg_model.h"

/* ---- writing ---- */

static cJSON *num_array(const double *v, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        cJSON *x = cJSON_CreateNumber(v[i]);
        if (!x || !cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(x);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

static void add_u64_string(cJSON *o, const char *k, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    cJSON_AddStringToObject(o, k, buf);
}

static void add_num(cJSON *o, const char *k, double v)
{
    /* cJSON writes non-finite numbers as null; say so explicitly. */
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

/* ---- counters and rusage ---- */

static const char *const rusage_keys[] = {"user_ns", "sys_ns", "max_rss_bytes",
                                          "start_rss_bytes", "minor_faults", "major_faults",
                                          "voluntary_cs", "involuntary_cs"};
#define RUSAGE_N (sizeof rusage_keys / sizeof rusage_keys[0])

static double *rusage_field(bg_rusage *u, size_t i)
{
    double *f[RUSAGE_N] = {&u->user_ns, &u->sys_ns, &u->max_rss_bytes, &u->start_rss_bytes,
                           &u->minor_faults, &u->major_faults, &u->voluntary_cs,
                           &u->involuntary_cs};
    return f[i];
}

static void add_rusage(cJSON *o, const char *key, const bg_rusage *u)
{
    cJSON *ro = cJSON_AddObjectToObject(o, key);
    bg_rusage copy = *u;
    for (size_t i = 0; ro && i < RUSAGE_N; i++)
        add_num(ro, rusage_keys[i], *rusage_field(&copy, i));
}

static cJSON *counters_config_json(uint32_t mask)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < bg__counter_group_count(); i++)
        if (mask & (1u << i))
            cJSON_AddItemToArray(a, cJSON_CreateString(bg__counter_group_at(i)->name));
    return a;
}

static cJSON *counter_groups_json(const bg_run *run)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < run->ncounter_groups; i++) {
        const bg_counter_status *g = &run->counter_groups[i];
        cJSON *go = cJSON_CreateObject();
        if (!go || !cJSON_AddItemToArray(a, go)) {
            cJSON_Delete(go);
            break;
        }
        cJSON_AddStringToObject(go, "name", g->group);
        cJSON_AddBoolToObject(go, "available", g->available);
        cJSON_AddStringToObject(go, "note", g->note);
        add_num(go, "sample_ns", g->sample_ns);
    }
    return a;
}

/* A process's GPU rows: kernels and copies over its measured samples
 * ({"kind", "name", "count", "ns", "bytes"}) and the GPU's state at its
 * start and end ({"kind", "name", "sm_clock_mhz", "mem_clock_mhz",
 * "temp_c", "throttle_reasons"}); see docs/run-record.md. */
static const char *const act_keys[] = {"count", "ns", "bytes", NULL};
static const char *const state_keys[] = {"sm_clock_mhz", "mem_clock_mhz", "temp_c",
                                         "throttle_reasons"};

static cJSON *activity_json(const bg_proc *p)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < p->nactivity; i++) {
        const bg_activity *x = &p->activity[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            break;
        }
        cJSON_AddStringToObject(o, "kind", bg__activity_kind_name(x->kind));
        cJSON_AddStringToObject(o, "name", x->name);
        bool state = x->kind >= BG_ACT_GPU_START;
        for (size_t k = 0; k < 4; k++) {
            const char *key = state ? state_keys[k] : act_keys[k];
            if (key)
                add_num(o, key, x->v[k]);
        }
    }
    return a;
}

static void add_proc_counters(cJSON *po, const bg_proc *p)
{
    if (p->ncounters) {
        cJSON *co = cJSON_AddObjectToObject(po, "counters");
        for (size_t k = 0; co && k < p->ncounters; k++)
            cJSON_AddItemToObject(co, p->counters[k].name, num_array(p->counters[k].v, p->n));
    }
    if (p->has_rusage)
        add_rusage(po, "rusage", &p->ru);
    if (p->nactivity)
        cJSON_AddItemToObject(po, "gpu_activity", activity_json(p));
}

static const char *const count_kind_names[] = {"", "per_iteration", "per_sample", "rate",
                                               "max"};

/* A spec instance's family, arguments, team and growth order; the user
 * counters' kinds; the note. All optional: a plain BENCH has none. */
/* "scope": {"of", "path", "depth", "share"} for a scope's result. */
static void add_scope(cJSON *o, const bg_result *r)
{
    size_t of = strlen(r->scope_of);
    if (!of || !r->name || strlen(r->name) <= of + 1)
        return;
    cJSON *so = cJSON_AddObjectToObject(o, "scope");
    if (!so)
        return;
    cJSON_AddStringToObject(so, "of", r->scope_of);
    cJSON_AddStringToObject(so, "path", r->name + of + 1);
    cJSON_AddNumberToObject(so, "depth", r->scope_depth);
    add_num(so, "share", r->scope_share);
}

static void add_instance(cJSON *o, const bg_result *r)
{
    if (r->note[0])
        cJSON_AddStringToObject(o, "note", r->note);
    cJSON *uk = NULL;
    for (size_t i = 0; i < r->nprocs; i++)
        for (size_t k = 0; k < r->procs[i].ncounters; k++) {
            const bg_series *sr = &r->procs[i].counters[k];
            uint8_t kind = k < BG_COUNTERS_MAX ? r->procs[i].counter_kind[k] : 0;
            if (kind < BG_COUNT_ITER || kind > BG_COUNT_MAX)
                continue;
            if (!uk && !(uk = cJSON_AddObjectToObject(o, "user_counters")))
                return;
            if (!cJSON_GetObjectItemCaseSensitive(uk, sr->name))
                cJSON_AddStringToObject(uk, sr->name, count_kind_names[kind]);
        }
    if (!r->family[0])
        return;
    cJSON *in = cJSON_AddObjectToObject(o, "instance");
    if (!in)
        return;
    cJSON_AddStringToObject(in, "family", r->family);
    cJSON *args = cJSON_AddObjectToObject(in, "args");
    for (size_t i = 0; args && i < r->nargs; i++)
        cJSON_AddNumberToObject(args, r->arg_names[i], (double)r->args[i]);
    cJSON_AddNumberToObject(in, "threads", r->threads);
    if (r->complexity != BG_BIGO_NONE && r->complexity_arg >= 0 &&
        (size_t)r->complexity_arg < r->nargs) {
        cJSON_AddStringToObject(in, "complexity",
                                r->complexity == BG_BIGO_AUTO ? "auto" : bg__big_o_name(r->complexity));
        cJSON_AddStringToObject(in, "complexity_arg", r->arg_names[r->complexity_arg]);
    }
}

/* The run's sweeps, for other tools: readers here recompute them from the
 * results' "instance" fields. */
static cJSON *sweeps_json(const bg_run *run)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < run->nsweeps; i++) {
        const bg_sweep *w = &run->sweeps[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            break;
        }
        cJSON_AddStringToObject(o, "kind", w->kind == BG_SWEEP_GROWTH ? "growth" : "threads");
        cJSON_AddStringToObject(o, "key", w->key);
        cJSON_AddStringToObject(o, "arg", w->arg);
        if (w->kind == BG_SWEEP_GROWTH) {
            cJSON_AddStringToObject(o, "big_o", bg__big_o_name(w->big_o));
            cJSON_AddBoolToObject(o, "declared", w->declared);
            add_num(o, "coef", w->coef);
            add_num(o, "rms", w->rms);
        } else {
            cJSON_AddNumberToObject(o, "best_threads", w->best_threads);
            cJSON_AddNumberToObject(o, "knee_threads", w->knee_threads);
            add_num(o, "knee_efficiency", BG_KNEE_EFFICIENCY);
        }
        cJSON *pts = cJSON_AddArrayToObject(o, "points");
        for (size_t j = 0; pts && j < w->n; j++) {
            cJSON *p = cJSON_CreateObject();
            if (!p || !cJSON_AddItemToArray(pts, p)) {
                cJSON_Delete(p);
                break;
            }
            cJSON_AddStringToObject(p, "name", w->names[j] ? w->names[j] : "");
            add_num(p, "x", w->x[j]);
            add_num(p, "time_ns", w->t_ns[j]);
            if (w->kind == BG_SWEEP_THREADS) {
                add_num(p, "throughput", w->throughput[j]);
                add_num(p, "efficiency", w->efficiency[j]);
            }
        }
    }
    return a;
}

/* Per-benchmark figures made from the samples, for other tools: readers
 * here recompute them from "processes". */
/* "profile": where --profile wrote the benchmark's stacks and flamegraph,
 * its samples and the top functions by self time. */
static void add_profile(cJSON *o, const bg_profile *p)
{
    cJSON *po = cJSON_AddObjectToObject(o, "profile");
    if (!po)
        return;
    cJSON_AddNumberToObject(po, "samples", (double)p->samples);
    cJSON_AddStringToObject(po, "folded", p->folded);
    cJSON_AddStringToObject(po, "svg", p->svg);
    cJSON *top = cJSON_AddArrayToObject(po, "top");
    for (size_t i = 0; top && i < p->ntop; i++) {
        cJSON *t = cJSON_CreateObject();
        if (!t || !cJSON_AddItemToArray(top, t)) {
            cJSON_Delete(t);
            return;
        }
        cJSON_AddStringToObject(t, "function", p->top[i].name);
        cJSON_AddNumberToObject(t, "samples", (double)p->top[i].samples);
        cJSON_AddNumberToObject(t, "self", p->top[i].self);
    }
}

/* "recommendations": [{rule, evidence, action}] */
static void add_advice(cJSON *o, const bg_result *r)
{
    cJSON *arr = cJSON_AddArrayToObject(o, "recommendations");
    for (size_t i = 0; arr && i < r->nadvice && i < BG_ADVICE_MAX; i++) {
        cJSON *a = cJSON_CreateObject();
        if (!a || !cJSON_AddItemToArray(arr, a)) {
            cJSON_Delete(a);
            return;
        }
        cJSON_AddStringToObject(a, "rule", r->advice[i].rule);
        cJSON_AddStringToObject(a, "evidence", r->advice[i].evidence);
        cJSON_AddStringToObject(a, "action", r->advice[i].action);
    }
}

static void add_counter_summary(cJSON *o, const bg_result *r)
{
    const char *names[BG_COUNTERS_MAX];
    size_t n = bg__result_counter_names(r, names, BG_COUNTERS_MAX);
    if (n) {
        cJSON *cs = cJSON_AddObjectToObject(o, "counter_summary");
        cJSON *pi = cs ? cJSON_AddObjectToObject(cs, "per_iter") : NULL;
        cJSON *pk = cs ? cJSON_AddObjectToObject(cs, "peak") : NULL;
        cJSON *dv = cs ? cJSON_AddObjectToObject(cs, "derived") : NULL;
        for (size_t i = 0; pi && pk && i < n; i++)
            add_num(bg__result_metric_kind(r, names[i]) == BG_METRIC_PEAK ? pk : pi, names[i],
                    bg__result_metric(r, names[i]));
        for (size_t i = 0; dv && bg__derived_metrics[i]; i++) {
            double v = bg__result_metric(r, bg__derived_metrics[i]);
            if (isfinite(v))
                add_num(dv, bg__derived_metrics[i], v);
        }
    }
    bg_rusage med;
    if (bg__result_rusage(r, &med))
        add_rusage(o, "rusage", &med);
}

static const char *mode_name(bg_mode m)
{
    switch (m) {
    case BG_MODE_INSTRUCTIONS: return "instructions";
    case BG_MODE_INSTR_HW: return "instructions:hw";
    case BG_MODE_INSTR_VALGRIND: return "instructions:valgrind";
    default: return "time";
    }
}

static cJSON *config_json(const bg_config *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    add_num(o, "warmup_s", c->warmup_s);
    add_num(o, "measure_s", c->measure_s);
    add_num(o, "budget_s", c->budget_s);
    add_num(o, "target", c->target);
    add_num(o, "timeout_s", c->timeout_s);
    cJSON_AddNumberToObject(o, "samples", (double)c->samples);
    cJSON_AddNumberToObject(o, "min_procs", c->min_procs);
    cJSON_AddNumberToObject(o, "max_procs", c->max_procs);
    add_u64_string(o, "seed", c->seed);
    cJSON_AddNumberToObject(o, "resamples", (double)c->resamples);
    add_num(o, "confidence", c->confidence);
    cJSON_AddStringToObject(o, "statistic", bg_statistic_name(c->primary));
    if (c->filter)
        cJSON_AddStringToObject(o, "filter", c->filter);
    else
        cJSON_AddNullToObject(o, "filter");
    cJSON_AddBoolToObject(o, "quick", c->quick);
    cJSON_AddBoolToObject(o, "gpu_flush_l2", c->gpu_flush_l2);
    cJSON_AddStringToObject(o, "mode", mode_name(c->mode));
    cJSON_AddItemToObject(o, "counters", counters_config_json(c->counters));
    return o;
}

static cJSON *result_json(const bg_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "name", r->name ? r->name : "");
    cJSON_AddStringToObject(o, "status", bg__status_name(r->status));
    cJSON_AddStringToObject(o, "message", r->message);
    cJSON_AddNumberToObject(o, "signal", r->signal);
    cJSON_AddNumberToObject(o, "exit_code", r->exit_code);
    add_u64_string(o, "seed", r->seed);
    add_num(o, "elapsed_s", r->elapsed_s);
    cJSON_AddNumberToObject(o, "items_per_iter", (double)r->items_per_iter);
    cJSON_AddNumberToObject(o, "bytes_per_iter", (double)r->bytes_per_iter);

    cJSON *procs = cJSON_AddArrayToObject(o, "processes");
    for (size_t i = 0; procs && i < r->nprocs; i++) {
        const bg_proc *p = &r->procs[i];
        cJSON *po = cJSON_CreateObject();
        if (!po || !cJSON_AddItemToArray(procs, po)) {
            cJSON_Delete(po);
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_AddNumberToObject(po, "stack_offset", p->stack_offset);
        cJSON_AddNumberToObject(po, "heap_offset", p->heap_offset);
        cJSON_AddNumberToObject(po, "warmup_iters", (double)p->warmup_iters);
        add_num(po, "warmup_ns", p->warmup_ns);
        cJSON_AddItemToObject(po, "iters", num_array(p->iters, p->n));
        cJSON_AddItemToObject(po, "wall_ns", num_array(p->wall_ns, p->n));
        cJSON_AddItemToObject(po, "cpu_ns", num_array(p->cpu_ns, p->n));
        if (p->start_ns)
            cJSON_AddItemToObject(po, "start_ns", num_array(p->start_ns, p->n));
        add_proc_counters(po, p);
    }
    cJSON_AddStringToObject(o, "counter_note", r->counter_note);
    if (r->profile)
        add_profile(o, r->profile);
    if (r->nadvice)
        add_advice(o, r);
    add_instance(o, r);
    add_scope(o, r);
    if (r->time_unit[0])
        cJSON_AddStringToObject(o, "time_unit", r->time_unit);
    add_counter_summary(o, r);
    if (r->has_summary) {
        cJSON *est = cJSON_AddObjectToObject(o, "estimates");
        for (int s = 0; est && s < BG_STAT_COUNT; s++) {
            const bg_estimate *e = &r->wall.est[s];
            cJSON *eo = cJSON_AddObjectToObject(est, bg_statistic_name((bg_statistic)s));
            if (!eo)
                break;
            add_num(eo, "point", e->point);
            add_num(eo, "lo", e->lo);
            add_num(eo, "hi", e->hi);
            add_num(eo, "se", e->se);
        }
        cJSON *ol = cJSON_AddObjectToObject(o, "outliers");
        if (ol) {
            cJSON_AddNumberToObject(ol, "low_severe", (double)r->wall.outliers.low_severe);
            cJSON_AddNumberToObject(ol, "low_mild", (double)r->wall.outliers.low_mild);
            cJSON_AddNumberToObject(ol, "high_mild", (double)r->wall.outliers.high_mild);
            cJSON_AddNumberToObject(ol, "high_severe", (double)r->wall.outliers.high_severe);
        }
        cJSON_AddNumberToObject(o, "nsamples", (double)r->wall.nsamples);
        add_num(o, "cpu_per_iter_ns", r->cpu_per_iter_ns);
    } else {
        cJSON_AddNullToObject(o, "estimates");
    }
    return o;
}

/* "shard": {"k", "n", "method", "cost_from", "suite": [every name]}: the
 * suite's names let a merge of the shards name what is missing. */
static cJSON *shard_json(const bg_shard *sh)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "k", sh->k);
    cJSON_AddNumberToObject(o, "n", sh->n);
    cJSON_AddStringToObject(o, "method", sh->method[0] ? sh->method : "name");
    if (sh->cost_from[0])
        cJSON_AddStringToObject(o, "cost_from", sh->cost_from);
    else
        cJSON_AddNullToObject(o, "cost_from");
    cJSON *suite = cJSON_AddArrayToObject(o, "suite");
    for (size_t i = 0; suite && sh->suite && i < sh->nsuite; i++)
        cJSON_AddItemToArray(suite, cJSON_CreateString(sh->suite[i]));
    return o;
}

char *bg__record_to_json(const bg_run *run)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "schema", BG_RECORD_SCHEMA);
    cJSON_AddNumberToObject(root, "schema_version", BG_RECORD_VERSION);
    cJSON *tool = cJSON_AddObjectToObject(root, "tool");
    if (tool) {
        cJSON_AddStringToObject(tool, "name", "benchgate");
        cJSON_AddStringToObject(tool, "version", BG_VERSION);
        cJSON_AddStringToObject(tool, "compiler", BG_COMPILER);
        cJSON_AddStringToObject(tool, "buildtype", BG_BUILDTYPE);
    }
    cJSON_AddStringToObject(root, "created", run->created);
    cJSON_AddNumberToObject(root, "created_unix", (double)run->created_unix);
    cJSON_AddStringToObject(root, "host", run->host);

    cJSON *git = cJSON_AddObjectToObject(root, "git");
    if (git) {
        if (run->git_commit[0])
            cJSON_AddStringToObject(git, "commit", run->git_commit);
        else
            cJSON_AddNullToObject(git, "commit");
        if (run->git_branch[0])
            cJSON_AddStringToObject(git, "branch", run->git_branch);
        else
            cJSON_AddNullToObject(git, "branch");
        cJSON_AddBoolToObject(git, "dirty", run->git_dirty);
        cJSON_AddStringToObject(git, "status", run->git_status[0] ? run->git_status : "unknown");
    }
    cJSON *mach = cJSON_AddObjectToObject(root, "machine");
    if (mach) {
        cJSON_AddStringToObject(mach, "id", run->machine_id[0] ? run->machine_id : "unknown");
        for (size_t i = 0; i < run->nmachine_fields; i++)
            cJSON_AddStringToObject(mach, run->machine_fields[i].key, run->machine_fields[i].value);
    }

    cJSON_AddItemToObject(root, "config", config_json(&run->config));
    if (run->shard.n > 0)
        cJSON_AddItemToObject(root, "shard", shard_json(&run->shard));
    cJSON *ov = cJSON_AddObjectToObject(root, "overhead");
    if (ov) {
        add_num(ov, "wall_read_ns", run->overhead.wall_read_ns);
        add_num(ov, "cpu_read_ns", run->overhead.cpu_read_ns);
        add_num(ov, "resolution_ns", run->overhead.resolution_ns);
        add_num(ov, "empty_loop_ns", run->overhead.empty_loop_ns);
        add_num(ov, "sample_overhead_ns", run->overhead.sample_overhead_ns);
        add_num(ov, "counters_sample_ns", run->overhead.counters_sample_ns);
        if (run->overhead.scope_entry_ns > 0) {
            add_num(ov, "scope_entry_ns", run->overhead.scope_entry_ns);
            add_num(ov, "scope_off_ns", run->overhead.scope_off_ns);
            add_num(ov, "scope_read_ns", run->overhead.scope_read_ns);
            cJSON_AddStringToObject(ov, "scope_clock", run->overhead.scope_tsc ? "tsc" : "clock_gettime");
        }
    }
    cJSON_AddItemToObject(root, "counter_groups", counter_groups_json(run));
    cJSON *benches = cJSON_AddArrayToObject(root, "benchmarks");
    for (size_t i = 0; benches && i < run->nresults; i++) {
        cJSON *b = result_json(&run->results[i]);
        if (!b || !cJSON_AddItemToArray(benches, b)) {
            cJSON_Delete(b);
            cJSON_Delete(root);
            return NULL;
        }
    }
    if (run->nsweeps)
        cJSON_AddItemToObject(root, "sweeps", sweeps_json(run));
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

int bg__json_fprint(FILE *f, cJSON *root)
{
    if (!root)
        return BG_ENOMEM;
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (!s)
        return BG_ENOMEM;
    fputs(s, f);
    fputc('\n', f);
    free(s);
    return ferror(f) ? BG_EIO : 0;
}

int bg__record_write(const bg_run *run, const char *path, char *err, size_t errlen)
{
    char *s = bg__record_to_json(run);
    if (!s) {
        snprintf(err, errlen, "%s: out of memory serialising the run record", path);
        return BG_ENOMEM;
    }
    size_t len = strlen(s);
    /* A trailing newline makes the file friendlier to text tools. */
    char *t = realloc(s, len + 2);
    if (!t) {
        free(s);
        snprintf(err, errlen, "%s: out of memory", path);
        return BG_ENOMEM;
    }
    t[len] = '\n';
    t[len + 1] = '\0';
    int rc = bg__write_file_atomic(path, t, len + 1, err, errlen);
    free(t);
    return rc;
}

/* ---- reading ---- */

typedef struct rd {
    char *err;
    size_t errlen;
    int rc;
    const char *bench; /* the benchmark being read, named by array errors */
} rd;

/* Records the first error; inside a benchmark's entry the message names
 * the benchmark (unless it already does). */
static int fail(rd *r, int code, const char *fmt, const char *what)
{
    if (r->rc == 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, fmt, what);
        if (r->bench && strncmp(msg, "benchmark '", 11) != 0)
            snprintf(r->err, r->errlen, "benchmark '%.200s': %s", r->bench, msg);
        else
            snprintf(r->err, r->errlen, "%s", msg);
        r->rc = code;
    }
    return code;
}

static double get_num(rd *r, const cJSON *o, const char *k, bool required)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsNumber(x))
        return x->valuedouble;
    if (cJSON_IsNull(x) || (!x && !required))
        return NAN;
    fail(r, BG_EPARSE, "field '%s' is missing or not a number", k);
    return NAN;
}

/* Field k of o as a whole number in [lo, hi] (absent or null: def, unless
 * required). Anything else (a fraction, a huge or negative count, 1e999,
 * which parses as infinity) fails naming the field, so the integer
 * conversions that follow are always defined. */
static double get_whole(rd *r, const cJSON *o, const char *k, bool required, double lo, double hi, double def)
{
    double v = get_num(r, o, k, required);
    if (isnan(v))
        return r->rc ? lo : def;
    if (!(v >= lo && v <= hi) || v != floor(v)) {
        char what[200];
        snprintf(what, sizeof what, "%s%.100s%sfield '%.40s'", r->bench ? "benchmark '" : "",
                 r->bench ? r->bench : "", r->bench ? "': " : "", k);
        if (r->rc == 0) {
            snprintf(r->err, r->errlen, "%s is %.6g, not a whole number from %.15g to %.15g", what, v, lo, hi);
            r->rc = BG_EPARSE;
        }
        return lo;
    }
    return v;
}

/* Largest whole numbers the counts below are read into. */
#define WHOLE_2_53 9007199254740992.0 /* every whole number up to here is exact in a double */
#define WHOLE_INT 2147483647.0
#define WHOLE_U32 4294967295.0

static const char *get_str(rd *r, const cJSON *o, const char *k, bool required)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsString(x))
        return x->valuestring;
    if (required)
        fail(r, BG_EPARSE, "field '%s' is missing or not a string", k);
    return NULL;
}

static uint64_t get_u64str(rd *r, const cJSON *o, const char *k)
{
    const char *s = get_str(r, o, k, true);
    if (!s)
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s)
        fail(r, BG_EPARSE, "field '%s' is not a decimal integer", k);
    return (uint64_t)v;
}

static double *get_array(rd *r, const cJSON *o, const char *k, size_t *n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsArray(a)) {
        fail(r, BG_EPARSE, "field '%s' is missing or not an array", k);
        return NULL;
    }
    size_t len = (size_t)cJSON_GetArraySize(a);
    double *v = malloc((len ? len : 1) * sizeof *v);
    if (!v) {
        fail(r, BG_ENOMEM, "out of memory reading '%s'", k);
        return NULL;
    }
    size_t i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
            free(v);
            char what[320];
            snprintf(what, sizeof what, "%s%.200s%sarray '%.64s'", r->bench ? "benchmark '" : "",
                     r->bench ? r->bench : "", r->bench ? "': " : "", k);
            fail(r, BG_EPARSE, "%s holds a value that is not a finite number", what);
            return NULL;
        }
        v[i++] = x->valuedouble;
    }
    *n = len;
    return v;
}

static bg_status status_from(const char *s)
{
    for (int i = 0; i <= BG_STATUS_ERROR; i++)
        if (s && !strcmp(s, bg__status_name((bg_status)i)))
            return (bg_status)i;
    return BG_STATUS_ERROR;
}

static char *dup_str(rd *r, const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        fail(r, BG_ENOMEM, "out of memory%s", "");
    return d;
}

static void parse_rusage(rd *r, const cJSON *o, bg_proc *p)
{
    if (!cJSON_IsObject(o))
        return;
    p->has_rusage = true;
    for (size_t i = 0; i < RUSAGE_N; i++)
        *rusage_field(&p->ru, i) = get_num(r, o, rusage_keys[i], false);
}

/* A process's "counters": one array per counter, as long as "iters". */
static void parse_proc_counters(rd *r, const cJSON *co, bg_proc *p, const char *bench)
{
    if (!co)
        return;
    if (!cJSON_IsObject(co)) {
        fail(r, BG_EPARSE, "benchmark '%s': 'counters' is not an object", bench);
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(co);
    if (n > BG_COUNTERS_MAX) {
        fail(r, BG_EPARSE, "benchmark '%s': more counters than this benchgate reads", bench);
        return;
    }
    p->counters = calloc(n ? n : 1, sizeof *p->counters);
    if (!p->counters) {
        fail(r, BG_ENOMEM, "out of memory%s", "");
        return;
    }
    const cJSON *a;
    cJSON_ArrayForEach(a, co)
    {
        if (!a->string || !a->string[0] || strlen(a->string) >= BG_COUNTER_NAME) {
            fail(r, BG_EPARSE, "benchmark '%s': a counter name is empty or too long", bench);
            return;
        }
        bg_series *sr = &p->counters[p->ncounters++];
        snprintf(sr->name, sizeof sr->name, "%s", a->string);
        size_t len = 0;
        sr->v = get_array(r, co, a->string, &len);
        if (r->rc)
            return;
        if (len != p->n) {
            fail(r, BG_EPARSE, "benchmark '%s': a counter array and 'iters' differ in length",
                 bench);
            return;
        }
    }
}

/* A process's optional "gpu_activity" (see activity_json): rows of an
 * unknown kind, from a newer benchgate, are skipped. */
static void parse_activity(rd *r, const cJSON *a, bg_proc *p, const char *bench)
{
    if (!a)
        return;
    if (!cJSON_IsArray(a)) {
        fail(r, BG_EPARSE, "benchmark '%s': 'gpu_activity' is not an array", bench);
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(a);
    p->activity = calloc(n ? n : 1, sizeof *p->activity);
    if (!p->activity) {
        fail(r, BG_ENOMEM, "out of memory%s", "");
        return;
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, a)
    {
        if (!cJSON_IsObject(o)) {
            fail(r, BG_EPARSE, "benchmark '%s': a 'gpu_activity' row is not an object", bench);
            return;
        }
        const char *kind = get_str(r, o, "kind", true);
        const char *name = get_str(r, o, "name", false);
        if (r->rc)
            return;
        int k = bg__activity_kind_parse(kind);
        if (!k)
            continue;
        bg_activity *x = &p->activity[p->nactivity++];
        x->kind = k;
        snprintf(x->name, sizeof x->name, "%s", name ? name : "");
        bool state = k >= BG_ACT_GPU_START;
        for (size_t i = 0; i < 4; i++) {
            const char *key = state ? state_keys[i] : act_keys[i];
            x->v[i] = key ? get_num(r, o, key, false) : 0;
        }
        if (r->rc)
            return;
    }
}

/* A process's optional "start_ns" (absent in records made before it was
 * recorded): one finite number per sample, or the record is refused. */
static void parse_start_ns(rd *r, const cJSON *po, bg_proc *p, const char *bench)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(po, "start_ns");
    if (r->rc || !a || cJSON_IsNull(a))
        return;
    size_t len = 0;
    p->start_ns = get_array(r, po, "start_ns", &len);
    if (r->rc == BG_EPARSE) {
        snprintf(r->err, r->errlen,
                 "benchmark '%s': 'start_ns' is not an array of finite numbers", bench);
        return;
    }
    if (r->rc == 0 && len != p->n)
        fail(r, BG_EPARSE, "benchmark '%s': 'start_ns' and 'iters' differ in length", bench);
}

/* The optional "profile" object (add_profile); a malformed one fails the
 * record naming the benchmark. */
static void read_profile(rd *r, const cJSON *o, bg_result *res)
{
    const cJSON *po = cJSON_GetObjectItemCaseSensitive(o, "profile");
    if (!po || cJSON_IsNull(po))
        return;
    const cJSON *top = cJSON_GetObjectItemCaseSensitive(po, "top");
    if (!cJSON_IsObject(po) || !cJSON_IsArray(top)) {
        fail(r, BG_EPARSE, "benchmark '%s': 'profile' is not an object with a 'top' array",
             r->bench ? r->bench : "?");
        return;
    }
    bg_profile *p = calloc(1, sizeof *p);
    if (!p) {
        fail(r, BG_ENOMEM, "out of memory%s", "");
        return;
    }
    res->profile = p;
    p->samples = (size_t)get_whole(r, po, "samples", true, 0, WHOLE_2_53, 0);
    const char *folded = get_str(r, po, "folded", true), *svg = get_str(r, po, "svg", true);
    snprintf(p->folded, sizeof p->folded, "%s", folded ? folded : "");
    snprintf(p->svg, sizeof p->svg, "%s", svg ? svg : "");
    const cJSON *t;
    cJSON_ArrayForEach(t, top) {
        if (p->ntop >= BG_PROFILE_TOP || r->rc)
            break;
        const char *fn = get_str(r, t, "function", true);
        bg_profile_fn *f = &p->top[p->ntop++];
        snprintf(f->name, sizeof f->name, "%s", fn ? fn : "");
        f->samples = (size_t)get_whole(r, t, "samples", true, 0, WHOLE_2_53, 0);
        f->self = get_num(r, t, "self", true);
        if (r->rc == 0 && !(f->self >= 0 && f->self <= 1))
            fail(r, BG_EPARSE, "benchmark '%s': a profile function's 'self' is not a share from 0 to 1",
                 r->bench ? r->bench : "?");
    }
}

/* The optional "recommendations" array (add_advice); entries past
 * BG_ADVICE_MAX are dropped. */
static void read_advice(rd *r, const cJSON *o, bg_result *res)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "recommendations");
    if (!arr || cJSON_IsNull(arr))
        return;
    if (!cJSON_IsArray(arr)) {
        fail(r, BG_EPARSE, "benchmark '%s': 'recommendations' is not an array", r->bench ? r->bench : "?");
        return;
    }
    const cJSON *a;
    cJSON_ArrayForEach(a, arr) {
        if (res->nadvice >= BG_ADVICE_MAX || r->rc)
            break;
        const char *rule = get_str(r, a, "rule", true), *ev = get_str(r, a, "evidence", true),
                   *act = get_str(r, a, "action", true);
        if (r->rc)
            break;
        bg_advice *d = &res->advice[res->nadvice++];
        snprintf(d->rule, sizeof d->rule, "%s", rule);
        snprintf(d->evidence, sizeof d->evidence, "%s", ev);
        snprintf(d->action, sizeof d->action, "%s", act);
    }
}

/* A result's optional "instance" (records before it have none). */
static void parse_instance(rd *r, const cJSON *in, bg_result *res)
{
    res->complexity_arg = -1;
    if (!in || r->rc)
        return;
    const char *fam = cJSON_IsObject(in) ? get_str(r, in, "family", false) : NULL;
    if (!fam) {
        fail(r, BG_EPARSE, "benchmark '%s': 'instance' has no 'family' string", r->bench ? r->bench : "?");
        return;
    }
    snprintf(res->family, sizeof res->family, "%s", fam);
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(in, "args"))
    {
        if (res->nargs == BG_ARGS_MAX || !a->string || !cJSON_IsNumber(a) ||
            !(fabs(a->valuedouble) <= WHOLE_2_53) || a->valuedouble != floor(a->valuedouble)) {
            fail(r, BG_EPARSE, "benchmark '%s': 'instance.args' holds more than 4 arguments or one "
                               "that is not a whole number", r->bench ? r->bench : "?");
            return;
        }
        snprintf(res->arg_names[res->nargs], sizeof res->arg_names[res->nargs], "%s", a->string);
        res->args[res->nargs++] = (int64_t)a->valuedouble;
    }
    res->threads = (int)get_whole(r, in, "threads", false, 0, BG_THREADS_MAX, 0);
    const char *cx = get_str(r, in, "complexity", false);
    const char *ca = get_str(r, in, "complexity_arg", false);
    bg_big_o o;
    if (cx && ca && bg__big_o_parse(cx, &o) == 0)
        for (size_t i = 0; i < res->nargs; i++)
            if (!strcmp(res->arg_names[i], ca)) {
                res->complexity = o;
                res->complexity_arg = (int)i;
            }
}

/* The kinds of a result's user counters ("user_counters"), set on the
 * processes' series of those names. */
static void parse_user_kinds(const cJSON *uk, bg_result *res)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, uk)
    {
        uint8_t kind = 0;
        for (uint8_t j = BG_COUNT_ITER; j <= BG_COUNT_MAX; j++)
            if (cJSON_IsString(k) && !strcmp(k->valuestring, count_kind_names[j]))
                kind = j;
        for (size_t i = 0; kind && k->string && i < res->nprocs; i++)
            for (size_t c = 0; c < res->procs[i].ncounters && c < BG_COUNTERS_MAX; c++)
                if (!strcmp(res->procs[i].counters[c].name, k->string))
                    res->procs[i].counter_kind[c] = kind;
    }
}

/* A scope's "scope" object: its name must be "of/path". */
static void parse_scope(rd *r, const cJSON *so, bg_result *res)
{
    if (!so || r->rc)
        return;
    const char *of = cJSON_IsObject(so) ? get_str(r, so, "of", true) : NULL;
    const char *path = of ? get_str(r, so, "path", true) : NULL;
    if (!of || !path) {
        if (!r->rc)
            fail(r, BG_EPARSE, "field 'scope' is not an object with 'of' and 'path'%s", "");
        return;
    }
    size_t lo = strlen(of);
    if (!lo || lo >= sizeof res->scope_of || !res->name || strncmp(res->name, of, lo) != 0 ||
        res->name[lo] != '/' || strcmp(res->name + lo + 1, path) != 0 || !path[0]) {
        fail(r, BG_EPARSE, "field 'scope' does not match the name (it must be \"of/path\")%s", "");
        return;
    }
    snprintf(res->scope_of, sizeof res->scope_of, "%s", of);
    res->scope_depth = (int)get_whole(r, so, "depth", false, 1, BG_SCOPE_DEPTH_MAX, 1);
    double share = get_num(r, so, "share", false);
    res->scope_share = isfinite(share) && share >= 0 ? share : 0;
}

static void parse_result(rd *r, const cJSON *o, bg_result *res)
{
    if (!cJSON_IsObject(o)) {
        fail(r, BG_EPARSE, "a benchmark entry is not an object%s", "");
        return;
    }
    const char *name = get_str(r, o, "name", true);
    char why[96];
    if (name && bg__name_check(name, why, sizeof why) != 0) {
        /* The name itself is not repeated: it may hold escape sequences. */
        fail(r, BG_EPARSE, "a benchmark's name %s", why);
        return;
    }
    r->bench = name;
    res->name = dup_str(r, name);
    res->owns_name = true;
    res->status = status_from(get_str(r, o, "status", true));
    const char *msg = get_str(r, o, "message", false);
    snprintf(res->message, sizeof res->message, "%s", msg ? msg : "");
    res->signal = (int)get_whole(r, o, "signal", false, 0, WHOLE_INT, 0);
    res->exit_code = (int)get_whole(r, o, "exit_code", false, -WHOLE_INT, WHOLE_INT, 0);
    res->seed = get_u64str(r, o, "seed");
    res->elapsed_s = get_num(r, o, "elapsed_s", false);
    res->items_per_iter = (uint64_t)get_whole(r, o, "items_per_iter", false, 0, WHOLE_2_53, 0);
    res->bytes_per_iter = (uint64_t)get_whole(r, o, "bytes_per_iter", false, 0, WHOLE_2_53, 0);
    const char *cnote = get_str(r, o, "counter_note", false);
    snprintf(res->counter_note, sizeof res->counter_note, "%s", cnote ? cnote : "");
    const char *note = get_str(r, o, "note", false);
    snprintf(res->note, sizeof res->note, "%s", note ? note : "");
    parse_instance(r, cJSON_GetObjectItemCaseSensitive(o, "instance"), res);
    parse_scope(r, cJSON_GetObjectItemCaseSensitive(o, "scope"), res);
    read_profile(r, o, res);
    read_advice(r, o, res);
    /* Optional (imports keep the unit their file showed): one of Google
     * Benchmark's four, anything else left out. */
    const char *tu = get_str(r, o, "time_unit", false);
    if (tu && (!strcmp(tu, "ns") || !strcmp(tu, "us") || !strcmp(tu, "ms") || !strcmp(tu, "s")))
        snprintf(res->time_unit, sizeof res->time_unit, "%s", tu);

    const cJSON *procs = cJSON_GetObjectItemCaseSensitive(o, "processes");
    if (!cJSON_IsArray(procs)) {
        fail(r, BG_EPARSE, "benchmark '%s' has no 'processes' array", name ? name : "?");
        return;
    }
    size_t np = (size_t)cJSON_GetArraySize(procs);
    res->procs = calloc(np ? np : 1, sizeof *res->procs);
    if (!res->procs) {
        fail(r, BG_ENOMEM, "out of memory%s", "");
        return;
    }
    const cJSON *po;
    cJSON_ArrayForEach(po, procs)
    {
        bg_proc *p = &res->procs[res->nprocs++];
        size_t n1 = 0, n2 = 0, n3 = 0;
        p->iters = get_array(r, po, "iters", &n1);
        p->wall_ns = get_array(r, po, "wall_ns", &n2);
        p->cpu_ns = get_array(r, po, "cpu_ns", &n3);
        p->n = n1;
        if (r->rc)
            return;
        if (n1 != n2 || n1 != n3) {
            fail(r, BG_EPARSE, "benchmark '%s': iters, wall_ns and cpu_ns differ in length",
                 name ? name : "?");
            return;
        }
        for (size_t j = 0; j < n1; j++)
            if (!(p->iters[j] >= 1 && p->iters[j] <= WHOLE_2_53) || p->iters[j] != floor(p->iters[j]) ||
                p->wall_ns[j] < 0) {
                fail(r, BG_EPARSE,
                     "benchmark '%s': a sample has iters that are not a whole number from 1 to 2^53, "
                     "or a negative time",
                     name ? name : "?");
                return;
            }
        p->stack_offset = (uint32_t)get_whole(r, po, "stack_offset", false, 0, WHOLE_U32, 0);
        p->heap_offset = (uint32_t)get_whole(r, po, "heap_offset", false, 0, WHOLE_U32, 0);
        p->warmup_iters = (uint64_t)get_whole(r, po, "warmup_iters", false, 0, WHOLE_2_53, 0);
        p->warmup_ns = get_num(r, po, "warmup_ns", false);
        parse_start_ns(r, po, p, name ? name : "?");
        if (r->rc)
            return;
        parse_proc_counters(r, cJSON_GetObjectItemCaseSensitive(po, "counters"), p,
                            name ? name : "?");
        if (r->rc)
            return;
        parse_rusage(r, cJSON_GetObjectItemCaseSensitive(po, "rusage"), p);
        parse_activity(r, cJSON_GetObjectItemCaseSensitive(po, "gpu_activity"), p,
                       name ? name : "?");
        if (r->rc)
            return;
    }
    parse_user_kinds(cJSON_GetObjectItemCaseSensitive(o, "user_counters"), res);
    const cJSON *est = cJSON_GetObjectItemCaseSensitive(o, "estimates");
    if (cJSON_IsObject(est)) {
        for (int s = 0; s < BG_STAT_COUNT; s++) {
            const cJSON *eo = cJSON_GetObjectItemCaseSensitive(est, bg_statistic_name((bg_statistic)s));
            bg_estimate *e = &res->wall.est[s];
            if (!cJSON_IsObject(eo)) {
                fail(r, BG_EPARSE, "estimate '%s' is missing", bg_statistic_name((bg_statistic)s));
                return;
            }
            e->point = get_num(r, eo, "point", true);
            e->lo = get_num(r, eo, "lo", true);
            e->hi = get_num(r, eo, "hi", true);
            e->se = get_num(r, eo, "se", false);
        }
        const cJSON *ol = cJSON_GetObjectItemCaseSensitive(o, "outliers");
        if (cJSON_IsObject(ol)) {
            res->wall.outliers.low_severe = (size_t)get_whole(r, ol, "low_severe", true, 0, WHOLE_2_53, 0);
            res->wall.outliers.low_mild = (size_t)get_whole(r, ol, "low_mild", true, 0, WHOLE_2_53, 0);
            res->wall.outliers.high_mild = (size_t)get_whole(r, ol, "high_mild", true, 0, WHOLE_2_53, 0);
            res->wall.outliers.high_severe = (size_t)get_whole(r, ol, "high_severe", true, 0, WHOLE_2_53, 0);
        }
        res->wall.nsamples = (size_t)get_whole(r, o, "nsamples", false, 0, WHOLE_2_53, 0);
        res->wall.ngroups = res->nprocs;
        res->cpu_per_iter_ns = get_num(r, o, "cpu_per_iter_ns", false);
        res->has_summary = true;
    }
}

static void parse_config(rd *r, const cJSON *o, bg_config *c)
{
    bg__config_default(c);
    if (!cJSON_IsObject(o)) {
        fail(r, BG_EPARSE, "field 'config' is missing or not an object%s", "");
        return;
    }
    c->warmup_s = get_num(r, o, "warmup_s", true);
    c->measure_s = get_num(r, o, "measure_s", true);
    c->budget_s = get_num(r, o, "budget_s", true);
    c->target = get_num(r, o, "target", true);
    c->timeout_s = get_num(r, o, "timeout_s", true);
    c->samples = (size_t)get_whole(r, o, "samples", true, 0, WHOLE_2_53, 0);
    c->min_procs = (int)get_whole(r, o, "min_procs", true, 0, WHOLE_INT, 0);
    c->max_procs = (int)get_whole(r, o, "max_procs", true, 0, WHOLE_INT, 0);
    c->seed = get_u64str(r, o, "seed");
    c->resamples = (size_t)get_whole(r, o, "resamples", true, 0, WHOLE_2_53, 0);
    c->confidence = get_num(r, o, "confidence", true);
    const char *st = get_str(r, o, "statistic", true);
    for (int s = 0; st && s < BG_STAT_COUNT; s++)
        if (!strcmp(st, bg_statistic_name((bg_statistic)s)))
            c->primary = (bg_statistic)s;
    c->quick = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "quick"));
    c->gpu_flush_l2 = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "gpu_flush_l2"));
    /* Optional (older records were all time mode); unknown names read as time. */
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(o, "mode");
    for (int m = BG_MODE_TIME; cJSON_IsString(mode) && m <= BG_MODE_INSTR_VALGRIND; m++)
        if (!strcmp(mode->valuestring, mode_name((bg_mode)m)))
            c->mode = (bg_mode)m;
    /* Counter groups by name (bits follow this build's table); a record
     * made before counters existed measured none. */
    c->counters = 0;
    const cJSON *cg;
    cJSON_ArrayForEach(cg, cJSON_GetObjectItemCaseSensitive(o, "counters"))
    {
        uint32_t m;
        char why[256];
        if (cJSON_IsString(cg) && bg__counters_parse(cg->valuestring, &m, why, sizeof why) == 0 &&
            strcmp(cg->valuestring, "all") && strcmp(cg->valuestring, "none") &&
            strcmp(cg->valuestring, "default"))
            c->counters |= m;
    }
    /* The filter string is not kept: config.filter would dangle. */
    c->filter = NULL;
    c->json_path = NULL;
}

static void parse_counter_groups(rd *r, const cJSON *a, bg_run *run)
{
    const cJSON *g;
    cJSON_ArrayForEach(g, a)
    {
        if (!cJSON_IsObject(g) || run->ncounter_groups >= BG_COUNTER_GROUPS_MAX)
            continue;
        bg_counter_status *s = &run->counter_groups[run->ncounter_groups++];
        const char *name = get_str(r, g, "name", false), *note = get_str(r, g, "note", false);
        snprintf(s->group, sizeof s->group, "%s", name ? name : "");
        snprintf(s->note, sizeof s->note, "%s", note ? note : "");
        s->available = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "available"));
        s->sample_ns = get_num(r, g, "sample_ns", false);
    }
}

int bg__record_check_header(const cJSON *root, int *version, int64_t *created_unix, char *err, size_t errlen)
{
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "not a run record (the top level is not a JSON object)");
        return BG_EPARSE;
    }
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    if (!cJSON_IsString(schema)) {
        snprintf(err, errlen, "not a run record (no \"schema\" string)");
        return BG_EPARSE;
    }
    if (strcmp(schema->valuestring, BG_RECORD_SCHEMA) != 0) {
        snprintf(err, errlen, "schema is '%.100s', not '%s'", schema->valuestring, BG_RECORD_SCHEMA);
        return BG_ESCHEMA;
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "schema_version");
    /* Every double above 2^53 is a whole number, and read as newer; 1e999
     * parses as infinity, which is not a version. */
    double v = cJSON_IsNumber(ver) ? ver->valuedouble : 0;
    if (!cJSON_IsNumber(ver) || !(v >= 1 && isfinite(v)) || v != floor(v)) {
        snprintf(err, errlen, "\"schema_version\" is missing or not a positive integer");
        return BG_EPARSE;
    }
    if (v > BG_RECORD_VERSION) {
        snprintf(err, errlen,
                 "schema_version %.15g was written by a newer benchgate; upgrade benchgate to read it (this "
                 "one reads up to version %d)",
                 v, BG_RECORD_VERSION);
        return BG_ESCHEMA;
    }
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(root, "created_unix");
    /* 9.2e18 keeps the conversion below inside int64_t. */
    double c = cJSON_IsNumber(created) ? created->valuedouble : -1;
    if (!cJSON_IsNumber(created) || !(c >= 0 && c <= 9.2e18) || c != floor(c)) {
        snprintf(err, errlen, "\"created_unix\" is missing or not a non-negative integer");
        return BG_EPARSE;
    }
    if (version)
        *version = (int)v; /* 1..BG_RECORD_VERSION here */
    if (created_unix)
        *created_unix = (int64_t)c;
    return BG_OK;
}

int bg__record_parse(const char *json, bg_run *run, char *err, size_t errlen)
{
    memset(run, 0, sizeof *run);
    if (!json) {
        snprintf(err, errlen, "no input");
        return BG_EINVAL;
    }
    cJSON *root = cJSON_Parse(json);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= json ? (size_t)(at - json) : 0;
        snprintf(err, errlen, "not valid JSON (truncated or corrupt) near byte %zu", off);
        return BG_EPARSE;
    }
    int rc = bg__record_from_json(root, run, err, errlen);
    cJSON_Delete(root);
    return rc;
}

/* Reads "shard" when present (a run of the whole suite has none). */
static void parse_shard(rd *r, const cJSON *o, bg_shard *sh)
{
    memset(sh, 0, sizeof *sh);
    if (!cJSON_IsObject(o))
        return;
    int k = (int)get_whole(r, o, "k", true, 1, BG_SHARDS_MAX, 0);
    int n = (int)get_whole(r, o, "n", true, 1, BG_SHARDS_MAX, 0);
    if (r->rc)
        return;
    if (k > n) {
        fail(r, BG_EPARSE, "field '%s' has k above n", "shard");
        return;
    }
    sh->k = k;
    sh->n = n;
    const char *m = get_str(r, o, "method", false);
    snprintf(sh->method, sizeof sh->method, "%s", m ? m : "name");
    const char *cf = get_str(r, o, "cost_from", false);
    snprintf(sh->cost_from, sizeof sh->cost_from, "%s", cf ? cf : "");
    const cJSON *suite = cJSON_GetObjectItemCaseSensitive(o, "suite");
    sh->nsuite = cJSON_IsArray(suite) ? (size_t)cJSON_GetArraySize(suite) : 0;
}

int bg__record_from_json(const cJSON *root, bg_run *run, char *err, size_t errlen)
{
    rd r = {err, errlen, 0, NULL};
    memset(run, 0, sizeof *run);
    int64_t created_unix = 0;
    int hrc = bg__record_check_header(root, NULL, &created_unix, err, errlen);
    if (hrc)
        return hrc;
    const char *created = get_str(&r, root, "created", false);
    snprintf(run->created, sizeof run->created, "%s", created ? created : "");
    run->created_unix = created_unix;
    const char *host = get_str(&r, root, "host", false);
    snprintf(run->host, sizeof run->host, "%s", host ? host : "");

    const cJSON *git = cJSON_GetObjectItemCaseSensitive(root, "git");
    if (cJSON_IsObject(git)) {
        const char *c = get_str(&r, git, "commit", false);
        snprintf(run->git_commit, sizeof run->git_commit, "%s", c ? c : "");
        const char *b = get_str(&r, git, "branch", false);
        snprintf(run->git_branch, sizeof run->git_branch, "%s", b ? b : "");
        run->git_dirty = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(git, "dirty"));
        const char *s = get_str(&r, git, "status", false);
        snprintf(run->git_status, sizeof run->git_status, "%s", s ? s : "");
    }
    const cJSON *mach = cJSON_GetObjectItemCaseSensitive(root, "machine");
    if (cJSON_IsObject(mach)) {
        const char *id = get_str(&r, mach, "id", false);
        snprintf(run->machine_id, sizeof run->machine_id, "%s", id ? id : "");
        const cJSON *f;
        cJSON_ArrayForEach(f, mach)
        {
            if (!cJSON_IsString(f) || !strcmp(f->string, "id") ||
                run->nmachine_fields >= BG_MACHINE_FIELDS)
                continue;
            bg_kv *kv = &run->machine_fields[run->nmachine_fields++];
            snprintf(kv->key, sizeof kv->key, "%s", f->string);
            snprintf(kv->value, sizeof kv->value, "%s", f->valuestring);
        }
    }

    parse_config(&r, cJSON_GetObjectItemCaseSensitive(root, "config"), &run->config);
    parse_shard(&r, cJSON_GetObjectItemCaseSensitive(root, "shard"), &run->shard);
    const cJSON *merged = cJSON_GetObjectItemCaseSensitive(root, "merged");
    if (cJSON_IsObject(merged))
        run->shard.merged = (int)get_whole(&r, merged, "n", true, 1, BG_SHARDS_MAX, 0);
    const cJSON *ov = cJSON_GetObjectItemCaseSensitive(root, "overhead");
    if (cJSON_IsObject(ov)) {
        run->overhead.wall_read_ns = get_num(&r, ov, "wall_read_ns", false);
        run->overhead.cpu_read_ns = get_num(&r, ov, "cpu_read_ns", false);
        run->overhead.resolution_ns = get_num(&r, ov, "resolution_ns", false);
        run->overhead.empty_loop_ns = get_num(&r, ov, "empty_loop_ns", false);
        run->overhead.sample_overhead_ns = get_num(&r, ov, "sample_overhead_ns", false);
        run->overhead.counters_sample_ns = get_num(&r, ov, "counters_sample_ns", false);
        /* Optional (runs before scopes have none): 0 when absent. */
        static const char *const sk[] = {"scope_entry_ns", "scope_off_ns", "scope_read_ns"};
        double *sv[] = {&run->overhead.scope_entry_ns, &run->overhead.scope_off_ns,
                        &run->overhead.scope_read_ns};
        for (size_t k = 0; k < 3; k++) {
            double v = get_num(&r, ov, sk[k], false);
            *sv[k] = isfinite(v) && v >= 0 ? v : 0;
        }
        const char *clk = get_str(&r, ov, "scope_clock", false);
        run->overhead.scope_tsc = clk && !strcmp(clk, "tsc");
    }
    parse_counter_groups(&r, cJSON_GetObjectItemCaseSensitive(root, "counter_groups"), run);
    const cJSON *benches = cJSON_GetObjectItemCaseSensitive(root, "benchmarks");
    if (!cJSON_IsArray(benches)) {
        fail(&r, BG_EPARSE, "field '%s' is missing or not an array", "benchmarks");
    } else {
        size_t n = (size_t)cJSON_GetArraySize(benches);
        run->results = calloc(n ? n : 1, sizeof *run->results);
        if (!run->results) {
            fail(&r, BG_ENOMEM, "out of memory%s", "");
        } else {
            const cJSON *b;
            cJSON_ArrayForEach(b, benches)
            {
                if (r.rc)
                    break;
                parse_result(&r, b, &run->results[run->nresults++]);
                r.bench = NULL;
            }
        }
    }
    /* The figures reporters show, computed once here as for a fresh run. */
    for (size_t i = 0; r.rc == 0 && i < run->nresults; i++)
        if (bg__result_derive(&run->results[i], run->config.primary) != 0)
            fail(&r, BG_ENOMEM, "out of memory%s", "");
    if (r.rc == 0 && bg__run_sweeps(run) != 0)
        fail(&r, BG_ENOMEM, "out of memory%s", "");
    if (r.rc) {
        bg__run_free(run);
        return r.rc;
    }
    return 0;
}
