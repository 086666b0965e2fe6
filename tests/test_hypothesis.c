/* Tests of the two-sample tests (Welch t, Mann-Whitney U, TOST) against SciPy
 * reference values in fixtures/cmp_ref.h. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bg_stats.h"
#include "helpers.h"
#include "fixtures/cmp_ref.h"

#define N(x) (sizeof(x) / sizeof((x)[0]))

/* Deterministic methods must agree with the reference to 1e-9 relative. */
#define REL_TOL 1e-9

static void test_welch_reference(void **state)
{
    (void)state;
    struct {
        const double *a, *b;
        size_t na, nb;
        double t, df, p;
    } cases[] = {
        {welch0_a, welch0_b, N(welch0_a), N(welch0_b), WELCH0_T, WELCH0_DF, WELCH0_P},
        {welch1_a, welch1_b, N(welch1_a), N(welch1_b), WELCH1_T, WELCH1_DF, WELCH1_P},
        {welch2_a, welch2_b, N(welch2_a), N(welch2_b), WELCH2_T, WELCH2_DF, WELCH2_P},
    };
    for (size_t i = 0; i < N(cases); i++) {
        bg_test_result r;
        assert_int_equal(bg_welch_t(cases[i].a, cases[i].na, cases[i].b, cases[i].nb, &r), 0);
        assert_rel(r.statistic, cases[i].t, REL_TOL);
        assert_rel(r.df, cases[i].df, REL_TOL);
        assert_rel(r.p, cases[i].p, REL_TOL);
    }
}

static void test_welch_degenerate(void **state)
{
    (void)state;
    const double a[] = {5, 5, 5}, b[] = {5, 5, 5, 5}, c[] = {6, 6, 6};
    bg_test_result r;
    assert_int_equal(bg_welch_t(a, 3, b, 4, &r), 0);
    assert_true(r.p == 1.0 && r.statistic == 0.0);
    assert_int_equal(bg_welch_t(a, 3, c, 3, &r), 0);
    assert_true(r.p == 0.0 && isinf(r.statistic) && r.statistic < 0);
}

static void test_mann_whitney_reference(void **state)
{
    (void)state;
    struct {
        const char *name;
        const double *a, *b;
        size_t na, nb;
        double u, p;
    } cases[] = {
        {"exact_small", mwu_exact_small_a, mwu_exact_small_b, N(mwu_exact_small_a),
         N(mwu_exact_small_b), MWU_EXACT_SMALL_U, MWU_EXACT_SMALL_P},
        {"exact_8", mwu_exact_8_a, mwu_exact_8_b, N(mwu_exact_8_a), N(mwu_exact_8_b),
         MWU_EXACT_8_U, MWU_EXACT_8_P},
        {"exact_extreme", mwu_exact_extreme_a, mwu_exact_extreme_b, N(mwu_exact_extreme_a),
         N(mwu_exact_extreme_b), MWU_EXACT_EXTREME_U, MWU_EXACT_EXTREME_P},
        {"ties", mwu_ties_a, mwu_ties_b, N(mwu_ties_a), N(mwu_ties_b), MWU_TIES_U, MWU_TIES_P},
        {"large", mwu_large_a, mwu_large_b, N(mwu_large_a), N(mwu_large_b), MWU_LARGE_U,
         MWU_LARGE_P},
        {"large_ties", mwu_large_ties_a, mwu_large_ties_b, N(mwu_large_ties_a),
         N(mwu_large_ties_b), MWU_LARGE_TIES_U, MWU_LARGE_TIES_P},
    };
    for (size_t i = 0; i < N(cases); i++) {
        bg_test_result r;
        print_message("mann-whitney %s\n", cases[i].name);
        assert_int_equal(bg_mann_whitney(cases[i].a, cases[i].na, cases[i].b, cases[i].nb, &r), 0);
        assert_rel(r.statistic, cases[i].u, REL_TOL);
        assert_rel(r.p, cases[i].p, REL_TOL);
        /* Swapping the samples gives U_b = na*nb - U_a and the same p. */
        bg_test_result s;
        assert_int_equal(bg_mann_whitney(cases[i].b, cases[i].nb, cases[i].a, cases[i].na, &s), 0);
        assert_rel(s.statistic, (double)(cases[i].na * cases[i].nb) - cases[i].u, REL_TOL);
        assert_rel(s.p, cases[i].p, REL_TOL);
    }
}

static void test_mann_whitney_all_tied(void **state)
{
    (void)state;
    const double a[] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, b[] = {3, 3, 3, 3, 3, 3, 3, 3, 3};
    bg_test_result r;
    assert_int_equal(bg_mann_whitney(a, N(a), b, N(b), &r), 0);
    assert_true(r.p == 1.0);
    assert_rel(r.statistic, 45.0, REL_TOL);
}

static void test_tost_reference(void **state)
{
    (void)state;
    struct {
        const double *a, *b;
        size_t na, nb;
        double margin, p;
    } cases[] = {
        {tost0_a, tost0_b, N(tost0_a), N(tost0_b), TOST0_MARGIN, TOST0_P},
        {tost1_a, tost1_b, N(tost1_a), N(tost1_b), TOST1_MARGIN, TOST1_P},
        {tost2_a, tost2_b, N(tost2_a), N(tost2_b), TOST2_MARGIN, TOST2_P},
    };
    for (size_t i = 0; i < N(cases); i++) {
        bg_test_result r;
        assert_int_equal(
            bg_tost_relative(cases[i].a, cases[i].na, cases[i].b, cases[i].nb, cases[i].margin, &r),
            0);
        assert_rel(r.p, cases[i].p, REL_TOL);
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    const double a[] = {1, 2, 3}, bad[] = {1, NAN, 3}, inf[] = {1, INFINITY, 3}, z[] = {0, 0, 0};
    bg_test_result r;
    assert_int_equal(bg_welch_t(NULL, 3, a, 3, &r), BG_EINVAL);
    assert_int_equal(bg_welch_t(a, 3, a, 3, NULL), BG_EINVAL);
    assert_int_equal(bg_welch_t(a, 1, a, 3, &r), BG_EINVAL);
    assert_int_equal(bg_welch_t(a, 3, bad, 3, &r), BG_EINVAL);
    assert_int_equal(bg_welch_t(inf, 3, a, 3, &r), BG_EINVAL);
    assert_int_equal(bg_mann_whitney(a, 0, a, 3, &r), BG_EINVAL);
    assert_int_equal(bg_mann_whitney(a, 3, bad, 3, &r), BG_EINVAL);
    assert_int_equal(bg_mann_whitney(a, 3, NULL, 3, &r), BG_EINVAL);
    assert_int_equal(bg_tost_relative(a, 3, a, 3, 0.0, &r), BG_EINVAL);
    assert_int_equal(bg_tost_relative(a, 3, a, 3, NAN, &r), BG_EINVAL);
    assert_int_equal(bg_tost_relative(a, 3, a, 3, -0.1, &r), BG_EINVAL);
    assert_int_equal(bg_tost_relative(z, 3, a, 3, 0.1, &r), BG_EINVAL);
    assert_int_equal(bg_tost_relative(a, 3, bad, 3, 0.1, &r), BG_EINVAL);
    assert_int_equal(bg_tost_relative(a, 2, a, 1, 0.1, &r), BG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_welch_reference),
        cmocka_unit_test(test_welch_degenerate),
        cmocka_unit_test(test_mann_whitney_reference),
        cmocka_unit_test(test_mann_whitney_all_tied),
        cmocka_unit_test(test_tost_reference),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
