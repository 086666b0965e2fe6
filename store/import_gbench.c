/* Import of Google Benchmark JSON output into a run, so a Google Benchmark
 * user can bring their history into the store: each repetition becomes a
 * benchmark process with one sample, and benchgate's own statistics are
 * computed from them. A file benchgate exported carries each process's raw
 * samples, bootstrap seed and settings in extra fields; from those the run
 * is rebuilt as it was measured, with the same estimates. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bg_cmds.h"
#include "bg_fingerprint.h"

typedef struct imp {
    const char *file;
    bool ours; /* written by benchgate's exporter (context has benchgate_version) */
    char *err;
    size_t errlen;
} imp;

static int fail(const imp *m, int code, const char *what, const char *detail)
{
    snprintf(m->err, m->errlen, "%s: %s%s", m->file, what, detail ? detail : "");
    return code;
}

/* Nanoseconds per time_unit; 0 for an unknown unit. */
static double unit_ns(const char *u)
{
    if (!u || !strcmp(u, "ns"))
        return 1;
    if (!strcmp(u, "us"))
        return 1e3;
    if (!strcmp(u, "ms"))
        return 1e6;
    if (!strcmp(u, "s"))
        return 1e9;
    return 0;
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* The unit the file shows a benchmark's times in, kept for exports (ns,
 * the default, is kept as ""). tu is known to unit_ns. */
static void keep_unit(bg_result *r, const char *tu)
{
    snprintf(r->time_unit, sizeof r->time_unit, "%s", tu && strcmp(tu, "ns") ? tu : "");
}

static double num_of(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* The benchmark's name: run_name (shared by a benchmark's repetitions),
 * else name (files from Google Benchmark before 1.5). */
static const char *entry_name(const cJSON *e)
{
    const char *n = str_of(e, "run_name");
    return n ? n : str_of(e, "name");
}

static bool is_aggregate(const cJSON *e)
{
    const char *t = str_of(e, "run_type");
    return t && !strcmp(t, "aggregate");
}

static bg_result *find_or_add(bg_run *run, size_t cap, const char *name, const imp *m, int *rc)
{
    for (size_t i = 0; i < run->nresults; i++)
        if (!strcmp(run->results[i].name, name))
            return &run->results[i];
    if (run->nresults == cap) {
        *rc = fail(m, BG_EPARSE, "more benchmarks than entries", NULL);
        return NULL;
    }
    bg_result *r = &run->results[run->nresults];
    r->name = strdup(name);
    r->owns_name = true;
    r->procs = calloc(cap, sizeof *r->procs);
    if (!r->name || !r->procs) {
        free((char *)r->name);
        free(r->procs);
        r->name = NULL;
        r->procs = NULL;
        *rc = fail(m, BG_ENOMEM, "out of memory", NULL);
        return NULL;
    }
    r->seed = run->config.seed + run->nresults; /* replaced by a recorded benchgate_seed */
    run->nresults++;
    return r;
}

/* The fields of an entry that are not user counters. */
static bool is_gbench_field(const char *k)
{
    static const char *const fields[] = {
        "name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
        "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
        "items_per_second", "bytes_per_second", "label", "error_occurred", "error_message",
        "aggregate_name", "aggregate_unit", "big_o", "rms", "complexity_n"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!strcmp(k, fields[i]))
            return true;
    return false;
}

/* User counters (every other numeric field) become counters of the
 * process's one sample: Google Benchmark writes them as it displays them,
 * so a sample holds value x iterations and the per-iteration figure that
 * compare and the report show is the value itself, except for peaks
 * (peak_*), which are kept as they are, as the exporter writes them.
 * Names benchgate measures per process or derives (max_rss_bytes, ipc...),
 * and names too long for a counter, are left out. */
