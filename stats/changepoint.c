/* Change points in a benchmark's history (one estimate per commit) by
 * E-divisive means with a permutation test.
 *
 * Why this method: per-commit estimates are few, noisy and not normal
 * (bimodal after layout changes, heavy-tailed on shared runners), and a
 * history holds any number of shifts. E-divisive (Matteson & James, "A
 * Nonparametric Approach for Multiple Change Point Analysis of Multivariate
 * Data", JASA 2014) makes no distributional assumption, finds several change
 * points by bisection, and its permutation test gives a p-value that is exact
 * under "no change" (exchangeable values) whatever the noise distribution.
 * MongoDB uses the same method to find performance regressions in CI history
 * (Daly et al., "Change Point Detection in Software Performance Testing",
 * ICPE 2020).
 *
 * For a segment split into X = first m values and Y = the other k values the
 * statistic is the scaled energy distance with exponent alpha = 1:
 *     Q = m k / (m + k) * ( 2/(m k) sum|X_i - Y_j|
 *                           - 1/C(m,2) sum_{i<i'} |X_i - X_i'|
 *                           - 1/C(k,2) sum_{j<j'} |Y_j - Y_j'| ).
 * The best split maximises Q. Its significance is the share of random
 * permutations of the segment whose best Q is at least as large. A
 * significant split is kept and both halves are searched again; a segment
 * stops splitting when p >= alpha. Unlike the paper, the right end of the
 * split is the segment's end (no search over kappa), the simplification
 * MongoDB's implementation also makes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bg_stats.h"

/* Smallest segment on either side of a change point. Five values give the
 * within-segment sums 10 pairs; with fewer, one outlier commit would be
 * reported as a "segment" of its own. */
#define CP_MIN_SEGMENT 5
/* Smallest segment at either end of the whole series: a shift in the
 * newest (or oldest) two runs is found and placed where it is, instead of
 * waiting for five runs at the new level (or being drawn five runs from
 * the end, where the five-value rule forced the split). Two values, not
 * one: the permutation test still decides, and a pair of values that are
 * both the extremes of n has probability 2 / C(n, 2) under "no change"
 * (0.044 at n = 10), while a single value is an outlier as often as a
 * change; bg_changepoint_last flags that case instead. */
#define CP_MIN_EDGE 2

/* Permutations per test: p is a multiple of 1/(199 + 1), so the smallest
 * p-value is 0.005 and p < 0.05 is decided on 200 equally likely values
 * (199 is the conventional choice that makes alpha * (R + 1) an integer). */
#define CP_PERMUTATIONS 199

typedef struct cp_pair {
    double v;
    size_t i;
} cp_pair;

typedef struct cp_ctx {
    const double *x;
    size_t n;
    /* Of the segment being searched, by index into x: dsum[j] the sum of
     * |x_i - x_j| over the segment's i, rank[j] x_j's rank in it (1-based;
     * ties in index order). Set by prepare_segment. */
    double *dsum;
    size_t *rank;
    cp_pair *sorted; /* scratch for prepare_segment */
    double *fw_sum;  /* Fenwick trees over ranks: sum and count of the values */
    size_t *fw_cnt;  /* left of the split (best_split) */
    size_t *perm;    /* scratch order for permutations */
    gsl_rng *rng;
    uint64_t seed;
    double alpha;
    bg_changepoint *found;
    size_t nfound, cap;
} cp_ctx;

