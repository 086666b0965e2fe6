/* Statistics over benchmark samples: pure functions over arrays, no I/O.
 *
 * Everything here is deterministic for a given seed. GSL is used only under
 * stats/; callers see plain C types. Functions return 0 on success and a
 * negative BG_E* code (see include/benchgate.h) on bad input or allocation
 * failure; they never abort the process.
 *
 * Vocabulary:
 *   sample  - one timed batch: `iters` iterations took `ns` nanoseconds.
 *   group   - the samples of one process (one fork of the benchmark).
 *   The per-iteration time of a sample is ns / iters.
 */
#ifndef BG_STATS_H
#define BG_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "benchgate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- basic descriptive statistics (x need not be sorted; x is not modified) ---- */

double bg_stat_mean(const double *x, size_t n);
/* Sample standard deviation (n - 1 denominator); 0 when n < 2. */
double bg_stat_sd(const double *x, size_t n);
/* Median (average of the two middle values when n is even). */
double bg_stat_median(const double *x, size_t n);
/* Median absolute deviation, scaled by 1.4826 so it estimates sigma for
 * normal data (the convention of R's mad() and scipy's
 * median_abs_deviation(scale='normal')). */
double bg_stat_mad(const double *x, size_t n);
double bg_stat_min(const double *x, size_t n);
/* Least-squares slope of y on x through the origin: sum(x*y)/sum(x*x).
 * With x = iterations and y = ns this is the time per iteration with the
 * fixed per-sample overhead averaged out by the linear sampling plan. */
double bg_stat_slope(const double *x, const double *y, size_t n);
/* Quantile by linear interpolation (type 7, the default of R and numpy);
 * `sorted` must be ascending. */
double bg_stat_quantile_sorted(const double *sorted, size_t n, double p);

/* ---- the frame of a density plot ---- */

/* Silverman's rule-of-thumb kernel bandwidth, 0.9 min(sd, IQR/1.34)
 * n^(-1/5), with a floor for constant data so it is never 0. */
double bg_stat_kde_bandwidth(const double *x, size_t n);

/* What a density plot of one or two series (base, candidate) needs beside
 * the samples: each series' bandwidth, the widest, and the range shown:
 * the finite samples' range, narrowed to the pooled quartiles -/+ 3 IQR
 * (Tukey's far-out fences) when samples lie beyond, with how many lie
 * beyond and the farthest of them (NAN when none). */
typedef struct bg_density_frame {
    double bandwidth[2], widest;
    double lo, hi;
    size_t total;  /* finite samples of all series */
    size_t beyond;
    double far;
} bg_density_frame;
/* BG_EINVAL when nd is not 1 or 2 or there is no finite sample. */
int bg_stat_density_frame(const double *const *x, const size_t *n, size_t nd, bg_density_frame *out);

/* ---- Tukey outliers ---- */
typedef struct bg_outliers {
    size_t low_severe, low_mild, high_mild, high_severe;
    double q1, q3; /* quartiles used for the fences (type 7) */
} bg_outliers;
/* Classifies x by Tukey's fences: mild beyond 1.5 IQR, severe beyond 3 IQR. */
void bg_outliers_tukey(const double *x, size_t n, bg_outliers *out);

/* ---- bootstrap ---- */

typedef enum bg_statistic {
    BG_STAT_MEAN = 0,   /* mean of per-iteration times */
    BG_STAT_MEDIAN,     /* median of per-iteration times */
    BG_STAT_SD,         /* standard deviation of per-iteration times */
    BG_STAT_MAD,        /* MAD of per-iteration times */
    BG_STAT_MIN,        /* minimum per-iteration time */
    BG_STAT_SLOPE,      /* least-squares slope of ns on iters */
    BG_STAT_COUNT
} bg_statistic;

const char *bg_statistic_name(bg_statistic s); /* "mean", "median", ... */

typedef enum bg_ci_method {
    BG_CI_PERCENTILE = 0,
    BG_CI_BCA
} bg_ci_method;

/* One group of samples (one process). Arrays are borrowed, not copied. */
typedef struct bg_group {
    const double *iters;
    const double *ns;
    size_t n;
} bg_group;

typedef struct bg_boot_opts {
    size_t resamples;   /* number of bootstrap resamples, e.g. 10000 */
    double confidence;  /* e.g. 0.95 */
    uint64_t seed;      /* explicit seed; same seed, same interval */
    bg_ci_method method;
} bg_boot_opts;

/* Fills *o with the defaults: 10000 resamples, 0.95, seed 1, BCa. */
void bg_boot_opts_default(bg_boot_opts *o);

typedef struct bg_estimate {
    double point; /* statistic on the original data */
    double lo;    /* lower bound of the confidence interval */
    double hi;    /* upper bound */
    double se;    /* bootstrap standard error */
} bg_estimate;

