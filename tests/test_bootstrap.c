/* Tests of stats/bootstrap.c: scipy agreement, coverage by simulation, determinism, bad arguments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>

#include "bg_stats.h"
#include "helpers.h"
#include "bg_stats_internal.h"
#include "fixtures/est_ref.h"

/* Resamples per interval in the simulations: enough for a stable 95%
 * interval, few enough to keep the suite fast under sanitizers. */
#define SIM_RESAMPLES 1000

static void test_defaults_and_names(void **state)
{
    (void)state;
    bg_boot_opts o;
    bg_boot_opts_default(&o);
    assert_int_equal(o.resamples, 10000);
    assert_true(o.confidence == 0.95);
    assert_int_equal(o.seed, 1);
    assert_int_equal(o.method, BG_CI_BCA);
    bg_boot_opts_default(NULL);
    const char *want[] = { "mean", "median", "sd", "mad", "min", "slope" };
    for (int s = 0; s < BG_STAT_COUNT; s++)
        assert_string_equal(bg_statistic_name((bg_statistic)s), want[s]);
    assert_string_equal(bg_statistic_name(BG_STAT_COUNT), "unknown");
}

/* Same data, different generator: bounds within `tol` of scipy's interval
 * width (Monte Carlo error of each bound is ~0.5% of the width at 20000
 * resamples), standard errors within 3%. */
static void test_vs_scipy(void **state)
{
    (void)state;
    size_t nb = sizeof est_boot_x / sizeof est_boot_x[0];
    size_t ns = sizeof est_slope_x / sizeof est_slope_x[0];
    double *ones = malloc(nb * sizeof *ones);
    assert_non_null(ones);
    for (size_t i = 0; i < nb; i++)
        ones[i] = 1.0;
    bg_group g_boot = { ones, est_boot_x, nb };
    bg_group g_slope = { est_slope_x, est_slope_y, ns };

    for (size_t i = 0; i < sizeof est_boot_refs / sizeof est_boot_refs[0]; i++) {
        const est_boot_ref *r = &est_boot_refs[i];
        bg_boot_opts o = boot_opts(EST_BOOT_RESAMPLES, (bg_ci_method)r->method, 7);
        bg_estimate e;
        const bg_group *g = r->stat == BG_STAT_SLOPE ? &g_slope : &g_boot;
        assert_int_equal(bg_bootstrap_ci(g, 1, (bg_statistic)r->stat, &o, &e), 0);
        double width = r->hi - r->lo;
        /* The median's replicates sit on data values, so a bound can move by
         * the gap between neighbouring order statistics. */
        double tol = (r->stat == BG_STAT_MEDIAN ? 0.10 : 0.05) * width;
        if (fabs(e.lo - r->lo) > tol || fabs(e.hi - r->hi) > tol ||
            fabs(e.se - r->se) > 0.03 * r->se)
            fail_msg("%s %s: got [%g, %g] se %g, scipy [%g, %g] se %g",
                     bg_statistic_name((bg_statistic)r->stat),
                     r->method == BG_CI_BCA ? "BCa" : "percentile", e.lo, e.hi, e.se, r->lo,
                     r->hi, r->se);
        assert_true(e.lo <= e.point && e.point <= e.hi);
    }
    free(ones);
}

/* The point estimate is the descriptive statistic of the pooled per-iteration
 * times (or the slope of ns on iters). */
static void test_point_matches_descriptive(void **state)
{
    (void)state;
    double it[] = { 10, 20, 10, 40, 30, 10, 20 };
    double ns[] = { 1005, 2100, 990, 4300, 3050, 1200, 2010 };
    double t[7];
    for (int i = 0; i < 7; i++)
        t[i] = ns[i] / it[i];
    bg_group g[2] = { { it, ns, 3 }, { it + 3, ns + 3, 4 } };
    double want[BG_STAT_COUNT] = { bg_stat_mean(t, 7), bg_stat_median(t, 7), bg_stat_sd(t, 7),
                                   bg_stat_mad(t, 7),  bg_stat_min(t, 7),    bg_stat_slope(it, ns, 7) };
    bg_boot_opts o = boot_opts(200, BG_CI_BCA, 3);
    for (int s = 0; s < BG_STAT_COUNT; s++) {
        bg_estimate e;
        assert_int_equal(bg_bootstrap_ci(g, 2, (bg_statistic)s, &o, &e), 0);
        assert_true(fabs(e.point - want[s]) <= 1e-12 * fabs(want[s]));
        double p;
        assert_int_equal(bg__stat_arrays((bg_statistic)s, it, ns, 7, &p), 0);
        assert_true(fabs(p - want[s]) <= 1e-12 * fabs(want[s]));
    }
}

