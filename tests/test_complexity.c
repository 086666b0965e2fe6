/* Tests of the complexity fit against least-squares fits computed by NumPy
 * (fixtures/cmp_ref.h). */
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
#define REL_TOL 1e-9

static void test_names(void **state)
{
    (void)state;
    const char *want[] = {"O(1)", "O(log n)", "O(n)", "O(n log n)", "O(n^2)", "O(n^3)"};
    for (int c = 0; c < BG_O_COUNT; c++)
        assert_string_equal(bg_complexity_name((bg_complexity)c), want[c]);
    assert_string_equal(bg_complexity_name(BG_O_COUNT), "unknown");
}

static void check_case(const double *t, const double *rms, int best, double coef)
{
    bg_complexity_fit fit;
    assert_int_equal(bg_fit_complexity(cx_n, t, N(cx_n), &fit), 0);
    assert_int_equal(fit.best, best);
    assert_rel(fit.coef, coef, REL_TOL);
    assert_rel(fit.rms, rms[best], REL_TOL);
    for (int c = 0; c < BG_O_COUNT; c++)
        assert_rel(fit.rms_all[c], rms[c], REL_TOL);
}

static void test_reference(void **state)
{
    (void)state;
    check_case(cx_nlogn_t, cx_nlogn_rms, CX_NLOGN_BEST, CX_NLOGN_COEF);
    check_case(cx_n2_t, cx_n2_rms, CX_N2_BEST, CX_N2_COEF);
    check_case(cx_const_t, cx_const_rms, CX_CONST_BEST, CX_CONST_COEF);
}

static void test_exact_cubic(void **state)
{
    (void)state;
    double n[] = {2, 4, 8, 16, 32}, t[5];
    for (int i = 0; i < 5; i++)
        t[i] = 0.25 * n[i] * n[i] * n[i];
    bg_complexity_fit fit;
    assert_int_equal(bg_fit_complexity(n, t, 5, &fit), 0);
    assert_int_equal(fit.best, BG_O_N3);
    assert_rel(fit.coef, 0.25, 1e-12);
    assert_true(fit.rms < 1e-12);
}

static void test_log_of_one(void **state)
{
    (void)state;
    /* All sizes 1: log n is 0 everywhere, so O(log n) and O(n log n) cannot
     * be fitted; O(1) (first of the equally good models) wins. */
    double n[] = {1, 1, 1}, t[] = {5, 6, 7};
    bg_complexity_fit fit;
    assert_int_equal(bg_fit_complexity(n, t, 3, &fit), 0);
    assert_int_equal(fit.best, BG_O_1);
    assert_true(isinf(fit.rms_all[BG_O_LOGN]) && isinf(fit.rms_all[BG_O_NLOGN]));
    assert_rel(fit.coef, 6.0, 1e-12);
}

/* The relative fit against values computed independently (Python, closed
 * form: coef = sum(g) / sum(g^2) with g = f(n) / t) for t = 3 n log2 n with
 * errors of +5, -3, +2, -4 and +1 %. */
static void test_relative(void **state)
{
    (void)state;
    const double n[] = {1024, 8192, 65536, 524288, 4194304};
    const double t[] = {32256.0, 309903.36, 3208642.56, 28689039.36, 279592304.64};
    static const double coef[BG_O_COUNT] = {35588.399268828456, 3653.7873485392834, 41.703815164058014,
                                            2.9994540039960018, 1.8281694871097172e-05,
                                            3.8611932331530612e-12};
    static const double rms[BG_O_COUNT] = {0.8682617957476837, 0.85942483861707553,
                                           0.25850501838857937, 0.032992567066335222,
                                           0.8538751291439578, 0.89008469458255157};
    bg_complexity_fit fit;
    assert_int_equal(bg_fit_complexity_relative(n, t, 5, &fit), 0);
    assert_int_equal(fit.best, BG_O_NLOGN);
    assert_true(fabs(fit.coef / coef[BG_O_NLOGN] - 1) < 1e-12);
    for (int c = 0; c < BG_O_COUNT; c++)
        assert_true(fabs(fit.rms_all[c] / rms[c] - 1) < 1e-12);
    const double zero[] = {1, 0, 2};
    assert_int_equal(bg_fit_complexity_relative(n, zero, 3, &fit), BG_EINVAL);
}

static void test_bad_input(void **state)
{
    (void)state;
    double n[] = {1, 2, 4}, t[] = {1, 2, 3}, bad[] = {1, NAN, 3}, zero[] = {0, 2, 4},
           neg[] = {-1, -2, -3};
    bg_complexity_fit fit;
    assert_int_equal(bg_fit_complexity(NULL, t, 3, &fit), BG_EINVAL);
    assert_int_equal(bg_fit_complexity(n, NULL, 3, &fit), BG_EINVAL);
    assert_int_equal(bg_fit_complexity(n, t, 3, NULL), BG_EINVAL);
    assert_int_equal(bg_fit_complexity(n, t, 1, &fit), BG_EINVAL);
    assert_int_equal(bg_fit_complexity(n, bad, 3, &fit), BG_EINVAL);
    assert_int_equal(bg_fit_complexity(bad, t, 3, &fit), BG_EINVAL);
    assert_int_equal(bg_fit_complexity(zero, t, 3, &fit), BG_EINVAL);
    assert_int_equal(bg_fit_complexity(n, neg, 3, &fit), BG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_exact_cubic),
        cmocka_unit_test(test_log_of_one),
        cmocka_unit_test(test_relative),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
