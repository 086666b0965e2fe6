/* Tests of the bootstrap comparison of base and candidate: point estimate,
 * determinism, degenerate data, hierarchical widening, agreement with normal
 * theory, several groups with every statistic, bad input. */
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
#include "helpers.h"

#define MAXN 400

typedef struct data {
    double iters[8][MAXN], ns[8][MAXN];
    bg_group g[8];
} data;

/* ngroups groups of n samples: iters = 1 + i, per-iteration time
 * mean * (1 + between * N(0,1) per group) * (1 + within * N(0,1)). */
static void fill(data *d, gsl_rng *r, size_t ngroups, size_t n, double mean, double between,
                 double within)
{
    for (size_t g = 0; g < ngroups; g++) {
        double level = mean * (1.0 + between * gsl_ran_gaussian(r, 1.0));
        for (size_t i = 0; i < n; i++) {
            d->iters[g][i] = (double)(1 + i);
            d->ns[g][i] = d->iters[g][i] * level * (1.0 + within * gsl_ran_gaussian(r, 1.0));
        }
        d->g[g] = (bg_group){d->iters[g], d->ns[g], n};
    }
}

static double pooled_mean(const data *d, size_t ngroups)
{
    double s = 0.0;
    size_t m = 0;
    for (size_t g = 0; g < ngroups; g++)
        for (size_t i = 0; i < d->g[g].n; i++, m++)
            s += d->ns[g][i] / d->iters[g][i];
    return s / (double)m;
}

static void test_point_and_determinism(void **state)
{
    (void)state;
    static data a, b;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1);
    fill(&a, r, 3, 20, 100.0, 0.005, 0.01);
    fill(&b, r, 3, 20, 103.0, 0.005, 0.01);
    gsl_rng_free(r);
    for (int m = 0; m < 2; m++) {
        bg_boot_opts o = boot_opts(2000, m ? BG_CI_BCA : BG_CI_PERCENTILE, 99);
        bg_change c1, c2, c3;
        assert_int_equal(bg_compare_change(a.g, 3, b.g, 3, BG_STAT_MEAN, &o, &c1), 0);
        assert_int_equal(bg_compare_change(a.g, 3, b.g, 3, BG_STAT_MEAN, &o, &c2), 0);
        double want = pooled_mean(&b, 3) / pooled_mean(&a, 3) - 1.0;
        assert_true(fabs(c1.change - want) < 1e-12);
        assert_true(c1.change == c2.change && c1.lo == c2.lo && c1.hi == c2.hi && c1.p == c2.p);
        assert_true(c1.lo < c1.change && c1.change < c1.hi);
        assert_true(c1.lo > 0.0 && c1.p < 0.05);
        o.seed = 100;
        assert_int_equal(bg_compare_change(a.g, 3, b.g, 3, BG_STAT_MEAN, &o, &c3), 0);
        assert_true(c3.change == c1.change && (c3.lo != c1.lo || c3.hi != c1.hi));
    }
}

static void test_every_statistic(void **state)
{
    (void)state;
    static data a, b;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2);
    fill(&a, r, 1, 40, 100.0, 0.0, 0.01);
    fill(&b, r, 1, 40, 110.0, 0.0, 0.01);
    gsl_rng_free(r);
    bg_boot_opts o = boot_opts(1000, BG_CI_BCA, 5);
    for (int s = 0; s < BG_STAT_COUNT; s++) {
        bg_change c;
        assert_int_equal(bg_compare_change(a.g, 1, b.g, 1, (bg_statistic)s, &o, &c), 0);
        assert_true(c.lo <= c.change && c.change <= c.hi);
        if (s != BG_STAT_SD && s != BG_STAT_MAD) {
            /* location statistics see the 10% shift */
            if (fabs(c.change - 0.10) > 0.02)
                fail_msg("%s: change %g", bg_statistic_name((bg_statistic)s), c.change);
            assert_true(c.lo > 0.05 && c.p <= 1.0 / 1001.0 + 1e-15);
        }
    }
}

/* Deterministic counters: identical constant data gives change 0, interval
 * [0, 0], p 1; a constant 10% step gives [0.1, 0.1] and the floor p. */
