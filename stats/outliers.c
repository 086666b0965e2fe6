/* Tukey's fences: classifies samples as mild or severe outliers, low or high, for reporting.
 *
 * Outliers are counted, never removed: the caller reports them next to the
 * estimates so a reader can judge how noisy the measurement was.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>

#include "bg_stats.h"
#include "bg_stats_internal.h"

/* Fences at q1 - k IQR and q3 + k IQR with Tukey's k = 1.5 (mild) and
 * k = 3 (severe) (Tukey, Exploratory Data Analysis, 1977). A value exactly
 * on a fence is inside it: only values strictly beyond count. Quartiles are
 * type 7 (bg_stat_quantile_sorted). */
void bg__outliers_tukey_sorted(const double *sorted, size_t n, bg_outliers *out)
{
    double q1 = bg_stat_quantile_sorted(sorted, n, 0.25);
    double q3 = bg_stat_quantile_sorted(sorted, n, 0.75);
    double iqr = q3 - q1;
    double low_severe = q1 - 3.0 * iqr, low_mild = q1 - 1.5 * iqr;
    double high_mild = q3 + 1.5 * iqr, high_severe = q3 + 3.0 * iqr;

    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        double v = sorted[i];
        if (v < low_severe)
            out->low_severe++;
        else if (v < low_mild)
            out->low_mild++;
        else if (v > high_severe)
            out->high_severe++;
        else if (v > high_mild)
            out->high_mild++;
    }
    out->q1 = q1;
    out->q3 = q3;
}

/* Sorts a copy of x and classifies it. Bad input (NULL x, n == 0, a
 * non-finite value) or no memory for the copy gives zero counts and NaN
 * quartiles; out == NULL does nothing. */
void bg_outliers_tukey(const double *x, size_t n, bg_outliers *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    out->q1 = NAN;
    out->q3 = NAN;
    if (x == NULL || n == 0 || !bg__all_finite(x, n))
        return;

    double *s = malloc(n * sizeof *s);
    if (s == NULL)
        return;
    memcpy(s, x, n * sizeof *s);
    gsl_sort(s, 1, n);
    bg__outliers_tukey_sorted(s, n, out);
    free(s);
}
