/* Descriptive statistics of one array of doubles: mean, sd, median, MAD, min, slope, quantiles.
 *
 * Every public function here returns NaN for bad input (NULL, n == 0, a
 * non-finite value, p outside [0, 1]) and never modifies its input; the
 * order statistics work on a private copy and return NaN when that copy
 * cannot be allocated. GSL does the arithmetic where it has a routine.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_statistics_double.h>

#include "bg_stats.h"
#include "bg_stats_internal.h"

int bg__all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* 1 when x can be summarised: non-NULL, non-empty, all finite. */
static int usable(const double *x, size_t n)
{
    return x != NULL && n > 0 && bg__all_finite(x, n);
}

/* A private copy of x[0..n), or NULL when out of memory. */
static double *copy_of(const double *x, size_t n)
{
    double *c = malloc(n * sizeof *c);
    if (c != NULL)
        memcpy(c, x, n * sizeof *c);
    return c;
}

double bg_stat_mean(const double *x, size_t n)
{
    if (!usable(x, n))
        return NAN;
    /* GSL's running mean (m += (x - m) / (i + 1)) cannot overflow on the sum. */
    return gsl_stats_mean(x, 1, n);
}

double bg_stat_sd(const double *x, size_t n)
{
    if (!usable(x, n))
        return NAN;
    if (n < 2)
        return 0.0;
    /* Two passes (mean first, then squared deviations from it), so a large
     * common offset - per-iteration times near 1e9 ns - costs no digits. */
    return gsl_stats_sd(x, 1, n);
}

double bg__median_inplace(double *x, size_t n)
{
    gsl_set_error_handler_off();
    /* Quickselect; for even n the mean of the two middle values. */
    return gsl_stats_median(x, 1, n);
}

double bg__mad_raw_inplace(double *x, size_t n)
{
    double med = bg__median_inplace(x, n);
    for (size_t i = 0; i < n; i++)
        x[i] = fabs(x[i] - med);
    return bg__median_inplace(x, n);
}

double bg_stat_median(const double *x, size_t n)
{
    if (!usable(x, n))
        return NAN;
    double *c = copy_of(x, n);
    if (c == NULL)
        return NAN;
    double med = bg__median_inplace(c, n);
    free(c);
    return med;
}

double bg_stat_mad(const double *x, size_t n)
{
    if (!usable(x, n))
        return NAN;
    double *c = copy_of(x, n);
    if (c == NULL)
        return NAN;
    double mad = BG_MAD_SCALE * bg__mad_raw_inplace(c, n);
    free(c);
    return mad;
}

double bg_stat_min(const double *x, size_t n)
{
    if (!usable(x, n))
        return NAN;
    return gsl_stats_min(x, 1, n);
}

double bg_stat_slope(const double *x, const double *y, size_t n)
{
    if (!usable(x, n) || !usable(y, n))
        return NAN;
    gsl_set_error_handler_off();
    /* gsl_fit_mul fits y = c1 x by least squares: c1 = sum(xy) / sum(xx),
     * computed from running means. The covariance and residual outputs are
     * not used (they divide by n - 1 and are meaningless for n == 1). */
    double c1, cov11, sumsq;
    if (gsl_fit_mul(x, 1, y, 1, n, &c1, &cov11, &sumsq) != GSL_SUCCESS || !isfinite(c1))
        return NAN; /* all x zero */
    return c1;
}

double bg_stat_quantile_sorted(const double *sorted, size_t n, double p)
{
    if (sorted == NULL || n == 0 || !(p >= 0.0 && p <= 1.0))
        return NAN;
    /* Type 7: h = p (n - 1); interpolate between the order statistics at
     * floor(h) and floor(h) + 1. Written out rather than calling
     * gsl_stats_quantile_from_sorted_data, which casts the index to int and
     * so fails beyond 2^31 values. */
    double h = p * (double)(n - 1);
    size_t lo = (size_t)h;
    if (lo >= n - 1)
        return isfinite(sorted[n - 1]) ? sorted[n - 1] : NAN;
    double frac = h - (double)lo;
    double a = sorted[lo], b = sorted[lo + 1];
    if (!isfinite(a) || !isfinite(b))
        return NAN;
    return frac == 0.0 ? a : a + frac * (b - a);
}