/* Bootstrap confidence interval of statistic `s` over the samples of
 * `ngroups` groups. With one group this is the ordinary bootstrap over
 * samples. With several it is the two-level (hierarchical) bootstrap:
 * resample groups with replacement, then samples within each chosen group,
 * and compute the statistic over the pooled resample - so between-process
 * variance widens the interval. */
int bg_bootstrap_ci(const bg_group *groups, size_t ngroups, bg_statistic s,
                    const bg_boot_opts *opts, bg_estimate *out);

/* Everything the runner reports for one benchmark. */
typedef struct bg_summary {
    bg_estimate est[BG_STAT_COUNT]; /* indexed by bg_statistic */
    bg_outliers outliers;           /* on per-iteration times, all groups pooled */
    size_t nsamples;                /* pooled sample count */
    size_t ngroups;
} bg_summary;

/* Computes every statistic with its bootstrap interval (seed offsets are
 * derived from opts->seed so each statistic's interval is reproducible). */
int bg_summarize(const bg_group *groups, size_t ngroups, const bg_boot_opts *opts,
                 bg_summary *out);

/* ---- comparing base and candidate ---- */

typedef struct bg_test_result {
    double statistic; /* t, U, ... */
    double df;        /* degrees of freedom where meaningful, else 0 */
    double p;         /* two-sided p-value */
} bg_test_result;

/* Welch's unequal-variance t-test (two-sided). */
int bg_welch_t(const double *a, size_t na, const double *b, size_t nb, bg_test_result *out);
/* Mann-Whitney U (two-sided). U is the statistic for sample a (scipy's
 * convention). Exact distribution when there are no ties and one sample has
 * at most 8 values (scipy 1.10's method='auto' rule), otherwise the normal
 * approximation with tie correction and continuity correction. */
int bg_mann_whitney(const double *a, size_t na, const double *b, size_t nb, bg_test_result *out);

/* Two one-sided tests for equivalence of means within +-margin (relative to the
 * base mean: |mean_b/mean_a - 1| < margin). p is the larger of the two
 * one-sided p-values; equivalence is shown when p < alpha. */
int bg_tost_relative(const double *a, size_t na, const double *b, size_t nb,
                     double margin, bg_test_result *out);

typedef struct bg_change {
    double change;  /* candidate/base - 1 of the chosen statistic */
    double lo, hi;  /* bootstrap confidence interval of the change */
    double p;       /* two-sided bootstrap p-value of "no change" */
} bg_change;

/* Relative change of statistic `s` from base to candidate with a
 * (hierarchical when ngroups > 1) bootstrap interval and p-value. */
int bg_compare_change(const bg_group *base, size_t nbase, const bg_group *cand, size_t ncand,
                      bg_statistic s, const bg_boot_opts *opts, bg_change *out);

/* Paired change for interleaved measurements (benchgate ab): base[i] and
 * cand[i] are the estimates of one block, measured back to back. The change
 * is exp(tm) - 1, tm the 20 % trimmed mean of log(cand/base); the interval
 * at `confidence` (symmetric on the log scale) and the two-sided p-value
 * are Yuen's trimmed-mean t test, so a block that outside work slowed on
 * one side does not dominate (stats/paired.c says why not a bootstrap).
 * p < 1 - confidence exactly when the interval excludes 0; the A/A
 * false-positive rate and the coverage are checked by simulation in
 * tests/test_paired.c. BG_EINVAL for n < 5 or a value that is not finite
 * and positive. */
int bg_paired_change(const double *base, const double *cand, size_t n, double confidence,
                     bg_change *out);

typedef enum bg_verdict {
    BG_VERDICT_UNCHANGED = 0,
    BG_VERDICT_IMPROVED,
    BG_VERDICT_REGRESSED,
    BG_VERDICT_INCONCLUSIVE
} bg_verdict;

const char *bg_verdict_name(bg_verdict v); /* "unchanged", "improved", ... */

/* The one verdict rule. `p_adj` is the suite-adjusted p-value; `threshold`
 * is the relative noise threshold (e.g. 0.01); `alpha` the significance
 * level. Time-like statistics: a positive change is slower.
 *   regressed   : p_adj < alpha, lo > 0 and change > threshold
 *   improved    : p_adj < alpha, hi < 0 and change < -threshold
 *   unchanged   : the interval lies inside (-threshold, +threshold)
 *   inconclusive: otherwise */
bg_verdict bg_decide(const bg_change *c, double p_adj, double threshold, double alpha);

typedef enum bg_padjust { BG_PADJ_BH = 0, BG_PADJ_HOLM, BG_PADJ_NONE } bg_padjust;
/* Adjusts n p-values (Benjamini-Hochberg or Holm); out may alias p. */
int bg_p_adjust(const double *p, size_t n, bg_padjust method, double *out);

/* ---- history ---- */
typedef struct bg_changepoint {
    size_t index;     /* first index of the new segment */
    double magnitude; /* mean after / mean before - 1 */
    double p;         /* permutation p-value */
} bg_changepoint;

