/* Comparing two run records benchmark by benchmark: the relative change of
 * the per-iteration mean with its hierarchical bootstrap interval and p,
 * p-values adjusted across the suite, one verdict per benchmark. Pure: no
 * printing, no files (see bg_compare.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_compare.h"
#include "bg_instr.h"
#include "bg_noise.h"
#include "bg_settings.h"

void bg__cmp_opts_default(bg_cmp_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threshold_pct = 1.0;
    o->alpha = 0.05;
    o->padjust = BG_PADJ_BH;
    o->seed = 1;
    o->resamples = 10000;
    o->metric = NULL; /* chosen from the runs' modes: bg__compare_pick_metric */
}

static bool is_time(const char *metric)
{
    return !metric || !strcmp(metric, "time") || !strcmp(metric, "wall_ns");
}

double bg__result_metric_mean(const bg_result *r, const char *metric)
{
    if (is_time(metric) && r->has_summary && isfinite(r->wall.est[BG_STAT_MEAN].point))
        return r->wall.est[BG_STAT_MEAN].point;
    if (!is_time(metric) && bg__result_metric_kind(r, metric) != BG_METRIC_SUM)
        return bg__result_metric(r, metric);
    double s = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        const double *v = bg__proc_metric(r, i, metric);
        if (!v)
            continue;
        for (size_t j = 0; j < r->procs[i].n; j++)
            if (isfinite(v[j]) && r->procs[i].iters[j] > 0) {
                s += v[j] / r->procs[i].iters[j];
                n++;
            }
    }
    return n ? s / (double)n : NAN;
}

static const bg_result *find_result(const bg_run *run, const char *name)
{
    for (size_t i = 0; i < run->nresults; i++)
        if (run->results[i].name && !strcmp(run->results[i].name, name))
            return &run->results[i];
    return NULL;
}

static bool has_samples(const bg_result *r)
{
    for (size_t i = 0; i < r->nprocs; i++)
        if (r->procs[i].n > 0)
            return true;
    return false;
}

/* True when every process of r recorded `metric` with finite values. */
static bool has_metric(const bg_result *r, const char *metric)
{
    if (bg__metric_kind(metric) == BG_METRIC_PROCESS) {
        for (size_t i = 0; i < r->nprocs; i++)
            if (!isfinite(bg__proc_value(&r->procs[i], metric)))
                return false;
        return r->nprocs > 0;
    }
    for (size_t i = 0; i < r->nprocs; i++) {
        const double *v = bg__proc_metric(r, i, metric);
        if (!v)
            return false;
        for (size_t j = 0; j < r->procs[i].n; j++)
            if (!isfinite(v[j]))
                return false;
    }
    return true;
}

/* Whether any result of the run records `metric` (to tell a typo from a
 * counter that was unavailable). */
static bool run_has_metric(const bg_run *run, const char *metric)
{
    bool per_process = bg__metric_kind(metric) == BG_METRIC_PROCESS;
    for (size_t i = 0; i < run->nresults; i++) {
        const bg_result *r = &run->results[i];
        if (r->nprocs && (per_process ? isfinite(bg__proc_value(&r->procs[0], metric))
                                      : bg__proc_metric(r, 0, metric) != NULL))
            return true;
    }
    return false;
}

