/* Simulations with fixed seeds that check the promises of the comparison
 * pipeline: A/A false-positive rate, suite-wide false alarms under
 * Benjamini-Hochberg, interval coverage, and power for a 5% shift.
 *
 * Noise model (DESIGN.md: several processes per benchmark): per-iteration
 * time = mean * (1 + between * N(0,1) per process) * (1 + within * N(0,1)
 * per sample), iterations 1, 2, 3, ... per sample. Every measured rate is
 * printed (print_message) and checked against a binomial bound: a rate whose
 * true value is r, measured over N replications, has standard error
 * sqrt(r (1 - r) / N); bounds are 3 standard errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bg_stats.h"

#define ALPHA 0.05
#define THRESHOLD 0.01 /* default noise threshold: 1% */
#define MAXG 4
#define MAXN 40

typedef struct side {
    double iters[MAXG][MAXN], ns[MAXG][MAXN];
    bg_group g[MAXG];
} side;

static void fill(side *s, gsl_rng *r, size_t ngroups, size_t n, double mean, double between,
                 double within)
{
    for (size_t g = 0; g < ngroups; g++) {
        double level = mean * (1.0 + between * gsl_ran_gaussian(r, 1.0));
        for (size_t i = 0; i < n; i++) {
            s->iters[g][i] = (double)(1 + i);
            s->ns[g][i] = s->iters[g][i] * level * (1.0 + within * gsl_ran_gaussian(r, 1.0));
        }
        s->g[g] = (bg_group){s->iters[g], s->ns[g], n};
    }
}

static double binom_upper(double r, size_t n)
{
    return r + 3.0 * sqrt(r * (1.0 - r) / (double)n);
}

static bg_boot_opts sim_opts(size_t resamples, uint64_t seed)
{
    bg_boot_opts o;
    bg_boot_opts_default(&o); /* BCa, 95% */
    o.resamples = resamples;
    o.seed = seed;
    return o;
}

/* A/A: base and candidate from the same distribution, 3 processes x 30
 * samples, 1% within- and 0.5% between-process noise, mean statistic,
 * bootstrap BCa with B = 1000, the verdict rule at alpha 0.05 and threshold
 * 1%. "Regressed" is one-sided, so its rate must stay at or below alpha/2:
 * bound alpha/2 + 3 SE = 0.025 + 0.021 = 0.046 for N = 500. */
static void test_aa_false_positive_rate(void **state)
{
    (void)state;
    enum { REPS = 500 };
    static side a, b;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12345);
    size_t regressed = 0, significant = 0, up = 0;
    for (size_t k = 0; k < REPS; k++) {
        fill(&a, r, 3, 30, 100.0, 0.005, 0.01);
        fill(&b, r, 3, 30, 100.0, 0.005, 0.01);
        bg_boot_opts o = sim_opts(1000, k);
        bg_change c;
        assert_int_equal(bg_compare_change(a.g, 3, b.g, 3, BG_STAT_MEAN, &o, &c), 0);
        regressed += bg_decide(&c, c.p, THRESHOLD, ALPHA) == BG_VERDICT_REGRESSED;
        significant += c.p < ALPHA;
        up += c.p < ALPHA && c.lo > 0.0;
    }
    gsl_rng_free(r);
    double rate = (double)regressed / REPS;
    print_message("A/A (3x30, 1%% + 0.5%% between, B=1000 BCa): regressed %.4f "
                  "(bound %.4f); p<alpha %.4f; p<alpha & lo>0 %.4f\n",
                  rate, binom_upper(ALPHA / 2, REPS), (double)significant / REPS,
                  (double)up / REPS);
    assert_true(rate <= binom_upper(ALPHA / 2, REPS));
}

/* 100 null benchmarks per suite, 1000 suites. Welch p-values (20 vs 20
 * samples, 1% noise; the bootstrap at the B needed to reach BH's smallest
 * threshold alpha/100 is too slow for 10^5 comparisons under sanitizers),
 * adjusted with BH. Under the complete null BH controls the chance of any
 * rejection at alpha: bound alpha + 3 SE = 0.05 + 0.021 = 0.071. */
