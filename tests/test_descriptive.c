/* Tests of stats/descriptive.c and stats/outliers.c against numpy/scipy values (fixtures/est_ref.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_sort.h>

#include "bg_stats.h"
#include "bg_stats_internal.h"
#include "fixtures/est_ref.h"

#define NCASES (sizeof est_cases / sizeof est_cases[0])

/* Deterministic values must agree with the reference to 1e-9 relative
 * (absolute 1e-300 so an exact 0 reference demands 0 within rounding). */
static void assert_close(double got, double want, const char *what, const char *name)
{
    double tol = 1e-9 * fabs(want) + 1e-300;
    if (!(fabs(got - want) <= tol))
        fail_msg("%s of %s: got %.17g, want %.17g", what, name, got, want);
}

/* A private copy of the case's data, to check afterwards that it was not changed. */
static double *guarded_copy(const est_case *c)
{
    double *x = malloc(c->n * sizeof *x);
    assert_non_null(x);
    memcpy(x, c->x, c->n * sizeof *x);
    return x;
}

static void test_descriptive_vs_numpy(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        const est_case *c = &est_cases[i];
        double *x = guarded_copy(c);
        assert_close(bg_stat_mean(x, c->n), c->mean, "mean", c->name);
        assert_close(bg_stat_sd(x, c->n), c->sd, "sd", c->name);
        assert_close(bg_stat_median(x, c->n), c->median, "median", c->name);
        assert_close(bg_stat_mad(x, c->n), c->mad, "mad", c->name);
        assert_close(bg_stat_min(x, c->n), c->min, "min", c->name);
        /* Input untouched, bit for bit. */
        assert_memory_equal(x, c->x, c->n * sizeof *x);
        free(x);
    }
}

static void test_quantiles_type7(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        const est_case *c = &est_cases[i];
        double *s = guarded_copy(c);
        gsl_sort(s, 1, c->n);
        for (size_t k = 0; k < EST_NQUANT; k++)
            assert_close(bg_stat_quantile_sorted(s, c->n, est_quant_p[k]), c->quant[k], "quantile",
                         c->name);
        /* The selection-based quantile used on bootstrap replicates agrees. */
        for (size_t k = 0; k < EST_NQUANT; k++) {
            double *u = guarded_copy(c);
            assert_close(bg__quantile_select(u, c->n, est_quant_p[k]), c->quant[k],
                         "select quantile", c->name);
            free(u);
        }
        free(s);
    }
}

static void test_tukey_vs_numpy(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        const est_case *c = &est_cases[i];
        double *x = guarded_copy(c);
        bg_outliers o;
        bg_outliers_tukey(x, c->n, &o);
        assert_memory_equal(x, c->x, c->n * sizeof *x);
        if (o.low_severe != c->tukey[0] || o.low_mild != c->tukey[1] ||
            o.high_mild != c->tukey[2] || o.high_severe != c->tukey[3])
            fail_msg("tukey of %s: got %zu %zu %zu %zu, want %zu %zu %zu %zu", c->name,
                     o.low_severe, o.low_mild, o.high_mild, o.high_severe, c->tukey[0],
                     c->tukey[1], c->tukey[2], c->tukey[3]);
        assert_close(o.q1, c->q1, "q1", c->name);
        assert_close(o.q3, c->q3, "q3", c->name);
        free(x);
    }
}

static void test_slope_vs_lstsq(void **state)
{
    (void)state;
    size_t n = sizeof est_slope_x / sizeof est_slope_x[0];
    assert_close(bg_stat_slope(est_slope_x, est_slope_y, n), est_slope_ref, "slope", "plan");
    /* Exact on exact data. */
    double x[] = { 1, 2, 4 }, y[] = { 3, 6, 12 };
    assert_true(bg_stat_slope(x, y, 3) == 3.0);
    assert_true(bg_stat_slope(x, y, 1) == 3.0);
}

static void test_small_and_special(void **state)
{
    (void)state;
    double one = 5.0;
    assert_true(bg_stat_sd(&one, 1) == 0.0);
    assert_true(bg_stat_mad(&one, 1) == 0.0);
    assert_true(bg_stat_quantile_sorted(&one, 1, 0.3) == 5.0);
    double s[] = { 1, 2, 3, 4 };
    assert_true(bg_stat_quantile_sorted(s, 4, 0.0) == 1.0);
    assert_true(bg_stat_quantile_sorted(s, 4, 1.0) == 4.0);
    assert_true(bg_stat_quantile_sorted(s, 4, 0.5) == 2.5);
    /* The MAD scale is 1 / Phi^-1(3/4). */
    assert_true(fabs(BG_MAD_SCALE * 0.6744897501960817 - 1.0) < 1e-15);
}

static void test_bad_input(void **state)
{
    (void)state;
    double x[] = { 1, 2, NAN }, y[] = { 1, INFINITY, 3 }, ok[] = { 1, 2, 3 }, z[] = { 0, 0 };
    assert_true(isnan(bg_stat_mean(NULL, 3)));
    assert_true(isnan(bg_stat_mean(ok, 0)));
    assert_true(isnan(bg_stat_mean(x, 3)));
    assert_true(isnan(bg_stat_sd(x, 3)));
    assert_true(isnan(bg_stat_sd(NULL, 2)));
    assert_true(isnan(bg_stat_median(x, 3)));
    assert_true(isnan(bg_stat_median(ok, 0)));
    assert_true(isnan(bg_stat_mad(y, 3)));
    assert_true(isnan(bg_stat_min(y, 3)));
    assert_true(isnan(bg_stat_min(NULL, 1)));
    assert_true(isnan(bg_stat_slope(ok, y, 3)));
    assert_true(isnan(bg_stat_slope(NULL, ok, 3)));
    assert_true(isnan(bg_stat_slope(ok, ok, 0)));
    assert_true(isnan(bg_stat_slope(z, z, 2))); /* sum x^2 == 0 */
    assert_true(isnan(bg_stat_quantile_sorted(ok, 3, -0.1)));
    assert_true(isnan(bg_stat_quantile_sorted(ok, 3, 1.1)));
    assert_true(isnan(bg_stat_quantile_sorted(ok, 3, NAN)));
    assert_true(isnan(bg_stat_quantile_sorted(NULL, 3, 0.5)));
    assert_true(isnan(bg_stat_quantile_sorted(ok, 0, 0.5)));

    bg_outliers o;
    bg_outliers_tukey(x, 3, &o);
    assert_true(o.low_severe + o.low_mild + o.high_mild + o.high_severe == 0);
    assert_true(isnan(o.q1) && isnan(o.q3));
    bg_outliers_tukey(NULL, 3, &o);
    assert_true(isnan(o.q1));
    bg_outliers_tukey(ok, 0, &o);
    assert_true(isnan(o.q3));
    bg_outliers_tukey(ok, 3, NULL); /* does nothing, does not crash */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptive_vs_numpy),
        cmocka_unit_test(test_quantiles_type7),
        cmocka_unit_test(test_tukey_vs_numpy),
        cmocka_unit_test(test_slope_vs_lstsq),
        cmocka_unit_test(test_small_and_special),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