/* Appends name to the list in buf (", "-separated) unless it is there. */
static void list_add(char *buf, size_t n, const char *name)
{
    size_t len = strlen(name), used = strlen(buf);
    for (const char *p = buf; (p = strstr(p, name)) != NULL; p += len)
        if ((p == buf || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0'))
            return;
    snprintf(buf + used, n - used, "%s%s", used ? ", " : "", name);
}

/* The metrics recorded by any result of run, appended to buf. */
static void list_run_metrics(const bg_run *run, char *buf, size_t n)
{
    for (size_t i = 0; run && i < run->nresults; i++) {
        const bg_result *r = &run->results[i];
        const char *names[BG_COUNTERS_MAX];
        size_t k = bg__result_counter_names(r, names, BG_COUNTERS_MAX);
        for (size_t j = 0; j < k; j++)
            list_add(buf, n, names[j]);
        for (const char *const *m = bg__process_metrics; r->nprocs && *m; m++)
            if (isfinite(bg__proc_value(&r->procs[0], *m)))
                list_add(buf, n, *m);
    }
}

int bg__compare_check_metric(const bg_run *a, const bg_run *b, const char *metric, char *err, size_t errlen)
{
    if (is_time(metric))
        return 0;
    if (bg__metric_kind(metric) == BG_METRIC_UNKNOWN) {
        if (err && errlen)
            snprintf(err, errlen,
                     "'%s' is a ratio derived for display; compare or gate on the counters it is made "
                     "of (e.g. instructions, cycles, cache_misses)",
                     metric);
        return BG_EINVAL;
    }
    if ((a && run_has_metric(a, metric)) || (b && run_has_metric(b, metric)))
        return 0;
    if (err && errlen) {
        char have[1024] = "time, cpu";
        list_run_metrics(a, have, sizeof have);
        list_run_metrics(b, have, sizeof have);
        snprintf(err, errlen,
                 "no benchmark of %s recorded the metric '%s'; %s: %s (counters exist only when they "
                 "were enabled and available)",
                 a && b ? "either run" : "the run", metric, a && b ? "the runs have" : "it has", have);
    }
    return BG_EINVAL;
}

static bool instr_mode(bg_mode m)
{
    return m != BG_MODE_TIME;
}

/* Whether runs of modes ma and mb measure the same thing ("instructions",
 * recorded before it was resolved, stands for either instruction backend). */
static bool same_mode(bg_mode ma, bg_mode mb)
{
    if (ma == mb)
        return true;
    return instr_mode(ma) && instr_mode(mb) &&
           (ma == BG_MODE_INSTRUCTIONS || mb == BG_MODE_INSTRUCTIONS);
}

int bg__compare_pick_metric(const bg_run *a, const bg_run *b, const char *requested, bool force,
                            const char **metric, char *note, size_t notelen, char *err,
                            size_t errlen)
{
    if (note && notelen)
        note[0] = '\0';
    bg_mode ma = a ? a->config.mode : BG_MODE_TIME, mb = b ? b->config.mode : BG_MODE_TIME;
    bool both_instr = a && b && instr_mode(ma) && instr_mode(mb);
    *metric = requested;
    if (!requested) {
        *metric = both_instr ? "instructions" : "time";
        if (both_instr && note && notelen)
            snprintf(note, notelen, "(the default for instruction-mode runs)");
    }
    if (!a || !b || same_mode(ma, mb))
        return 0;
    /* A counter both runs recorded means the same in either mode; time and
     * cpu under valgrind do not. */
    bool both_have = requested && !is_time(requested) && strcmp(requested, "cpu") != 0 &&
                     run_has_metric(a, requested) && run_has_metric(b, requested);
    if (both_have)
        return 0;
    if (force) {
        if (note && notelen)
            snprintf(note, notelen, "(--force: A is --mode %s, B is --mode %s)", bg__mode_name(ma),
                     bg__mode_name(mb));
        return 0;
    }
    char what[96];
    if (!requested || is_time(requested) || !strcmp(requested, "cpu"))
        snprintf(what, sizeof what, "their %s figures do not compare", *metric);
    else
        snprintf(what, sizeof what, "and '%.40s' is not a counter both recorded", requested);
    if (err && errlen)
        snprintf(err, errlen,
                 "the runs were made in different modes (A: --mode %s, B: --mode %s): %s; rerun "
                 "one side in the other's mode, give --metric with a counter both runs recorded "
                 "(e.g. instructions), or --force",
                 bg__mode_name(ma), bg__mode_name(mb), what);
    return BG_EINVAL;
}

/* The groups (one per process) the bootstrap resamples. SUM metrics: the
 * per-sample totals over iterations. PEAK and PROCESS metrics: one value
 * per process (the peak over its samples, or what the kernel reported), so
 * processes are the units; `one` (ones) and `vals` back those groups. */
typedef struct metric_groups {
    bg_group *g;
    double *vals;
    double *one;
    double *ones;  /* 1 per sample, for SAMPLE metrics */
    size_t nones;
} metric_groups;

static void groups_free(metric_groups *m)
{
    free(m->g);
    free(m->vals);
    free(m->one);
    free(m->ones);
}

static int groups_of(const bg_result *r, const char *metric, metric_groups *m)
{
    size_t np = r->nprocs ? r->nprocs : 1;
    bg_metric_kind kind = is_time(metric) ? BG_METRIC_SUM : bg__result_metric_kind(r, metric);
    m->g = calloc(np, sizeof *m->g);
    m->vals = calloc(np, sizeof *m->vals);
    m->one = calloc(np, sizeof *m->one);
    if (!m->g || !m->vals || !m->one) {
        groups_free(m);
        return BG_ENOMEM;
    }
    if (kind == BG_METRIC_SAMPLE) {
        size_t most = 1;
        for (size_t i = 0; i < r->nprocs; i++)
            most = r->procs[i].n > most ? r->procs[i].n : most;
        m->ones = malloc(most * sizeof *m->ones);
        if (!m->ones) {
            groups_free(m);
            return BG_ENOMEM;
        }
        for (size_t j = 0; j < most; j++)
            m->ones[j] = 1.0;
        m->nones = most;
    }
    for (size_t i = 0; i < r->nprocs; i++) {
        const double *v = bg__proc_metric(r, i, metric);
        if (kind == BG_METRIC_SUM) {
            m->g[i].iters = r->procs[i].iters;
            m->g[i].ns = v;
            m->g[i].n = r->procs[i].n;
            continue;
        }
        if (kind == BG_METRIC_SAMPLE) { /* each sample's figure as it is */
            m->g[i].iters = m->ones;
            m->g[i].ns = v;
            m->g[i].n = r->procs[i].n <= m->nones ? r->procs[i].n : m->nones;
            continue;
        }
        double x = NAN;
        if (kind == BG_METRIC_PROCESS) {
            x = bg__proc_value(&r->procs[i], metric);
        } else {
            for (size_t j = 0; v && j < r->procs[i].n; j++)
                if (isnan(x) || v[j] > x)
                    x = v[j];
        }
        m->vals[i] = x;
        m->one[i] = 1.0;
        m->g[i].iters = &m->one[i];
        m->g[i].ns = &m->vals[i];
        m->g[i].n = 1;
    }
    return 0;
}

/* When every per-iteration value of each side is the same (deterministic
 * counters: allocations, instructions under valgrind, page faults of a
 * fixed workload) the bootstrap has nothing to resample; the change is
 * exact. Returns true and fills *ch then. */
static bool exact_change(const metric_groups *a, size_t na, const metric_groups *b, size_t nb,
                         bg_change *ch)
{
    double va = NAN, vb = NAN;
    const metric_groups *side[2] = {a, b};
    size_t n[2] = {na, nb};
    double *val[2] = {&va, &vb};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < n[s]; i++)
            for (size_t j = 0; j < side[s]->g[i].n; j++) {
                double x = side[s]->g[i].ns[j] / side[s]->g[i].iters[j];
                if (isnan(*val[s]))
                    *val[s] = x;
                else if (x != *val[s])
                    return false;
            }
    if (!isfinite(va) || !isfinite(vb))
        return false;
    memset(ch, 0, sizeof *ch);
    if (va == vb)
        ch->change = 0.0;
    else if (va == 0.0)
        ch->change = vb > 0 ? INFINITY : -INFINITY;
    else
        ch->change = vb / va - 1.0;
    ch->lo = ch->hi = ch->change;
    ch->p = va == vb ? 1.0 : 0.0;
    return true;
}

static void init_row(bg_cmp_row *w, const char *name, bg_row_kind kind)
{
    memset(w, 0, sizeof *w);
    w->name = name;
    w->kind = kind;
    w->mean_a = w->mean_b = w->p_adj = w->elapsed_s = NAN;
}

static bool failed(const bg_result *r)
{
    return r->status == BG_STATUS_CRASHED || r->status == BG_STATUS_TIMEOUT;
}

/* Fills the row of one benchmark present in both runs. */
static void compare_one(const bg_result *ra, const bg_result *rb, const char *metric,
                        const bg_boot_opts *bo, bg_cmp_row *w)
{
    w->head_failed = failed(rb);
    w->elapsed_s = rb->elapsed_s;
    if (ra->status != BG_STATUS_OK || rb->status != BG_STATUS_OK || !has_samples(ra) ||
        !has_samples(rb)) {
        w->kind = BG_ROW_NOT_OK;
        snprintf(w->note, sizeof w->note, "A: %s, B: %s%s%.200s", bg__status_name(ra->status),
                 bg__status_name(rb->status), rb->message[0] ? " - " : "", rb->message);
        return;
    }
    if (!has_metric(ra, metric) || !has_metric(rb, metric)) {
        w->kind = BG_ROW_NOT_OK;
        snprintf(w->note, sizeof w->note, "%s not recorded in %s", metric,
                 !has_metric(ra, metric) ? "A" : "B");
        return;
    }
    w->mean_a = bg__result_metric_mean(ra, metric);
    w->mean_b = bg__result_metric_mean(rb, metric);
    metric_groups ga = {0}, gb = {0};
    int rc = groups_of(ra, metric, &ga);
    if (!rc)
        rc = groups_of(rb, metric, &gb);
    if (!rc && !exact_change(&ga, ra->nprocs, &gb, rb->nprocs, &w->ch)) {
        rc = bg_compare_change(ga.g, ra->nprocs, gb.g, rb->nprocs, BG_STAT_MEAN, bo, &w->ch);
    } else if (!rc) {
        snprintf(w->note, sizeof w->note, "exact: no variation in %s", metric);
    }
    groups_free(&ga);
    groups_free(&gb);
    if (rc) {
        w->kind = BG_ROW_NOT_OK;
        snprintf(w->note, sizeof w->note, "comparison failed: %s", bg_strerror(rc));
    }
}

/* The between-run noise a row is widened by (bg_noise.h): the lookup of a
 * learned bg_noise, which noise.c fills from the store. */
double bg__noise_for_metric(const bg_noise *n, const char *name, const char *metric, size_t *df, char *source,
                            size_t len)
{
    const bg_noise_row *w = NULL;
    for (size_t i = 0; n && name && i < n->nrows && !w; i++)
        if (!strcmp(n->rows[i].name, name))
            w = &n->rows[i];
    size_t min = n && n->min_pairs ? n->min_pairs : BG_NOISE_MIN_PAIRS;
    double def = n ? n->default_sigma : BG_NOISE_DEFAULT_SIGMA;
    /* What the row was learned for: its own metric, else the record's. */
    const char *learned = w && w->metric[0]           ? w->metric
                          : w && n->metric[0]           ? n->metric
                          : n && !n->by_rule && n->metric[0] ? n->metric
                                                        : NULL;
    if (metric && learned && strcmp(metric, learned) != 0) {
        if (df)
            *df = 0;
        if (source && len)
            snprintf(source, len, "default: noise learned for %.20s, not %.20s", learned, metric);
        return def;
    }
    if (w && w->npairs >= min && isfinite(w->sigma)) {
        if (df)
            *df = w->npairs;
        if (source && len)
            snprintf(source, len, "learned from %zu run pair%s", w->npairs, w->npairs == 1 ? "" : "s");
        return w->sigma;
    }
    if (df)
        *df = 0;
    size_t have = w ? w->npairs : 0;
    if (source && len)
        snprintf(source, len, "default: %zu run pair%s in the store, %zu needed", have, have == 1 ? "" : "s",
                 min);
    return def;
}

double bg__noise_for(const bg_noise *n, const char *name, size_t *df, char *source, size_t len)
{
    return bg__noise_for_metric(n, name, NULL, df, source, len);
}

/* Widens a compared row by the between-run noise of its benchmark. An
 * exact row (no variation within either run: a deterministic count) with
 * no learned noise stays exact: the default is for timings. `metric` is
 * what the row compares: noise learned for another metric is not used. */
static void add_drift(bg_cmp_row *w, const bg_noise *noise, const char *metric, double confidence)
{
    if (w->kind != BG_ROW_COMPARED)
        return;
    w->ch_within = w->ch;
    size_t df = 0;
    double sigma = bg__noise_for_metric(noise, w->name, metric, &df, w->drift_source, sizeof w->drift_source);
    bool exact = w->ch.lo == w->ch.hi;
    if (exact && df == 0) {
        sigma = 0;
        snprintf(w->drift_source, sizeof w->drift_source, "none: an exact count");
    }
    bg_change wide;
    if (bg_change_with_drift(&w->ch, sigma, df, confidence, &wide) != 0)
        return; /* a change at -100 % or a bound that is not finite: left as measured */
    w->ch = wide;
    w->drift_used = true;
    w->drift = sigma;
    w->drift_df = df;
}

double bg__cmp_row_drift_band(const bg_cmp_row *w)
{
    return w && w->drift_used ? bg__drift_band(w->drift) : NAN;
}

double bg__drift_band(double sigma)
{
    return expm1(1.959963984540054 * sigma);
}

/* Sets w->metric to the metric of benchmark `name`'s settings rule when
 * that is not the suite's `metric`; returns the metric the row uses. */
static const char *set_rule_metric(const bg_cmp_opts *o, const char *name, const char *metric, bg_cmp_row *w)
{
    const char *rm = bg__settings_metric(o->settings, name, metric);
    if (strcmp(rm, metric) != 0)
        snprintf(w->metric, sizeof w->metric, "%s", rm);
    return rm;
}

/* The metric benchmark `name` is compared on: its settings rule's when
 * that names one other than the suite's `metric` (then also w->metric), else
 * `metric`. NULL, with the row "not compared" and a note saying why, when
 * the rule's metric cannot be compared on these runs: a ratio derived for
 * display, a name neither run recorded, or time or cpu of runs made in
 * different modes (without --force). */
static const char *row_metric(const bg_run *a, const bg_run *b, const bg_cmp_opts *o, const char *name,
                              const char *metric, bg_cmp_row *w)
{
    const char *rm = set_rule_metric(o, name, metric, w);
    if (!strcmp(rm, metric))
        return metric;
    char why[256] = "";
    const char *picked = NULL;
    if (bg__compare_check_metric(a, b, rm, why, sizeof why) == 0 &&
        bg__compare_pick_metric(a, b, rm, o->force, &picked, NULL, 0, why, sizeof why) == 0)
        return rm;
    const bg_rule *rule = bg__settings_rule(o->settings, name);
    w->kind = BG_ROW_NOT_OK;
    snprintf(w->note, sizeof w->note, "rule at %.80s:%d: %.220s",
             o->settings && o->settings->path[0] ? o->settings->path : "settings", rule ? rule->line : 0, why);
    return NULL;
}

const char *bg__cmp_row_metric(const bg_comparison *c, const bg_cmp_row *w)
{
    return w->metric[0] ? w->metric : c->metric;
}

const char *bg__cmp_row_unit(const bg_comparison *c, const bg_cmp_row *w)
{
    return w->metric[0] ? bg__metric_unit(w->metric) : c->unit;
}

/* A benchmark the repository's settings leave out of comparisons. */
static bool ignored(const bg_cmp_opts *o, const char *name)
{
    const bg_rule *rule = bg__settings_rule(o->settings, name);
    return rule && rule->ignore;
}

int bg__decide_all(bg_comparison *c)
{
    double *p = calloc(c->n + 1, sizeof *p);
    if (!p)
        return BG_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->rows[i].kind == BG_ROW_COMPARED)
            p[m++] = c->rows[i].ch.p;
    if (m && bg_p_adjust(p, m, c->padjust, p) != 0) {
        free(p);
        return BG_ENUMERIC;
    }
    m = 0;
    for (size_t i = 0; i < c->n; i++) {
        bg_cmp_row *w = &c->rows[i];
        if (w->kind != BG_ROW_COMPARED)
            continue;
        w->p_adj = p[m++];
        const bg_rule *rule = bg__settings_rule(c->settings, w->name);
        w->threshold = rule && !isnan(rule->threshold_pct) ? rule->threshold_pct / 100.0 : c->threshold;
        w->verdict = bg_decide(&w->ch, w->p_adj, w->threshold, c->alpha);
    }
    free(p);
    return 0;
}