/* The allocation-free replicate equals the statistic over the resample that
 * bg__boot_resample draws from the same generator state. */
static void test_replicate_matches_resample(void **state)
{
    (void)state;
    double it[23], ns[23];
    gsl_rng *data = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(data);
    for (int i = 0; i < 23; i++) {
        it[i] = (double)(1 + i % 4);
        /* Rounded so that ties occur. */
        ns[i] = it[i] * round(100.0 + 10.0 * gsl_ran_gaussian(data, 1.0));
    }
    gsl_rng_free(data);
    bg_group single = { it, ns, 23 };
    bg_group groups[4] = { { it, ns, 5 }, { it + 5, ns + 5, 1 }, { it + 6, ns + 6, 9 },
                           { it + 15, ns + 15, 8 } };
    for (int k = 0; k < 2; k++) {
        bg__boot b;
        assert_int_equal(bg__boot_init(&b, k ? groups : &single, k ? 4 : 1), 0);
        size_t *idx = malloc(b.ngroups * b.maxn * sizeof *idx);
        assert_non_null(idx);
        for (int s = 0; s < BG_STAT_COUNT; s++) {
            gsl_rng *r1 = bg__rng_new(99), *r2 = bg__rng_new(99);
            assert_non_null(r1);
            assert_non_null(r2);
            for (int rep = 0; rep < 300; rep++) {
                double fast = bg__boot_replicate(&b, (bg_statistic)s, r1);
                size_t m = bg__boot_resample(&b, r2, idx);
                double slow = bg__boot_stat_idx(&b, (bg_statistic)s, idx, m);
                if (!(fabs(fast - slow) <= 1e-12 * fabs(slow) + 1e-12))
                    fail_msg("%s rep %d: replicate %.17g, resample %.17g",
                             bg_statistic_name((bg_statistic)s), rep, fast, slow);
                /* The order statistics on a resample, by sorting. */
                if (s == BG_STAT_MEDIAN || s == BG_STAT_MAD || s == BG_STAT_MIN) {
                    double *v = malloc(m * sizeof *v);
                    assert_non_null(v);
                    for (size_t i = 0; i < m; i++)
                        v[i] = b.t[idx[i]];
                    double want = s == BG_STAT_MEDIAN ? bg_stat_median(v, m)
                                  : s == BG_STAT_MAD  ? bg_stat_mad(v, m)
                                                      : bg_stat_min(v, m);
                    free(v);
                    assert_true(fast == want);
                }
            }
            gsl_rng_free(r1);
            gsl_rng_free(r2);
        }
        free(idx);
        bg__boot_free(&b);
    }
}

/* Chi-square goodness of fit of bg__draw_fill for several bounds; the
 * critical value is df + 6 sqrt(2 df), far in the tail (p < 1e-6), since the
 * seed is fixed and a failure means a biased draw, not bad luck. */
static void test_draw_fill_uniform(void **state)
{
    (void)state;
    const uint32_t bounds[] = { 1, 2, 3, 7, 100, 1000, 40000, 100000 };
    const size_t draws = 2000000;
    uint32_t *out = malloc(draws * sizeof *out);
    assert_non_null(out);
    for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++) {
        uint32_t n = bounds[b];
        gsl_rng *r = bg__rng_new(5 + b);
        assert_non_null(r);
        /* Odd block sizes exercise the partial last batch. */
        for (size_t i = 0; i < draws; i += 997)
            bg__draw_fill(r, n, out + i, draws - i < 997 ? draws - i : 997);
        gsl_rng_free(r);
        double *cnt = calloc(n, sizeof *cnt);
        assert_non_null(cnt);
        for (size_t i = 0; i < draws; i++) {
            assert_true(out[i] < n);
            cnt[out[i]] += 1.0;
        }
        if (n > 1) {
            double e = (double)draws / n, chi = 0.0;
            for (uint32_t k = 0; k < n; k++)
                chi += (cnt[k] - e) * (cnt[k] - e) / e;
            double df = n - 1.0;
            if (chi > df + 6.0 * sqrt(2.0 * df))
                fail_msg("n = %u: chi-square %g with %g df", n, chi, df);
        }
        free(cnt);
    }
    free(out);
}

