/* Asymptotic complexity of a benchmark from its times at several input sizes:
 * a least-squares fit of t = c * f(n) for each candidate f, as Google
 * Benchmark's complexity.cc does. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>

#include "bg_stats.h"

const char *bg_complexity_name(bg_complexity c)
{
    switch (c) {
    case BG_O_1:
        return "O(1)";
    case BG_O_LOGN:
        return "O(log n)";
    case BG_O_N:
        return "O(n)";
    case BG_O_NLOGN:
        return "O(n log n)";
    case BG_O_N2:
        return "O(n^2)";
    case BG_O_N3:
        return "O(n^3)";
    case BG_O_COUNT:
        break;
    }
    return "unknown";
}

/* The candidate growth functions. Logarithms are base 2 like Google
 * Benchmark's; the base only scales the coefficient, not the choice. */
static double growth(bg_complexity c, double n)
{
    switch (c) {
    case BG_O_1:
        return 1.0;
    case BG_O_LOGN:
        return log2(n);
    case BG_O_N:
        return n;
    case BG_O_NLOGN:
        return n * log2(n);
    case BG_O_N2:
        return n * n;
    case BG_O_N3:
        return n * n * n;
    case BG_O_COUNT:
        break;
    }
    return NAN;
}

int bg_fit_complexity_relative(const double *n, const double *t, size_t count,
                               bg_complexity_fit *out)
{
    if (!n || !t || !out || count < 2)
        return BG_EINVAL;
    for (size_t i = 0; i < count; i++)
        if (!isfinite(n[i]) || n[i] < 1.0 || !isfinite(t[i]) || !(t[i] > 0.0))
            return BG_EINVAL;
    out->best = BG_O_1;
    out->coef = NAN;
    out->rms = INFINITY;
    for (int c = 0; c < BG_O_COUNT; c++) {
        /* With g = f(n) / t the residuals are 1 - coef * g: coef =
         * sum(g) / sum(g^2). */
        double sg = 0.0, sgg = 0.0;
        for (size_t i = 0; i < count; i++) {
            double g = growth((bg_complexity)c, n[i]) / t[i];
            sg += g;
            sgg += g * g;
        }
        if (!(sgg > 0.0) || !isfinite(sgg)) {
            out->rms_all[c] = INFINITY;
            continue;
        }
        double coef = sg / sgg, ss = 0.0;
        for (size_t i = 0; i < count; i++) {
            double r = 1.0 - coef * growth((bg_complexity)c, n[i]) / t[i];
            ss += r * r;
        }
        double rms = sqrt(ss / (double)count);
        out->rms_all[c] = rms;
        if (rms < out->rms) {
            out->rms = rms;
            out->best = (bg_complexity)c;
            out->coef = coef;
        }
    }
    return isfinite(out->rms) ? BG_OK : BG_ENUMERIC;
}

double bg_complexity_growth(bg_complexity c, double n)
{
    return growth(c, n);
}

/* Fits every model and picks the one with the smallest normalised RMS,
 *     rms = sqrt(sum((t - coef * f(n))^2) / count) / mean(t);
 * on an exact tie the simpler model (lower enum value) wins. A model whose
 * f(n) is zero at every size (log n with all n = 1) cannot be fitted and gets
 * rms_all = INFINITY. Needs count >= 2, every n >= 1 and finite, every t
 * finite and mean(t) > 0. */
int bg_fit_complexity(const double *n, const double *t, size_t count, bg_complexity_fit *out)
{
    if (!n || !t || !out || count < 2)
        return BG_EINVAL;
    double sum_t = 0.0;
    for (size_t i = 0; i < count; i++) {
        if (!isfinite(n[i]) || n[i] < 1.0 || !isfinite(t[i]))
            return BG_EINVAL;
        sum_t += t[i];
    }
    double mean_t = sum_t / (double)count;
    if (!(mean_t > 0.0))
        return BG_EINVAL;
    double *f = malloc(count * sizeof *f);
    if (!f)
        return BG_ENOMEM;
    gsl_set_error_handler_off();

    out->best = BG_O_1;
    out->coef = NAN;
    out->rms = INFINITY;
    for (int c = 0; c < BG_O_COUNT; c++) {
        double ff = 0.0;
        for (size_t i = 0; i < count; i++) {
            f[i] = growth((bg_complexity)c, n[i]);
            ff += f[i] * f[i];
        }
        double coef, cov, sumsq;
        if (!(ff > 0.0) || !isfinite(ff) ||
            gsl_fit_mul(f, 1, t, 1, count, &coef, &cov, &sumsq) != GSL_SUCCESS ||
            !isfinite(sumsq)) {
            out->rms_all[c] = INFINITY;
            continue;
        }
        double rms = sqrt(sumsq / (double)count) / mean_t;
        out->rms_all[c] = rms;
        if (rms < out->rms) {
            out->rms = rms;
            out->best = (bg_complexity)c;
            out->coef = coef;
        }
    }
    free(f);
    return isfinite(out->rms) ? BG_OK : BG_ENUMERIC;
}
