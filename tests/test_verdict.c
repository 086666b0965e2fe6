/* Tests of the verdict rule and of the suite-wide p-value adjustment
 * (reference values from fixtures/cmp_ref.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bg_stats.h"
#include "helpers.h"
#include "fixtures/cmp_ref.h"

#define N(x) (sizeof(x) / sizeof((x)[0]))
#define REL_TOL 1e-9

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(bg_verdict_name(BG_VERDICT_UNCHANGED), "unchanged");
    assert_string_equal(bg_verdict_name(BG_VERDICT_IMPROVED), "improved");
    assert_string_equal(bg_verdict_name(BG_VERDICT_REGRESSED), "regressed");
    assert_string_equal(bg_verdict_name(BG_VERDICT_INCONCLUSIVE), "inconclusive");
    assert_string_equal(bg_verdict_name((bg_verdict)42), "unknown");
}

/* Table-driven: every branch of the rule and its boundaries (threshold 0.01,
 * alpha 0.05). */
static void test_decide_table(void **state)
{
    (void)state;
    struct {
        double change, lo, hi, p;
        bg_verdict want;
    } rows[] = {
        {0.05, 0.03, 0.07, 0.001, BG_VERDICT_REGRESSED},
        {0.05, 0.03, 0.07, 0.05, BG_VERDICT_INCONCLUSIVE},   /* p == alpha: not significant */
        {0.05, 0.00, 0.07, 0.001, BG_VERDICT_INCONCLUSIVE},  /* lo == 0 */
        {0.01, 0.005, 0.02, 0.001, BG_VERDICT_INCONCLUSIVE}, /* change == threshold */
        {0.008, 0.002, 0.009, 0.001, BG_VERDICT_UNCHANGED},  /* significant but tiny */
        {-0.05, -0.07, -0.03, 0.001, BG_VERDICT_IMPROVED},
        {-0.05, -0.07, 0.0, 0.001, BG_VERDICT_INCONCLUSIVE},
        {-0.05, -0.07, -0.03, 0.2, BG_VERDICT_INCONCLUSIVE},
        {0.0, -0.005, 0.005, 0.9, BG_VERDICT_UNCHANGED},
        {0.0, -0.01, 0.005, 0.9, BG_VERDICT_INCONCLUSIVE},   /* lo on the threshold */
        {0.0, -0.02, 0.02, 0.9, BG_VERDICT_INCONCLUSIVE},
        {NAN, NAN, NAN, NAN, BG_VERDICT_INCONCLUSIVE},
        {0.05, 0.03, 0.07, NAN, BG_VERDICT_INCONCLUSIVE},
    };
    for (size_t i = 0; i < N(rows); i++) {
        bg_change c = {rows[i].change, rows[i].lo, rows[i].hi, rows[i].p};
        bg_verdict v = bg_decide(&c, rows[i].p, 0.01, 0.05);
        if (v != rows[i].want)
            fail_msg("row %zu: got %s, want %s", i, bg_verdict_name(v),
                     bg_verdict_name(rows[i].want));
    }
    assert_int_equal(bg_decide(NULL, 0.0, 0.01, 0.05), BG_VERDICT_INCONCLUSIVE);
}

static void test_p_adjust_reference(void **state)
{
    (void)state;
    double out[N(padj_p)];
    assert_int_equal(bg_p_adjust(padj_p, N(padj_p), BG_PADJ_BH, out), 0);
    for (size_t i = 0; i < N(padj_p); i++)
        assert_rel(out[i], padj_bh[i], REL_TOL);
    assert_int_equal(bg_p_adjust(padj_p, N(padj_p), BG_PADJ_HOLM, out), 0);
    for (size_t i = 0; i < N(padj_p); i++)
        assert_rel(out[i], padj_holm[i], REL_TOL);
    assert_int_equal(bg_p_adjust(padj_p, N(padj_p), BG_PADJ_NONE, out), 0);
    assert_memory_equal(out, padj_p, sizeof out);
}

/* Small case checked by hand against R:
 *   p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "BH")   -> all 0.05
 *   p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") -> .05 .08 .09 .09 .09 */
static void test_p_adjust_by_hand_and_alias(void **state)
{
    (void)state;
    double p[] = {0.05, 0.01, 0.03, 0.02, 0.04};
    const double bh[] = {0.05, 0.05, 0.05, 0.05, 0.05};
    const double holm[] = {0.09, 0.05, 0.09, 0.08, 0.09};
    double q[5];
    memcpy(q, p, sizeof q);
    assert_int_equal(bg_p_adjust(q, 5, BG_PADJ_BH, q), 0); /* in place */
    for (size_t i = 0; i < 5; i++)
        assert_rel(q[i], bh[i], 1e-12);
    memcpy(q, p, sizeof q);
    assert_int_equal(bg_p_adjust(q, 5, BG_PADJ_HOLM, q), 0);
    for (size_t i = 0; i < 5; i++)
        assert_rel(q[i], holm[i], 1e-12);
    /* Capped at 1. */
    double big[] = {0.6, 0.7};
    assert_int_equal(bg_p_adjust(big, 2, BG_PADJ_HOLM, big), 0);
    assert_true(big[0] == 1.0 && big[1] == 1.0);
}

static void test_p_adjust_bad_input(void **state)
{
    (void)state;
    double p[] = {0.1, NAN}, q[] = {0.1, 1.5}, r[] = {-0.1, 0.5}, out[2];
    assert_int_equal(bg_p_adjust(NULL, 2, BG_PADJ_BH, out), BG_EINVAL);
    assert_int_equal(bg_p_adjust(p, 2, BG_PADJ_BH, NULL), BG_EINVAL);
    assert_int_equal(bg_p_adjust(p, 2, BG_PADJ_BH, out), BG_EINVAL);
    assert_int_equal(bg_p_adjust(q, 2, BG_PADJ_HOLM, out), BG_EINVAL);
    assert_int_equal(bg_p_adjust(r, 2, BG_PADJ_NONE, out), BG_EINVAL);
    assert_int_equal(bg_p_adjust(p, 1, (bg_padjust)7, out), BG_EINVAL);
    assert_int_equal(bg_p_adjust(p, 0, BG_PADJ_BH, out), 0); /* empty suite */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_decide_table),
        cmocka_unit_test(test_p_adjust_reference),
        cmocka_unit_test(test_p_adjust_by_hand_and_alias),
        cmocka_unit_test(test_p_adjust_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
