/* Helpers shared by the files under stats/ (estimation and comparison); not installed.
 *
 * Names start with bg__ (internal, non-static). Everything here is pure
 * computation over arrays; the only state is an explicit GSL generator.
 */
#ifndef BG_STATS_INTERNAL_H
#define BG_STATS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "bg_stats.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 / Phi^-1(3/4): scales a median absolute deviation so it estimates sigma
 * for normal data. R's mad() rounds it to 1.4826; the full value is used so
 * results agree with scipy's median_abs_deviation(scale='normal') to ~1e-16
 * (the rounded constant would differ by 1.5e-6 relative). */
#define BG_MAD_SCALE 1.482602218505602

/* ---- in-place helpers (descriptive.c) ---- */

/* Median of x[0..n), n > 0; reorders x. */
double bg__median_inplace(double *x, size_t n);
/* Unscaled median absolute deviation of x[0..n), n > 0; overwrites x with
 * the absolute deviations. Multiply by BG_MAD_SCALE for the sigma estimate. */
double bg__mad_raw_inplace(double *x, size_t n);
/* 1 when all n values are finite, else 0. */
int bg__all_finite(const double *x, size_t n);

/* Tukey classification of `sorted` (ascending, finite, n > 0) into *out, as
 * bg_outliers_tukey does; allocates nothing (outliers.c). */
void bg__outliers_tukey_sorted(const double *sorted, size_t n, bg_outliers *out);

/* ---- random numbers ---- */

/* A new GSL generator (gsl_rng_taus2) seeded from `seed`. GSL's seeds are
 * 32-bit, so the generator gets the top 32 bits of
 * bg__seed_derive(seed, UINT64_MAX): every bit of the 64-bit seed matters.
 * Returns NULL when out of memory. Free with gsl_rng_free(). */
gsl_rng *bg__rng_new(uint64_t seed);

/* A seed for independent stream `stream` derived from `seed` (splitmix64 of
 * seed + (stream + 1) * golden ratio), so nearby seeds and streams do not
 * give overlapping sequences. bg_summarize uses stream = the bg_statistic. */
uint64_t bg__seed_derive(uint64_t seed, uint64_t stream);

/* One raw 32-bit draw. Calls the generator's function pointer directly (what
 * gsl_rng_get does when GSL is compiled with HAVE_INLINE). Valid only for
 * generators returned by bg__rng_new, whose output spans all 32 bits. */
static inline uint32_t bg__rng_u32(gsl_rng *r)
{
    return (uint32_t)r->type->get(r->state);
}

/* A uniform integer in [0, n), 1 <= n < 2^32, by Lemire's multiply-shift with
 * rejection ("Fast random integer generation in an interval", ACM TOMACS
 * 2019): exactly uniform, no division except on the rare rejection path
 * (gsl_rng_uniform_int divides on every call). */
