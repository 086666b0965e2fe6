/* Registration: BENCH() in several files of one binary, order by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bg_harness.h"

/* Registered in this file; more in test_registry_more.c. */
BENCH(zeta_here) { BENCH_LOOP(b) {} }
BENCH(alpha_here) { BENCH_LOOP(b) {} }

static void test_across_files_sorted_by_name(void **state)
{
    (void)state;
    size_t n;
    const bg_bench *all = bg__registry_sorted(&n);
    assert_int_equal(n, 4);
    const char *want[] = {"alpha_here", "beta_there", "mu_there", "zeta_here"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(all[i].name, want[i]);
    /* The file is recorded, so a duplicate can be located. */
    assert_non_null(strstr(all[1].file, "test_registry_more.c"));
    assert_non_null(strstr(all[0].file, "test_registry.c"));
    const char *dup = NULL;
    assert_int_equal(bg__registry_duplicate(&dup), 0);
}

static void noop(bg_state *b)
{
    (void)b;
}

static void test_register_rejects_bad_input(void **state)
{
    (void)state;
    assert_int_equal(bg_register(NULL, noop, "f.c", 1), BG_EINVAL);
    assert_int_equal(bg_register("", noop, "f.c", 1), BG_EINVAL);
    assert_int_equal(bg_register("x", NULL, "f.c", 1), BG_EINVAL);
}

static void test_duplicate_is_found(void **state)
{
    (void)state;
    assert_int_equal(bg_register("mu_there", noop, "elsewhere.c", 9), 0);
    const char *dup = NULL;
    assert_int_equal(bg__registry_duplicate(&dup), 1);
    assert_string_equal(dup, "mu_there");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_across_files_sorted_by_name),
        cmocka_unit_test(test_register_rejects_bad_input),
        cmocka_unit_test(test_duplicate_is_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
