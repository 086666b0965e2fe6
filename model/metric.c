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
    /* Counters are totals over the sample, except peaks, named peak_*, and
     * flags (gpu_throttled: 1 when the sample was, as measured). */
    if (!strcmp(metric, "gpu_throttled"))
        return BG_METRIC_PEAK;
    return strncmp(metric, "peak_", 5) ? BG_METRIC_SUM : BG_METRIC_PEAK;
}

static bg_metric_kind user_kind(uint8_t kind)
{
    switch (kind) {
    case BG_COUNT_ITER: return BG_METRIC_SUM;
    case BG_COUNT_MAX: return BG_METRIC_PEAK;
    case BG_COUNT_SAMPLE:
    case BG_COUNT_RATE: return BG_METRIC_SAMPLE;
    default: return BG_METRIC_UNKNOWN;
    }
}

bg_metric_kind bg__result_metric_kind(const bg_result *r, const char *metric)
{
    for (size_t i = 0; r && metric && i < r->nprocs; i++)
        for (size_t k = 0; k < r->procs[i].ncounters; k++)
            if (r->procs[i].counter_kind[k] && !strcmp(r->procs[i].counters[k].name, metric))
                return user_kind(r->procs[i].counter_kind[k]);
    return bg__metric_kind(metric);
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

/* The mean over samples of a SAMPLE metric's values. */
static double sample_mean(const bg_result *r, const char *m)
{
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        const double *v = bg__proc_metric(r, i, m);
        for (size_t j = 0; v && j < r->procs[i].n; j++)
            if (isfinite(v[j])) {
                sum += v[j];
                n++;
            }
    }
    return n ? sum / (double)n : NAN;
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
    switch (bg__result_metric_kind(r, metric)) {
    case BG_METRIC_SUM: return per_iter(r, metric);
    case BG_METRIC_PEAK: return peak(r, metric);
    case BG_METRIC_PROCESS: return process_median(r, metric);
    case BG_METRIC_SAMPLE: return sample_mean(r, metric);
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

/* ---- derived figures, computed once per result ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (sorts v). */
static double sorted_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return bg_stat_quantile_sorted(v, n, 0.5);
}

/* Summarises `metric` over every sample: per iteration for totals, as
 * recorded for peaks. `buf` holds every sample. */
static void summarize_metric(const bg_result *r, const char *metric, double *buf,
                             bg_metric_figure *m)
{
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", metric);
    m->value = bg__result_metric(r, metric);
    bg_metric_kind kind = bg__result_metric_kind(r, metric);
    bool per = kind != BG_METRIC_PEAK && kind != BG_METRIC_SAMPLE;
    size_t n = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        const double *v = bg__proc_metric(r, i, metric);
        for (size_t j = 0; v && j < r->procs[i].n; j++)
            if (isfinite(v[j]) && r->procs[i].iters[j] > 0)
                buf[n++] = per ? v[j] / r->procs[i].iters[j] : v[j];
    }
    m->n = n;
    if (n == 0)
        return;
    m->mean = bg_stat_mean(buf, n);
    m->sd = bg_stat_sd(buf, n);
    m->median = sorted_median(buf, n);
    m->min = buf[0];
    m->max = buf[n - 1];
}

/* Google Benchmark's aggregates over repetitions (statistics.cc): mean,
 * median, sample standard deviation and cv = stddev / mean. v is sorted. */
static void rep_aggregates(double *v, size_t n, double out[BG_REP_AGGREGATES])
{
    double mean = bg_stat_mean(v, n), sd = bg_stat_sd(v, n);
    out[0] = mean;
    out[2] = sd;
    out[3] = mean != 0 ? sd / mean : 0;
    out[1] = sorted_median(v, n);
}