static inline uint32_t bg__rng_below(gsl_rng *r, uint32_t n)
{
    uint64_t m = (uint64_t)bg__rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(0u - n) % n; /* 2^32 mod n */
        while (low < threshold) {
            m = (uint64_t)bg__rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* Fills out[0..count) with independent uniform integers in [0, n),
 * 1 <= n < 2^32, several per generator output: Brackett-Milley and
 * Lemire's batched multiply-shift ("Batched ranged random integer
 * generation", Software: Practice and Experience, 2024). One 32-bit output x
 * gives k indices as the mixed-radix digits of x * n^k (each digit is the high
 * word of leftover * n), exactly uniform after rejecting on the final
 * leftover as Lemire's method does for the bound n^k. k is the largest with
 * n^k <= 2^27, so a batch is rejected less than 1 time in 32 (for n = 100,
 * k = 4). The generator call, not the arithmetic, bounds the bootstrap's
 * speed, so this makes it several times faster. Deterministic: the same
 * generator state, n and count give the same integers. */
void bg__draw_fill(gsl_rng *r, uint32_t n, uint32_t *out, size_t count);

/* ---- bootstrap data prepared once, resampled many times (bootstrap.c) ---- */

/* The samples of all groups pooled and ordered by per-iteration time, so that
 * order statistics of a resample can be read from per-rank counts. Sample r
 * (its "rank") is (iters[r], ns[r]) with per-iteration time t[r] = ns/iters,
 * t ascending. The samples of group g are ranks member[off[g] .. off[g+1]).
 * Built by bg__boot_init, read-only afterwards except for the scratch
 * arrays, so one bg__boot serves one thread at a time. */
typedef struct bg__boot {
    size_t ngroups;
    size_t n;          /* pooled sample count */
    size_t maxn;       /* largest group; a resample has at most ngroups*maxn samples */
    size_t *off;       /* ngroups + 1 offsets into member */
    uint32_t *member;  /* ranks of each group's samples, grouped */
    double *iters;     /* by rank */
    double *ns;        /* by rank */
    double *t;         /* by rank, ascending */
    double *dt;        /* t - shift, by rank (shifted data for mean and sd) */
    double *xx, *xy;   /* iters^2 and iters*ns, by rank (slope) */
    double shift;      /* mean of t over the pooled samples */
    size_t *count;     /* scratch: n per-rank counts */
    uint32_t *pick;    /* scratch: ngroups drawn groups */
    uint32_t *draw;    /* scratch: maxn drawn positions within a group */
} bg__boot;

/* Validates the groups (non-NULL arrays, n > 0 and < 2^32 per group, at most
 * 2^32 - 1 groups, finite values, iters > 0) and builds *b. Returns 0,
 * BG_EINVAL or BG_ENOMEM; on failure *b holds nothing to free (calling
 * bg__boot_free on it is still safe). */
int bg__boot_init(bg__boot *b, const bg_group *groups, size_t ngroups);
/* Frees what bg__boot_init allocated; safe on a zeroed or freed *b. */
void bg__boot_free(bg__boot *b);

/* Draws one resample and writes the ranks of its samples to idx (capacity
 * ngroups * maxn); returns how many. One group: n draws with replacement.
 * Several groups: ngroups draws of a group with replacement, then for each
 * drawn group g, n_g draws of its samples with replacement. Consumes the
 * generator exactly as bg__boot_replicate does, so both see the same
 * resample for the same generator state. Uses b->pick and b->draw. */
size_t bg__boot_resample(bg__boot *b, gsl_rng *r, size_t *idx);

/* Statistic s over the samples with the given per-rank counts (count[r] = how
 * many times rank r is in the (re)sample; any total >= 1). */
double bg__boot_stat_counts(const bg__boot *b, bg_statistic s, const size_t *count);

/* Statistic s over a list of m >= 1 ranks (a resample from
 * bg__boot_resample). Uses b->count as scratch. */
double bg__boot_stat_idx(bg__boot *b, bg_statistic s, const size_t *idx, size_t m);

/* Statistic s over the original pooled samples (the point estimate). Uses
 * b->count as scratch. */
double bg__boot_point(bg__boot *b, bg_statistic s);

/* Draws one resample and returns statistic s over it, without allocating:
 * sums for mean, sd and slope, per-rank counts for median and MAD. Equal to
 * bg__boot_stat_idx over the same resample up to summation order. Uses
 * b->count, b->pick and b->draw as scratch. */
double bg__boot_replicate(bg__boot *b, bg_statistic s, gsl_rng *r);

/* Jackknife estimate of the BCa acceleration for statistic s, written to
 * *accel: leave one sample out with one group, leave one group out with
 * several (the group is the unit resampled first, so it is the unit left
 * out). 0 when there are fewer than 2 units or all jackknife values are
 * equal. Costs O(units * n). Uses b->count as scratch. Returns 0 or
 * BG_ENOMEM. */
int bg__boot_accel(bg__boot *b, bg_statistic s, double *accel);

/* Statistic s over one group's arrays (x = iters, y = ns): what
 * bg_bootstrap_ci reports as `point`. Returns 0, BG_EINVAL (as for
 * bg__boot_init, or s out of range) or BG_ENOMEM. */
int bg__stat_arrays(bg_statistic s, const double *iters, const double *ns, size_t n,
                    double *out);

/* Interval from nb bootstrap replicates theta (reordered in place): standard
 * error (sd of theta, n - 1), then percentile or BCa bounds as type-7
 * quantiles of theta - the rules of scipy.stats.bootstrap. `accel` is used
 * only by BCa. Returns 0, or BG_ENUMERIC when a replicate is not finite. */
int bg__ci_from_replicates(double *theta, size_t nb, double point, double accel,
                           bg_ci_method method, double confidence, bg_estimate *out);

/* Type-7 quantile p in [0, 1] of x[0..n), n > 0, in O(n) by selection;
 * reorders x. */
double bg__quantile_select(double *x, size_t n, double p);

#ifdef __cplusplus
}
#endif
#endif
