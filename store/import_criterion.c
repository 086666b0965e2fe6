/* Import of Criterion.rs results into a run, so a team moving from
 * Criterion keeps its history: every benchmark directory under
 * target/criterion holds new/sample.json (the iteration count and total
 * time of each sample, in ns) and new/estimates.json; the samples become
 * one process of the benchmark, and benchgate's own statistics are
 * computed from them, so imported runs are compared and reported like
 * measured ones. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bg_cmds.h"
#include "bg_fingerprint.h"

/* The sample.json files found under the root, in a growing array. */
typedef struct found {
    char **paths;
    size_t n, cap;
    int err;
} found;

static found *g_found; /* nftw has no user pointer */

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t len = strlen(path);
    static const char tail[] = "/new/sample.json";
    if (type != FTW_F || len < sizeof tail - 1 || strcmp(path + len - (sizeof tail - 1), tail) != 0)
        return 0;
    found *f = g_found;
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        char **np = realloc(f->paths, cap * sizeof *np);
        if (!np) {
            f->err = BG_ENOMEM;
            return 1;
        }
        f->paths = np;
        f->cap = cap;
    }
    if (!(f->paths[f->n] = strdup(path))) {
        f->err = BG_ENOMEM;
        return 1;
    }
    f->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void found_free(found *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->paths[i]);
    free(f->paths);
}

/* Reads and parses a JSON file; NULL after a message naming it. */
static cJSON *read_json(const char *path, char *err, size_t errlen)
{
    char e[512] = "";
    char *text = bg__read_file(path, e, sizeof e);
    if (!text) {
        snprintf(err, errlen, "%s", e);
        return NULL;
    }
    cJSON *j = cJSON_Parse(text);
    free(text);
    if (!j)
        snprintf(err, errlen, "%s: not valid JSON (truncated or corrupt)", path);
    return j;
}

/* The numbers of array `key` of o into a new array of *n; NULL when it is
 * missing, empty or holds anything but finite numbers > 0 (iterations) or
 * >= 0 (times). */
static double *numbers(const cJSON *o, const char *key, bool positive, size_t *n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    *n = cJSON_IsArray(a) ? (size_t)cJSON_GetArraySize(a) : 0;
    if (*n == 0)
        return NULL;
    double *v = malloc(*n * sizeof *v);
    size_t i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        if (!v || !cJSON_IsNumber(x) || !isfinite(x->valuedouble) ||
            (positive ? !(x->valuedouble >= 1) : !(x->valuedouble >= 0))) {
            free(v);
            return NULL;
        }
        v[i++] = x->valuedouble;
    }
    return v;
}

/* One benchmark directory (dir/new/sample.json at `sample`): its name from
 * dir/benchmark.json (full_id), else the directory relative to the root. */
static int read_bench(const char *root, const char *sample, bg_result *r, char *err, size_t errlen)
{
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%.*s", (int)(strlen(sample) - strlen("/new/sample.json")), sample);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/new/estimates.json", dir);
    cJSON *est = read_json(path, err, errlen);
    if (!est)
        return BG_EPARSE;
    const cJSON *mean = cJSON_GetObjectItemCaseSensitive(est, "mean");
    const cJSON *pe = cJSON_GetObjectItemCaseSensitive(mean, "point_estimate");
    bool est_ok = cJSON_IsNumber(pe) && isfinite(pe->valuedouble);
    cJSON_Delete(est);
    if (!est_ok) {
        snprintf(err, errlen, "%s: no mean.point_estimate (is this Criterion.rs output?)", path);
        return BG_EPARSE;
    }
    snprintf(path, sizeof path, "%s/new/benchmark.json", dir);
    char *name = NULL;
    if (access(path, F_OK) == 0) {
        cJSON *b = read_json(path, err, errlen);
        if (!b)
            return BG_EPARSE;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(b, "full_id");
        if (cJSON_IsString(id) && id->valuestring[0])
            name = strdup(id->valuestring);
        cJSON_Delete(b);
    }
    if (!name) {
        const char *rel = dir + strlen(root);
        while (*rel == '/')
            rel++;
        name = strdup(*rel ? rel : dir);
    }
    if (!name)
        return BG_ENOMEM;
    r->name = name;
    r->owns_name = true;
    cJSON *s = read_json(sample, err, errlen);
    if (!s)
        return BG_EPARSE;
    size_t ni = 0, nt = 0;
    double *iters = numbers(s, "iters", true, &ni);
    double *times = numbers(s, "times", false, &nt);
    cJSON_Delete(s);
    r->procs = calloc(1, sizeof *r->procs);
    if (!iters || !times || ni != nt || !r->procs) {
        free(iters);
        free(times);
        if (!r->procs)
            return BG_ENOMEM;
        snprintf(err, errlen, "%s: 'iters' and 'times' must be arrays of the same length, of iteration "
                              "counts >= 1 and total times in ns >= 0",
                 sample);
        return BG_EPARSE;
    }
    bg_proc *p = &r->procs[0];
    r->nprocs = 1;
    p->n = ni;
    p->iters = iters;
    p->wall_ns = times;
    /* Criterion measures wall time only: the CPU time is not known and is
     * recorded as 0, as the Google Benchmark import does without cpu_time. */
    p->cpu_ns = calloc(ni, sizeof *p->cpu_ns);
    if (!p->cpu_ns)
        return BG_ENOMEM;
    p->warmup_ns = NAN;
    return 0;
}