static void derive_procs(bg_result *r)
{
    for (size_t i = 0; i < r->nprocs; i++) {
        bg_proc *p = &r->procs[i];
        double it = 0, w = 0, c = 0;
        for (size_t j = 0; j < p->n; j++) {
            it += p->iters[j];
            w += p->wall_ns[j];
            c += p->cpu_ns[j];
        }
        p->iters_total = it;
        p->wall_per_iter_ns = w / it;
        p->cpu_per_iter_ns = c / it;
        for (size_t k = 0; k < p->ncounters && k < BG_COUNTERS_MAX; k++) {
            const bg_series *s = &p->counters[k];
            bg_metric_kind kind = p->counter_kind[k] ? user_kind(p->counter_kind[k]) : bg__metric_kind(s->name);
            bool pk = kind == BG_METRIC_PEAK;
            if (kind == BG_METRIC_SAMPLE) { /* the mean per sample, not per iteration */
                double sum = 0;
                size_t cnt = 0;
                for (size_t j = 0; j < p->n; j++)
                    if (isfinite(s->v[j])) {
                        sum += s->v[j];
                        cnt++;
                    }
                p->counter_per_iter[k] = cnt ? sum / (double)cnt : NAN;
                continue;
            }
            double v = pk ? -INFINITY : 0;
            for (size_t j = 0; j < p->n; j++)
                if (isfinite(s->v[j]))
                    v = pk ? fmax(v, s->v[j]) : v + s->v[j];
            p->counter_per_iter[k] = pk ? v : v / it;
        }
    }
}

