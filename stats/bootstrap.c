/* Bootstrap confidence intervals (percentile and BCa, one- or two-level) for the estimates of one benchmark.
 *
 * The samples of all groups are pooled once and ordered by per-iteration
 * time (bg__boot). A resample is then drawn without allocating: sums for the
 * mean, sd and slope, per-rank counts for the median and MAD, whose order
 * statistics are read by walking the counts in rank order - O(n) per
 * resample with no sort and no selection. Random integers come from a GSL
 * generator through batched multiply-shift (bg__draw_fill), so a given seed
 * always gives the same interval, bit for bit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "bg_stats.h"
#include "bg_stats_internal.h"

/* ---- options and names ---- */

void bg_boot_opts_default(bg_boot_opts *o)
{
    if (o == NULL)
        return;
    o->resamples = 10000; /* Monte Carlo error of a 95% bound ~1% of the width */
    o->confidence = 0.95;
    o->seed = 1;
    o->method = BG_CI_BCA;
}

const char *bg_statistic_name(bg_statistic s)
{
    switch (s) {
    case BG_STAT_MEAN: return "mean";
    case BG_STAT_MEDIAN: return "median";
    case BG_STAT_SD: return "sd";
    case BG_STAT_MAD: return "mad";
    case BG_STAT_MIN: return "min";
    case BG_STAT_SLOPE: return "slope";
    case BG_STAT_COUNT: break;
    }
    return "unknown";
}

/* ---- random numbers ---- */

/* taus2: L'Ecuyer's maximally equidistributed combined Tausworthe generator
 * (Math. Comp. 65, 1996; GSL's corrected seeding), period 2^88, full 32-bit
 * output. Measured here at 4 ns per call against 8 ns for mt19937; the call
 * dominates a bootstrap, and taus2 is among GSL's recommended
 * simulation-quality generators. */
gsl_rng *bg__rng_new(uint64_t seed)
{
    gsl_set_error_handler_off();
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (r == NULL)
        return NULL;
    /* GSL seeds take 32 bits: use the top half of a splitmix64 mix of the
     * whole seed, so seeds differing only in their high bits still differ. */
    gsl_rng_set(r, (unsigned long)(bg__seed_derive(seed, UINT64_MAX) >> 32));
    return r;
}

