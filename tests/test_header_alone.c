/* The public header is self-contained: it is the first and only benchgate
 * include here, and a benchmark written with it alone registers and runs. */
#include "benchgate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static unsigned long g_body_runs;

BENCH(header_alone)
{
    bg_set_items(b, 1);
    BENCH_LOOP(b) {
        g_body_runs++;
        bg_do_not_optimize(g_body_runs);
    }
}

static void test_strerror_covers_every_code(void **state)
{
    (void)state;
    for (int code = BG_ENUMERIC; code <= BG_OK; code++)
        assert_string_not_equal(bg_strerror(code), "unknown error");
    assert_string_equal(bg_strerror(-1000), "unknown error");
}

static void test_main_runs_the_registered_bench(void **state)
{
    (void)state;
    char *argv[] = {"header_alone", "--quick", "--color", "never", NULL};
    /* bg_main forks the measured processes; the parent returns 0 when the
     * one benchmark ran cleanly. */
    assert_int_equal(bg_main(4, argv), 0);
    char *list[] = {"header_alone", "--list", NULL};
    assert_int_equal(bg_main(2, list), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_covers_every_code),
        cmocka_unit_test(test_main_runs_the_registered_bench),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
