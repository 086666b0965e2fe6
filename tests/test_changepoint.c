/* Tests of change-point detection over a per-commit series: false alarms on
 * flat noise, detection of steps, edge cases. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "bg_stats.h"

#define MAXCP 16

/* x[i] = 100 * (1 + step_i) * (1 + noise * N(0,1)). */
static void series(gsl_rng *r, double *x, size_t n, double noise, size_t at1, double step1,
                   size_t at2, double step2)
{
    for (size_t i = 0; i < n; i++) {
        double level = 100.0;
        if (i >= at1)
            level *= 1.0 + step1;
        if (i >= at2)
            level *= 1.0 + step2;
        x[i] = level * (1.0 + noise * gsl_ran_gaussian(r, 1.0));
    }
}

/* 1% noise, n = 50, alpha 0.05: a false alarm needs the first permutation
 * test to reject, which happens with probability ~alpha. Over 200 series we
 * allow 20 (10%); the expected count is ~10 and P(>= 21) < 0.2%. */
static void test_flat_noise_rarely_fires(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    double x[50];
    bg_changepoint cp[MAXCP];
    size_t fired = 0, reps = 200;
    for (size_t k = 0; k < reps; k++) {
        series(r, x, 50, 0.01, 50, 0.0, 50, 0.0);
        size_t n;
        assert_int_equal(bg_changepoints(x, 50, 0.05, 1000 + k, cp, MAXCP, &n), 0);
        fired += n > 0;
    }
    gsl_rng_free(r);
    print_message("flat series with a change point reported: %zu / %zu\n", fired, reps);
    assert_true(fired <= 20);
}

/* A 5% step at index 25 with 1% noise is found every time, at the right
 * index (+-1), with p < alpha and the right magnitude (+-1.5%: a spurious
 * extra change point next to it shortens the segment the magnitude is
 * measured on). The recursion tests each half again at alpha, so an extra
 * change point inside a half is allowed; their count is printed. */
static void test_finds_step(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    double x[50];
    bg_changepoint cp[MAXCP];
    size_t extra = 0, reps = 50;
    for (size_t k = 0; k < reps; k++) {
        series(r, x, 50, 0.01, 25, 0.05, 50, 0.0);
        size_t n;
        assert_int_equal(bg_changepoints(x, 50, 0.05, k, cp, MAXCP, &n), 0);
        assert_true(n >= 1);
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (fabs(cp[i].magnitude) > fabs(cp[best].magnitude))
                best = i;
        if (cp[best].index < 24 || cp[best].index > 26)
            fail_msg("series %zu: change at %zu", k, cp[best].index);
        assert_true(fabs(cp[best].magnitude - 0.05) < 0.015);
        assert_true(cp[best].p < 0.05);
        extra += n - 1;
    }
    gsl_rng_free(r);
    print_message("5%% step: found in %zu / %zu series, %zu extra change points\n", reps, reps,
                  extra);
}

static void test_two_steps_and_max(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    double x[90];
    series(r, x, 90, 0.01, 30, 0.08, 60, -0.05);
    gsl_rng_free(r);
    bg_changepoint cp[MAXCP], again[MAXCP];
    size_t n, n2;
    assert_int_equal(bg_changepoints(x, 90, 0.05, 5, cp, MAXCP, &n), 0);
    assert_int_equal(n, 2);
    assert_true(cp[0].index >= 29 && cp[0].index <= 31);
    assert_true(cp[1].index >= 59 && cp[1].index <= 61);
    assert_true(fabs(cp[0].magnitude - 0.08) < 0.01);
    assert_true(fabs(cp[1].magnitude + 0.05) < 0.01);
    /* Same seed, same answer. */
    assert_int_equal(bg_changepoints(x, 90, 0.05, 5, again, MAXCP, &n2), 0);
    assert_int_equal(n2, n);
    for (size_t i = 0; i < n; i++)
        assert_true(again[i].index == cp[i].index && again[i].p == cp[i].p);
    /* Room for one: the more significant (equal p here, then the larger
     * magnitude: the 8% step). */
    assert_int_equal(bg_changepoints(x, 90, 0.05, 5, again, 1, &n2), 0);
    assert_int_equal(n2, 1);
    assert_int_equal(again[0].index, cp[0].index);
    /* Room for none: counts nothing, still fine. */
    assert_int_equal(bg_changepoints(x, 90, 0.05, 5, NULL, 0, &n2), 0);
    assert_int_equal(n2, 0);
}

