/* The relative change of a statistic from a base run to a candidate run,
 * with a (hierarchical) bootstrap confidence interval and p-value. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "bg_stats.h"
#include "bg_stats_internal.h"

/* One side of the comparison (base or candidate), its samples pooled. */
typedef struct side {
    const bg_group *groups;
    size_t ngroups;
    size_t total;     /* pooled sample count */
    size_t maxgroup;  /* largest group */
    size_t *offset;   /* offset[g]: index of group g's first sample in t */
    double *t;        /* per-iteration times ns / iters, pooled */
    /* scratch for one resample or jackknife subset */
    double *rt, *rit, *rns;
    size_t cap;
} side;

static void side_free(side *s)
{
    free(s->offset);
    free(s->t);
    free(s->rt);
    free(s->rit);
    free(s->rns);
}

static int side_check(const bg_group *g, size_t ng)
{
    /* Draws are 32-bit (bg__rng_below): at most 2^32 - 1 groups and samples
     * per group. */
    if (!g || ng == 0 || ng > UINT32_MAX)
        return BG_EINVAL;
    size_t total = 0;
    for (size_t k = 0; k < ng; k++) {
        if (!g[k].iters || !g[k].ns || g[k].n == 0 || g[k].n > UINT32_MAX)
            return BG_EINVAL;
        for (size_t i = 0; i < g[k].n; i++)
            if (!isfinite(g[k].iters[i]) || !(g[k].iters[i] > 0.0) || !isfinite(g[k].ns[i]))
                return BG_EINVAL;
        total += g[k].n;
    }
    return total >= 2 ? BG_OK : BG_EINVAL;
}

static int side_init(side *s, const bg_group *g, size_t ng, int need_pairs)
{
    memset(s, 0, sizeof *s);
    s->groups = g;
    s->ngroups = ng;
    for (size_t k = 0; k < ng; k++) {
        s->total += g[k].n;
        if (g[k].n > s->maxgroup)
            s->maxgroup = g[k].n;
    }
    /* A hierarchical resample may draw the largest group every time. */
    s->cap = ng > 1 ? ng * s->maxgroup : s->total;
    if (s->cap < s->total)
        s->cap = s->total;
    s->offset = malloc(ng * sizeof *s->offset);
    s->t = malloc(s->total * sizeof *s->t);
    s->rt = malloc(s->cap * sizeof *s->rt);
    if (need_pairs) {
        s->rit = malloc(s->cap * sizeof *s->rit);
        s->rns = malloc(s->cap * sizeof *s->rns);
    }
    if (!s->offset || !s->t || !s->rt || (need_pairs && (!s->rit || !s->rns))) {
        side_free(s);
        return BG_ENOMEM;
    }
    size_t at = 0;
    for (size_t k = 0; k < ng; k++) {
        s->offset[k] = at;
        for (size_t i = 0; i < g[k].n; i++)
            s->t[at++] = g[k].ns[i] / g[k].iters[i];
    }
    return BG_OK;
}

/* Statistic `st` over m values held in the scratch arrays. */
static double stat_scratch(const side *s, bg_statistic st, size_t m)
{
    switch (st) {
    case BG_STAT_MEAN:
        return bg_stat_mean(s->rt, m);
    case BG_STAT_MEDIAN:
        return bg_stat_median(s->rt, m);
    case BG_STAT_SD:
        return bg_stat_sd(s->rt, m);
    case BG_STAT_MAD:
        return bg_stat_mad(s->rt, m);
    case BG_STAT_MIN:
        return bg_stat_min(s->rt, m);
    case BG_STAT_SLOPE:
        return bg_stat_slope(s->rit, s->rns, m);
    case BG_STAT_COUNT:
        break;
    }
    return NAN;
}

/* Copies sample i of group g into scratch slot at. */
static void put(side *s, int pairs, size_t at, size_t g, size_t i)
{
    s->rt[at] = s->t[s->offset[g] + i];
    if (pairs) {
        s->rit[at] = s->groups[g].iters[i];
        s->rns[at] = s->groups[g].ns[i];
    }
}

/* Statistic over all samples except resampling unit `skip` (a group when
 * there are several groups, else a sample); skip == SIZE_MAX keeps all. */