uint64_t bg__seed_derive(uint64_t seed, uint64_t stream)
{
    /* splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
     * generators", OOPSLA 2014): the increment is 2^64 / golden ratio and the
     * two multipliers are its published finaliser constants. */
    uint64_t z = seed + (stream + 1) * UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Draws k <= 32 indices below n from one generator output (see
 * bg__draw_fill); p = n^k <= 2^32. */
static inline void draw_batch(gsl_rng *r, uint32_t n, unsigned k, uint64_t p, uint32_t *out)
{
    uint64_t threshold = UINT64_C(0x100000000) % p; /* 2^32 mod n^k */
    for (;;) {
        uint32_t left = bg__rng_u32(r);
        for (unsigned j = 0; j < k; j++) {
            uint64_t m = (uint64_t)left * n;
            out[j] = (uint32_t)(m >> 32);
            left = (uint32_t)m;
        }
        if (left >= threshold)
            return;
    }
}

void bg__draw_fill(gsl_rng *r, uint32_t n, uint32_t *out, size_t count)
{
    /* 2^27 keeps the rejection rate below 2^27 / 2^32 = 1/32; 32 indices per
     * output at most (n == 1 never exceeds the bound). */
    const uint64_t limit = UINT64_C(1) << 27;
    unsigned k = 1;
    uint64_t p = n;
    while (k < 32 && p * n <= limit) {
        p *= n;
        k++;
    }
    size_t i = 0;
    for (; i + k <= count; i += k)
        draw_batch(r, n, k, p, out + i);
    if (i < count) {
        unsigned rest = (unsigned)(count - i);
        uint64_t q = 1;
        for (unsigned j = 0; j < rest; j++)
            q *= n;
        draw_batch(r, n, rest, q, out + i);
    }
}

/* ---- pooled data ---- */

void bg__boot_free(bg__boot *b)
{
    if (b == NULL)
        return;
    free(b->off);
    free(b->member);
    free(b->iters);
    free(b->ns);
    free(b->t);
    free(b->dt);
    free(b->xx);
    free(b->xy);
    free(b->count);
    free(b->pick);
    free(b->draw);
    memset(b, 0, sizeof *b);
}

/* Checks one group: arrays present, 1 <= n < 2^32, finite values, iters > 0,
 * and a finite per-iteration time. */
static int group_ok(const bg_group *g)
{
    if (g->iters == NULL || g->ns == NULL || g->n == 0 || g->n > UINT32_MAX)
        return 0;
    for (size_t i = 0; i < g->n; i++) {
        double it = g->iters[i], ns = g->ns[i];
        if (!isfinite(it) || !isfinite(ns) || !(it > 0.0) || !isfinite(ns / it))
            return 0;
    }
    return 1;
}

int bg__boot_init(bg__boot *b, const bg_group *groups, size_t ngroups)
{
    if (b == NULL)
        return BG_EINVAL;
    memset(b, 0, sizeof *b);
    if (groups == NULL || ngroups == 0 || ngroups > UINT32_MAX)
        return BG_EINVAL;

    size_t n = 0, maxn = 0;
    for (size_t g = 0; g < ngroups; g++) {
        if (!group_ok(&groups[g]))
            return BG_EINVAL;
        n += groups[g].n;
        if (groups[g].n > maxn)
            maxn = groups[g].n;
        if (n > UINT32_MAX) /* ranks are 32-bit */
            return BG_EINVAL;
    }
    if (maxn > SIZE_MAX / sizeof(size_t) / ngroups) /* resample buffers */
        return BG_EINVAL;

    gsl_set_error_handler_off();
    double *t0 = malloc(n * sizeof *t0);         /* times in pooled input order */
    size_t *order = malloc(n * sizeof *order);   /* order[rank] = input position */
    b->off = malloc((ngroups + 1) * sizeof *b->off);
    b->member = malloc(n * sizeof *b->member);
    b->iters = malloc(n * sizeof *b->iters);
    b->ns = malloc(n * sizeof *b->ns);
    b->t = malloc(n * sizeof *b->t);
    b->dt = malloc(n * sizeof *b->dt);
    b->xx = malloc(n * sizeof *b->xx);
    b->xy = malloc(n * sizeof *b->xy);
    b->count = malloc(n * sizeof *b->count);
    b->pick = malloc(ngroups * sizeof *b->pick);
    b->draw = malloc(maxn * sizeof *b->draw);
    if (t0 == NULL || order == NULL || b->off == NULL || b->member == NULL ||
        b->iters == NULL || b->ns == NULL || b->t == NULL || b->dt == NULL ||
        b->xx == NULL || b->xy == NULL || b->count == NULL || b->pick == NULL ||
        b->draw == NULL) {
        free(t0);
        free(order);
        bg__boot_free(b);
        return BG_ENOMEM;
    }

    size_t pos = 0;
    for (size_t g = 0; g < ngroups; g++) {
        b->off[g] = pos;
        for (size_t i = 0; i < groups[g].n; i++, pos++)
            t0[pos] = groups[g].ns[i] / groups[g].iters[i];
    }
    b->off[ngroups] = n;
    gsl_sort_index(order, t0, 1, n);

    /* Lay the samples out by rank; b->count temporarily maps input position
     * to rank so each group can list its members. */
    for (size_t r = 0; r < n; r++)
        b->count[order[r]] = r;
    for (size_t g = 0; g < ngroups; g++) {
        for (size_t i = 0; i < groups[g].n; i++) {
            size_t p = b->off[g] + i, r = b->count[p];
            b->member[p] = (uint32_t)r;
            b->iters[r] = groups[g].iters[i];
            b->ns[r] = groups[g].ns[i];
            b->t[r] = t0[p];
        }
    }
    free(t0);
    free(order);

    b->ngroups = ngroups;
    b->n = n;
    b->maxn = maxn;
    b->shift = gsl_stats_mean(b->t, 1, n);
    for (size_t r = 0; r < n; r++) {
        b->dt[r] = b->t[r] - b->shift;
        b->xx[r] = b->iters[r] * b->iters[r];
        b->xy[r] = b->iters[r] * b->ns[r];
    }
    return 0;
}

/* Runs `body` once for each block of one resample, with `ranks` (a
 * const uint32_t *) pointing at the block's `len` (a size_t) sample ranks in
 * b->draw. One group: one block of n uniform draws over all ranks (every rank
 * belongs to the group). Several groups: ngroups uniform draws of a group,
 * then for each drawn group g in turn a block of n_g uniform draws among its
 * members. Each bg__draw_fill starts on a fresh generator output. A macro
 * rather than a callback so each statistic's loop is compiled inline; the
 * draw order is the contract shared with bg__boot_resample. */
#define FOR_EACH_BLOCK(b, r, ranks, len, body)                                       \
    do {                                                                             \
        if ((b)->ngroups == 1) {                                                     \
            size_t len = (b)->n;                                                     \
            bg__draw_fill((r), (uint32_t)len, (b)->draw, len);                       \
            const uint32_t *ranks = (b)->draw;                                       \
            body                                                                     \
        } else {                                                                     \
            size_t ng_ = (b)->ngroups;                                               \
            bg__draw_fill((r), (uint32_t)ng_, (b)->pick, ng_);                       \
            for (size_t k_ = 0; k_ < ng_; k_++) {                                    \
                size_t g_ = (b)->pick[k_];                                           \
                const uint32_t *mem_ = (b)->member + (b)->off[g_];                   \
                size_t len = (b)->off[g_ + 1] - (b)->off[g_];                        \
                bg__draw_fill((r), (uint32_t)len, (b)->draw, len);                   \
                for (size_t j_ = 0; j_ < len; j_++)                                  \
                    (b)->draw[j_] = mem_[(b)->draw[j_]];                             \
                const uint32_t *ranks = (b)->draw;                                   \
                body                                                                 \
            }                                                                        \
        }                                                                            \
    } while (0)

size_t bg__boot_resample(bg__boot *b, gsl_rng *r, size_t *idx)
{
    size_t m = 0;
    FOR_EACH_BLOCK(b, r, ranks, len, {
        for (size_t j = 0; j < len; j++)
            idx[m++] = ranks[j];
    });
    return m;
}

/* Sums of v and of v^2 over the given ranks. Four partial sums each, so the
 * additions do not wait on one another (a single running sum is bound by the
 * floating-point add latency, a third of the bootstrap's time). */
static void sums_at(const double *v, const uint32_t *ranks, size_t len, double *sum,
                    double *sumsq)
{
    double a[4] = { 0, 0, 0, 0 }, q[4] = { 0, 0, 0, 0 };
    size_t j = 0;
    for (; j + 4 <= len; j += 4) {
        for (int u = 0; u < 4; u++) {
            double x = v[ranks[j + u]];
            a[u] += x;
            q[u] += x * x;
        }
    }
    for (; j < len; j++) {
        double x = v[ranks[j]];
        a[0] += x;
        q[0] += x * x;
    }
    *sum = (a[0] + a[1]) + (a[2] + a[3]);
    if (sumsq != NULL)
        *sumsq = (q[0] + q[1]) + (q[2] + q[3]);
}

/* Sum of v over the given ranks (four partial sums, as sums_at). */
static double sum_at(const double *v, const uint32_t *ranks, size_t len)
{
    double a[4] = { 0, 0, 0, 0 };
    size_t j = 0;
    for (; j + 4 <= len; j += 4)
        for (int u = 0; u < 4; u++)
            a[u] += v[ranks[j + u]];
    for (; j < len; j++)
        a[0] += v[ranks[j]];
    return (a[0] + a[1]) + (a[2] + a[3]);
}

/* ---- statistics over per-rank counts ---- */

/* The ranks holding the two middle positions, (m - 1) / 2 and m / 2 (equal
 * when m is odd), of a (re)sample of m >= 1 samples given by per-rank counts. */
static void middle_ranks(const size_t *count, size_t m, size_t *ra, size_t *rb)
{
    size_t ka = (m - 1) / 2, kb = m / 2, cum = 0, r = 0;
    while (cum + count[r] <= ka)
        cum += count[r++];
    *ra = r;
    if (kb < cum + count[r]) {
        *rb = r;
        return;
    }
    do
        r++;
    while (count[r] == 0);
    *rb = r;
}

/* Median of t (ascending) under the counts; ra from middle_ranks. */
static double median_of(const double *t, size_t ra, size_t rb)
{
    return ra == rb ? t[ra] : 0.5 * (t[ra] + t[rb]);
}

/* Unscaled MAD of t (ascending, n ranks) under counts totalling m, given the
 * median `med` and the rank `split` = the lower middle rank (t[split] <= med,
 * and every counted rank above it is >= med). The absolute deviations are
 * then nondecreasing walking down from split and walking up from split + 1,
 * so merging the two walks visits them in order; stop at the middle. */
static double mad_of(const double *t, const size_t *count, size_t n, size_t m, double med,
                     size_t split)
{
    size_t ka = (m - 1) / 2, kb = m / 2, cum = 0;
    size_t lo = split + 1; /* next rank below is lo - 1 (none when lo == 0) */
    size_t hi = split + 1; /* next rank above */
    double va = 0.0;
    for (;;) {
        while (lo > 0 && count[lo - 1] == 0)
            lo--;
        while (hi < n && count[hi] == 0)
            hi++;
        double dl = lo > 0 ? med - t[lo - 1] : INFINITY;
        double dh = hi < n ? t[hi] - med : INFINITY;
        double d;
        size_t c;
        if (dl <= dh) {
            d = dl;
            c = count[--lo];
        } else {
            d = dh;
            c = count[hi++];
        }
        if (ka >= cum && ka < cum + c)
            va = d;
        if (kb < cum + c)
            return ka == kb ? va : 0.5 * (va + d);
        cum += c;
    }
}

/* sqrt of the n - 1 variance from sums of shifted values (s1 = sum d,
 * s2 = sum d^2, d = t - shift with shift near the mean, so no cancellation
 * of a large offset). 0 when m < 2. */
static double sd_of(double s1, double s2, size_t m)
{
    if (m < 2)
        return 0.0;
    double var = (s2 - s1 * s1 / (double)m) / (double)(m - 1);
    return var > 0.0 ? sqrt(var) : 0.0;
}

double bg__boot_stat_counts(const bg__boot *b, bg_statistic s, const size_t *count)
{
    size_t n = b->n, m = 0;
    for (size_t r = 0; r < n; r++)
        m += count[r];
    if (m == 0)
        return NAN;

    switch (s) {
    case BG_STAT_MEAN: {
        double s1 = 0.0;
        for (size_t r = 0; r < n; r++)
            s1 += (double)count[r] * b->dt[r];
        return b->shift + s1 / (double)m;
    }
    case BG_STAT_SD: {
        double s1 = 0.0, s2 = 0.0;
        for (size_t r = 0; r < n; r++) {
            double c = (double)count[r], d = b->dt[r];
            s1 += c * d;
            s2 += c * d * d;
        }
        return sd_of(s1, s2, m);
    }
    case BG_STAT_MIN: {
        size_t r = 0;
        while (count[r] == 0)
            r++;
        return b->t[r];
    }
    case BG_STAT_SLOPE: {
        double sxy = 0.0, sxx = 0.0;
        for (size_t r = 0; r < n; r++) {
            sxy += (double)count[r] * b->xy[r];
            sxx += (double)count[r] * b->xx[r];
        }
        return sxy / sxx;
    }
    case BG_STAT_MEDIAN:
    case BG_STAT_MAD: {
        size_t ra, rb;
        middle_ranks(count, m, &ra, &rb);
        double med = median_of(b->t, ra, rb);
        if (s == BG_STAT_MEDIAN)
            return med;
        return BG_MAD_SCALE * mad_of(b->t, count, n, m, med, ra);
    }
    case BG_STAT_COUNT:
        break;
    }
    return NAN;
}

double bg__boot_stat_idx(bg__boot *b, bg_statistic s, const size_t *idx, size_t m)
{
    memset(b->count, 0, b->n * sizeof *b->count);
    for (size_t i = 0; i < m; i++)
        b->count[idx[i]]++;
    return bg__boot_stat_counts(b, s, b->count);
}

double bg__boot_point(bg__boot *b, bg_statistic s)
{
    for (size_t r = 0; r < b->n; r++)
        b->count[r] = 1;
    return bg__boot_stat_counts(b, s, b->count);
}

double bg__boot_replicate(bg__boot *b, bg_statistic s, gsl_rng *r)
{
    size_t m = 0;
    switch (s) {
    case BG_STAT_MEAN: {
        double s1 = 0.0;
        FOR_EACH_BLOCK(b, r, ranks, len, {
            s1 += sum_at(b->dt, ranks, len);
            m += len;
        });
        return b->shift + s1 / (double)m;
    }
    case BG_STAT_SD: {
        double s1 = 0.0, s2 = 0.0;
        FOR_EACH_BLOCK(b, r, ranks, len, {
            double a;
            double q;
            sums_at(b->dt, ranks, len, &a, &q);
            s1 += a;
            s2 += q;
            m += len;
        });
        return sd_of(s1, s2, m);
    }
    case BG_STAT_MIN: {
        uint32_t lowest = UINT32_MAX;
        FOR_EACH_BLOCK(b, r, ranks, len, {
            for (size_t j = 0; j < len; j++)
                lowest = ranks[j] < lowest ? ranks[j] : lowest;
        });
        return b->t[lowest];
    }
    case BG_STAT_SLOPE: {
        double sxy = 0.0, sxx = 0.0;
        FOR_EACH_BLOCK(b, r, ranks, len, {
            sxy += sum_at(b->xy, ranks, len);
            sxx += sum_at(b->xx, ranks, len);
        });
        return sxy / sxx;
    }
    case BG_STAT_MEDIAN:
    case BG_STAT_MAD: {
        size_t *count = b->count, ra, rb;
        memset(count, 0, b->n * sizeof *count);
        FOR_EACH_BLOCK(b, r, ranks, len, {
            for (size_t j = 0; j < len; j++)
                count[ranks[j]]++;
            m += len;
        });
        middle_ranks(count, m, &ra, &rb);
        double med = median_of(b->t, ra, rb);
        if (s == BG_STAT_MEDIAN)
            return med;
        return BG_MAD_SCALE * mad_of(b->t, count, b->n, m, med, ra);
    }
    case BG_STAT_COUNT:
        break;
    }
    return NAN;
}

int bg__boot_accel(bg__boot *b, bg_statistic s, double *accel)
{
    size_t units = b->ngroups > 1 ? b->ngroups : b->n;
    *accel = 0.0;
    if (units < 2)
        return 0;
    double *jack = malloc(units * sizeof *jack);
    if (jack == NULL)
        return BG_ENOMEM;

    size_t *count = b->count;
    for (size_t r = 0; r < b->n; r++)
        count[r] = 1;
    for (size_t u = 0; u < units; u++) {
        if (b->ngroups == 1) {
            count[u] = 0;
            jack[u] = bg__boot_stat_counts(b, s, count);
            count[u] = 1;
        } else {
            for (size_t i = b->off[u]; i < b->off[u + 1]; i++)
                count[b->member[i]] = 0;
            jack[u] = bg__boot_stat_counts(b, s, count);
            for (size_t i = b->off[u]; i < b->off[u + 1]; i++)
                count[b->member[i]] = 1;
        }
    }

    /* a = sum d^3 / (6 (sum d^2)^1.5), d = mean(jack) - jack (Efron 1987;
     * scipy.stats.bootstrap's form, whose (n - 1) factors cancel). */
    double mean = gsl_stats_mean(jack, 1, units), s2 = 0.0, s3 = 0.0;
    for (size_t u = 0; u < units; u++) {
        double d = mean - jack[u];
        s2 += d * d;
        s3 += d * d * d;
    }
    free(jack);
    if (s2 > 0.0 && isfinite(s2) && isfinite(s3))
        *accel = s3 / (6.0 * pow(s2, 1.5));
    return 0;
}

/* ---- intervals ---- */

double bg__quantile_select(double *x, size_t n, double p)
{
    gsl_set_error_handler_off();
    double h = p * (double)(n - 1);
    size_t k = (size_t)h;
    if (k > n - 1)
        k = n - 1;
    double frac = h - (double)k;
    double a = gsl_stats_select(x, 1, n, k);
    if (frac == 0.0 || k == n - 1)
        return a;
    /* The next order statistic: a again if a fills position k + 1 too,
     * else the smallest value above a. One pass, whatever order select left. */
    size_t upto = 0; /* values <= a */
    double next = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (x[i] <= a)
            upto++;
        else if (x[i] < next)
            next = x[i];
    }
    double b = upto > k + 1 ? a : next;
    return a + frac * (b - a);
}