static int add_user_counters(const imp *m, const cJSON *e, bg_proc *p, double iters)
{
    const cJSON *x;
    size_t n = 0;
    cJSON_ArrayForEach(x, e)
    {
        if (cJSON_IsNumber(x) && x->string && !is_gbench_field(x->string))
            n++;
    }
    if (n == 0)
        return 0;
    p->counters = calloc(n < BG_COUNTERS_MAX ? n : BG_COUNTERS_MAX, sizeof *p->counters);
    if (!p->counters)
        return fail(m, BG_ENOMEM, "out of memory", NULL);
    cJSON_ArrayForEach(x, e)
    {
        if (!cJSON_IsNumber(x) || !x->string || is_gbench_field(x->string) || !x->string[0] ||
            strlen(x->string) >= BG_COUNTER_NAME || !isfinite(x->valuedouble) ||
            p->ncounters == BG_COUNTERS_MAX)
            continue;
        bg_metric_kind kind = bg__metric_kind(x->string);
        if (kind != BG_METRIC_SUM && kind != BG_METRIC_PEAK)
            continue;
        bg_series *c = &p->counters[p->ncounters];
        c->v = malloc(sizeof *c->v);
        if (!c->v)
            return fail(m, BG_ENOMEM, "out of memory", NULL);
        p->ncounters++;
        snprintf(c->name, sizeof c->name, "%s", x->string);
        c->v[0] = kind == BG_METRIC_PEAK ? x->valuedouble : x->valuedouble * iters;
    }
    return 0;
}

/* A number of a benchgate_samples or benchgate_counters array into *v:
 * null is a value not measured (NAN); false for anything else that is not
 * a finite number. */
static bool sample_value(const cJSON *x, double *v)
{
    *v = cJSON_IsNumber(x) ? x->valuedouble : NAN;
    return cJSON_IsNull(x) || (cJSON_IsNumber(x) && isfinite(*v));
}

/* The counters of a process rebuilt from benchgate_samples: each array of
 * "benchgate_counters" has one value per sample. A counter not measured in
 * every sample (a null) is left out of this process, as the runner leaves
 * out a counter it could not read, and r's counter note says so. */
static int read_sample_counters(const imp *m, const cJSON *co, bg_proc *p, const char *where, bg_result *r)
{
    if (!co)
        return 0;
    size_t n = cJSON_IsObject(co) ? (size_t)cJSON_GetArraySize(co) : 0;
    if (!cJSON_IsObject(co) || n > BG_COUNTERS_MAX)
        return fail(m, BG_EPARSE, where, ": 'benchgate_counters' is not an object of at most 64 arrays");
    p->counters = calloc(n ? n : 1, sizeof *p->counters);
    if (!p->counters)
        return fail(m, BG_ENOMEM, "out of memory", NULL);
    const cJSON *a;
    cJSON_ArrayForEach(a, co)
    {
        if (!a->string || !a->string[0] || strlen(a->string) >= BG_COUNTER_NAME || !cJSON_IsArray(a) ||
            (size_t)cJSON_GetArraySize(a) != p->n)
            return fail(m, BG_EPARSE, where, ": a 'benchgate_counters' entry is not an array with one "
                                              "value per sample under a name of 1-63 characters");
        bg_series *c = &p->counters[p->ncounters];
        c->v = malloc(p->n * sizeof *c->v);
        if (!c->v)
            return fail(m, BG_ENOMEM, "out of memory", NULL);
        p->ncounters++;
        snprintf(c->name, sizeof c->name, "%s", a->string);
        size_t j = 0;
        bool all = true;
        const cJSON *x;
        cJSON_ArrayForEach(x, a)
        {
            if (!sample_value(x, &c->v[j]))
                return fail(m, BG_EPARSE, where, ": a 'benchgate_counters' value is not a number or null");
            all = all && !isnan(c->v[j++]);
        }
        if (!all) {
            size_t used = strlen(r->counter_note);
            if (!strstr(r->counter_note, c->name))
                snprintf(r->counter_note + used, sizeof r->counter_note - used,
                         "%s%s was not measured in every sample of process %zu; left out there",
                         used ? "; " : "", c->name, r->nprocs);
            free(c->v);
            memset(c, 0, sizeof *c);
            p->ncounters--;
        }
    }
    return 0;
}

