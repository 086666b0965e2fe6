/* Named per-sample metrics of a result: the one place that knows which
 * recorded array a metric name refers to, so comparisons, the gate and the
 * reports can work on any of them the same way time is worked on. Also the
 * per-benchmark figures made from them: per-iteration values, peaks,
 * medians over processes of what the kernel reported, and ratios. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bg_model.h"

const char *const bg__process_metrics[] = {
    "user_ns", "sys_ns", "max_rss_bytes", "start_rss_bytes", "minor_faults", "major_faults",
    "voluntary_cs", "involuntary_cs", NULL};

const char *const bg__derived_metrics[] = {"ipc", "cache_miss_rate", "branch_mpki",
                                           "bytes_per_alloc", NULL};

static bool is_time(const char *m)
{
    return !m || !strcmp(m, "time") || !strcmp(m, "wall_ns");
}

static bool is_cpu(const char *m)
{
    return m && (!strcmp(m, "cpu") || !strcmp(m, "cpu_ns"));
}

static bool in_list(const char *const *list, const char *m)
{
    for (size_t i = 0; m && list[i]; i++)
        if (!strcmp(list[i], m))
            return true;
    return false;
}

static const double *series_of(const bg_proc *p, const char *name)
{
    for (size_t k = 0; k < p->ncounters; k++)
        if (!strcmp(p->counters[k].name, name))
            return p->counters[k].v;
    return NULL;
}

const double *bg__proc_metric(const bg_result *r, size_t proc, const char *metric)
{
    if (!r || proc >= r->nprocs)
        return NULL;
    const bg_proc *p = &r->procs[proc];
    if (is_time(metric))
        return p->wall_ns;
    if (is_cpu(metric))
        return p->cpu_ns;
    return series_of(p, metric);
}

bg_metric_kind bg__metric_kind(const char *metric)
{
    if (is_time(metric) || is_cpu(metric))
        return BG_METRIC_SUM;
    if (in_list(bg__process_metrics, metric))
        return BG_METRIC_PROCESS;
    if (in_list(bg__derived_metrics, metric))
        return BG_METRIC_UNKNOWN;
    /* Counters are totals over the sample, except peaks, named peak_*. */
    return strncmp(metric, "peak_", 5) ? BG_METRIC_SUM : BG_METRIC_PEAK;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

const char *bg__metric_unit(const char *metric)
{
    if (is_time(metric) || is_cpu(metric))
        return "ns";
    const char *u = bg__counter_unit(metric);
    if (u)
        return u;
    if (ends_with(metric, "_ns"))
        return "ns";
    if (ends_with(metric, "_bytes"))
        return "bytes";
    return "";
}

double bg__proc_value(const bg_proc *p, const char *m)
{
    if (!p->has_rusage || !m)
        return NAN;
    const bg_rusage *u = &p->ru;
    if (!strcmp(m, "user_ns")) return u->user_ns;
    if (!strcmp(m, "sys_ns")) return u->sys_ns;
    if (!strcmp(m, "max_rss_bytes")) return u->max_rss_bytes;
    if (!strcmp(m, "start_rss_bytes")) return u->start_rss_bytes;
    if (!strcmp(m, "minor_faults")) return u->minor_faults;
    if (!strcmp(m, "major_faults")) return u->major_faults;
    if (!strcmp(m, "voluntary_cs")) return u->voluntary_cs;
    if (!strcmp(m, "involuntary_cs")) return u->involuntary_cs;
    return NAN;
}

/* Per-iteration value of a SUM metric: the mean over samples of value /
 * iterations (the definition the comparisons use), over the processes that
 * recorded it. */
static double per_iter(const bg_result *r, const char *m)
{
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        const double *v = bg__proc_metric(r, i, m);
        for (size_t j = 0; v && j < r->procs[i].n; j++)
            if (isfinite(v[j]) && r->procs[i].iters[j] > 0) {
                sum += v[j] / r->procs[i].iters[j];
                n++;
            }
    }
    return n ? sum / (double)n : NAN;
}

static double peak(const bg_result *r, const char *m)
{
    double best = NAN;
    for (size_t i = 0; i < r->nprocs; i++) {
        const double *v = bg__proc_metric(r, i, m);
        for (size_t j = 0; v && j < r->procs[i].n; j++)
            if (isnan(best) || v[j] > best)
                best = v[j];
    }
    return best;
}

static double process_median(const bg_result *r, const char *m)
{
    double *x = malloc((r->nprocs ? r->nprocs : 1) * sizeof *x);
    if (!x)
        return NAN;
    size_t n = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        double v = bg__proc_value(&r->procs[i], m);
        if (isfinite(v))
            x[n++] = v;
    }
    double med = n ? bg_stat_median(x, n) : NAN;
    free(x);
    return med;
}

static double ratio(double a, double b)
{
    return isfinite(a) && isfinite(b) && b > 0 ? a / b : NAN;
}

static double derived(const bg_result *r, const char *m)
{
    if (!strcmp(m, "ipc"))
        return ratio(per_iter(r, "instructions"), per_iter(r, "cycles"));
    if (!strcmp(m, "cache_miss_rate"))
        return ratio(per_iter(r, "cache_misses"), per_iter(r, "cache_references"));
    if (!strcmp(m, "branch_mpki"))
        return 1000.0 * ratio(per_iter(r, "branch_misses"), per_iter(r, "instructions"));
    if (!strcmp(m, "bytes_per_alloc"))
        return ratio(per_iter(r, "alloc_bytes"), per_iter(r, "allocs"));
    return NAN;
}

double bg__result_metric(const bg_result *r, const char *metric)
{
    if (!r)
        return NAN;
    if (in_list(bg__derived_metrics, metric))
        return derived(r, metric);
    switch (bg__metric_kind(metric)) {
    case BG_METRIC_SUM: return per_iter(r, metric);
    case BG_METRIC_PEAK: return peak(r, metric);
    case BG_METRIC_PROCESS: return process_median(r, metric);
    case BG_METRIC_UNKNOWN: break;
    }
    return NAN;
}

size_t bg__result_counter_names(const bg_result *r, const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; r && i < r->nprocs; i++)
        for (size_t k = 0; k < r->procs[i].ncounters; k++) {
            const char *c = r->procs[i].counters[k].name;
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = !strcmp(names[j], c);
            if (!seen && n < max)
                names[n++] = c;
        }
    return n;
}

bool bg__result_rusage(const bg_result *r, bg_rusage *med)
{
    bool any = false;
    for (size_t i = 0; r && i < r->nprocs; i++)
        any = any || r->procs[i].has_rusage;
    if (!any)
        return false;
    med->user_ns = process_median(r, "user_ns");
    med->sys_ns = process_median(r, "sys_ns");
    med->max_rss_bytes = process_median(r, "max_rss_bytes");
    med->start_rss_bytes = process_median(r, "start_rss_bytes");
    med->minor_faults = process_median(r, "minor_faults");
    med->major_faults = process_median(r, "major_faults");
    med->voluntary_cs = process_median(r, "voluntary_cs");
    med->involuntary_cs = process_median(r, "involuntary_cs");
    return true;
}