static void test_same_seed_same_interval(void **state)
{
    (void)state;
    double it[30], ns[30];
    for (int i = 0; i < 30; i++) {
        it[i] = 100.0 + i;
        ns[i] = it[i] * (50.0 + (i * 37 % 11));
    }
    bg_group g[3] = { { it, ns, 10 }, { it + 10, ns + 10, 12 }, { it + 22, ns + 22, 8 } };
    for (int m = 0; m < 2; m++) {
        for (int s = 0; s < BG_STAT_COUNT; s++) {
            bg_boot_opts o = boot_opts(500, (bg_ci_method)m, 123456789012345ULL);
            bg_estimate a, b, c;
            assert_int_equal(bg_bootstrap_ci(g, 3, (bg_statistic)s, &o, &a), 0);
            assert_int_equal(bg_bootstrap_ci(g, 3, (bg_statistic)s, &o, &b), 0);
            assert_memory_equal(&a, &b, sizeof a);
            o.seed++;
            assert_int_equal(bg_bootstrap_ci(g, 3, (bg_statistic)s, &o, &c), 0);
            assert_true(a.point == c.point);
            if (s != BG_STAT_MIN) /* the min's bounds often sit on the same samples */
                assert_true(a.lo != c.lo || a.hi != c.hi || a.se != c.se);
        }
    }
    /* Seeds that agree in their low 32 bits still give different streams. */
    bg_boot_opts o1 = boot_opts(500, BG_CI_PERCENTILE, 1), o2 = o1;
    o2.seed = (UINT64_C(1) << 32) | 1;
    bg_estimate a, b;
    assert_int_equal(bg_bootstrap_ci(g, 3, BG_STAT_MEAN, &o1, &a), 0);
    assert_int_equal(bg_bootstrap_ci(g, 3, BG_STAT_MEAN, &o2, &b), 0);
    assert_true(a.se != b.se);
}

static void test_summarize(void **state)
{
    (void)state;
    double it[40], ns[40], t[40];
    for (int i = 0; i < 40; i++) {
        it[i] = 10.0 * (1 + i % 5);
        ns[i] = it[i] * (80.0 + (i * 13 % 17)) + (i == 7 ? 5000.0 : 0.0);
        t[i] = ns[i] / it[i];
    }
    bg_group g[2] = { { it, ns, 25 }, { it + 25, ns + 25, 15 } };
    bg_boot_opts o = boot_opts(400, BG_CI_BCA, 42);
    bg_summary sum;
    assert_int_equal(bg_summarize(g, 2, &o, &sum), 0);
    assert_int_equal(sum.nsamples, 40);
    assert_int_equal(sum.ngroups, 2);
    for (int s = 0; s < BG_STAT_COUNT; s++) {
        bg_boot_opts os = o;
        os.seed = bg__seed_derive(o.seed, (uint64_t)s);
        bg_estimate e;
        assert_int_equal(bg_bootstrap_ci(g, 2, (bg_statistic)s, &os, &e), 0);
        assert_memory_equal(&e, &sum.est[s], sizeof e);
    }
    bg_outliers want;
    bg_outliers_tukey(t, 40, &want);
    assert_memory_equal(&want, &sum.outliers, sizeof want);
    assert_true(sum.outliers.high_severe + sum.outliers.high_mild >= 1);
}

/* Constant per-iteration times: every replicate equals the point. */
static void test_constant_data(void **state)
{
    (void)state;
    /* ns / iters is exactly 2.5 (and so is the slope). */
    double it[] = { 1, 2, 3, 4, 5, 6 }, ns[] = { 2.5, 5, 7.5, 10, 12.5, 15 };
    for (int k = 1; k <= 2; k++) {
        bg_group g[2] = { { it, ns, 3 }, { it + 3, ns + 3, 3 } };
        bg_group one = { it, ns, 6 };
        for (int s = 0; s < BG_STAT_COUNT; s++) {
            bg_boot_opts o = boot_opts(300, BG_CI_BCA, 9);
            bg_estimate e;
            assert_int_equal(bg_bootstrap_ci(k == 1 ? &one : g, (size_t)k, (bg_statistic)s, &o, &e), 0);
            assert_true(e.lo == e.point && e.hi == e.point);
            assert_true(e.se == 0.0);
        }
    }
}

/* Coverage of the 95% interval for the mean of normal data (n = 50) over
 * 1000 replications with fixed seeds must lie in [0.93, 0.97]. */