int bg__ci_from_replicates(double *theta, size_t nb, double point, double accel,
                           bg_ci_method method, double confidence, bg_estimate *out)
{
    if (!isfinite(point) || !bg__all_finite(theta, nb))
        return BG_ENUMERIC;
    gsl_set_error_handler_off();

    double alpha = (1.0 - confidence) / 2.0;
    double plo = alpha, phi = 1.0 - alpha;
    if (method == BG_CI_BCA) {
        /* Bias correction z0 from the mid-rank of the point estimate among
         * the replicates (ties count half, as scipy does), kept at least half
         * a replicate from 0 and 1 so z0 stays finite. */
        size_t below = 0, atmost = 0;
        for (size_t i = 0; i < nb; i++) {
            below += theta[i] < point;
            atmost += theta[i] <= point;
        }
        double frac = (double)(below + atmost) / (2.0 * (double)nb);
        double edge = 0.5 / (double)nb;
        if (frac < edge)
            frac = edge;
        if (frac > 1.0 - edge)
            frac = 1.0 - edge;
        double z0 = gsl_cdf_ugaussian_Pinv(frac);
        double za = gsl_cdf_ugaussian_Pinv(alpha);
        /* Efron's adjusted levels Phi(z0 + (z0 + z) / (1 - a (z0 + z))). Past
         * the pole of that map (1 - a (z0 + z) <= 0, extreme skew with few
         * units) the level is taken at its limit: the extreme replicate. */
        double num1 = z0 + za, den1 = 1.0 - accel * num1;
        double num2 = z0 - za, den2 = 1.0 - accel * num2;
        plo = den1 > 0.0 ? gsl_cdf_ugaussian_P(z0 + num1 / den1) : 0.0;
        phi = den2 > 0.0 ? gsl_cdf_ugaussian_P(z0 + num2 / den2) : 1.0;
    }

    bg_estimate e;
    e.point = point;
    e.se = nb > 1 ? gsl_stats_sd(theta, 1, nb) : 0.0;
    e.lo = bg__quantile_select(theta, nb, plo);
    e.hi = bg__quantile_select(theta, nb, phi);
    *out = e;
    return 0;
}

