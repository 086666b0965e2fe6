/* Classical two-sample tests used when comparing base and candidate samples:
 * Welch's t, Mann-Whitney U and the TOST equivalence test. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "bg_stats.h"

/* scipy 1.10's mannwhitneyu(method='auto') uses the exact null distribution
 * of U when at least one sample has at most this many values and there are
 * no ties (scipy/stats/_mannwhitneyu.py, _mwu_choose_method). */
#define MWU_EXACT_MAX_SMALL 8

static int all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* Mean and sample variance (n - 1 denominator) in two passes. */
static void mean_var(const double *x, size_t n, double *mean, double *var)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    *var = ss / (double)(n - 1);
}

/* The Welch standard error of mean_b - mean_a and its Welch-Satterthwaite
 * degrees of freedom. */
static void welch_se_df(double va, size_t na, double vb, size_t nb, double *se, double *df)
{
    double qa = va / (double)na, qb = vb / (double)nb;
    double s2 = qa + qb;
    *se = sqrt(s2);
    double den = qa * qa / (double)(na - 1) + qb * qb / (double)(nb - 1);
    /* With both variances zero the df is undefined; the pooled df is the
     * natural limit when the variances shrink together. */
    *df = den > 0.0 ? s2 * s2 / den : (double)(na + nb - 2);
}

static int check_two(const double *a, size_t na, const double *b, size_t nb,
                     bg_test_result *out, size_t nmin)
{
    if (!a || !b || !out || na < nmin || nb < nmin)
        return BG_EINVAL;
    if (!all_finite(a, na) || !all_finite(b, nb))
        return BG_EINVAL;
    return BG_OK;
}

/* Welch's t-test. t = (mean_a - mean_b) / se, as scipy.stats.ttest_ind(a, b,
 * equal_var=False). When both samples have zero variance (deterministic
 * counters) the test degenerates: t = 0, p = 1 for equal means, otherwise
 * t = +-inf, p = 0. */
int bg_welch_t(const double *a, size_t na, const double *b, size_t nb, bg_test_result *out)
{
    int rc = check_two(a, na, b, nb, out, 2);
    if (rc)
        return rc;
    gsl_set_error_handler_off();
    double ma, va, mb, vb, se, df;
    mean_var(a, na, &ma, &va);
    mean_var(b, nb, &mb, &vb);
    welch_se_df(va, na, vb, nb, &se, &df);
    double d = ma - mb;
    out->df = df;
    if (se == 0.0) {
        out->statistic = d == 0.0 ? 0.0 : copysign(INFINITY, d);
        out->p = d == 0.0 ? 1.0 : 0.0;
        return BG_OK;
    }
    double t = d / se;
    out->statistic = t;
    double p = 2.0 * gsl_cdf_tdist_Q(fabs(t), df);
    out->p = p > 1.0 ? 1.0 : p;
    return BG_OK;
}

/* Beyond this many inner-loop steps the exact distribution is replaced by
 * the normal approximation, so a call stays well under a second. It only
 * applies when one sample has <= 8 values and the other thousands, where
 * scipy 1.10 would still (slowly) compute the exact tail. */
#define MWU_EXACT_MAX_WORK 2e8

/* Upper tail P(U >= u) of the exact null distribution of U for samples of
 * sizes s and l (the same for U of either sample), u an integer.
 *
 * By symmetry P(U >= u) = P(U <= K) with K = s*l - u. cnt[i][k] (k <= K)
 * counts the orderings of i values of the first sample and j of the second
 * with U = k, by the classic recurrence
 *     f(i, j, k) = f(i - 1, j, k - j) + f(i, j - 1, k):
 * the largest value comes either from the first sample (and beats all j
 * values of the second) or from the second (and adds nothing). Rows are
 * updated in place for j = 1 .. l. Only additions of non-negative doubles,
 * so the relative rounding error stays near machine epsilon even when the
 * counts exceed 2^53. The total C(s + l, s) is a product of s ratios.
 * Returns 1 when the work would exceed MWU_EXACT_MAX_WORK (nothing done). */
static int mwu_exact_sf(size_t s, size_t l, double u, double *p)
{
    double kmax = (double)s * (double)l;
    if (u <= 0.0) {
        *p = 1.0;
        return BG_OK;
    }
    size_t K = (size_t)(kmax - u);
    double work = (double)s * (double)l * fmin((double)K + 1.0, kmax + 1.0);
    if (work > MWU_EXACT_MAX_WORK)
        return 1;
    size_t width = K + 1;
    double *cnt = calloc((s + 1) * width, sizeof *cnt);
    if (!cnt)
        return BG_ENOMEM;
    for (size_t i = 0; i <= s; i++)
        cnt[i * width] = 1.0; /* j = 0: one ordering, U = 0 */
    for (size_t j = 1; j <= l && j <= K; j++) {
        for (size_t i = 1; i <= s; i++) {
            double *row = cnt + i * width;
            const double *prev = cnt + (i - 1) * width; /* already f(i-1, j, .) */
            size_t top = i * j < K ? i * j : K;
            for (size_t k = top + 1; k-- > j;)
                row[k] += prev[k - j];
        }
    }
    /* For j > K the term f(i - 1, j, k - j) is out of range: rows stop changing. */
    const double *row = cnt + s * width;
    double tail = 0.0;
    for (size_t k = 0; k <= K; k++)
        tail += row[k];
    free(cnt);
    double total = 1.0;
    for (size_t i = 1; i <= s; i++)
        total *= (double)(l + i) / (double)i;
    *p = tail / total;
    return BG_OK;
}