static void test_degenerate(void **state)
{
    (void)state;
    double it[5] = {1, 2, 3, 4, 5}, base[5], same[5], more[5];
    for (int i = 0; i < 5; i++) {
        base[i] = same[i] = 1000.0 * it[i];
        more[i] = 1100.0 * it[i];
    }
    bg_group gb = {it, base, 5}, gs = {it, same, 5}, gm = {it, more, 5};
    for (int m = 0; m < 2; m++) {
        bg_boot_opts o = boot_opts(999, m ? BG_CI_BCA : BG_CI_PERCENTILE, 1);
        bg_change c;
        assert_int_equal(bg_compare_change(&gb, 1, &gs, 1, BG_STAT_MEAN, &o, &c), 0);
        assert_true(c.change == 0.0 && c.lo == 0.0 && c.hi == 0.0 && c.p == 1.0);
        assert_int_equal(bg_compare_change(&gb, 1, &gm, 1, BG_STAT_SLOPE, &o, &c), 0);
        assert_true(fabs(c.change - 0.1) < 1e-12 && fabs(c.lo - 0.1) < 1e-12 &&
                    fabs(c.hi - 0.1) < 1e-12);
        assert_true(fabs(c.p - 1.0 / 1000.0) < 1e-15);
        /* SD of constant data is 0: no relative change defined. */
        assert_int_equal(bg_compare_change(&gb, 1, &gm, 1, BG_STAT_SD, &o, &c), BG_ENUMERIC);
    }
}

/* Between-process noise must widen the interval: the same samples compared
 * as 4 groups give a wider interval than pooled into one group. */
static void test_hierarchical_widens(void **state)
{
    (void)state;
    static data a, b;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    fill(&a, r, 4, 25, 100.0, 0.02, 0.01);
    fill(&b, r, 4, 25, 100.0, 0.02, 0.01);
    gsl_rng_free(r);
    /* The same samples as one group of 100. */
    static double ia[100], na[100], ib[100], nb[100];
    for (size_t g = 0; g < 4; g++)
        for (size_t i = 0; i < 25; i++) {
            ia[g * 25 + i] = a.iters[g][i];
            na[g * 25 + i] = a.ns[g][i];
            ib[g * 25 + i] = b.iters[g][i];
            nb[g * 25 + i] = b.ns[g][i];
        }
    bg_group pa = {ia, na, 100}, pb = {ib, nb, 100};
    bg_boot_opts o = boot_opts(4000, BG_CI_PERCENTILE, 8);
    bg_change h, f;
    assert_int_equal(bg_compare_change(a.g, 4, b.g, 4, BG_STAT_MEAN, &o, &h), 0);
    assert_int_equal(bg_compare_change(&pa, 1, &pb, 1, BG_STAT_MEAN, &o, &f), 0);
    assert_true(fabs(h.change - f.change) < 1e-12);
    print_message("width hierarchical %.4f, flat %.4f\n", h.hi - h.lo, f.hi - f.lo);
    assert_true(h.hi - h.lo > 2.0 * (f.hi - f.lo));
}

/* With one group and many samples the percentile interval of the mean ratio
 * is close to the delta-method normal interval (within 10% in width). */
static void test_agrees_with_normal_theory(void **state)
{
    (void)state;
    static data a, b;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 4);
    fill(&a, r, 1, 300, 100.0, 0.0, 0.02);
    fill(&b, r, 1, 300, 101.0, 0.0, 0.02);
    gsl_rng_free(r);
    double ta[300], tb[300];
    for (int i = 0; i < 300; i++) {
        ta[i] = a.ns[0][i] / a.iters[0][i];
        tb[i] = b.ns[0][i] / b.iters[0][i];
    }
    double ma = bg_stat_mean(ta, 300), mb = bg_stat_mean(tb, 300);
    double sa = bg_stat_sd(ta, 300), sb = bg_stat_sd(tb, 300);
    double ratio = mb / ma;
    double se = ratio * sqrt(sa * sa / (300 * ma * ma) + sb * sb / (300 * mb * mb));
    double half = gsl_cdf_ugaussian_Pinv(0.975) * se;
    bg_boot_opts o = boot_opts(10000, BG_CI_BCA, 21);
    bg_change c;
    assert_int_equal(bg_compare_change(a.g, 1, b.g, 1, BG_STAT_MEAN, &o, &c), 0);
    print_message("bootstrap [%.5f, %.5f], normal [%.5f, %.5f]\n", c.lo, c.hi,
                  ratio - 1 - half, ratio - 1 + half);
    assert_true(fabs((c.hi - c.lo) / (2 * half) - 1.0) < 0.10);
    assert_true(fabs(c.lo - (ratio - 1 - half)) < 0.15 * half);
}

