/* Learning each benchmark's between-run noise from the runs in the store
 * (see bg_noise.h); the statistics are stats/drift.c's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_compare.h"
#include "bg_noise.h"
#include "bg_settings.h"
#include "bg_stats.h"

/* Change points in a history are searched at this level, with this seed
 * (fixed, so the same store always gives the same figure). */
#define NOISE_CP_ALPHA 0.05
#define NOISE_CP_SEED 1

/* Log-ratios collected for one benchmark while learning. */
typedef struct acc {
    char *name;
    double *d;        /* every log-ratio */
    size_t n, cap;
    double *rep;      /* those of repeated runs of one commit */
    size_t nrepeat, repcap, nhistory;
} acc;

typedef struct accs {
    acc *a;
    size_t n, cap;
} accs;

static acc *acc_get(accs *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->a[i].name, name))
            return &s->a[i];
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        acc *na = realloc(s->a, cap * sizeof *na);
        if (!na)
            return NULL;
        s->a = na;
        s->cap = cap;
    }
    acc *a = &s->a[s->n];
    memset(a, 0, sizeof *a);
    a->name = strdup(name);
    if (!a->name)
        return NULL;
    s->n++;
    return a;
}

static int acc_add(acc *a, double d)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 16;
        double *nd = realloc(a->d, cap * sizeof *nd);
        if (!nd)
            return BG_ENOMEM;
        a->d = nd;
        a->cap = cap;
    }
    a->d[a->n++] = d;
    return 0;
}

/* Adds a log-ratio of repeated runs (to both arrays). */
static int acc_add_repeat(acc *a, double d)
{
    if (a->nrepeat == a->repcap) {
        size_t cap = a->repcap ? 2 * a->repcap : 16;
        double *nr = realloc(a->rep, cap * sizeof *nr);
        if (!nr)
            return BG_ENOMEM;
        a->rep = nr;
        a->repcap = cap;
    }
    a->rep[a->nrepeat++] = d;
    return acc_add(a, d);
}

static void accs_free(accs *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->a[i].name);
        free(s->a[i].d);
        free(s->a[i].rep);
    }
    free(s->a);
    memset(s, 0, sizeof *s);
}

/* The benchmark's level in run r: its per-iteration mean of metric, or NAN
 * when it did not run cleanly. */
static double level(const bg_run *r, const char *name, const char *metric)
{
    for (size_t i = 0; i < r->nresults; i++) {
        const bg_result *x = &r->results[i];
        if (x->name && !strcmp(x->name, name)) {
            if (x->status != BG_STATUS_OK)
                return NAN;
            double v = bg__result_metric_mean(x, metric);
            return v > 0 && isfinite(v) ? v : NAN;
        }
    }
    return NAN;
}

/* Log-ratios of consecutive runs of one commit (repeated runs). */
static int add_repeats(accs *s, const bg_run *const *runs, const bool *clean, size_t nruns, const char *suite,
                       const bg_settings *set)
{
    for (size_t j = 1; j < nruns; j++) {
        if (!clean[j] || !runs[j]->git_commit[0])
            continue;
        /* The previous clean run of the same commit. */
        size_t i = j;
        while (i-- > 0)
            if (clean[i] && !strcmp(runs[i]->git_commit, runs[j]->git_commit))
                break;
        if (i == (size_t)-1)
            continue;
        for (size_t k = 0; k < runs[j]->nresults; k++) {
            const char *name = runs[j]->results[k].name;
            if (!name)
                continue;
            const char *metric = bg__settings_metric(set, name, suite);
            double a = level(runs[i], name, metric), b = level(runs[j], name, metric);
            if (!isfinite(a) || !isfinite(b))
                continue;
            acc *x = acc_get(s, name);
            if (!x || acc_add_repeat(x, log(b / a)))
                return BG_ENOMEM;
        }
    }
    return 0;
}

