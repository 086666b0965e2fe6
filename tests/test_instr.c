/* Instruction mode through a real bench binary (instr_bench) under
 * valgrind: two runs give identical counts, also when the caller's
 * environment differs in size; a benchmark made 1 % longer counts ~1 %
 * more; skips and crashes come back through valgrind as they
 * are; without valgrind the mode says what to install and exits 2.
 *
 * valgrind cannot run a binary built with AddressSanitizer, so in the
 * sanitizer build only the paths that need no valgrind run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#ifndef INSTR_BENCH
#error "INSTR_BENCH must be the path of the instr_bench binary"
#endif

#if defined(__SANITIZE_ADDRESS__)
#define BG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BG_ASAN 1
#endif
#endif

/* The run record's path, one per test process (build directories may run
 * their tests at the same time). */
static const char *json_path(void)
{
    return pid_path("/tmp/bg_instr_test", ".json");
}

/* Skips a test that needs valgrind where it cannot run. */
static void need_valgrind(void)
{
#ifdef BG_ASAN
    skip();
#endif
    if (system("valgrind --version >/dev/null 2>&1") != 0)
        fail_msg("valgrind is not installed; tools/setup-deps.sh installs it");
}

/* Runs instruction mode on the benchmarks matching filter. */
static cJSON *run_instr(const char *filter, const char *const *env, int expect_code)
{
    const char *args[] = {"--mode",     "instructions:valgrind", "--filter", filter, "--json",
                          json_path(), "--color",               "never",    NULL};
    bench_out o = run_bench(INSTR_BENCH, args, env);
    if (o.code != expect_code)
        fail_msg("exit %d, expected %d; stderr:\n%s", o.code, expect_code, o.err);
    bench_out_free(&o);
    return read_record(json_path());
}

/* The per-process values of counter `name` and the iterations of their
 * samples (one sample of n iterations per process). */
static size_t counts(const cJSON *b, const char *name, double *v, double *iters, size_t max)
{
    size_t n = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(b, "processes"))
    {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(p, "counters");
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(c, name);
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(p, "iters");
        assert_int_equal(cJSON_GetArraySize(vals), 1);
        assert_int_equal(cJSON_GetArraySize(it), 1);
        assert_true(n < max);
        v[n] = cJSON_GetArrayItem(vals, 0)->valuedouble;
        iters[n] = cJSON_GetArrayItem(it, 0)->valuedouble;
        n++;
    }
    return n;
}

static double per_iter(const cJSON *rec, const char *bench, const char *counter)
{
    const cJSON *b = record_bench(rec, bench);
    assert_non_null(b);
    assert_string_equal(bench_str(b, "status"), "ok");
    double v[8], it[8];
    size_t n = counts(b, counter, v, it, 8);
    assert_true(n >= 1);
    return v[0] / it[0];
}

