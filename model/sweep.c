/* Sweeps over a family's instances: the growth order of time in a size
 * argument (stats/complexity.c fits it) and the scaling of a thread team,
 * derived once per run from the finished results. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bg_model.h"

static const char *const big_o_names[] = {"", "auto", "O(1)", "O(log n)", "O(n)",
                                          "O(n log n)", "O(n^2)", "O(n^3)"};

const char *bg__big_o_name(bg_big_o o)
{
    return o >= BG_BIGO_1 && o <= BG_BIGO_N3 ? big_o_names[o] : "";
}

int bg__big_o_parse(const char *s, bg_big_o *o)
{
    for (int i = BG_BIGO_AUTO; s && i <= BG_BIGO_N3; i++)
        if (!strcmp(s, big_o_names[i])) {
            *o = (bg_big_o)i;
            return 0;
        }
    return BG_EINVAL;
}

bool bg__big_o_worse(bg_big_o a, bg_big_o b)
{
    return a >= BG_BIGO_1 && b >= BG_BIGO_1 && b > a;
}

static bg_complexity stats_class(bg_big_o o)
{
    return (bg_complexity)(o - BG_BIGO_1);
}

/* The key of r in a sweep over dimension `skip` (an argument index, or -1
 * for the team size): the family and every other argument. */
static void sweep_key(const bg_result *r, int skip, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "%s", r->family);
    for (size_t i = 0; i < r->nargs && used < n; i++)
        if ((int)i != skip)
            used += (size_t)snprintf(buf + used, n - used, "/%s:%" PRId64, r->arg_names[i],
                                     r->args[i]);
    if (skip >= 0 && r->threads && used < n)
        snprintf(buf + used, n - used, "/threads:%d", r->threads);
}

static bool usable(const bg_result *r)
{
    return r->family[0] && r->status == BG_STATUS_OK && r->has_summary &&
           isfinite(r->wall.est[BG_STAT_MEAN].point);
}

/* The sweep of `kind` with `key`, made when missing; NULL out of memory. */
static bg_sweep *sweep_for(bg_run *run, bg_sweep_kind kind, const char *key, const char *arg)
{
    for (size_t i = 0; i < run->nsweeps; i++)
        if (run->sweeps[i].kind == kind && !strcmp(run->sweeps[i].key, key))
            return &run->sweeps[i];
    bg_sweep *a = realloc(run->sweeps, (run->nsweeps + 1) * sizeof *a);
    if (!a)
        return NULL;
    run->sweeps = a;
    bg_sweep *w = &a[run->nsweeps++];
    memset(w, 0, sizeof *w);
    w->kind = kind;
    snprintf(w->key, sizeof w->key, "%s", key);
    snprintf(w->arg, sizeof w->arg, "%s", arg);
    return w;
}

/* Adds a point, keeping x ascending. */
static void add_point(bg_sweep *w, double x, const bg_result *r)
{
    if (w->n == BG_SWEEP_POINTS)
        return;
    size_t i = w->n;
    while (i > 0 && w->x[i - 1] > x) {
        w->x[i] = w->x[i - 1];
        w->t_ns[i] = w->t_ns[i - 1];
        w->names[i] = w->names[i - 1];
        w->throughput[i] = w->throughput[i - 1];
        i--;
    }
    w->x[i] = x;
    w->t_ns[i] = r->wall.est[BG_STAT_MEAN].point;
    w->names[i] = r->name;
    double sec = w->t_ns[i] * 1e-9;
    w->throughput[i] = sec > 0 ? (r->items_per_iter ? (double)r->items_per_iter : 1.0) / sec : 0;
    w->n++;
}

static void fit_growth(bg_sweep *w, bg_big_o asked)
{
    w->big_o = w->fitted = BG_BIGO_NONE;
    w->coef = w->rms = w->fitted_rms = NAN;
    if (w->n < 2)
        return;
    bg_complexity_fit fit;
    if (bg_fit_complexity_relative(w->x, w->t_ns, w->n, &fit) != 0)
        return;
    w->fitted = (bg_big_o)(fit.best + BG_BIGO_1);
    w->fitted_rms = fit.rms;
    if (asked == BG_BIGO_AUTO) {
        w->big_o = (bg_big_o)(fit.best + BG_BIGO_1);
        w->coef = fit.coef;
        w->rms = fit.rms;
        return;
    }
    /* Declared: that class's coefficient (on relative residuals, as the
     * fit) and its RMS. */
    bg_complexity c = stats_class(asked);
    double sg = 0, sgg = 0;
    for (size_t i = 0; i < w->n; i++) {
        double g = bg_complexity_growth(c, w->x[i]) / w->t_ns[i];
        sg += g;
        sgg += g * g;
    }
    w->declared = true;
    w->big_o = asked;
    w->coef = sgg > 0 ? sg / sgg : NAN;
    w->rms = fit.rms_all[c];
}

static void scale_threads(bg_sweep *w)
{
    w->best_threads = w->knee_threads = 0;
    if (w->n == 0 || !(w->throughput[0] > 0))
        return;
    double best = -1;
    for (size_t i = 0; i < w->n; i++) {
        w->efficiency[i] = w->throughput[i] / (w->x[i] / w->x[0] * w->throughput[0]);
        if (w->throughput[i] > best) {
            best = w->throughput[i];
            w->best_threads = (int)w->x[i];
        }
        if (!w->knee_threads && w->efficiency[i] < BG_KNEE_EFFICIENCY)
            w->knee_threads = (int)w->x[i];
    }
}

int bg__run_sweeps(bg_run *run)
{
    free(run->sweeps);
    run->sweeps = NULL;
    run->nsweeps = 0;
    char key[192];
    for (size_t i = 0; i < run->nresults; i++) {
        const bg_result *r = &run->results[i];
        if (!usable(r))
            continue;
        int k = r->complexity_arg;
        if (r->complexity != BG_BIGO_NONE && k >= 0 && (size_t)k < r->nargs && r->args[k] >= 1) {
            sweep_key(r, k, key, sizeof key);
            bg_sweep *w = sweep_for(run, BG_SWEEP_GROWTH, key, r->arg_names[k]);
            if (!w)
                return BG_ENOMEM;
            w->big_o = r->complexity; /* what was asked, until fitted */
            add_point(w, (double)r->args[k], r);
        }
        if (r->threads > 0) {
            sweep_key(r, -1, key, sizeof key);
            bg_sweep *w = sweep_for(run, BG_SWEEP_THREADS, key, "threads");
            if (!w)
                return BG_ENOMEM;
            add_point(w, (double)r->threads, r);
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < run->nsweeps; i++) {
        bg_sweep *w = &run->sweeps[i];
        if (w->n < 2)
            continue; /* one point is no sweep */
        if (w->kind == BG_SWEEP_GROWTH)
            fit_growth(w, w->big_o);
        else
            scale_threads(w);
        run->sweeps[k++] = *w;
    }
    run->nsweeps = k;
    return 0;
}
