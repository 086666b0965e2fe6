/* The relative change between base and candidate measured in interleaved
 * blocks (benchgate ab): Yuen's trimmed-mean test on the paired log-ratios.
 *
 * Each block holds one base and one candidate measurement taken back to
 * back, so slow drift of the machine (frequency, neighbours, thermal state)
 * is common to both and cancels in their ratio; everything below the block
 * (processes, samples) is summarised in the block's two estimates, so its
 * variance is part of the spread of the ratios.
 *
 * Why this test. Measured here, the log-ratios are mostly steady (0.1-0.5 %)
 * but now and then outside work slows one side of a block by 5-40 %. Such a
 * block dominates a mean and its standard error: a +1 % change measured in
 * 16 blocks came out as "+2 % [-21 %, +31 %]". The 20 % trimmed mean leaves
 * it out. Its standard error is Yuen's (the winsorized standard deviation
 * over (1 - 2g/n) sqrt(n)) with n - 2g - 1 degrees of freedom (Yuen,
 * Biometrika 61, 1974; the paired form in Wilcox, Introduction to Robust
 * Estimation and Hypothesis Testing, 3rd ed., 2012, sec. 5.9.5). Bootstrap
 * alternatives were tried and dropped: with the 6-20 blocks a benchmark
 * gets, a percentile bootstrap cannot give a p-value much below 2^(1 - n),
 * too coarse for a suite-wide correction over a dozen benchmarks, and the
 * studentized bootstrap of a trimmed mean degenerates (a resample with one
 * block repeated has no spread) in about 5 % of resamples at 6 blocks.
 * Under "no change" the two runs of a block are exchangeable, so the
 * log-ratios are symmetric about 0 and the trimmed mean estimates the same
 * location as the mean. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "bg_stats.h"

/* Share trimmed at each end: 20 %, Wilcox's recommendation (op. cit.,
 * sec. 3.2): little efficiency lost for normal data, a block in five free
 * to be an outlier on either side. */
#define TRIM 0.2
/* Relative spread below which log-ratios count as all equal (rounding). */
#define FLAT 1e-12

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int check_input(const double *base, const double *cand, size_t n, double confidence)
{
    if (!base || !cand || n < 5 || !(confidence > 0.5 && confidence < 1))
        return BG_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(base[i]) || !isfinite(cand[i]) || !(base[i] > 0) || !(cand[i] > 0))
            return BG_EINVAL;
    return BG_OK;
}

/* The trimmed mean of the sorted s[0..n) and Yuen's standard error; *df
 * gets the degrees of freedom. */
static void yuen(const double *s, size_t n, double *tm, double *se, double *df)
{
    size_t g = (size_t)(TRIM * (double)n);
    double lo = s[g], hi = s[n - 1 - g];
    double m = 0, wm = 0;
    for (size_t i = g; i < n - g; i++)
        m += s[i];
    m /= (double)(n - 2 * g);
    for (size_t i = 0; i < n; i++)
        wm += s[i] < lo ? lo : s[i] > hi ? hi : s[i];
    wm /= (double)n;
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        double w = s[i] < lo ? lo : s[i] > hi ? hi : s[i];
        ss += (w - wm) * (w - wm);
    }
    double sw = sqrt(ss / (double)(n - 1));
    if (sw <= FLAT * fabs(m))
        sw = 0;
    *tm = m;
    *se = sw / ((1.0 - 2.0 * (double)g / (double)n) * sqrt((double)n));
    *df = (double)(n - 2 * g - 1);
}

int bg_paired_change(const double *base, const double *cand, size_t n, double confidence,
                     bg_change *out)
{
    if (!out)
        return BG_EINVAL;
    int rc = check_input(base, cand, n, confidence);
    if (rc)
        return rc;
    double *d = malloc(n * sizeof *d);
    if (!d)
        return BG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        d[i] = log(cand[i] / base[i]);
    qsort(d, n, sizeof *d, cmp_double);
    double tm, se, df;
    yuen(d, n, &tm, &se, &df);
    free(d);
    double q = gsl_cdf_tdist_Qinv((1 - confidence) / 2, df);
    out->change = expm1(tm);
    out->lo = expm1(tm - q * se);
    out->hi = expm1(tm + q * se);
    if (se > 0)
        out->p = 2 * gsl_cdf_tdist_Q(fabs(tm) / se, df);
    else
        out->p = tm == 0 ? 1 : 0; /* the same ratio in every block */
    return isfinite(out->lo) && isfinite(out->hi) ? BG_OK : BG_ENUMERIC;
}