static void test_edge_cases(void **state)
{
    (void)state;
    double flat[30], x[9] = {1, 1, 1, 1, 1, 2, 2, 2, 2};
    for (int i = 0; i < 30; i++)
        flat[i] = 42.0;
    bg_changepoint cp[MAXCP];
    size_t n = 99;
    assert_int_equal(bg_changepoints(flat, 30, 0.05, 1, cp, MAXCP, &n), 0);
    assert_int_equal(n, 0);
    n = 99;
    assert_int_equal(bg_changepoints(x, 9, 0.05, 1, cp, MAXCP, &n), 0); /* too short */
    assert_int_equal(n, 0);
    /* A clean step in exact data: p is the smallest possible, 1/200. */
    double step[20];
    for (int i = 0; i < 20; i++)
        step[i] = i < 10 ? 10.0 : 11.0;
    assert_int_equal(bg_changepoints(step, 20, 0.05, 1, cp, MAXCP, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cp[0].index, 10);
    assert_true(fabs(cp[0].magnitude - 0.1) < 1e-12);
    assert_true(fabs(cp[0].p - 1.0 / 200.0) < 1e-12);
}

/* A 10% step in the newest or oldest two or three runs (1% noise) is found
 * and placed at its index, at any length from 12 to 50: before, a part at
 * an end needed five values, so such a shift was missed or drawn five
 * runs from the end. Each case over 40 series; found in all but a few
 * (n = 12 has the least room: p >= 2 / C(12, 2) for a two-run end). */
static void test_step_near_the_ends(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 23);
    static const size_t lens[] = {12, 20, 30, 50};
    double x[50];
    bg_changepoint cp[MAXCP];
    for (size_t a = 0; a < 4; a++) {
        size_t n = lens[a];
        size_t ats[] = {2, 3, n - 3, n - 2};
        for (size_t b = 0; b < 4; b++) {
            size_t at = ats[b], placed = 0, reps = 40;
            for (size_t k = 0; k < reps; k++) {
                series(r, x, n, 0.01, at, 0.10, n, 0.0);
                size_t m;
                assert_int_equal(bg_changepoints(x, n, 0.05, k, cp, MAXCP, &m), 0);
                for (size_t i = 0; i < m; i++)
                    if (cp[i].index == at) {
                        placed++;
                        assert_true(fabs(cp[i].magnitude - 0.10) < 0.03);
                        break;
                    }
            }
            print_message("n = %zu, step at %zu: placed right in %zu / %zu\n", n, at, placed, reps);
            assert_true(placed >= (n == 12 ? reps * 6 / 10 : reps * 9 / 10));
        }
    }
    gsl_rng_free(r);
}

/* Exact data: a step in the last two values is a change point at n - 2;
 * a single newest value is not (it is bg_changepoint_last's). */