/* The process of an entry benchgate exported, rebuilt from its raw samples
 * ("benchgate_samples": [[iterations, wall_ns, cpu_ns], ...]), counters
 * and bootstrap seed. */
static int read_samples(const imp *m, const cJSON *e, const cJSON *samples, bg_proc *p, bg_result *r,
                        const char *where)
{
    size_t n = (size_t)cJSON_GetArraySize(samples);
    if (n == 0)
        return fail(m, BG_EPARSE, where, ": 'benchgate_samples' is empty");
    p->iters = malloc(n * sizeof *p->iters);
    p->wall_ns = malloc(n * sizeof *p->wall_ns);
    p->cpu_ns = malloc(n * sizeof *p->cpu_ns);
    if (!p->iters || !p->wall_ns || !p->cpu_ns)
        return fail(m, BG_ENOMEM, "out of memory", NULL);
    const cJSON *s;
    cJSON_ArrayForEach(s, samples)
    {
        double v[3] = {NAN, NAN, NAN};
        for (int k = 0; k < 3 && cJSON_IsArray(s) && cJSON_GetArraySize(s) == 3; k++)
            if (!sample_value(cJSON_GetArrayItem(s, k), &v[k]))
                v[k] = NAN;
        if (!(v[0] >= 1) || !(v[1] >= 0) || !(v[2] >= 0))
            return fail(m, BG_EPARSE, where, ": a 'benchgate_samples' entry is not [iterations >= 1, "
                                              "wall_ns >= 0, cpu_ns >= 0]");
        p->iters[p->n] = v[0];
        p->wall_ns[p->n] = v[1];
        p->cpu_ns[p->n] = v[2];
        p->n++;
    }
    const char *seed = str_of(e, "benchgate_seed");
    if (seed) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(seed, &end, 10);
        if (errno || *end || end == seed)
            return fail(m, BG_EPARSE, where, ": 'benchgate_seed' is not a decimal integer");
        r->seed = (uint64_t)v;
    }
    return read_sample_counters(m, cJSON_GetObjectItemCaseSensitive(e, "benchgate_counters"), p, where, r);
}

/* Items and bytes per iteration from the entry's rates and its time per
 * iteration (sec): a rate that makes more than 2^53 per iteration is no
 * throughput a benchmark had, and is refused naming the entry. */
static int throughput(const imp *m, const cJSON *e, double sec, bg_result *r, const char *where)
{
    static const char *const key[2] = {"items_per_second", "bytes_per_second"};
    uint64_t *to[2] = {&r->items_per_iter, &r->bytes_per_iter};
    for (int k = 0; k < 2; k++) {
        double rate = num_of(e, key[k]);
        if (!isfinite(rate) || !(rate > 0) || !(sec > 0))
            continue;
        double v = rate * sec;
        if (!(v <= 9007199254740992.0)) {
            char what[160];
            snprintf(what, sizeof what, ": '%s' %.6g is more than 2^53 per iteration; not a throughput",
                     key[k], rate);
            return fail(m, BG_EPARSE, where, what);
        }
        *to[k] = (uint64_t)llround(v);
    }
    return 0;
}