/* The growth orders of b's sweeps that differ from a's sweep of the same
 * key (a change of class is reported whatever the metric compared). */
static int compare_classes(const bg_run *a, const bg_run *b, bg_comparison *c)
{
    for (size_t i = 0; i < b->nsweeps; i++) {
        const bg_sweep *wb = &b->sweeps[i];
        if (wb->kind != BG_SWEEP_GROWTH || wb->big_o < BG_BIGO_1)
            continue;
        for (size_t j = 0; j < a->nsweeps; j++) {
            const bg_sweep *wa = &a->sweeps[j];
            if (wa->kind != BG_SWEEP_GROWTH || strcmp(wa->key, wb->key) || wa->big_o < BG_BIGO_1 ||
                wa->big_o == wb->big_o)
                continue;
            bg_cmp_class *x = realloc(c->classes, (c->nclasses + 1) * sizeof *x);
            if (!x)
                return BG_ENOMEM;
            c->classes = x;
            x = &x[c->nclasses++];
            memset(x, 0, sizeof *x);
            snprintf(x->key, sizeof x->key, "%s", wb->key);
            snprintf(x->arg, sizeof x->arg, "%s", wb->arg);
            x->a = wa->big_o;
            x->b = wb->big_o;
            x->regressed = bg__big_o_worse(wa->big_o, wb->big_o);
        }
    }
    return 0;
}