static void test_ends_exact(void **state)
{
    (void)state;
    double x[20];
    bg_changepoint cp[MAXCP];
    size_t n;
    for (int i = 0; i < 20; i++)
        x[i] = i < 18 ? 10.0 + 0.01 * (i % 3) : 12.0;
    assert_int_equal(bg_changepoints(x, 20, 0.05, 1, cp, MAXCP, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cp[0].index, 18);
    for (int i = 0; i < 20; i++)
        x[i] = i < 2 ? 12.0 : 10.0 + 0.01 * (i % 3);
    assert_int_equal(bg_changepoints(x, 20, 0.05, 1, cp, MAXCP, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cp[0].index, 2);
    x[0] = 10.0; /* only the first value apart: no change point */
    x[1] = 10.01;
    x[19] = 12.0; /* only the newest apart: none either */
    assert_int_equal(bg_changepoints(x, 20, 0.05, 1, cp, MAXCP, &n), 0);
    assert_int_equal(n, 0);
}

/* The newest value alone: suspected when it stands apart from the level
 * since the last change point, not when it is within the noise; a
 * confirmed change (two runs) is a change point instead. */
static void test_suspect_last(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 31);
    double x[30];
    bg_cp_suspect s;
    size_t flagged = 0, false_flags = 0, reps = 100;
    for (size_t k = 0; k < reps; k++) {
        series(r, x, 30, 0.01, 29, 0.10, 30, 0.0); /* +10% at the newest */
        assert_int_equal(bg_changepoint_last(x, 30, 0, &s), 0);
        flagged += s.suspect;
        if (s.suspect)
            assert_true(fabs(s.magnitude - 0.10) < 0.04);
        series(r, x, 30, 0.01, 30, 0.0, 30, 0.0); /* flat */
        assert_int_equal(bg_changepoint_last(x, 30, 0, &s), 0);
        false_flags += s.suspect;
    }
    gsl_rng_free(r);
    print_message("newest +10%%: suspected in %zu / %zu; flat: %zu / %zu\n", flagged, reps, false_flags, reps);
    assert_true(flagged >= 95);
    /* |z| > 3.5 and outside the range: for normal noise P(|z| > 3.5) is
     * about 5e-4 (the MAD of 29 values wobbles, so allow a few). */
    assert_true(false_flags <= 5);
    /* The level is that since the last change point (from): the older
     * level does not count. */
    double y[12] = {10, 10, 10, 10, 10, 20, 20.1, 19.9, 20, 20.05, 19.95, 20.02};
    assert_int_equal(bg_changepoint_last(y, 12, 5, &s), 0);
    assert_false(s.suspect);
    assert_int_equal(bg_changepoint_last(y, 12, 0, &s), 0); /* all 11 values: within their range */
    assert_false(s.suspect);
    y[11] = 25;
    assert_int_equal(bg_changepoint_last(y, 12, 5, &s), 0);
    assert_true(s.suspect);
    assert_true(fabs(s.magnitude - 0.25) < 1e-9);
    /* Too few values since the last change point: no judgement. */
    assert_int_equal(bg_changepoint_last(y, 12, 8, &s), 0);
    assert_false(s.suspect);
    /* Bad input. */
    assert_int_equal(bg_changepoint_last(y, 12, 12, &s), BG_EINVAL);
    assert_int_equal(bg_changepoint_last(NULL, 12, 0, &s), BG_EINVAL);
    y[3] = NAN;
    assert_int_equal(bg_changepoint_last(y, 12, 0, &s), BG_EINVAL);
}

static void test_bad_input(void **state)
{
    (void)state;
    double x[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, NAN};
    bg_changepoint cp[2];
    size_t n;
    assert_int_equal(bg_changepoints(NULL, 12, 0.05, 1, cp, 2, &n), BG_EINVAL);
    assert_int_equal(bg_changepoints(x, 11, 0.05, 1, cp, 2, NULL), BG_EINVAL);
    assert_int_equal(bg_changepoints(x, 11, 0.05, 1, NULL, 2, &n), BG_EINVAL);
    assert_int_equal(bg_changepoints(x, 11, 0.0, 1, cp, 2, &n), BG_EINVAL);
    assert_int_equal(bg_changepoints(x, 11, 1.0, 1, cp, 2, &n), BG_EINVAL);
    assert_int_equal(bg_changepoints(x, 11, NAN, 1, cp, 2, &n), BG_EINVAL);
    assert_int_equal(bg_changepoints(x, 12, 0.05, 1, cp, 2, &n), BG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flat_noise_rarely_fires),
        cmocka_unit_test(test_finds_step),
        cmocka_unit_test(test_two_steps_and_max),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_step_near_the_ends),
        cmocka_unit_test(test_ends_exact),
        cmocka_unit_test(test_suspect_last),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