/* Several groups on each side, every statistic and both methods: a result, the
 * interval around the estimate, the same result again for the same seed. A
 * per-iteration time that overflows is a numeric failure, not bad input. */
static void test_hierarchical_every_statistic(void **state)
{
    (void)state;
    static data a, b;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 6);
    fill(&a, r, 3, 15, 100.0, 0.01, 0.01);
    fill(&b, r, 5, 12, 105.0, 0.01, 0.01);
    gsl_rng_free(r);
    for (int m = 0; m < 2; m++) {
        bg_boot_opts o = boot_opts(1500, m ? BG_CI_BCA : BG_CI_PERCENTILE, 17);
        for (int s = 0; s < BG_STAT_COUNT; s++) {
            bg_change c1, c2;
            assert_int_equal(bg_compare_change(a.g, 3, b.g, 5, (bg_statistic)s, &o, &c1), 0);
            assert_int_equal(bg_compare_change(a.g, 3, b.g, 5, (bg_statistic)s, &o, &c2), 0);
            assert_true(c1.change == c2.change && c1.lo == c2.lo && c1.hi == c2.hi &&
                        c1.p == c2.p);
            assert_true(c1.lo <= c1.change && c1.change <= c1.hi);
            assert_true(c1.p >= 1.0 / 1501.0 && c1.p <= 1.0);
        }
    }
    double it[3] = {1e-300, 2, 3}, ns[3] = {1e300, 20, 30};
    bg_group big = {it, ns, 3};
    bg_boot_opts o = boot_opts(100, BG_CI_BCA, 1);
    bg_change c;
    assert_int_equal(bg_compare_change(&big, 1, a.g, 1, BG_STAT_MEAN, &o, &c), BG_ENUMERIC);
}

static void test_bad_input(void **state)
{
    (void)state;
    double it[3] = {1, 2, 3}, ns[3] = {10, 20, 30}, zero_it[3] = {0, 2, 3},
           nan_ns[3] = {10, NAN, 30};
    bg_group g = {it, ns, 3}, one = {it, ns, 1}, empty = {it, ns, 0}, z = {zero_it, ns, 3},
             nn = {it, nan_ns, 3}, nul = {NULL, ns, 3};
    bg_boot_opts o = boot_opts(100, BG_CI_BCA, 1);
    bg_change c;
    assert_int_equal(bg_compare_change(NULL, 1, &g, 1, BG_STAT_MEAN, &o, &c), BG_EINVAL);
    assert_int_equal(bg_compare_change(&g, 0, &g, 1, BG_STAT_MEAN, &o, &c), BG_EINVAL);
    assert_int_equal(bg_compare_change(&g, 1, &g, 1, BG_STAT_MEAN, &o, NULL), BG_EINVAL);
    assert_int_equal(bg_compare_change(&g, 1, &g, 1, BG_STAT_COUNT, &o, &c), BG_EINVAL);
    assert_int_equal(bg_compare_change(&one, 1, &g, 1, BG_STAT_MEAN, &o, &c), BG_EINVAL);
    assert_int_equal(bg_compare_change(&g, 1, &empty, 1, BG_STAT_MEAN, &o, &c), BG_EINVAL);
    assert_int_equal(bg_compare_change(&g, 1, &z, 1, BG_STAT_MEAN, &o, &c), BG_EINVAL);
    assert_int_equal(bg_compare_change(&nn, 1, &g, 1, BG_STAT_MEAN, &o, &c), BG_EINVAL);
    assert_int_equal(bg_compare_change(&g, 1, &nul, 1, BG_STAT_MEAN, &o, &c), BG_EINVAL);
    o.resamples = 1;
    assert_int_equal(bg_compare_change(&g, 1, &g, 1, BG_STAT_MEAN, &o, &c), BG_EINVAL);
    o.resamples = 100;
    o.confidence = 1.0;
    assert_int_equal(bg_compare_change(&g, 1, &g, 1, BG_STAT_MEAN, &o, &c), BG_EINVAL);
    /* NULL options mean the defaults. */
    assert_int_equal(bg_compare_change(&g, 1, &g, 1, BG_STAT_MEAN, NULL, &c), 0);
    assert_true(c.change == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_and_determinism),
        cmocka_unit_test(test_every_statistic),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_hierarchical_widens),
        cmocka_unit_test(test_hierarchical_every_statistic),
        cmocka_unit_test(test_agrees_with_normal_theory),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