/* ---- public entry points ---- */

/* 1 when the options can be used: resamples > 0, confidence in (0, 1), a
 * known method. */
static int opts_ok(const bg_boot_opts *o)
{
    return o != NULL && o->resamples > 0 && o->resamples <= SIZE_MAX / sizeof(double) &&
           o->confidence > 0.0 && o->confidence < 1.0 &&
           (o->method == BG_CI_PERCENTILE || o->method == BG_CI_BCA);
}

/* Interval of statistic s over the prepared data with a generator seeded by
 * `seed`; theta has room for o->resamples replicates. */
static int estimate(bg__boot *b, bg_statistic s, const bg_boot_opts *o, uint64_t seed,
                    double *theta, bg_estimate *out)
{
    gsl_rng *r = bg__rng_new(seed);
    if (r == NULL)
        return BG_ENOMEM;
    for (size_t i = 0; i < o->resamples; i++)
        theta[i] = bg__boot_replicate(b, s, r);
    gsl_rng_free(r);

    double point = bg__boot_point(b, s);
    double accel = 0.0;
    if (o->method == BG_CI_BCA) {
        int rc = bg__boot_accel(b, s, &accel);
        if (rc != 0)
            return rc;
    }
    return bg__ci_from_replicates(theta, o->resamples, point, accel, o->method, o->confidence,
                                  out);
}

