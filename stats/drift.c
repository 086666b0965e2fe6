/* Between-run noise ("drift"): how much two runs of unchanged code made at
 * different times differ, learned from pairs of stored runs, and a change
 * measured within two runs widened by it.
 *
 * Why: one run's interval holds only the noise inside that run. Two runs
 * made minutes apart also differ by the machine's state (frequency,
 * neighbours, memory layout), which on a shared VM moved CPU-bound
 * benchmarks by 1-10 % and memory-bound ones by tens of percent between
 * runs 90 s apart, against within-run intervals of +-0.3-1 %. The model:
 * log(level of a run) = log(true level) + a run effect, so the log-ratio of
 * two runs of unchanged code has some spread sigma; sigma is estimated
 * robustly from log-ratios of stored pairs, and a comparison of runs made
 * at different times adds it to the within-run uncertainty. Bencher and
 * rustc-perf learn noise from history the same way.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>

#include "bg_stats.h"

/* Quantiles of |N(0, 1)|: the median of |Z| is Phi^-1(0.75) and the 90th
 * percentile is Phi^-1(0.95). */
#define ABS_Z_MEDIAN 0.67448975019608171
#define ABS_Z_Q90 1.6448536269514722

int bg_drift_estimate(const double *d, size_t n, bg_drift *out)
{
    if (!d || !out || n < 1)
        return BG_EINVAL;
    double *a = malloc(n * sizeof *a);
    if (!a)
        return BG_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(d[i])) {
            free(a);
            return BG_EINVAL;
        }
        a[i] = fabs(d[i]);
    }
    gsl_sort(a, 1, n);
    double med = bg_stat_quantile_sorted(a, n, 0.5);
    double q90 = bg_stat_quantile_sorted(a, n, 0.9);
    free(a);
    /* The median alone is blind to a minority of large jumps (a layout
     * that lands badly one run in five); the 90th percentile is not. The
     * larger of the two keeps a heavy-tailed benchmark from looking quiet. */
    double s1 = med / ABS_Z_MEDIAN, s2 = q90 / ABS_Z_Q90;
    out->sigma = s1 > s2 ? s1 : s2;
    out->sigma_median = s1;
    out->sigma_q90 = s2;
    out->n = n;
    return BG_OK;
}

int bg_drift_series_ratios(const double *x, size_t n, double alpha, uint64_t seed, double *out,
                           size_t *nout)
{
    if (!x || !out || !nout)
        return BG_EINVAL;
    *nout = 0;
    for (size_t i = 0; i < n; i++)
        if (!(x[i] > 0) || !isfinite(x[i]))
            return BG_EINVAL;
    if (n < 2)
        return BG_OK;
    /* Change points are searched on the log scale, where a shift of the
     * same relative size is the same distance whatever the level. */
    double *lx = malloc(n * sizeof *lx);
    bg_changepoint *cp = malloc(n * sizeof *cp);
    if (!lx || !cp) {
        free(lx);
        free(cp);
        return BG_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        lx[i] = log(x[i]);
    size_t ncp = 0;
    int rc = bg_changepoints(lx, n, alpha, seed, cp, n, &ncp);
    if (rc) {
        free(lx);
        free(cp);
        return rc;
    }
    for (size_t i = 1; i < n; i++) {
        bool straddles = false;
        for (size_t k = 0; k < ncp; k++)
            if (cp[k].index == i)
                straddles = true;
        if (!straddles)
            out[(*nout)++] = lx[i] - lx[i - 1];
    }
    free(lx);
    free(cp);
    return BG_OK;
}

int bg_change_with_drift(const bg_change *in, double sigma, size_t df, double confidence,
                         bg_change *out)
{
    if (!in || !out || !(confidence > 0 && confidence < 1) || !(sigma >= 0) || !isfinite(sigma))
        return BG_EINVAL;
    if (!(in->change > -1) || !(in->lo > -1) || !isfinite(in->change) || !isfinite(in->lo) ||
        !isfinite(in->hi) || in->hi < in->lo)
        return BG_EINVAL;
    double m = log1p(in->change);
    double zw = gsl_cdf_ugaussian_Qinv((1 - confidence) / 2);
    double se_w = (log1p(in->hi) - log1p(in->lo)) / (2 * zw);
    double se = sqrt(se_w * se_w + sigma * sigma);
    bg_change r = *in;
    if (se <= 0) { /* both exact: nothing to widen */
        *out = r;
        return BG_OK;
    }
    /* With sigma learned from df log-ratios its own uncertainty widens the
     * interval as Student's t does; df 0 (a stated default) uses the
     * normal quantile. */
    double q = df > 0 ? gsl_cdf_tdist_Qinv((1 - confidence) / 2, (double)df) : zw;
    r.lo = expm1(m - q * se);
    r.hi = expm1(m + q * se);
    r.p = df > 0 ? 2 * gsl_cdf_tdist_Q(fabs(m) / se, (double)df) : 2 * gsl_cdf_ugaussian_Q(fabs(m) / se);
    if (r.p > 1)
        r.p = 1;
    *out = r;
    return BG_OK;
}
