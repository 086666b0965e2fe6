/* The relative change of a statistic from a base run to a candidate run,
 * with a (hierarchical) bootstrap confidence interval and p-value.
 *
 * Each side is prepared once as a bg__boot (samples pooled and ordered by
 * per-iteration time, see bg_stats_internal.h), so a replicate of either
 * side is drawn without allocating or sorting, with the same batched random
 * integers and per-rank statistics as bg_bootstrap_ci. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "bg_stats.h"
#include "bg_stats_internal.h"

/* Seed streams (bg__seed_derive) of the two sides' generators. */
enum { STREAM_BASE = 0, STREAM_CAND = 1 };

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

/* bg__boot_init on input that side_check accepted: what it still rejects is
 * a per-iteration time ns / iters that overflows (or more than 2^32 - 1
 * samples in all), which the former implementation reported as a non-finite
 * statistic, so BG_EINVAL becomes BG_ENUMERIC here. */
static int side_init(bg__boot *b, const bg_group *g, size_t ng)
{
    int rc = bg__boot_init(b, g, ng);
    return rc == BG_EINVAL ? BG_ENUMERIC : rc;
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

/* Type-7 quantile p of the replicates x[0..n) by selection, O(n) rather than
 * a sort; reorders x (a second call sees the same multiset). NaN when the
 * order statistics it interpolates are not finite (a replicate is +-infinity
 * when a resampled base statistic is 0), as bg_stat_quantile_sorted. */
static double quantile(double *x, size_t n, double p)
{
    double q = bg__quantile_select(x, n, p);
    return isfinite(q) ? q : NAN;
}

/* Jackknife sums for the BCa acceleration of one side (scipy.stats.bootstrap's
 * multi-sample formula, Efron & Tibshirani 1993, ch. 14): leave out each
 * resampling unit of this side (a group when it has several, else a sample),
 * keep the other side whole. Statistics come from per-rank counts in
 * b->count, O(n) per unit. */
static int jackknife_side(bg__boot *b, double other, int b_is_base, bg_statistic st,
                          double *num, double *den)
{
    size_t units = b->ngroups > 1 ? b->ngroups : b->n;
    double *th = malloc(units * sizeof *th);
    if (!th)
        return BG_ENOMEM;
    size_t *count = b->count;
    for (size_t r = 0; r < b->n; r++)
        count[r] = 1;
    double mean = 0.0;
    for (size_t u = 0; u < units; u++) {
        double v;
        if (b->ngroups == 1) {
            count[u] = 0;
            v = bg__boot_stat_counts(b, st, count);
            count[u] = 1;
        } else {
            for (size_t i = b->off[u]; i < b->off[u + 1]; i++)
                count[b->member[i]] = 0;
            v = bg__boot_stat_counts(b, st, count);
            for (size_t i = b->off[u]; i < b->off[u + 1]; i++)
                count[b->member[i]] = 1;
        }
        th[u] = b_is_base ? rel_change(other, v) : rel_change(v, other);
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
 * percentile or BCa over opts->resamples replicates
 *     change* = bg__boot_replicate(cand) / bg__boot_replicate(base) - 1
 * (type-7 quantiles of the replicates); p-value
 *     p = 2 * min(#{change* <= 0}, #{change* >= 0}) / B,
 * clamped to [1/(B + 1), 1] (a finite bootstrap cannot show p = 0). Each side
 * is resampled as bg_bootstrap_ci does (with several groups: groups with
 * replacement, then samples within each drawn group) by its own gsl_rng_taus2
 * generator (bg__rng_new), seeded by bg__seed_derive(opts->seed, 0) for the
 * base and bg__seed_derive(opts->seed, 1) for the candidate, so the two
 * streams are independent and a given seed always gives the same result
 * (NULL opts: bg_boot_opts_default). BCa's acceleration is the jackknife of
 * the change itself (leave one unit of one side out, the other side whole;
 * the multi-sample formula of scipy.stats.bootstrap), not a combination of
 * per-side accelerations. The base statistic must be positive (times,
 * counts), else BG_ENUMERIC; a replicate that is NaN also gives BG_ENUMERIC.
 * Cost: B * (both sides' sample counts) draws, several per generator output
 * (bg__draw_fill), plus an O(units * n) jackknife per side for BCa. */
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
    if (o.resamples < 2 || o.resamples > SIZE_MAX / sizeof(double) ||
        !(o.confidence > 0.0 && o.confidence < 1.0) ||
        (o.method != BG_CI_PERCENTILE && o.method != BG_CI_BCA))
        return BG_EINVAL;
    int rc = side_check(base, nbase);
    if (!rc)
        rc = side_check(cand, ncand);
    if (rc)
        return rc;
    gsl_set_error_handler_off();

    bg__boot sb, sc;
    rc = side_init(&sb, base, nbase);
    if (rc)
        return rc;
    rc = side_init(&sc, cand, ncand);
    if (rc) {
        bg__boot_free(&sb);
        return rc;
    }
    size_t B = o.resamples;
    double *rep = malloc(B * sizeof *rep);
    gsl_rng *rb = bg__rng_new(bg__seed_derive(o.seed, STREAM_BASE));
    gsl_rng *rcand = bg__rng_new(bg__seed_derive(o.seed, STREAM_CAND));
    rc = BG_ENOMEM;
    if (!rep || !rb || !rcand)
        goto done;

    rc = BG_ENUMERIC;
    double tb = bg__boot_point(&sb, s), tc = bg__boot_point(&sc, s);
    if (!(tb > 0.0) || !isfinite(tb) || !isfinite(tc))
        goto done;
    double change = tc / tb - 1.0;

    size_t le = 0, ge = 0, below = 0, equal = 0;
    double lowest = INFINITY, highest = -INFINITY;
    for (size_t k = 0; k < B; k++) {
        double vb = bg__boot_replicate(&sb, s, rb);
        double vc = bg__boot_replicate(&sc, s, rcand);
        if (isnan(vb) || isnan(vc))
            goto done;
        double d = rel_change(vc, vb);
        rep[k] = d;
        le += d <= 0.0;
        ge += d >= 0.0;
        below += d < change;
        equal += d == change;
        lowest = d < lowest ? d : lowest;
        highest = d > highest ? d : highest;
    }

    double tail = (1.0 - o.confidence) / 2.0;
    double qlo = tail, qhi = 1.0 - tail;
    if (o.method == BG_CI_BCA && lowest != highest) {
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
    out->lo = quantile(rep, B, qlo);
    out->hi = quantile(rep, B, qhi);
    double p = 2.0 * (double)(le < ge ? le : ge) / (double)B;
    double floor_p = 1.0 / ((double)B + 1.0);
    out->p = p < floor_p ? floor_p : (p > 1.0 ? 1.0 : p);
    rc = BG_OK;
done:
    free(rep);
    if (rb)
        gsl_rng_free(rb);
    if (rcand)
        gsl_rng_free(rcand);
    bg__boot_free(&sb);
    bg__boot_free(&sc);
    return rc;
}