/* Change points in a series of per-commit estimates. Writes up to `max` change
 * points to out and their count to *nout. The series needs 10 values; a
 * change point has 5 values on each side, except at the ends of the
 * series, where 2 are enough: a shift in the newest (or oldest) two
 * values is found at its place. */
int bg_changepoints(const double *x, size_t n, double alpha, uint64_t seed,
                    bg_changepoint *out, size_t max, size_t *nout);

/* A suspected change at the newest value (bg_changepoint_last). */
typedef struct bg_cp_suspect {
    bool suspect;     /* |z| > BG_CP_SUSPECT_Z and outside the segment's range */
    double magnitude; /* newest / median of the segment - 1 (NAN: median 0) */
    double z;         /* (newest - median) / MAD (normal-consistent) */
} bg_cp_suspect;
/* Iglewicz and Hoaglin's cut-off for the modified z-score. */
#define BG_CP_SUSPECT_Z 3.5
/* Whether the newest value x[n-1] stands apart from the values since the
 * last change point, x[from .. n-1) (from = 0 when there is none), which
 * must be 5 or more (otherwise suspect is false). A single value cannot be
 * a change point (an outlier looks the same): it is a suspected change
 * that the next run confirms or dismisses. BG_EINVAL for from >= n or a
 * value that is not finite. */
int bg_changepoint_last(const double *x, size_t n, size_t from, bg_cp_suspect *out);

/* ---- between-run noise (drift; stats/drift.c) ---- */

/* The spread of log(run B / run A) for two runs of unchanged code made at
 * different times. */
typedef struct bg_drift {
    double sigma;        /* standard deviation on the log scale: the larger of the two below */
    double sigma_median; /* median(|d|) / 0.6745 */
    double sigma_q90;    /* q90(|d|) / 1.6449 */
    size_t n;            /* log-ratios it rests on */
} bg_drift;

/* Robust scale of the log-ratios d[0..n) of pairs of runs of unchanged
 * code: the larger of median(|d|) / 0.6745 and q90(|d|) / 1.6449 (each
 * estimates sigma for normal d; the second keeps a minority of large jumps
 * from being ignored). Quantiles are type 7. BG_EINVAL for n = 0 or a value
 * that is not finite. */
int bg_drift_estimate(const double *d, size_t n, bg_drift *out);

/* The log-ratios of consecutive values of a series (a benchmark's level at
 * each commit along first-parent history, oldest first), leaving out each
 * pair that straddles a change point found by bg_changepoints on log(x) at
 * `alpha` with `seed`: a real change is not noise. out holds up to n - 1
 * values; *nout gets their count. BG_EINVAL for a value that is not finite
 * and positive. */
int bg_drift_series_ratios(const double *x, size_t n, double alpha, uint64_t seed, double *out,
                           size_t *nout);

/* A change measured within two runs (`in`: change, interval at
 * `confidence`, p), widened by the between-run noise `sigma` (log scale):
 * with m = log(1 + change) and se_w the standard error implied by the
 * interval (its log width / 2 z), se = sqrt(se_w^2 + sigma^2); the interval
 * is expm1(m -+ q se) and p = 2 P(T > |m| / se), where T and q are Student's
 * t with `df` degrees of freedom (the log-ratios sigma rests on) or, for
 * df = 0 (a stated default sigma), the normal. BG_EINVAL for a change or
 * bound at or below -100 %, or sigma < 0. */
int bg_change_with_drift(const bg_change *in, double sigma, size_t df, double confidence,
                         bg_change *out);

/* ---- complexity ---- */
typedef enum bg_complexity {
    BG_O_1 = 0, BG_O_LOGN, BG_O_N, BG_O_NLOGN, BG_O_N2, BG_O_N3, BG_O_COUNT
} bg_complexity;
const char *bg_complexity_name(bg_complexity c); /* "O(1)", "O(log n)", ... */
typedef struct bg_complexity_fit {
    bg_complexity best;
    double coef;   /* time ~= coef * f(n) */
    double rms;    /* normalised RMS of the best fit */
    double rms_all[BG_O_COUNT];
} bg_complexity_fit;
int bg_fit_complexity(const double *n, const double *t, size_t count, bg_complexity_fit *out);
/* The same classes fitted on relative residuals: minimises
 * sum(((t - coef * f(n)) / t)^2), so every size counts alike (a sweep over
 * four decades is otherwise a fit of its largest point), and rms is
 * sqrt(mean(((t - coef * f(n)) / t)^2)). Needs every t > 0; otherwise as
 * bg_fit_complexity. */
int bg_fit_complexity_relative(const double *n, const double *t, size_t count,
                               bg_complexity_fit *out);
/* The growth function of class c at n (1, log2 n, n, n log2 n, n^2, n^3). */
double bg_complexity_growth(bg_complexity c, double n);

#ifdef __cplusplus
}
#endif
#endif