typedef struct ranked {
    double v;
    size_t from_a;
} ranked;

static int cmp_ranked(const void *x, const void *y)
{
    double a = ((const ranked *)x)->v, b = ((const ranked *)y)->v;
    return (a > b) - (a < b);
}

/* Mann-Whitney U as scipy.stats.mannwhitneyu(a, b, alternative='two-sided')
 * in scipy 1.10: statistic is U of sample a; the p-value uses
 * U = max(U_a, U_b) and doubles the upper tail, clipped to 1. */
int bg_mann_whitney(const double *a, size_t na, const double *b, size_t nb, bg_test_result *out)
{
    int rc = check_two(a, na, b, nb, out, 1);
    if (rc)
        return rc;
    gsl_set_error_handler_off();
    size_t n = na + nb;
    ranked *r = malloc(n * sizeof *r);
    if (!r)
        return BG_ENOMEM;
    for (size_t i = 0; i < na; i++)
        r[i] = (ranked){a[i], 1};
    for (size_t i = 0; i < nb; i++)
        r[na + i] = (ranked){b[i], 0};
    qsort(r, n, sizeof *r, cmp_ranked);

    /* Mid-ranks for ties; the tie term sum(t^3 - t) over tie groups. */
    double r1 = 0.0, tie_term = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && r[j].v == r[i].v)
            j++;
        double t = (double)(j - i);
        double mid = ((double)i + 1.0 + (double)j) / 2.0; /* ranks i+1 .. j */
        for (size_t k = i; k < j; k++)
            if (r[k].from_a)
                r1 += mid;
        tie_term += t * t * t - t;
        i = j;
    }
    free(r);

    double dna = (double)na, dnb = (double)nb;
    double u1 = r1 - dna * (dna + 1.0) / 2.0;
    double u2 = dna * dnb - u1;
    double u = u1 > u2 ? u1 : u2;
    out->statistic = u1;
    out->df = 0.0;

    size_t small = na < nb ? na : nb, large = na < nb ? nb : na;
    double p;
    rc = 1;
    if (small <= MWU_EXACT_MAX_SMALL && tie_term == 0.0) {
        rc = mwu_exact_sf(small, large, u, &p);
        if (rc < 0)
            return rc;
    }
    if (rc == 1) {
        double dn = (double)n;
        double mu = dna * dnb / 2.0;
        double s = sqrt(dna * dnb / 12.0 * ((dn + 1.0) - tie_term / (dn * (dn - 1.0))));
        double num = u - mu - 0.5; /* continuity correction, as scipy */
        /* s == 0 only when every value is tied: U = mu, no evidence. */
        p = s > 0.0 ? gsl_cdf_ugaussian_Q(num / s) : 1.0;
    }
    p *= 2.0;
    out->p = p > 1.0 ? 1.0 : p;
    return BG_OK;
}

/* TOST for |mean_b / mean_a - 1| < margin: the equivalence bounds on
 * mean_b - mean_a are -+margin * |mean_a| (mean_a taken as a known constant),
 * each side tested with a one-sided Welch test. `statistic` is the t of the
 * binding (larger-p) side. */
int bg_tost_relative(const double *a, size_t na, const double *b, size_t nb,
                     double margin, bg_test_result *out)
{
    int rc = check_two(a, na, b, nb, out, 2);
    if (rc)
        return rc;
    if (!isfinite(margin) || margin <= 0.0)
        return BG_EINVAL;
    gsl_set_error_handler_off();
    double ma, va, mb, vb, se, df;
    mean_var(a, na, &ma, &va);
    mean_var(b, nb, &mb, &vb);
    if (ma == 0.0)
        return BG_EINVAL; /* a relative margin needs a non-zero base mean */
    welch_se_df(va, na, vb, nb, &se, &df);
    double d = mb - ma;
    double lo = -margin * fabs(ma), hi = margin * fabs(ma);
    out->df = df;
    if (se == 0.0) {
        /* No variance: equivalence is certain or impossible. */
        int inside = d > lo && d < hi;
        out->statistic = inside ? INFINITY : -INFINITY;
        out->p = inside ? 0.0 : 1.0;
        return BG_OK;
    }
    double t_lo = (d - lo) / se; /* H0: d <= lo, rejected for large t_lo */
    double t_hi = (d - hi) / se; /* H0: d >= hi, rejected for small t_hi */
    double p_lo = gsl_cdf_tdist_Q(t_lo, df);
    double p_hi = gsl_cdf_tdist_P(t_hi, df);
    if (p_lo >= p_hi) {
        out->statistic = t_lo;
        out->p = p_lo;
    } else {
        out->statistic = t_hi;
        out->p = p_hi;
    }
    return BG_OK;
}