static double stat_without(side *s, bg_statistic st, size_t skip)
{
    int pairs = st == BG_STAT_SLOPE;
    size_t m = 0;
    for (size_t g = 0; g < s->ngroups; g++) {
        if (s->ngroups > 1 && g == skip)
            continue;
        for (size_t i = 0; i < s->groups[g].n; i++) {
            if (s->ngroups == 1 && i == skip)
                continue;
            put(s, pairs, m++, g, i);
        }
    }
    return stat_scratch(s, st, m);
}

/* One bootstrap replicate of the statistic: with several groups, draw
 * ngroups groups with replacement and then, within each drawn group, as many
 * samples as it has with replacement (two-level bootstrap); with one group,
 * the ordinary bootstrap over its samples. */
static double stat_resample(side *s, bg_statistic st, gsl_rng *r)
{
    int pairs = st == BG_STAT_SLOPE;
    size_t m = 0;
    for (size_t k = 0; k < s->ngroups; k++) {
        size_t g = s->ngroups > 1 ? bg__rng_below(r, (uint32_t)s->ngroups) : 0;
        size_t n = s->groups[g].n;
        for (size_t j = 0; j < n; j++)
            put(s, pairs, m++, g, bg__rng_below(r, (uint32_t)n));
    }
    return stat_scratch(s, st, m);
}

/* cand / base - 1, extended to base == 0 (possible for SD, MAD or MIN of a
 * resample): no change when both are 0, else +-infinity. */
static double rel_change(double cand, double base)
{
    if (base > 0.0)
        return cand / base - 1.0;
    if (cand == base)
        return 0.0;
    return copysign(INFINITY, cand - base);
}

static unsigned long mix_seed(uint64_t s)
{
    /* splitmix64 finaliser: spreads the 64-bit user seed over the GSL seed
     * and keeps seed 0 distinct from GSL's default seed 4357. */
    s += 0x9e3779b97f4a7c15ULL;
    s = (s ^ (s >> 30)) * 0xbf58476d1ce4e5b9ULL;
    s = (s ^ (s >> 27)) * 0x94d049bb133111ebULL;
    return (unsigned long)(s ^ (s >> 31));
}

/* Jackknife sums for the BCa acceleration of one side (scipy.stats.bootstrap's
 * multi-sample formula, Efron & Tibshirani 1993, ch. 14): leave out each
 * resampling unit of this side, keep the other side whole. */
static int jackknife_side(side *s, double other, int s_is_base, bg_statistic st,
                          double *num, double *den)
{
    size_t units = s->ngroups > 1 ? s->ngroups : s->total;
    double *th = malloc(units * sizeof *th);
    if (!th)
        return BG_ENOMEM;
    double mean = 0.0;
    for (size_t u = 0; u < units; u++) {
        double v = stat_without(s, st, u);
        th[u] = s_is_base ? rel_change(other, v) : rel_change(v, other);
        mean += th[u];
    }
    mean /= (double)units;
    double n = (double)units, s2 = 0.0, s3 = 0.0;
    for (size_t u = 0; u < units; u++) {
        double d = (n - 1.0) * (mean - th[u]);
        s2 += d * d;
        s3 += d * d * d;
    }
    free(th);
    *num += s3 / (n * n * n);
    *den += s2 / (n * n);
    return BG_OK;
}

/* Bootstrap of cand/base - 1: point estimate from the pooled data; interval by
 * percentile or BCa over opts->resamples replicates; p-value
 *     p = 2 * min(#{change* <= 0}, #{change* >= 0}) / B,
 * clamped to [1/(B + 1), 1] (a finite bootstrap cannot show p = 0). The two
 * sides are resampled independently from one GSL MT19937 stream seeded by
 * opts->seed (NULL opts: bg_boot_opts_default). The base statistic must be
 * positive (times, counts), else BG_ENUMERIC.
 * Cost: B * (both sides' sample counts) draws, plus an O(n^2) jackknife for
 * BCa (n = units resampled: groups, or samples when there is one group). */