static void test_coverage_normal_mean(void **state)
{
    (void)state;
    const int reps = 1000, n = 50;
    const double mu = 100.0, sigma = 10.0;
    double it[50], ns[50];
    for (int i = 0; i < n; i++)
        it[i] = 1.0;
    gsl_rng *data = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(data);
    gsl_rng_set(data, 2024);
    int covered[2] = { 0, 0 };
    for (int rep = 0; rep < reps; rep++) {
        for (int i = 0; i < n; i++)
            ns[i] = mu + sigma * gsl_ran_gaussian_ziggurat(data, 1.0);
        bg_group g = { it, ns, (size_t)n };
        for (int m = 0; m < 2; m++) {
            bg_boot_opts o = boot_opts(SIM_RESAMPLES, (bg_ci_method)m, 1000 + (uint64_t)rep);
            bg_estimate e;
            assert_int_equal(bg_bootstrap_ci(&g, 1, BG_STAT_MEAN, &o, &e), 0);
            covered[m] += e.lo <= mu && mu <= e.hi;
        }
    }
    gsl_rng_free(data);
    for (int m = 0; m < 2; m++) {
        double rate = (double)covered[m] / reps;
        print_message("coverage %s: %.3f\n", m ? "BCa" : "percentile", rate);
        assert_true(rate >= 0.93 && rate <= 0.97);
    }
}

/* Strong between-process variance: 20 groups of 10 samples, group offsets
 * with sd 5, within-group sd 1. The two-level interval must be wider than the
 * single-level one over the same samples and cover the true mean near the
 * nominal rate; the single-level interval, which ignores the groups, must
 * undercover - the failure the hierarchical bootstrap exists to prevent. */