static void test_identical_twice(void **state)
{
    (void)state;
    need_valgrind();
    const char *filter = "^(hash_env|alloc_walk)$";
    cJSON *a = run_instr(filter, NULL, 0), *b = run_instr(filter, NULL, 0);
    const char *benches[] = {"hash_env", "alloc_walk"};
    const char *counters[] = {"instructions", "est_cycles"};
    for (size_t i = 0; i < 2; i++) {
        for (size_t k = 0; k < 2; k++) {
            double va[8], vb[8], ia[8], ib[8];
            size_t na = counts(record_bench(a, benches[i]), counters[k], va, ia, 8);
            size_t nb = counts(record_bench(b, benches[i]), counters[k], vb, ib, 8);
            assert_int_equal(na, nb);
            assert_true(na >= 2); /* several processes, several layouts */
            for (size_t j = 0; j < na; j++) {
                if (va[j] != vb[j] || ia[j] != ib[j])
                    fail_msg("%s %s, process %zu: %.0f over %.0f iterations, then %.0f over "
                             "%.0f",
                             benches[i], counters[k], j + 1, va[j], ia[j], vb[j], ib[j]);
                assert_true(va[j] > 0);
            }
        }
    }
    /* 20000 bytes of FNV-1a: a load, an xor and a multiply per byte, and
     * the loop's share, whatever the compiler unrolls. */
    double hash = per_iter(a, "hash_env", "instructions");
    if (!(hash > 20000 * 3 && hash < 20000 * 8))
        fail_msg("hash_env: %.1f instructions per iteration", hash);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_detects_one_percent(void **state)
{
    (void)state;
    need_valgrind();
    const char *env[] = {"INSTR_EXTRA_BYTES=200", NULL}; /* 20000 -> 20200 bytes */
    cJSON *base = run_instr("^hash_env$", NULL, 0), *longer = run_instr("^hash_env$", env, 0);
    double x = per_iter(base, "hash_env", "instructions");
    double y = per_iter(longer, "hash_env", "instructions");
    double rel = y / x - 1;
    if (!(rel > 0.005 && rel < 0.015))
        fail_msg("1 %% more bytes changed instructions/iteration by %.4f %% (%.1f -> %.1f)",
                 rel * 100, x, y);
    assert_true(per_iter(longer, "hash_env", "est_cycles") >
                per_iter(base, "hash_env", "est_cycles"));
    cJSON_Delete(base);
    cJSON_Delete(longer);
}

/* A caller's environment of another size (CI variables, another working
 * directory) does not move the stack the benchmark counts on. */
static void test_environment_size_does_not_matter(void **state)
{
    (void)state;
    need_valgrind();
    char big[1200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char var[1300];
    snprintf(var, sizeof var, "BG_TEST_NOISE=%s", big);
    const char *small_env[] = {"BG_TEST_NOISE=", NULL};
    const char *big_env[] = {var, "BG_TEST_NOISE2=1", NULL};
    cJSON *a = run_instr("^stack_position$", small_env, 0);
    cJSON *b = run_instr("^stack_position$", big_env, 0);
    double va[8], vb[8], ia[8], ib[8];
    size_t na = counts(record_bench(a, "stack_position"), "instructions", va, ia, 8);
    size_t nb = counts(record_bench(b, "stack_position"), "instructions", vb, ib, 8);
    assert_int_equal(na, nb);
    for (size_t j = 0; j < na; j++)
        if (va[j] != vb[j] || ia[j] != ib[j])
            fail_msg("process %zu: %.0f instructions over %.0f iterations, then %.0f over %.0f "
                     "with a larger environment",
                     j + 1, va[j], ia[j], vb[j], ib[j]);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_skip_and_crash_come_back(void **state)
{
    (void)state;
    need_valgrind();
    cJSON *rec = run_instr("^(skips|crashes)$", NULL, 3);
    const cJSON *s = record_bench(rec, "skips"), *c = record_bench(rec, "crashes");
    assert_string_equal(bench_str(s, "status"), "skipped");
    assert_string_equal(bench_str(s, "message"), "not on this machine");
    assert_string_equal(bench_str(c, "status"), "crashed");
    assert_non_null(strstr(bench_str(c, "message"), "signal"));
    cJSON_Delete(rec);
}

static void test_without_valgrind(void **state)
{
    (void)state;
    const char *env[] = {"PATH=/nonexistent/bg-no-valgrind", NULL};
    const char *args[] = {"--mode", "instructions:valgrind", "--filter", "hash_env", NULL};
    bench_out o = run_bench(INSTR_BENCH, args, env);
    assert_int_equal(o.code, 2);
    assert_non_null(strstr(o.err, "unavailable: valgrind not found; apt-get install valgrind"));
    assert_string_equal(o.out, ""); /* nothing was measured */
    bench_out_free(&o);
}

static void test_bad_mode(void **state)
{
    (void)state;
    const char *args[] = {"--mode", "cycles", NULL};
    bench_out o = run_bench(INSTR_BENCH, args, NULL);
    assert_int_equal(o.code, 2);
    assert_non_null(strstr(o.err, "--mode: invalid value 'cycles'; expected time, instructions"));
    bench_out_free(&o);
}

/* Where the machine has no hardware instruction counter (this VM),
 * instructions:hw says so and exits 2, naming the program as other errors
 * do: its file name alone. Elsewhere it runs. */
static void test_hw_unavailable_message(void **state)
{
    (void)state;
    const char *args[] = {"--mode", "instructions:hw", "--filter", "hash_env", "--quick", NULL};
    bench_out o = run_bench(INSTR_BENCH, args, NULL);
    if (o.code == 0) {
        bench_out_free(&o);
        skip(); /* the hardware counter works here */
    }
    assert_int_equal(o.code, 2);
    const char *want = "instr_bench: --mode instructions:hw: unavailable: ";
    if (strncmp(o.err, want, strlen(want)) != 0)
        fail_msg("expected the message to begin with '%s', got: %s", want, o.err);
    bench_out_free(&o);
}

/* --list needs no valgrind: nothing is measured. */
static void test_list_in_instruction_mode(void **state)
{
    (void)state;
    const char *env[] = {"PATH=/nonexistent/bg-no-valgrind", NULL};
    const char *args[] = {"--mode", "instructions", "--list", NULL};
    bench_out o = run_bench(INSTR_BENCH, args, env);
    assert_int_equal(o.code, 0);
    assert_non_null(strstr(o.out, "hash_env\n"));
    bench_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_valgrind),
        cmocka_unit_test(test_bad_mode),
        cmocka_unit_test(test_list_in_instruction_mode),
        cmocka_unit_test(test_hw_unavailable_message),
        cmocka_unit_test(test_identical_twice),
        cmocka_unit_test(test_detects_one_percent),
        cmocka_unit_test(test_environment_size_does_not_matter),
        cmocka_unit_test(test_skip_and_crash_come_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