int bg_compare_change(const bg_group *base, size_t nbase, const bg_group *cand, size_t ncand,
                      bg_statistic s, const bg_boot_opts *opts, bg_change *out)
{
    if (!out || (int)s < 0 || s >= BG_STAT_COUNT)
        return BG_EINVAL;
    bg_boot_opts o;
    if (opts)
        o = *opts;
    else
        bg_boot_opts_default(&o);
    if (o.resamples < 2 || !(o.confidence > 0.0 && o.confidence < 1.0) ||
        (o.method != BG_CI_PERCENTILE && o.method != BG_CI_BCA))
        return BG_EINVAL;
    int rc = side_check(base, nbase);
    if (!rc)
        rc = side_check(cand, ncand);
    if (rc)
        return rc;
    gsl_set_error_handler_off();

    int pairs = s == BG_STAT_SLOPE;
    side sb, sc;
    rc = side_init(&sb, base, nbase, pairs);
    if (rc)
        return rc;
    rc = side_init(&sc, cand, ncand, pairs);
    if (rc) {
        side_free(&sb);
        return rc;
    }
    size_t B = o.resamples;
    double *rep = malloc(B * sizeof *rep);
    /* MT19937: its output spans all 32 bits, as bg__rng_below requires. */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    rc = BG_ENOMEM;
    if (!rep || !r)
        goto done;
    gsl_rng_set(r, mix_seed(o.seed));

    rc = BG_ENUMERIC;
    double tb = stat_without(&sb, s, SIZE_MAX), tc = stat_without(&sc, s, SIZE_MAX);
    if (!(tb > 0.0) || !isfinite(tb) || !isfinite(tc))
        goto done;
    double change = tc / tb - 1.0;

    size_t le = 0, ge = 0, below = 0, equal = 0;
    for (size_t k = 0; k < B; k++) {
        double vb = stat_resample(&sb, s, r);
        double vc = stat_resample(&sc, s, r);
        if (isnan(vb) || isnan(vc))
            goto done;
        double d = rel_change(vc, vb);
        rep[k] = d;
        le += d <= 0.0;
        ge += d >= 0.0;
        below += d < change;
        equal += d == change;
    }
    gsl_sort(rep, 1, B);

    double tail = (1.0 - o.confidence) / 2.0;
    double qlo = tail, qhi = 1.0 - tail;
    if (o.method == BG_CI_BCA && rep[0] != rep[B - 1]) {
        /* Bias correction from the share of replicates below the estimate
         * (ties count half), kept away from 0 and 1 so z0 stays finite. */
        double frac = ((double)below + 0.5 * (double)equal) / (double)B;
        double edge = 0.5 / (double)B;
        if (frac < edge)
            frac = edge;
        if (frac > 1.0 - edge)
            frac = 1.0 - edge;
        double z0 = gsl_cdf_ugaussian_Pinv(frac);
        double num = 0.0, den = 0.0;
        rc = jackknife_side(&sb, tc, 1, s, &num, &den);
        if (!rc)
            rc = jackknife_side(&sc, tb, 0, s, &num, &den);
        if (rc)
            goto done;
        double a = den > 0.0 ? num / (6.0 * pow(den, 1.5)) : 0.0;
        if (!isfinite(a))
            a = 0.0;
        double q[2] = {tail, 1.0 - tail};
        for (int i = 0; i < 2; i++) {
            double z = gsl_cdf_ugaussian_Pinv(q[i]);
            double w = z0 + z;
            double dd = 1.0 - a * w;
            /* dd <= 0 only for extreme acceleration: the interval end runs to
             * the outermost replicate on its side. */
            q[i] = dd > 0.0 ? gsl_cdf_ugaussian_P(z0 + w / dd) : (i == 0 ? 0.0 : 1.0);
        }
        qlo = q[0];
        qhi = q[1];
    }
    out->change = change;
    out->lo = bg_stat_quantile_sorted(rep, B, qlo);
    out->hi = bg_stat_quantile_sorted(rep, B, qhi);
    double p = 2.0 * (double)(le < ge ? le : ge) / (double)B;
    double floor_p = 1.0 / ((double)B + 1.0);
    out->p = p < floor_p ? floor_p : (p > 1.0 ? 1.0 : p);
    rc = BG_OK;
done:
    free(rep);
    if (r)
        gsl_rng_free(r);
    side_free(&sb);
    side_free(&sc);
    return rc;
}