static int cmp_gpu_row(const void *a, const void *b)
{
    const bg_gpu_row *x = a, *y = b;
    if (x->ns_per_iter != y->ns_per_iter)
        return x->ns_per_iter < y->ns_per_iter ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* The GPU breakdown: every process's kernel and copy rows merged by kind,
 * name and size, per iteration of the processes that have rows, largest
 * GPU time first. And how many samples were flagged gpu_throttled. */
static void derive_gpu(bg_result *r, bg_figures *f)
{
    enum { CAP = 4 * BG_GPU_ROWS_MAX };
    bg_gpu_row *rows = calloc(CAP, sizeof *rows);
    double *calls = calloc(CAP, sizeof *calls), *ns = calloc(CAP, sizeof *ns);
    size_t n = 0, more = 0;
    double iters = 0;
    for (size_t i = 0; rows && calls && ns && i < r->nprocs; i++) {
        const bg_proc *p = &r->procs[i];
        bool any = false;
        for (size_t k = 0; k < p->nactivity; k++) {
            const bg_activity *a = &p->activity[k];
            if (a->kind < BG_ACT_KERNEL || a->kind > BG_ACT_MEMSET)
                continue;
            any = true;
            double bytes = a->kind == BG_ACT_KERNEL ? 0 : a->v[BG_ACT_BYTES];
            size_t j = 0;
            while (j < n && !(rows[j].kind == a->kind && rows[j].bytes == bytes &&
                              !strcmp(rows[j].name, a->name)))
                j++;
            if (j == n) {
                if (n == CAP) {
                    more++;
                    continue;
                }
                rows[n].kind = a->kind;
                snprintf(rows[n].name, sizeof rows[n].name, "%s", a->name);
                rows[n].bytes = bytes;
                n++;
            }
            calls[j] += a->v[BG_ACT_COUNT];
            ns[j] += a->v[BG_ACT_NS];
        }
        if (any)
            for (size_t j = 0; j < p->n; j++)
                iters += p->iters[j];
    }
    double total = 0;
    for (size_t j = 0; j < n; j++)
        total += ns[j];
    for (size_t j = 0; j < n && iters > 0; j++) {
        rows[j].calls_per_iter = calls[j] / iters;
        rows[j].ns_per_iter = ns[j] / iters;
        rows[j].ns_per_call = calls[j] > 0 ? ns[j] / calls[j] : 0;
        rows[j].share = total > 0 ? ns[j] / total : 0;
    }
    if (rows && n)
        qsort(rows, n, sizeof *rows, cmp_gpu_row);
    f->ngpu = n < BG_GPU_ROWS_MAX ? n : BG_GPU_ROWS_MAX;
    f->ngpu_more = more + (n - f->ngpu);
    if (f->ngpu)
        memcpy(f->gpu, rows, f->ngpu * sizeof *rows);
    free(rows);
    free(calls);
    free(ns);

    for (size_t i = 0; i < r->nprocs; i++) {
        const double *v = bg__proc_metric(r, i, "gpu_throttled");
        for (size_t j = 0; v && j < r->procs[i].n; j++)
            if (isfinite(v[j])) {
                f->throttle_read++;
                f->throttled += v[j] != 0;
            }
    }
}

int bg__result_derive(bg_result *r, bg_statistic primary)
{
    if (!r)
        return BG_EINVAL;
    bg_figures *f = &r->fig;
    memset(f, 0, sizeof *f);
    derive_procs(r);
    size_t total = 0;
    for (size_t i = 0; i < r->nprocs; i++)
        total += r->procs[i].n;
    double *buf = malloc((total > r->nprocs ? total : r->nprocs) * 2 * sizeof *buf + sizeof *buf);
    if (!buf)
        return BG_ENOMEM;

    const char *names[BG_COUNTERS_MAX + 2];
    size_t nn = 0;
    if (r->nprocs) {
        names[nn++] = "time";
        names[nn++] = "cpu";
        nn += bg__result_counter_names(r, names + nn, BG_COUNTERS_MAX);
    }
    for (size_t i = 0; i < nn; i++)
        summarize_metric(r, names[i], buf, &f->metrics[i]);
    f->nmetrics = nn;

    for (size_t i = 0; i < BG_DERIVED_METRICS; i++)
        f->derived[i] = bg__result_metric(r, bg__derived_metrics[i]);
    for (size_t i = 0; i < BG_PROCESS_METRICS; i++)
        f->process[i] = process_median(r, bg__process_metrics[i]);
    f->has_rusage = bg__result_rusage(r, &f->rusage);
    derive_gpu(r, f);

    if (r->has_summary) {
        const bg_estimate *e = &r->wall.est[primary];
        double sec = e->point * 1e-9;
        if (r->bytes_per_iter && sec > 0)
            f->bytes_per_s = (double)r->bytes_per_iter / sec;
        if (r->items_per_iter && sec > 0)
            f->items_per_s = (double)r->items_per_iter / sec;
        f->primary_half_width = e->point > 0 ? (e->hi - e->lo) / 2 / e->point : 0;
        double mean = r->wall.est[BG_STAT_MEAN].point;
        if (r->items_per_iter && mean > 0)
            f->mean_items_per_s = (double)r->items_per_iter * 1e9 / mean;
        if (r->bytes_per_iter && mean > 0)
            f->mean_bytes_per_s = (double)r->bytes_per_iter * 1e9 / mean;
    }

    double *wall = buf, *cpu = buf + r->nprocs;
    for (size_t i = 0; i < r->nprocs; i++)
        if (r->procs[i].n > 0) {
            wall[f->reps] = r->procs[i].wall_per_iter_ns;
            cpu[f->reps++] = r->procs[i].cpu_per_iter_ns;
        }
    if (f->reps > 0) {
        rep_aggregates(wall, f->reps, f->rep_wall);
        rep_aggregates(cpu, f->reps, f->rep_cpu);
    }
    free(buf);
    f->done = true;
    return 0;
}

const bg_metric_figure *bg__result_metric_figure(const bg_result *r, const char *metric)
{
    if (!r || !metric)
        return NULL;
    if (!strcmp(metric, "wall_ns"))
        metric = "time";
    else if (!strcmp(metric, "cpu_ns"))
        metric = "cpu";
    for (size_t i = 0; i < r->fig.nmetrics; i++)
        if (!strcmp(r->fig.metrics[i].name, metric))
            return &r->fig.metrics[i];
    return NULL;
}

double bg__result_figure(const bg_result *r, const char *metric)
{
    if (!r || !metric || !r->fig.done)
        return NAN;
    for (size_t i = 0; i < BG_DERIVED_METRICS; i++)
        if (!strcmp(bg__derived_metrics[i], metric))
            return r->fig.derived[i];
    for (size_t i = 0; i < BG_PROCESS_METRICS; i++)
        if (!strcmp(bg__process_metrics[i], metric))
            return r->fig.process[i];
    const bg_metric_figure *m = bg__result_metric_figure(r, metric);
    return m ? m->value : NAN;
}