/* ---- the frame of a density plot ---- */

/* Silverman's rule of thumb, 0.9 min(sd, IQR/1.34) n^(-1/5) (Silverman,
 * "Density Estimation", 1986, eq. 3.31), with a floor for constant data so
 * the kernel never has zero width. */
double bg_stat_kde_bandwidth(const double *x, size_t n)
{
    double *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return 1.0;
    memcpy(s, x, n * sizeof *s);
    for (size_t i = 1; i < n; i++) /* insertion sort: n is a few hundred */
        for (size_t j = i; j > 0 && s[j - 1] > s[j]; j--) {
            double t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    double iqr = n ? bg_stat_quantile_sorted(s, n, 0.75) - bg_stat_quantile_sorted(s, n, 0.25) : 0;
    double sd = bg_stat_sd(x, n), med = n ? bg_stat_quantile_sorted(s, n, 0.5) : 0;
    free(s);
    double spread = sd;
    if (iqr > 0 && iqr / 1.34 < spread)
        spread = iqr / 1.34;
    double bw = 0.9 * spread * pow((double)(n ? n : 1), -0.2);
    if (!(bw > 0))
        bw = fabs(med) > 0 ? 0.01 * fabs(med) : 1.0;
    return bw;
}

static int density_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The frame of a density plot (see bg_density_frame in bg_stats.h): the
 * data's range narrowed to the pooled quartiles -/+ 3 IQR when samples lie
 * beyond, with how many lie beyond and the farthest of them. The range is
 * left as the data's when the IQR is 0 or memory runs out. */
int bg_stat_density_frame(const double *const *x, const size_t *n, size_t nd, bg_density_frame *out)
{
    memset(out, 0, sizeof *out);
    out->lo = INFINITY;
    out->hi = -INFINITY;
    out->far = NAN;
    if (nd == 0 || nd > 2)
        return BG_EINVAL;
    for (size_t k = 0; k < nd; k++) {
        for (size_t i = 0; i < n[k]; i++) {
            if (!isfinite(x[k][i]))
                continue;
            out->lo = fmin(out->lo, x[k][i]);
            out->hi = fmax(out->hi, x[k][i]);
            out->total++;
        }
        out->bandwidth[k] = bg_stat_kde_bandwidth(x[k], n[k]);
        out->widest = fmax(out->widest, out->bandwidth[k]);
    }
    if (out->total == 0)
        return BG_EINVAL;
    double *s = malloc(out->total * sizeof *s);
    if (!s)
        return 0;
    size_t m = 0;
    for (size_t k = 0; k < nd; k++)
        for (size_t i = 0; i < n[k]; i++)
            if (isfinite(x[k][i]))
                s[m++] = x[k][i];
    qsort(s, m, sizeof *s, density_cmp);
    double q1 = bg_stat_quantile_sorted(s, m, 0.25), q3 = bg_stat_quantile_sorted(s, m, 0.75);
    double iqr = q3 - q1;
    if (iqr > 0) {
        double flo = q1 - 3 * iqr, fhi = q3 + 3 * iqr, worst = 0;
        for (size_t i = 0; i < m; i++)
            if (s[i] < flo || s[i] > fhi) {
                out->beyond++;
                double dist = s[i] < flo ? flo - s[i] : s[i] - fhi;
                if (dist > worst) {
                    worst = dist;
                    out->far = s[i];
                }
            }
        out->lo = fmax(out->lo, flo);
        out->hi = fmin(out->hi, fhi);
    }
    free(s);
    return 0;
}