/* Log-ratios of consecutive commits along first-parent history. */
static int add_history(accs *s, const bg_run *const *runs, const bool *clean, size_t nruns,
                       const char (*history)[41], size_t nhist, const char *suite, const bg_settings *set,
                       size_t *ncommits)
{
    *ncommits = 0;
    if (!history || nhist < 2)
        return 0;
    /* Per commit, oldest first, the newest clean run made at it. */
    const bg_run **at = calloc(nhist, sizeof *at);
    double *x = malloc(nhist * sizeof *x), *d = malloc(nhist * sizeof *d);
    int rc = at && x && d ? 0 : BG_ENOMEM;
    size_t nc = 0;
    for (size_t h = nhist; !rc && h-- > 0;) {
        const bg_run *best = NULL;
        for (size_t i = 0; i < nruns; i++)
            if (clean[i] && !strcmp(runs[i]->git_commit, history[h]))
                best = runs[i]; /* runs are oldest first: the last is the newest */
        if (best)
            at[nc++] = best;
    }
    *ncommits = nc;
    /* Every benchmark of any of those runs, its series over the commits
     * where it ran. */
    for (size_t c = 0; !rc && c < nc; c++)
        for (size_t k = 0; !rc && k < at[c]->nresults; k++) {
            const char *name = at[c]->results[k].name;
            if (!name)
                continue;
            const char *metric = bg__settings_metric(set, name, suite);
            bool seen = false;
            for (size_t c2 = 0; c2 < c && !seen; c2++)
                seen = isfinite(level(at[c2], name, metric));
            if (seen)
                continue; /* its series was taken from an earlier commit's run */
            size_t n = 0;
            for (size_t c2 = c; c2 < nc; c2++) {
                double v = level(at[c2], name, metric);
                if (isfinite(v))
                    x[n++] = v;
            }
            size_t nd = 0;
            if (n >= 2)
                rc = bg_drift_series_ratios(x, n, NOISE_CP_ALPHA, NOISE_CP_SEED, d, &nd);
            acc *a = nd ? acc_get(s, name) : NULL;
            if (nd && !a)
                rc = BG_ENOMEM;
            for (size_t i = 0; !rc && i < nd; i++) {
                rc = acc_add(a, d[i]);
                a->nhistory++;
            }
        }
    free(at);
    free(x);
    free(d);
    return rc;
}

static int cmp_rows(const void *a, const void *b)
{
    return strcmp(((const bg_noise_row *)a)->name, ((const bg_noise_row *)b)->name);
}

int bg__noise_from_runs(const bg_run *const *runs, const bool *clean, size_t nruns, const char (*history)[41],
                        size_t nhist, const char *metric, const bg_settings *settings, bg_noise *out)
{
    bg__noise_init(out, NULL);
    snprintf(out->metric, sizeof out->metric, "%s", metric ? metric : "time");
    out->by_rule = settings != NULL;
    out->runs_read = nruns;
    for (size_t i = 0; i < nruns; i++)
        out->runs_used += clean[i] && runs[i]->git_commit[0];
    accs s = {0};
    int rc = add_repeats(&s, runs, clean, nruns, out->metric, settings);
    if (!rc)
        rc = add_history(&s, runs, clean, nruns, history, nhist, out->metric, settings, &out->commits);
    if (!rc && s.n) {
        out->rows = calloc(s.n, sizeof *out->rows);
        if (!out->rows)
            rc = BG_ENOMEM;
    }
    for (size_t i = 0; !rc && i < s.n; i++) {
        bg_noise_row *w = &out->rows[out->nrows++];
        w->name = s.a[i].name;
        s.a[i].name = NULL;
        const char *rm = bg__settings_metric(settings, w->name, out->metric);
        if (strcmp(rm, out->metric) != 0)
            snprintf(w->metric, sizeof w->metric, "%s", rm);
        w->npairs = s.a[i].n;
        w->nrepeat = s.a[i].nrepeat;
        w->nhistory = s.a[i].nhistory;
        w->sigma = NAN;
        /* Repeated runs of one commit are pure noise: their heavy tail
         * (a layout that lands badly one run in five) counts. Consecutive
         * commits also hold the real changes of a short history, which no
         * change point test can single out among few pairs: from those only
         * the median counts, which a minority of real changes cannot move. */
        bg_drift all, rep;
        if (w->npairs && bg_drift_estimate(s.a[i].d, s.a[i].n, &all) == 0) {
            w->sigma = all.sigma_median;
            if (s.a[i].nrepeat >= out->min_pairs &&
                bg_drift_estimate(s.a[i].rep, s.a[i].nrepeat, &rep) == 0 && rep.sigma > w->sigma)
                w->sigma = rep.sigma;
        }
    }
    accs_free(&s);
    if (rc) {
        bg__noise_free(out);
        return rc;
    }
    if (out->nrows > 1)
        qsort(out->rows, out->nrows, sizeof *out->rows, cmp_rows);
    return 0;
}