/* Adds one "iteration" entry (entry number idx) as a process of r. */
static int add_repetition(const imp *m, const cJSON *e, size_t idx, bg_result *r)
{
    char where[320];
    snprintf(where, sizeof where, "entry %zu ('%.200s')", idx + 1, entry_name(e));
    const cJSON *eo = cJSON_GetObjectItemCaseSensitive(e, "error_occurred");
    if (cJSON_IsTrue(eo)) {
        r->status = BG_STATUS_ERROR;
        const char *msg = str_of(e, "error_message");
        snprintf(r->message, sizeof r->message, "%s%s", m->ours ? "" : "Google Benchmark: ",
                 msg ? msg : "error occurred");
        return 0;
    }
    const char *tu = str_of(e, "time_unit");
    double scale = unit_ns(tu);
    if (scale == 0)
        return fail(m, BG_EPARSE, where, ": unknown time_unit (ns, us, ms or s)");
    keep_unit(r, tu);
    double it = num_of(e, "iterations"), real = num_of(e, "real_time"), cpu = num_of(e, "cpu_time");
    if (!(it >= 1) || !(it <= 9007199254740992.0) || it != floor(it) || !(real >= 0) || !isfinite(real))
        return fail(m, BG_EPARSE, where, ": 'iterations' (a whole number from 1 to 2^53) and 'real_time' (a "
                                          "number >= 0) are required");
    if (!(cpu >= 0) || !isfinite(cpu))
        cpu = 0;
    bg_proc *p = &r->procs[r->nprocs];
    p->warmup_ns = NAN;
    if (throughput(m, e, real * scale / 1e9, r, where) != 0)
        return BG_EPARSE;
    const cJSON *samples = cJSON_GetObjectItemCaseSensitive(e, "benchgate_samples");
    if (cJSON_IsArray(samples)) {
        r->nprocs++; /* counted now so that bg__result_free frees what was allocated */
        return read_samples(m, e, samples, p, r, where);
    }
    p->iters = malloc(sizeof *p->iters);
    p->wall_ns = malloc(sizeof *p->wall_ns);
    p->cpu_ns = malloc(sizeof *p->cpu_ns);
    r->nprocs++; /* counted now so that bg__result_free frees what was allocated */
    if (!p->iters || !p->wall_ns || !p->cpu_ns)
        return fail(m, BG_ENOMEM, "out of memory", NULL);
    /* real_time and cpu_time are per iteration: a sample holds totals. */
    p->n = 1;
    p->iters[0] = it;
    p->wall_ns[0] = real * scale * it;
    p->cpu_ns[0] = cpu * scale * it;
    return add_user_counters(m, e, p, it);
}

/* The processes of a benchmark exported in the default form (one mean
 * entry, see export.c's gbench_mean_bench): each element of
 * "benchgate_processes" is rebuilt as read_samples does for a process's
 * own entry. r->procs holds `cap` processes (one per entry of the file);
 * a benchmark of more processes than that is given room. */
static int add_processes(const imp *m, const cJSON *e, const cJSON *procs, size_t idx, bg_result *r,
                         size_t cap)
{
    char where[320];
    snprintf(where, sizeof where, "entry %zu ('%.200s')", idx + 1, entry_name(e));
    size_t n = (size_t)cJSON_GetArraySize(procs);
    if (n == 0)
        return fail(m, BG_EPARSE, where, ": 'benchgate_processes' is empty");
    if (r->nprocs + n > cap) {
        bg_proc *more = realloc(r->procs, (r->nprocs + n) * sizeof *more);
        if (!more)
            return fail(m, BG_ENOMEM, "out of memory", NULL);
        memset(more + r->nprocs, 0, n * sizeof *more);
        r->procs = more;
    }
    if (unit_ns(str_of(e, "time_unit")) == 0)
        return fail(m, BG_EPARSE, where, ": unknown time_unit (ns, us, ms or s)");
    keep_unit(r, str_of(e, "time_unit"));
    if (throughput(m, e, num_of(e, "real_time") * unit_ns(str_of(e, "time_unit")) / 1e9, r, where) != 0)
        return BG_EPARSE;
    const cJSON *po;
    cJSON_ArrayForEach(po, procs)
    {
        const cJSON *samples = cJSON_GetObjectItemCaseSensitive(po, "benchgate_samples");
        if (!cJSON_IsObject(po) || !cJSON_IsArray(samples))
            return fail(m, BG_EPARSE, where, ": a 'benchgate_processes' element has no 'benchgate_samples'");
        bg_proc *p = &r->procs[r->nprocs];
        p->warmup_ns = NAN;
        r->nprocs++; /* counted now so that bg__result_free frees what was allocated */
        int rc = read_samples(m, po, samples, p, r, where);
        if (rc)
            return rc;
    }
    return 0;
}

/* The machine: Google Benchmark's context names the host, its CPUs and
 * their clock; the id is a fingerprint of those, marked as imported. */