static void test_hierarchical_coverage(void **state)
{
    (void)state;
    enum { G = 20, PER = 10, REPS = 400 };
    const double mu = 500.0;
    double it[G * PER], ns[G * PER];
    for (int i = 0; i < G * PER; i++)
        it[i] = 1.0;
    gsl_rng *data = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(data);
    gsl_rng_set(data, 77);
    int cov_h = 0, cov_s = 0, wider = 0;
    for (int rep = 0; rep < REPS; rep++) {
        bg_group g[G];
        for (int k = 0; k < G; k++) {
            double off = 5.0 * gsl_ran_gaussian_ziggurat(data, 1.0);
            for (int i = 0; i < PER; i++)
                ns[k * PER + i] = mu + off + gsl_ran_gaussian_ziggurat(data, 1.0);
            g[k] = (bg_group){ it + k * PER, ns + k * PER, PER };
        }
        bg_group all = { it, ns, G * PER };
        bg_boot_opts o = boot_opts(SIM_RESAMPLES, BG_CI_PERCENTILE, 5000 + (uint64_t)rep);
        bg_estimate h, s;
        assert_int_equal(bg_bootstrap_ci(g, G, BG_STAT_MEAN, &o, &h), 0);
        assert_int_equal(bg_bootstrap_ci(&all, 1, BG_STAT_MEAN, &o, &s), 0);
        assert_true(h.point == s.point);
        cov_h += h.lo <= mu && mu <= h.hi;
        cov_s += s.lo <= mu && mu <= s.hi;
        wider += (h.hi - h.lo) > (s.hi - s.lo);
    }
    gsl_rng_free(data);
    double rh = (double)cov_h / REPS, rs = (double)cov_s / REPS;
    print_message("coverage hierarchical %.3f, single-level %.3f, wider %d/%d\n", rh, rs, wider,
                  REPS);
    /* With 20 groups the percentile interval's expected coverage is ~0.93
     * (it uses a normal rather than t_19 quantile and a (G-1)/G variance);
     * 0.89 is 3 sd below that at 400 replications. */
    assert_true(rh >= 0.89 && rh <= 0.98);
    assert_true(rs < 0.80);
    assert_int_equal(wider, REPS);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    double it[] = { 1, 2, 3 }, ns[] = { 10, 20, 30 };
    double bad_ns[] = { 10, NAN, 30 }, inf_it[] = { 1, INFINITY, 3 };
    double zero_it[] = { 1, 0, 3 }, neg_it[] = { 1, -2, 3 };
    bg_group ok = { it, ns, 3 };
    bg_boot_opts o = boot_opts(100, BG_CI_BCA, 1);
    bg_estimate e = { 1, 2, 3, 4 }, e0 = e;
    bg_summary sum;

    assert_int_equal(bg_bootstrap_ci(&ok, 1, BG_STAT_MEAN, &o, &e), 0);
    assert_int_equal(bg_bootstrap_ci(NULL, 1, BG_STAT_MEAN, &o, &e), BG_EINVAL);
    assert_int_equal(bg_bootstrap_ci(&ok, 0, BG_STAT_MEAN, &o, &e), BG_EINVAL);
    assert_int_equal(bg_bootstrap_ci(&ok, 1, BG_STAT_COUNT, &o, &e), BG_EINVAL);
    assert_int_equal(bg_bootstrap_ci(&ok, 1, (bg_statistic)-1, &o, &e), BG_EINVAL);
    assert_int_equal(bg_bootstrap_ci(&ok, 1, BG_STAT_MEAN, NULL, &e), BG_EINVAL);
    assert_int_equal(bg_bootstrap_ci(&ok, 1, BG_STAT_MEAN, &o, NULL), BG_EINVAL);

    const double confs[] = { 0.0, 1.0, -0.5, 1.5, NAN, INFINITY };
    for (size_t i = 0; i < sizeof confs / sizeof confs[0]; i++) {
        bg_boot_opts b = o;
        b.confidence = confs[i];
        e = e0;
        assert_int_equal(bg_bootstrap_ci(&ok, 1, BG_STAT_MEAN, &b, &e), BG_EINVAL);
        assert_memory_equal(&e, &e0, sizeof e); /* untouched on failure */
        assert_int_equal(bg_summarize(&ok, 1, &b, &sum), BG_EINVAL);
    }
    bg_boot_opts b = o;
    b.resamples = 0;
    assert_int_equal(bg_bootstrap_ci(&ok, 1, BG_STAT_MEAN, &b, &e), BG_EINVAL);
    assert_int_equal(bg_summarize(&ok, 1, &b, &sum), BG_EINVAL);
    b = o;
    b.method = (bg_ci_method)7;
    assert_int_equal(bg_bootstrap_ci(&ok, 1, BG_STAT_MEAN, &b, &e), BG_EINVAL);

    const bg_group bad[] = {
        { it, ns, 0 },     { NULL, ns, 3 },   { it, NULL, 3 },   { it, bad_ns, 3 },
        { inf_it, ns, 3 }, { zero_it, ns, 3 }, { neg_it, ns, 3 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bg_group two[2] = { ok, bad[i] };
        assert_int_equal(bg_bootstrap_ci(&bad[i], 1, BG_STAT_MEDIAN, &o, &e), BG_EINVAL);
        assert_int_equal(bg_bootstrap_ci(two, 2, BG_STAT_MEDIAN, &o, &e), BG_EINVAL);
        assert_int_equal(bg_summarize(two, 2, &o, &sum), BG_EINVAL);
    }
    /* ns / iters overflowing to infinity. */
    double tiny_it[] = { 1e-300 }, huge_ns[] = { 1e300 };
    bg_group over = { tiny_it, huge_ns, 1 };
    assert_int_equal(bg_bootstrap_ci(&over, 1, BG_STAT_MEAN, &o, &e), BG_EINVAL);

    assert_int_equal(bg_summarize(NULL, 1, &o, &sum), BG_EINVAL);
    assert_int_equal(bg_summarize(&ok, 0, &o, &sum), BG_EINVAL);
    assert_int_equal(bg_summarize(&ok, 1, NULL, &sum), BG_EINVAL);
    assert_int_equal(bg_summarize(&ok, 1, &o, NULL), BG_EINVAL);
    double p;
    assert_int_equal(bg__stat_arrays(BG_STAT_MEAN, it, ns, 0, &p), BG_EINVAL);
    assert_int_equal(bg__stat_arrays(BG_STAT_COUNT, it, ns, 3, &p), BG_EINVAL);
    assert_int_equal(bg__stat_arrays(BG_STAT_MEAN, it, ns, 3, NULL), BG_EINVAL);
}

/* A single sample: every interval collapses onto it. */
static void test_single_sample(void **state)
{
    (void)state;
    double it[] = { 4 }, ns[] = { 10 };
    bg_group g = { it, ns, 1 };
    for (int s = 0; s < BG_STAT_COUNT; s++) {
        bg_boot_opts o = boot_opts(50, BG_CI_BCA, 1);
        bg_estimate e;
        assert_int_equal(bg_bootstrap_ci(&g, 1, (bg_statistic)s, &o, &e), 0);
        double want = s == BG_STAT_SD || s == BG_STAT_MAD ? 0.0 : 2.5;
        assert_true(e.point == want && e.lo == want && e.hi == want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_names),
        cmocka_unit_test(test_vs_scipy),
        cmocka_unit_test(test_point_matches_descriptive),
        cmocka_unit_test(test_replicate_matches_resample),
        cmocka_unit_test(test_draw_fill_uniform),
        cmocka_unit_test(test_same_seed_same_interval),
        cmocka_unit_test(test_summarize),
        cmocka_unit_test(test_constant_data),
        cmocka_unit_test(test_coverage_normal_mean),
        cmocka_unit_test(test_hierarchical_coverage),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_single_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