static void test_bh_suite_false_alarms(void **state)
{
    (void)state;
    enum { SUITES = 1000, BENCHES = 100, N = 20 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 777);
    double x[N], y[N], p[BENCHES];
    size_t any_bh = 0, any_raw = 0, any_regressed = 0;
    for (size_t s = 0; s < SUITES; s++) {
        bg_change ch[BENCHES];
        int raw = 0;
        for (size_t k = 0; k < BENCHES; k++) {
            for (size_t i = 0; i < N; i++) {
                x[i] = 100.0 * (1.0 + 0.01 * gsl_ran_gaussian(r, 1.0));
                y[i] = 100.0 * (1.0 + 0.01 * gsl_ran_gaussian(r, 1.0));
            }
            bg_test_result t;
            assert_int_equal(bg_welch_t(y, N, x, N, &t), 0);
            p[k] = t.p;
            raw |= t.p < ALPHA;
            /* Welch interval of the relative change, for the verdict rule. */
            double mx = bg_stat_mean(x, N), my = bg_stat_mean(y, N);
            double se = t.statistic != 0.0 ? (my - mx) / t.statistic : 0.0;
            double half = gsl_cdf_tdist_Pinv(1.0 - ALPHA / 2, t.df) * se / mx;
            ch[k] = (bg_change){my / mx - 1.0, my / mx - 1.0 - half, my / mx - 1.0 + half, t.p};
        }
        assert_int_equal(bg_p_adjust(p, BENCHES, BG_PADJ_BH, p), 0);
        int bh = 0, reg = 0;
        for (size_t k = 0; k < BENCHES; k++) {
            bh |= p[k] < ALPHA;
            reg |= bg_decide(&ch[k], p[k], 0.0, ALPHA) == BG_VERDICT_REGRESSED;
        }
        any_bh += bh;
        any_raw += raw;
        any_regressed += reg;
    }
    gsl_rng_free(r);
    double rate = (double)any_bh / SUITES;
    print_message("suite of 100 null benchmarks (Welch p): any BH p_adj<alpha %.4f "
                  "(bound %.4f); any regressed (threshold 0) %.4f; uncorrected any p<alpha "
                  "%.4f\n",
                  rate, binom_upper(ALPHA, SUITES), (double)any_regressed / SUITES,
                  (double)any_raw / SUITES);
    assert_true(rate <= binom_upper(ALPHA, SUITES));
    assert_true((double)any_raw / SUITES > 0.95); /* what BH protects against */
}

/* Coverage of the 95% BCa interval (B = 1000) of the change of the mean over
 * 1000 replications; the true change is 3%. Two designs: one process of 30
 * samples per side (ordinary bootstrap, must cover 93-97%) and 3 processes x
 * 30 with 0.5% between-process noise (two-level bootstrap). The two-level
 * bootstrap with only 3 groups under-covers (measured 0.86: resampling 3
 * groups sees (G-1)/G of the between-group variance and none of the
 * t-distribution's extra width for so few groups; with 10 groups it reaches
 * ~0.95). That design is only guarded against getting worse (>= 0.80). */
static void coverage(size_t ngroups, double between, size_t reps, uint64_t seed,
                     double *cov_out)
{
    static side a, b;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    size_t covered = 0;
    for (size_t k = 0; k < reps; k++) {
        fill(&a, r, ngroups, 30, 100.0, between, 0.01);
        fill(&b, r, ngroups, 30, 103.0, between, 0.01);
        bg_boot_opts o = sim_opts(1000, seed + k);
        bg_change c;
        assert_int_equal(bg_compare_change(a.g, ngroups, b.g, ngroups, BG_STAT_MEAN, &o, &c), 0);
        covered += c.lo <= 0.03 && 0.03 <= c.hi;
    }
    gsl_rng_free(r);
    *cov_out = (double)covered / (double)reps;
}

static void test_coverage(void **state)
{
    (void)state;
    double one, three;
    coverage(1, 0.0, 1000, 31, &one);
    coverage(3, 0.005, 1000, 32, &three);
    print_message("coverage of 95%% interval: 1x30 per side %.4f; 3x30 (0.5%% between) %.4f\n",
                  one, three);
    assert_true(one >= 0.93 && one <= 0.97);
    assert_true(three >= 0.80);
}

/* Power: a 5% slowdown with 1% within- and 0.5% between-process noise,
 * 3 processes x 20 samples per side, must be called "regressed" in >= 99%
 * of 300 replications. */
static void test_power(void **state)
{
    (void)state;
    enum { REPS = 300 };
    static side a, b;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 4242);
    size_t hit = 0;
    for (size_t k = 0; k < REPS; k++) {
        fill(&a, r, 3, 20, 100.0, 0.005, 0.01);
        fill(&b, r, 3, 20, 105.0, 0.005, 0.01);
        bg_boot_opts o = sim_opts(1000, 5000 + k);
        bg_change c;
        assert_int_equal(bg_compare_change(a.g, 3, b.g, 3, BG_STAT_MEAN, &o, &c), 0);
        hit += bg_decide(&c, c.p, THRESHOLD, ALPHA) == BG_VERDICT_REGRESSED;
    }
    gsl_rng_free(r);
    double rate = (double)hit / REPS;
    print_message("power, 5%% shift (3x20, 1%% + 0.5%% between): %.4f\n", rate);
    assert_true(rate >= 0.99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aa_false_positive_rate),
        cmocka_unit_test(test_bh_suite_false_alarms),
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_power),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