static void machine_from_context(const cJSON *ctx, bg_run *run)
{
    const char *host = str_of(ctx, "host_name");
    double cpus = num_of(ctx, "num_cpus"), mhz = num_of(ctx, "mhz_per_cpu");
    const char *build = str_of(ctx, "library_build_type");
    bg_fingerprint fp;
    memset(&fp, 0, sizeof fp);
    snprintf(fp.cpu_model, sizeof fp.cpu_model, "Google Benchmark host %s", host ? host : "unknown");
    fp.cores = isfinite(cpus) ? (int)cpus : 0;
    snprintf(fp.flags, sizeof fp.flags, "mhz_per_cpu=%.0f", isfinite(mhz) ? mhz : 0.0);
    bg_fingerprint_update_id(&fp);
    snprintf(run->machine_id, sizeof run->machine_id, "%s", fp.id);
    snprintf(run->host, sizeof run->host, "%s", host ? host : "unknown");
    const char *kv[][2] = {{"source", "google-benchmark"},
                           {"cpu_model", fp.cpu_model},
                           {"cores", NULL},
                           {"flags", fp.flags},
                           {"buildtype", build ? build : "unknown"}};
    char cores[32];
    snprintf(cores, sizeof cores, "%d", fp.cores);
    kv[2][1] = cores;
    for (size_t i = 0; i < sizeof kv / sizeof kv[0] && run->nmachine_fields < BG_MACHINE_FIELDS; i++) {
        bg_kv *f = &run->machine_fields[run->nmachine_fields++];
        snprintf(f->key, sizeof f->key, "%s", kv[i][0]);
        snprintf(f->value, sizeof f->value, "%s", kv[i][1]);
    }
}

static void stamp_now(bg_run *run)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    run->created_unix = (int64_t)t;
    strftime(run->created, sizeof run->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Reads every entry of `arr` into run->results. */
static int read_entries(const imp *m, const cJSON *arr, bg_run *run)
{
    size_t cap = (size_t)cJSON_GetArraySize(arr);
    run->results = calloc(cap ? cap : 1, sizeof *run->results);
    if (!run->results)
        return fail(m, BG_ENOMEM, "out of memory", NULL);
    size_t idx = 0, aggregates = 0;
    const char *agg_name = NULL;
    int rc = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (!cJSON_IsObject(e) || !entry_name(e)) {
            char where[64];
            snprintf(where, sizeof where, "entry %zu", idx + 1);
            return fail(m, BG_EPARSE, where, " has no 'name' (is this Google Benchmark JSON?)");
        }
        char why[96];
        if (bg__name_check(entry_name(e), why, sizeof why) != 0) {
            /* Rejected, not repaired: the name is how runs are matched. */
            char where[64];
            snprintf(where, sizeof where, "entry %zu: its name ", idx + 1);
            return fail(m, BG_EPARSE, where, why);
        }
        const cJSON *procs = cJSON_GetObjectItemCaseSensitive(e, "benchgate_processes");
        if (is_aggregate(e) && cJSON_IsArray(procs)) {
            bg_result *r = find_or_add(run, cap, entry_name(e), m, &rc);
            if (!r || (rc = add_processes(m, e, procs, idx, r, cap)) != 0)
                return rc ? rc : BG_ENOMEM;
        } else if (is_aggregate(e)) {
            aggregates++;
            agg_name = entry_name(e);
        } else {
            bg_result *r = find_or_add(run, cap, entry_name(e), m, &rc);
            if (!r || (rc = add_repetition(m, e, idx, r)) != 0)
                return rc ? rc : BG_ENOMEM;
        }
        idx++;
    }
    if (run->nresults == 0) {
        if (aggregates) {
            char d[320];
            snprintf(d, sizeof d, " ('%.200s'): run the benchmark without "
                                  "--benchmark_report_aggregates_only so that repetitions are kept",
                     agg_name);
            return fail(m, BG_EPARSE, "only aggregate entries", d);
        }
        return fail(m, BG_EPARSE, "no benchmarks to import", NULL);
    }
    return 0;
}