int bg__compare_runs(const bg_run *a, const bg_run *b, const bg_cmp_opts *o, bg_comparison *c,
                     char *err, size_t errlen)
{
    bg_cmp_opts def;
    if (!o) {
        bg__cmp_opts_default(&def);
        o = &def;
    }
    memset(c, 0, sizeof *c);
    const char *metric = NULL;
    int rc = bg__compare_pick_metric(a, b, o->metric, o->force, &metric, c->metric_note,
                                     sizeof c->metric_note, err, errlen);
    if (rc)
        return rc;
    c->threshold = o->threshold_pct / 100.0;
    c->settings = o->settings;
    c->alpha = o->alpha;
    c->padjust = o->padjust;
    c->seed = o->seed;
    c->resamples = o->resamples;
    snprintf(c->metric, sizeof c->metric, "%s", metric);
    snprintf(c->unit, sizeof c->unit, "%s", bg__metric_unit(metric));
    rc = bg__compare_check_metric(a, b, metric, err, errlen);
    if (rc)
        return rc;
    c->rows = calloc(a->nresults + b->nresults + 1, sizeof *c->rows);
    if (!c->rows)
        return BG_ENOMEM;
    bg_boot_opts bo;
    bg_boot_opts_default(&bo);
    bo.seed = o->seed;
    if (o->resamples)
        bo.resamples = o->resamples;
    for (size_t i = 0; i < a->nresults; i++) {
        const bg_result *ra = &a->results[i];
        const bg_result *rb = find_result(b, ra->name);
        if (ignored(o, ra->name))
            continue;
        bg_cmp_row *w = &c->rows[c->n++];
        init_row(w, ra->name, rb ? BG_ROW_COMPARED : BG_ROW_ONLY_A);
        const char *rm = rb ? row_metric(a, b, o, ra->name, metric, w) : NULL;
        if (!rb)
            set_rule_metric(o, ra->name, metric, w);
        if (rm)
            compare_one(ra, rb, rm, &bo, w);
        if (rb && o->noise)
            add_drift(w, o->noise, bg__cmp_row_metric(c, w), bo.confidence);
    }
    if (o->noise) {
        const bg_noise *nz = o->noise;
        size_t learned = 0;
        for (size_t i = 0; i < c->n; i++)
            learned += c->rows[i].drift_used && c->rows[i].drift_df > 0;
        c->drift_used = true;
        snprintf(c->drift_note, sizeof c->drift_note,
                 "between-run noise from %zu stored run%s of machine %.16s: %zu benchmark%s learned, "
                 "the others the default +-%.1f %%",
                 nz->runs_used, nz->runs_used == 1 ? "" : "s", nz->machine[0] ? nz->machine : "?", learned,
                 learned == 1 ? "" : "s", 100 * bg__drift_band(nz->default_sigma));
    }
    for (size_t i = 0; i < b->nresults; i++) {
        const bg_result *rb = &b->results[i];
        if (find_result(a, rb->name) || ignored(o, rb->name))
            continue;
        bg_cmp_row *w = &c->rows[c->n++];
        init_row(w, rb->name, BG_ROW_ONLY_B);
        set_rule_metric(o, rb->name, metric, w);
        w->head_failed = failed(rb);
        w->elapsed_s = rb->elapsed_s;
        /* A new benchmark that crashed or timed out: say how (signal, exit
         * code, timeout), as for one present in both runs. */
        if (w->head_failed)
            snprintf(w->note, sizeof w->note, "new in B: %.250s",
                     rb->message[0] ? rb->message : bg__status_name(rb->status));
    }
    rc = bg__decide_all(c);
    if (rc == 0)
        rc = compare_classes(a, b, c);
    if (rc) {
        bg__comparison_free(c);
        if (err && errlen)
            snprintf(err, errlen, "suite-wide p-value adjustment failed: %s", bg_strerror(rc));
        return rc;
    }
    if (o->nbudgets) {
        rc = bg__budget_apply(c, b, o->budgets, o->nbudgets, err, errlen);
        if (rc) /* a budget that cannot be checked: no comparison to show */
            bg__comparison_free(c);
    }
    return rc;
}