/* Percentile or BCa interval from opts->resamples replicates. BCa's
 * acceleration comes from a jackknife over the resampled unit: leave one
 * sample out with one group, leave one group out with several (so the
 * acceleration reflects between-process skew, as the interval does). The
 * point estimate is the statistic over all samples pooled. On failure *out is
 * left unchanged. */
int bg_bootstrap_ci(const bg_group *groups, size_t ngroups, bg_statistic s,
                    const bg_boot_opts *opts, bg_estimate *out)
{
    if (out == NULL || !opts_ok(opts) || (unsigned)s >= BG_STAT_COUNT)
        return BG_EINVAL;
    bg__boot b;
    int rc = bg__boot_init(&b, groups, ngroups);
    if (rc != 0)
        return rc;
    double *theta = malloc(opts->resamples * sizeof *theta);
    if (theta == NULL)
        rc = BG_ENOMEM;
    else
        rc = estimate(&b, s, opts, opts->seed, theta, out);
    free(theta);
    bg__boot_free(&b);
    return rc;
}

/* Statistic s uses the seed bg__seed_derive(opts->seed, s): its interval is
 * what bg_bootstrap_ci gives with that seed. Outliers are classified on the
 * pooled per-iteration times. On failure *out is left unchanged. */
int bg_summarize(const bg_group *groups, size_t ngroups, const bg_boot_opts *opts,
                 bg_summary *out)
{
    if (out == NULL || !opts_ok(opts))
        return BG_EINVAL;
    bg__boot b;
    int rc = bg__boot_init(&b, groups, ngroups);
    if (rc != 0)
        return rc;
    double *theta = malloc(opts->resamples * sizeof *theta);
    bg_summary sum;
    memset(&sum, 0, sizeof sum);
    if (theta == NULL)
        rc = BG_ENOMEM;
    for (int s = 0; rc == 0 && s < BG_STAT_COUNT; s++)
        rc = estimate(&b, (bg_statistic)s, opts, bg__seed_derive(opts->seed, (uint64_t)s), theta,
                      &sum.est[s]);
    if (rc == 0) {
        bg__outliers_tukey_sorted(b.t, b.n, &sum.outliers);
        sum.nsamples = b.n;
        sum.ngroups = ngroups;
        *out = sum;
    }
    free(theta);
    bg__boot_free(&b);
    return rc;
}

int bg__stat_arrays(bg_statistic s, const double *iters, const double *ns, size_t n,
                    double *out)
{
    if (out == NULL || (unsigned)s >= BG_STAT_COUNT)
        return BG_EINVAL;
    bg_group g = { iters, ns, n };
    bg__boot b;
    int rc = bg__boot_init(&b, &g, 1);
    if (rc != 0)
        return rc;
    *out = bg__boot_point(&b, s);
    bg__boot_free(&b);
    return 0;
}