/* An instance from a Google Benchmark name, "family/8/n:64/threads:2":
 * the family, each argument ("argK" when unnamed) and the team. */
static void instance_from_name(const char *name, int threads, bg_result *r)
{
    const char *slash = strchr(name, '/');
    if (!slash && threads <= 1)
        return;
    size_t flen = slash ? (size_t)(slash - name) : strlen(name);
    snprintf(r->family, sizeof r->family, "%.*s", (int)(flen < 127 ? flen : 127), name);
    for (const char *p = slash; p && *p == '/' && r->nargs < BG_ARGS_MAX;) {
        const char *part = p + 1, *end = strchr(part, '/');
        size_t len = end ? (size_t)(end - part) : strlen(part);
        char buf[96];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 95 ? len : 95), part);
        char *colon = strchr(buf, ':'), *num = colon ? colon + 1 : buf, *stop;
        errno = 0;
        long long v = strtoll(num, &stop, 10);
        bool number = !errno && stop != num && !*stop; /* not "real_time", "repeats:x" */
        if (number && colon && !strncmp(buf, "threads:", 8)) {
            r->threads = (int)(v > 0 && v <= BG_THREADS_MAX ? v : 0);
        } else if (number) {
            if (colon)
                snprintf(r->arg_names[r->nargs], sizeof r->arg_names[r->nargs], "%.*s",
                         (int)(colon - buf < 31 ? colon - buf : 31), buf);
            else
                snprintf(r->arg_names[r->nargs], sizeof r->arg_names[r->nargs], "arg%zu", r->nargs);
            r->args[r->nargs++] = v;
        }
        p = end;
    }
    if (!r->threads && threads > 1)
        r->threads = threads;
    if (r->nargs == 0 && r->threads == 0)
        r->family[0] = '\0'; /* a '/' in a plain name: no instance */
}

/* Arguments, teams and growth orders: benchgate's "benchgate_instance" when
 * the file has it, else read from the names; a "<family>_BigO" aggregate
 * declares its class (from its big_o) on the family's instances, over their
 * first argument (or the one benchgate recorded). */
static void read_instances(const cJSON *arr, bg_run *run)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        const char *n = entry_name(e);
        if (!n || is_aggregate(e))
            continue;
        bg_result *r = NULL;
        for (size_t i = 0; i < run->nresults && !r; i++)
            if (!strcmp(run->results[i].name, n))
                r = &run->results[i];
        if (!r || r->family[0])
            continue;
        r->complexity_arg = -1;
        const cJSON *in = cJSON_GetObjectItemCaseSensitive(e, "benchgate_instance");
        double t = num_of(e, "threads");
        if (cJSON_IsObject(in) && str_of(in, "family")) {
            snprintf(r->family, sizeof r->family, "%s", str_of(in, "family"));
            const cJSON *a;
            cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(in, "args"))
            {
                if (r->nargs == BG_ARGS_MAX || !a->string || !cJSON_IsNumber(a) ||
                    !(fabs(a->valuedouble) < 9.2e18))
                    break;
                snprintf(r->arg_names[r->nargs], sizeof r->arg_names[r->nargs], "%s", a->string);
                r->args[r->nargs++] = (int64_t)a->valuedouble;
            }
            double team = num_of(in, "threads"); /* 0: no team */
            r->threads = team >= 1 && team <= BG_THREADS_MAX ? (int)team : 0;
            const char *ca = str_of(in, "complexity_arg");
            for (size_t k = 0; ca && k < r->nargs; k++)
                if (!strcmp(r->arg_names[k], ca)) {
                    r->complexity = BG_BIGO_AUTO;
                    r->complexity_arg = (int)k;
                }
        } else {
            instance_from_name(n, t >= 1 && t <= BG_THREADS_MAX ? (int)t : 1, r);
        }
    }
    static const char *const gb[] = {"", "", "(1)", "lgN", "N", "NlgN", "N^2", "N^3"};
    cJSON_ArrayForEach(e, arr)
    {
        const char *agg = str_of(e, "aggregate_name"), *fam = str_of(e, "run_name");
        const char *bo = str_of(e, "big_o");
        if (!agg || strcmp(agg, "BigO") || !fam || !bo)
            continue;
        bg_big_o o = BG_BIGO_AUTO; /* "f(N)" (a lambda) or unknown: fitted here */
        for (int k = BG_BIGO_1; k <= BG_BIGO_N3; k++)
            if (!strcmp(bo, gb[k]))
                o = (bg_big_o)k;
        for (size_t i = 0; i < run->nresults; i++) {
            bg_result *r = &run->results[i];
            if (!strcmp(r->family, fam) && r->nargs > 0) {
                r->complexity = o;
                r->complexity_arg = r->complexity_arg >= 0 ? r->complexity_arg : 0;
            }
        }
    }
}
/* An imported run is saved as a run record: one the record's loader would
 * refuse (a count past 2^53, a time that overflows when scaled to ns, ...)
 * is refused here, with the loader's reason, instead of being stored. */