static int cmp_pair(const void *a, const void *b)
{
    const cp_pair *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* dsum and rank for the segment [from, to): sorted values and their prefix
 * sums give each value's total distance to the others in O(len log len). */
static void prepare_segment(cp_ctx *c, size_t from, size_t to)
{
    size_t len = to - from;
    for (size_t i = 0; i < len; i++)
        c->sorted[i] = (cp_pair){c->x[from + i], from + i};
    qsort(c->sorted, len, sizeof *c->sorted, cmp_pair);
    double total = 0.0;
    for (size_t p = 0; p < len; p++)
        total += c->sorted[p].v;
    double below = 0.0; /* sum of the values sorted before p */
    for (size_t p = 0; p < len; p++) {
        double v = c->sorted[p].v;
        double above = total - below - v;
        size_t j = c->sorted[p].i;
        c->dsum[j] = (v * (double)p - below) + (above - v * (double)(len - p - 1));
        c->rank[j] = p + 1;
        below += v;
    }
}

/* Best split of the values idx[0..len) of the prepared segment: returns Q
 * and sets *tau (the number of values left of the split). The three sums
 * are updated as the split moves one value y to the left: its distance to
 * the values already left comes from Fenwick trees of their count and sum
 * by rank (O(log len)), its distance to those right of it is dsum - that.
 * O(len log len) per split, against O(len^2) for the pairwise sums. */
static double best_split(const cp_ctx *c, const size_t *idx, size_t len, size_t min_left,
                         size_t min_right, size_t *tau)
{
    double w_left = 0.0, cross = 0.0, w_right = 0.0;
    for (size_t j = 0; j < len; j++)
        w_right += c->dsum[idx[j]];
    w_right /= 2.0; /* every pair counted twice */
    for (size_t r = 0; r <= len; r++) {
        c->fw_sum[r] = 0.0;
        c->fw_cnt[r] = 0;
    }
    double left_sum = 0.0;
    double best = -INFINITY;
    *tau = 0;
    for (size_t t = 0; t + min_right <= len; t++) {
        if (t >= min_left) {
            double m = (double)t, k = (double)(len - t);
            double e = 2.0 * cross / (m * k) - w_left / (m * (m - 1.0) / 2.0) -
                       w_right / (k * (k - 1.0) / 2.0);
            double q = m * k / (m + k) * e;
            if (q > best) {
                best = q;
                *tau = t;
            }
        }
        /* Move value idx[t] from the right part to the left part. */
        size_t j = idx[t], rk = c->rank[j];
        double y = c->x[j], less_sum = 0.0;
        size_t less_cnt = 0;
        for (size_t r = rk - 1; r > 0; r -= r & (~r + 1)) {
            less_sum += c->fw_sum[r];
            less_cnt += c->fw_cnt[r];
        }
        double to_left = (y * (double)less_cnt - less_sum) +
                         ((left_sum - less_sum) - y * (double)(t - less_cnt));
        double to_right = c->dsum[j] - to_left;
        w_left += to_left;
        w_right -= to_right;
        cross += to_right - to_left;
        for (size_t r = rk; r <= len; r += r & (~r + 1)) {
            c->fw_sum[r] += y;
            c->fw_cnt[r]++;
        }
        left_sum += y;
    }
    return best;
}

static double segment_mean(const double *x, size_t from, size_t to)
{
    double s = 0.0;
    for (size_t i = from; i < to; i++)
        s += x[i];
    return s / (double)(to - from);
}

/* splitmix64 finaliser: spreads a user seed over all bits, so seeds 0 and
 * 4357 (GSL's default for 0) do not give the same stream. */
static unsigned long mix_seed(uint64_t s)
{
    s += 0x9e3779b97f4a7c15ULL;
    s = (s ^ (s >> 30)) * 0xbf58476d1ce4e5b9ULL;
    s = (s ^ (s >> 27)) * 0x94d049bb133111ebULL;
    return (unsigned long)(s ^ (s >> 31));
}

/* Tests the segment [from, to) and recurses into both halves when a
 * significant split is found. */
static int search(cp_ctx *c, size_t from, size_t to)
{
    size_t len = to - from;
    /* A part at an end of the whole series may be as short as CP_MIN_EDGE;
     * a part between two change points holds CP_MIN_SEGMENT. The series as
     * a whole still needs 2 * CP_MIN_SEGMENT values (bg_changepoints). */
    size_t min_left = from == 0 ? CP_MIN_EDGE : CP_MIN_SEGMENT;
    size_t min_right = to == c->n ? CP_MIN_EDGE : CP_MIN_SEGMENT;
    if (len < 2 * CP_MIN_SEGMENT && !(from == 0 || to == c->n))
        return BG_OK;
    if (len < min_left + min_right || len < 2 * CP_MIN_EDGE + 2)
        return BG_OK;
    size_t *idx = c->perm;
    for (size_t i = 0; i < len; i++)
        idx[i] = from + i;
    prepare_segment(c, from, to);
    size_t tau;
    double q_obs = best_split(c, idx, len, min_left, min_right, &tau);
    /* Each segment's permutations come from a stream of its own (the seed
     * and the segment's ends), so a segment's p-value does not depend on
     * how many permutations other segments drew. */
    gsl_rng_set(c->rng, mix_seed(c->seed ^ ((uint64_t)from * 0x9e3779b97f4a7c15ULL) ^
                                 ((uint64_t)to * 0xc2b2ae3d27d4eb4fULL)));
    size_t at_least = 0;
    double p = 0.0;
    for (size_t r = 0; r < CP_PERMUTATIONS; r++) {
        gsl_ran_shuffle(c->rng, idx, len, sizeof *idx);
        size_t tau_r;
        /* The relative tolerance keeps rounding differences from counting a
         * permutation with an identical statistic (all-equal data) as below. */
        if (best_split(c, idx, len, min_left, min_right, &tau_r) >= q_obs - 1e-12 * fabs(q_obs))
            at_least++;
        /* p = (at_least + 1) / (R + 1) only grows with more permutations:
         * once it reaches alpha the segment is not split, whatever the rest
         * would give (Besag and Clifford, "Sequential Monte Carlo p-values",
         * Biometrika 1991). Most segments of a history hold no change, and
         * stop after a few dozen permutations instead of 199; the change
         * points found and their p-values are those of all 199. */
        p = (double)(at_least + 1) / (double)(CP_PERMUTATIONS + 1);
        if (p >= c->alpha)
            return BG_OK;
    }
    if (c->nfound == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        bg_changepoint *f = realloc(c->found, cap * sizeof *f);
        if (!f)
            return BG_ENOMEM;
        c->found = f;
        c->cap = cap;
    }
    c->found[c->nfound++] = (bg_changepoint){.index = from + tau, .magnitude = 0.0, .p = p};
    int rc = search(c, from, from + tau);
    if (rc)
        return rc;
    return search(c, from + tau, to);
}

static int cmp_index(const void *a, const void *b)
{
    size_t x = ((const bg_changepoint *)a)->index, y = ((const bg_changepoint *)b)->index;
    return (x > y) - (x < y);
}

static int cmp_significance(const void *a, const void *b)
{
    const bg_changepoint *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    double mx = fabs(x->magnitude), my = fabs(y->magnitude);
    if (mx != my)
        return mx > my ? -1 : 1;
    return cmp_index(a, b);
}


/* Finds change points as described at the top of the file. A series shorter
 * than 2 * CP_MIN_SEGMENT (10) has none (returns 0 with *nout = 0). The
 * magnitude of each change point compares the means of the final segments on
 * either side of it. When more than `max` are found, the `max` most
 * significant (smallest p, then largest |magnitude|) are written, in index
 * order; *nout is the number written. */
int bg_changepoints(const double *x, size_t n, double alpha, uint64_t seed,
                    bg_changepoint *out, size_t max, size_t *nout)
{
    if (!x || !nout || (!out && max > 0))
        return BG_EINVAL;
    if (!(alpha > 0.0 && alpha < 1.0))
        return BG_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return BG_EINVAL;
    *nout = 0;
    if (n < 2 * CP_MIN_SEGMENT)
        return BG_OK;
    if (n > SIZE_MAX / sizeof(cp_pair) - 1)
        return BG_ENOMEM;
    gsl_set_error_handler_off();

    cp_ctx c = {.x = x, .n = n, .alpha = alpha, .seed = seed};
    c.dsum = malloc(n * sizeof *c.dsum);
    c.rank = malloc(n * sizeof *c.rank);
    c.sorted = malloc(n * sizeof *c.sorted);
    c.fw_sum = malloc((n + 1) * sizeof *c.fw_sum);
    c.fw_cnt = malloc((n + 1) * sizeof *c.fw_cnt);
    c.perm = malloc(n * sizeof *c.perm);
    c.rng = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = BG_ENOMEM;
    if (!c.dsum || !c.rank || !c.sorted || !c.fw_sum || !c.fw_cnt || !c.perm || !c.rng)
        goto done;

    rc = search(&c, 0, n);
    if (rc)
        goto done;

    /* Magnitudes from the final segmentation. */
    if (c.nfound > 1) /* c.found is NULL when nothing was found */
        qsort(c.found, c.nfound, sizeof *c.found, cmp_index);
    for (size_t k = 0; k < c.nfound; k++) {
        size_t from = k ? c.found[k - 1].index : 0;
        size_t at = c.found[k].index;
        size_t to = k + 1 < c.nfound ? c.found[k + 1].index : n;
        double before = segment_mean(x, from, at), after = segment_mean(x, at, to);
        double mag;
        if (before != 0.0)
            mag = after / before - 1.0;
        else
            mag = after == 0.0 ? 0.0 : copysign(INFINITY, after);
        c.found[k].magnitude = mag;
    }
    if (c.nfound > max) {
        qsort(c.found, c.nfound, sizeof *c.found, cmp_significance);
        qsort(c.found, max, sizeof *c.found, cmp_index);
    }
    size_t nw = c.nfound < max ? c.nfound : max;
    if (nw)
        memcpy(out, c.found, nw * sizeof *out);
    *nout = nw;
done:
    free(c.found);
    free(c.dsum);
    free(c.rank);
    free(c.sorted);
    free(c.fw_sum);
    free(c.fw_cnt);
    free(c.perm);
    if (c.rng)
        gsl_rng_free(c.rng);
    return rc;
}

/* The newest value against the level since the last change point: the
 * modified z-score of Iglewicz and Hoaglin ("How to Detect and Handle
 * Outliers", ASQC 1993), (x - median) / (1.4826 MAD), against their
 * cut-off of 3.5, and outside the segment's range. One value cannot be
 * told from an outlier (bg_changepoints needs CP_MIN_EDGE at an end), so
 * this is a suspicion that the next run confirms or dismisses. */
int bg_changepoint_last(const double *x, size_t n, size_t from, bg_cp_suspect *out)
{
    if (!x || !out)
        return BG_EINVAL;
    *out = (bg_cp_suspect){.suspect = false, .magnitude = NAN, .z = NAN};
    if (n == 0 || from >= n)
        return BG_EINVAL;
    for (size_t i = from; i < n; i++)
        if (!isfinite(x[i]))
            return BG_EINVAL;
    size_t len = n - 1 - from; /* the segment without the newest value */
    if (len < CP_MIN_SEGMENT)
        return BG_OK;
    const double *seg = x + from, last = x[n - 1];
    double med = bg_stat_median(seg, len), mad = bg_stat_mad(seg, len);
    double lo = seg[0], hi = seg[0];
    for (size_t i = 1; i < len; i++) {
        lo = seg[i] < lo ? seg[i] : lo;
        hi = seg[i] > hi ? seg[i] : hi;
    }
    if (mad > 0)
        out->z = (last - med) / mad;
    else
        out->z = last == med ? 0.0 : copysign(INFINITY, last - med);
    if (med != 0)
        out->magnitude = last / med - 1.0;
    out->suspect = fabs(out->z) > BG_CP_SUSPECT_Z && (last < lo || last > hi);
    return BG_OK;
}