int bg__noise_learn(bg_store *st, bg_git *g, const char *machine, const char *head, const char *metric,
                    const struct bg_settings *settings, const char *exclude, bg_store_skip_fn skip, void *ud,
                    bg_noise *out, char *err, size_t errlen)
{
    bg__noise_init(out, machine); /* what a failure leaves: every benchmark the default */
    bg_run_list list = {0};
    int rc = bg_store_list(st, NULL, machine, &list, skip, ud, err, errlen);
    if (rc)
        return rc;
    size_t first = list.n > BG_NOISE_MAX_RUNS ? list.n - BG_NOISE_MAX_RUNS : 0;
    size_t cap = list.n - first;
    bg_run *runs = calloc(cap + 1, sizeof *runs);
    const bg_run **ptr = calloc(cap + 1, sizeof *ptr);
    bool *clean = calloc(cap + 1, sizeof *clean);
    char (*hist)[41] = NULL;
    size_t nhist = 0, n = 0;
    bool want_instr = metric && !strcmp(metric, "instructions");
    if (!runs || !ptr || !clean)
        rc = BG_ENOMEM;
    for (size_t i = first; !rc && i < list.n; i++) {
        const char *path = list.runs[i].path;
        if (exclude && !strcmp(exclude, path))
            continue;
        char *text = NULL;
        char msg[512];
        if (bg_store_load(path, &text, NULL, NULL, msg, sizeof msg) != 0) {
            if (skip)
                skip(path, BG_EIO, msg, ud);
            continue;
        }
        int prc = bg__record_parse(text, &runs[n], msg, sizeof msg);
        free(text);
        if (prc) {
            if (skip)
                skip(path, prc, msg, ud);
            continue;
        }
        /* Time under valgrind is no time: instruction-mode runs teach only
         * an instruction count's noise. */
        /* A merge of shard runs repeats their samples: learning from both
         * would see two equal runs and no noise. */
        if ((runs[n].config.mode != BG_MODE_TIME && !want_instr) || runs[n].shard.merged > 0) {
            bg__run_free(&runs[n]);
            continue;
        }
        clean[n] = runs[n].git_commit[0] && !runs[n].git_dirty;
        ptr[n] = &runs[n];
        n++;
    }
    if (!rc && g && head && head[0]) {
        char ancerr[256];
        /* No history (a shallow clone, an unknown commit) only means fewer
         * pairs: the repeated runs still teach. */
        if (bg_git_ancestors(g, head, BG_NOISE_MAX_COMMITS, &hist, &nhist, ancerr, sizeof ancerr) != 0) {
            hist = NULL;
            nhist = 0;
        }
    }
    if (!rc) {
        rc = bg__noise_from_runs(ptr, clean, n, (const char (*)[41])hist, nhist, metric, settings, out);
        if (rc && err && errlen)
            snprintf(err, errlen, "learning the between-run noise: %s", bg_strerror(rc));
    } else if (err && errlen) {
        snprintf(err, errlen, "learning the between-run noise: %s", bg_strerror(rc));
    }
    if (!rc)
        snprintf(out->machine, sizeof out->machine, "%s", machine ? machine : "");
    for (size_t i = 0; i < n; i++)
        bg__run_free(&runs[i]);
    free(runs);
    free(ptr);
    free(clean);
    free(hist);
    bg_run_list_free(&list);
    return rc;
}

int bg__noise_for_compare(bg_store *st, bg_git *g, const bg_run *a, const bg_run *b, const bg_cmp_opts *o,
                          const char *exclude, bg_noise *out, char *err, size_t errlen)
{
    bg__noise_init(out, b->machine_id);
    const char *metric = NULL;
    int rc = bg__compare_pick_metric(a, b, o ? o->metric : NULL, o && o->force, &metric, NULL, 0, err, errlen);
    if (rc)
        return rc;
    return bg__noise_learn(st, g, b->machine_id, b->git_commit[0] ? b->git_commit : NULL, metric,
                           o ? o->settings : NULL, exclude, NULL, NULL, out, err, errlen);
}

void bg__noise_init(bg_noise *n, const char *machine)
{
    memset(n, 0, sizeof *n);
    n->default_sigma = BG_NOISE_DEFAULT_SIGMA;
    n->min_pairs = BG_NOISE_MIN_PAIRS;
    snprintf(n->machine, sizeof n->machine, "%s", machine ? machine : "");
}

void bg__noise_free(bg_noise *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nrows; i++)
        free(n->rows[i].name);
    free(n->rows);
    n->rows = NULL;
    n->nrows = 0;
}