static int loads_back(const imp *m, const bg_run *run)
{
    char *json = bg__record_to_json(run);
    if (!json)
        return fail(m, BG_ENOMEM, "out of memory", NULL);
    bg_run back;
    char why[512] = "";
    int rc = bg__record_parse(json, &back, why, sizeof why);
    free(json);
    if (rc == BG_ENOMEM)
        return fail(m, rc, "out of memory", NULL);
    if (rc)
        return fail(m, BG_EPARSE, "holds figures a run record cannot keep: ", why);
    bg__run_free(&back);
    return 0;
}


int bg__import_gbench(const char *json, const char *name, bg_run *run, char *err, size_t errlen)
{
    imp m = {name ? name : "input", false, err, errlen};
    memset(run, 0, sizeof *run);
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    if (!root)
        return fail(&m, BG_EPARSE, "not valid JSON (truncated or corrupt)", NULL);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "benchmarks");
    if (!cJSON_IsObject(root) || !cJSON_IsArray(arr)) {
        cJSON_Delete(root);
        return fail(&m, BG_EPARSE, "no 'benchmarks' array: not Google Benchmark JSON ",
                    "(write it with --benchmark_out=FILE --benchmark_out_format=json)");
    }
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(root, "context");
    m.ours = str_of(ctx, "benchgate_version") != NULL;
    bg__config_default(&run->config);
    run->config.samples = 1;
    int rc = read_entries(&m, arr, run);
    if (rc == 0)
        read_instances(arr, run);
    if (rc == 0) {
        /* The bootstrap settings of a file benchgate exported. */
        double resamples = num_of(ctx, "benchgate_resamples"), conf = num_of(ctx, "benchgate_confidence");
        if (resamples >= 1 && resamples <= 1e9)
            run->config.resamples = (size_t)resamples;
        if (conf > 0 && conf < 1)
            run->config.confidence = conf;
        machine_from_context(ctx, run);
        stamp_now(run);
        /* Google Benchmark does not report its overhead. */
        run->overhead = (bg_overhead){.wall_read_ns = NAN, .cpu_read_ns = NAN, .resolution_ns = NAN,
                                      .empty_loop_ns = NAN, .sample_overhead_ns = NAN};
    }
    cJSON_Delete(root);
    for (size_t i = 0; rc == 0 && i < run->nresults; i++) {
        bg_result *r = &run->results[i];
        if (r->status != BG_STATUS_OK)
            continue;
        if (bg__summarize_result(&run->config, r) != 0) {
            r->status = BG_STATUS_ERROR;
            snprintf(r->message, sizeof r->message, "statistics failed on these repetitions");
        }
    }
    if (rc == 0 && bg__run_sweeps(run) != 0)
        rc = fail(&m, BG_ENOMEM, "out of memory", NULL);
    if (rc == 0)
        rc = loads_back(&m, run);
    if (rc)
        bg__run_free(run);
    return rc;
}