void bg__comparison_free(bg_comparison *c)
{
    if (!c)
        return;
    free(c->rows);
    c->rows = NULL;
    c->n = 0;
    free(c->budgets);
    c->budgets = NULL;
    c->nbudgets = 0;
    free(c->classes);
    c->classes = NULL;
    c->nclasses = 0;
}

bool bg__cmp_class_regressed(const bg_comparison *c)
{
    for (size_t i = 0; c && i < c->nclasses; i++)
        if (c->classes[i].regressed)
            return true;
    return false;
}

const char *bg__cmp_row_verdict(const bg_cmp_row *w)
{
    if (w->head_failed)
        return w->kind == BG_ROW_ONLY_A ? "only in A" : "failed";
    bool regressed = w->kind == BG_ROW_COMPARED && w->verdict == BG_VERDICT_REGRESSED && !w->accepted;
    if (w->budget && !regressed)
        return "over budget";
    switch (w->kind) {
    case BG_ROW_ONLY_A: return "only in A";
    case BG_ROW_ONLY_B: return "only in B";
    case BG_ROW_NOT_OK: return "not compared";
    case BG_ROW_COMPARED: break;
    }
    if (w->accepted)
        return "accepted";
    return bg_verdict_name(w->verdict);
}

bool bg__cmp_row_is_regression(const bg_cmp_row *w)
{
    if (w->budget && !w->head_failed)
        return true;
    return w->kind == BG_ROW_COMPARED && w->verdict == BG_VERDICT_REGRESSED && !w->accepted;
}
