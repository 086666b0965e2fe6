/* The iteration planner: warm-up decisions and the linear sampling plan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bg_harness.h"

static void test_linear_plan_fits_the_time(void **state)
{
    (void)state;
    bg_plan p;
    /* 10 ns per iteration, 150 ms, 20 samples, smallest sample >= 10 µs. */
    assert_int_equal(bg__plan(10, 150e6, 20, 1e4, &p), 0);
    assert_false(p.flat);
    assert_int_equal(p.m, 20);
    /* k = floor(150e6 / (10 * 210)) = 71428 */
    assert_int_equal(p.k, 71428);
    assert_int_equal(bg__plan_iters(&p, 1), 71428);
    assert_int_equal(bg__plan_iters(&p, 3), 3 * 71428);
    double total = 0;
    for (size_t i = 1; i <= p.m; i++)
        total += (double)bg__plan_iters(&p, i) * 10;
    assert_true(total <= 150e6 && total > 0.99 * 150e6);
}

static void test_smallest_sample_above_minimum(void **state)
{
    (void)state;
    bg_plan p;
    /* 1 µs per iteration with a tiny budget: k is raised so the first
     * sample is >= 10 µs, and the plan is shortened to fit 2x the time. */
    assert_int_equal(bg__plan(1000, 1e6, 20, 1e4, &p), 0);
    assert_true((double)p.k * 1000 >= 1e4);
    assert_true(p.m >= 5);
}

static void test_slow_iterations_use_flat_plan(void **state)
{
    (void)state;
    bg_plan p;
    /* 100 ms per iteration, 150 ms budget: linear 1..5 would be 1.5 s. */
    assert_int_equal(bg__plan(100e6, 150e6, 20, 1e4, &p), 0);
    assert_true(p.flat);
    assert_int_equal(p.k, 1);
    assert_int_equal(p.m, 5);
    assert_int_equal(bg__plan_iters(&p, 4), 1);
}

static void test_plan_rejects_bad_input(void **state)
{
    (void)state;
    bg_plan p;
    assert_int_equal(bg__plan(0, 1e6, 20, 1e4, &p), BG_EINVAL);
    assert_int_equal(bg__plan(10, 0, 20, 1e4, &p), BG_EINVAL);
    assert_int_equal(bg__plan(10, 1e6, 0, 1e4, &p), BG_EINVAL);
    assert_int_equal(bg__plan(10, 1e6, 20, 1e4, NULL), BG_EINVAL);
}

static void test_warmup_doubles_then_ends_on_budget(void **state)
{
    (void)state;
    bg_warmup w;
    bg__warmup_init(&w);
    assert_int_equal(w.next, 1);
    /* A noisy benchmark (never stable) with 10 ns/iter: doubling. */
    double elapsed = 0;
    uint64_t it = w.next;
    int steps = 0;
    bool done = false;
    while (!done && steps < 100) {
        double ns = (double)it * 10 * (steps % 2 ? 1.1 : 0.9);
        elapsed += ns;
        done = bg__warmup_step(&w, it, ns, elapsed, 50e6, 1e4);
        if (!done) {
            assert_true(w.next >= 1);
            it = w.next;
        }
        steps++;
    }
    assert_true(done);
    assert_true(elapsed >= 50e6);
    assert_true(elapsed < 2 * 50e6); /* never overshoots by much */
}

static void test_warmup_ends_early_when_stable(void **state)
{
    (void)state;
    bg_warmup w;
    bg__warmup_init(&w);
    double elapsed = 0;
    uint64_t it = w.next;
    bool done = false;
    int steps = 0;
    while (!done && steps < 100) {
        double ns = (double)it * 100; /* perfectly stable 100 ns/iter */
        elapsed += ns;
        done = bg__warmup_step(&w, it, ns, elapsed, 1e9, 1e4);
        it = w.next;
        steps++;
    }
    assert_true(done);
    assert_true(elapsed < 1e9);       /* before the budget */
    assert_true(elapsed >= 1e9 / 4);  /* but after a quarter of it */
    assert_true(w.per_iter_ns > 99 && w.per_iter_ns < 101);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_plan_fits_the_time),
        cmocka_unit_test(test_smallest_sample_above_minimum),
        cmocka_unit_test(test_slow_iterations_use_flat_plan),
        cmocka_unit_test(test_plan_rejects_bad_input),
        cmocka_unit_test(test_warmup_doubles_then_ends_on_budget),
        cmocka_unit_test(test_warmup_ends_early_when_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