int bg__import_criterion(const char *dir, bg_run *run, char *err, size_t errlen)
{
    memset(run, 0, sizeof *run);
    char root[PATH_MAX + 32];
    char probe[PATH_MAX + 32];
    /* A project directory: its target/criterion. */
    snprintf(probe, sizeof probe, "%s/target/criterion", dir);
    snprintf(root, sizeof root, "%s", access(probe, F_OK) == 0 ? probe : dir);
    found f = {0};
    g_found = &f;
    int walk = nftw(root, visit, 16, FTW_PHYS);
    g_found = NULL;
    if (walk < 0 || f.err) {
        found_free(&f);
        snprintf(err, errlen, "%s: cannot read the directory: %s", root, f.err ? "out of memory" : strerror(errno));
        return f.err ? f.err : BG_EIO;
    }
    if (f.n == 0) {
        found_free(&f);
        snprintf(err, errlen, "%s: no Criterion.rs results (no <benchmark>/new/sample.json below it; give "
                              "target/criterion after 'cargo bench')",
                 root);
        return BG_EPARSE;
    }
    qsort(f.paths, f.n, sizeof *f.paths, cmp_str);
    bg__config_default(&run->config);
    run->config.min_procs = run->config.max_procs = 1;
    run->results = calloc(f.n, sizeof *run->results);
    int rc = run->results ? 0 : BG_ENOMEM;
    for (size_t i = 0; rc == 0 && i < f.n; i++) {
        bg_result *r = &run->results[run->nresults++];
        r->seed = run->config.seed + i;
        rc = read_bench(root, f.paths[i], r, err, errlen);
    }
    found_free(&f);
    if (rc == BG_ENOMEM)
        snprintf(err, errlen, "out of memory");
    if (rc == 0) {
        /* The machine: Criterion records none; this host, marked as a
         * Criterion.rs import so that such runs compare with each other. */
        char host[256] = "unknown";
        if (gethostname(host, sizeof host - 1) != 0)
            snprintf(host, sizeof host, "unknown");
        host[sizeof host - 1] = '\0';
        bg_fingerprint fp;
        memset(&fp, 0, sizeof fp);
        snprintf(fp.cpu_model, sizeof fp.cpu_model, "Criterion.rs host %.100s", host);
        bg_fingerprint_update_id(&fp);
        snprintf(run->machine_id, sizeof run->machine_id, "%s", fp.id);
        snprintf(run->host, sizeof run->host, "%.120s", host);
        const char *kv[][2] = {{"source", "criterion.rs"}, {"cpu_model", fp.cpu_model}};
        for (size_t i = 0; i < 2; i++) {
            bg_kv *kf = &run->machine_fields[run->nmachine_fields++];
            snprintf(kf->key, sizeof kf->key, "%s", kv[i][0]);
            snprintf(kf->value, sizeof kf->value, "%s", kv[i][1]);
        }
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        run->created_unix = (int64_t)t;
        strftime(run->created, sizeof run->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
        run->overhead = (bg_overhead){.wall_read_ns = NAN, .cpu_read_ns = NAN, .resolution_ns = NAN,
                                      .empty_loop_ns = NAN, .sample_overhead_ns = NAN};
    }
    for (size_t i = 0; rc == 0 && i < run->nresults; i++) {
        bg_result *r = &run->results[i];
        if (bg__summarize_result(&run->config, r) != 0) {
            r->status = BG_STATUS_ERROR;
            snprintf(r->message, sizeof r->message, "statistics failed on these samples");
        }
    }
    if (rc)
        bg__run_free(run);
    return rc;
}
