/* The bench binary's flags: every error names the flag and what is allowed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bg_harness.h"

/* Parses argv (NULL-terminated, program name first); returns the code and the
 * text written to the error stream in *err (caller frees). */
static int parse(bg_config *c, char **err, const char *const *argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    char *buf = NULL, *obuf = NULL;
    size_t len = 0, olen = 0;
    FILE *e = open_memstream(&buf, &len);
    FILE *o = open_memstream(&obuf, &olen);
    assert_non_null(e);
    assert_non_null(o);
    bg__config_default(c);
    int rc = bg__parse_args(argc, (char **)argv, c, o, e);
    fclose(e);
    fclose(o);
    free(obuf);
    *err = buf;
    return rc;
}

static void test_defaults_and_values(void **state)
{
    (void)state;
    bg_config c;
    char *err;
    const char *argv[] = {"bench", "--warmup", "0.2", "--measure=0.5", "--samples", "30",
                          "--procs", "4", "--max-procs", "6", "--target", "0.5%",
                          "--seed", "18446744073709551615", "--resamples", "5000",
                          "--confidence", "0.99", "--filter", "^sort", "--json", "x.json",
                          "--statistic", "median", "--timeout", "2", "--budget", "9", NULL};
    assert_int_equal(parse(&c, &err, argv), 0);
    assert_string_equal(err, "");
    free(err);
    assert_true(c.warmup_s == 0.2);
    assert_true(c.measure_s == 0.5);
    assert_int_equal(c.samples, 30);
    assert_int_equal(c.min_procs, 4);
    assert_int_equal(c.max_procs, 6);
    assert_true(c.target > 0.00499 && c.target < 0.00501);
    assert_true(c.seed == UINT64_MAX);
    assert_int_equal(c.resamples, 5000);
    assert_true(c.confidence == 0.99);
    assert_string_equal(c.filter, "^sort");
    assert_string_equal(c.json_path, "x.json");
    assert_int_equal(c.primary, BG_STAT_MEDIAN);
    assert_true(c.timeout_s == 2.0);
    assert_true(c.budget_s == 9.0);
}

static void test_quick_then_override(void **state)
{
    (void)state;
    bg_config c;
    char *err;
    const char *argv[] = {"bench", "--procs", "3", "--max-procs", "3", "--quick", NULL};
    assert_int_equal(parse(&c, &err, argv), 0);
    free(err);
    /* --quick sets its values first; explicit flags win wherever they are. */
    assert_int_equal(c.min_procs, 3);
    assert_int_equal(c.max_procs, 3);
    assert_true(c.warmup_s < 0.05);
}

static void test_help_and_version_return_1(void **state)
{
    (void)state;
    bg_config c;
    char *err;
    const char *h[] = {"bench", "--help", NULL};
    assert_int_equal(parse(&c, &err, h), 1);
    free(err);
    const char *v[] = {"bench", "--version", NULL};
    assert_int_equal(parse(&c, &err, v), 1);
    free(err);
}

/* Each bad command line: the code is BG_EINVAL and the message names the
 * flag (or argument) and says what is allowed. */
static const struct {
    const char *argv[4];
    const char *must_say[2];
} bad[] = {
    {{"--bogus"}, {"unknown option '--bogus'", "--help"}},
    {{"stray"}, {"unexpected argument 'stray'", "--help"}},
    {{"--samples", "0"}, {"--samples: invalid value '0'", "5 to 100000"}},
    {{"--samples", "ten"}, {"--samples: invalid value 'ten'", "integer"}},
    {{"--samples", "-3"}, {"--samples: invalid value '-3'", "integer"}},
    {{"--procs", "1"}, {"--procs: invalid value '1'", "at least 2"}},
    {{"--warmup", "-1"}, {"--warmup: invalid value '-1'", "seconds > 0"}},
    {{"--warmup", "nan"}, {"--warmup: invalid value 'nan'", "seconds"}},
    {{"--measure", "0"}, {"--measure: invalid value '0'", "seconds > 0"}},
    {{"--budget", "abc"}, {"--budget: invalid value 'abc'", "seconds"}},
    {{"--timeout", "0"}, {"--timeout: invalid value '0'", "seconds > 0"}},
    {{"--target", "200"}, {"--target: invalid value '200'", "percentage"}},
    {{"--confidence", "1.5"}, {"--confidence: invalid value '1.5'", "(0.5, 0.9999]"}},
    {{"--resamples", "10"}, {"--resamples: invalid value '10'", "100 to"}},
    {{"--seed", "x1"}, {"--seed: invalid value 'x1'", "non-negative integer"}},
    {{"--statistic", "mode"}, {"--statistic: invalid value 'mode'", "mean, median or slope"}},
    {{"--color", "sometimes"}, {"--color: invalid value 'sometimes'", "auto, always or never"}},
    {{"--json", ""}, {"--json: invalid value ''", "file name"}},
    {{"--filter"}, {"--filter needs a value", "--help"}},
    {{"--list=yes"}, {"--list takes no value", ""}},
    {{"--procs", "5", "--max-procs", "3"}, {"--max-procs 3 is below --procs 5", ""}},
};

static void test_every_error_is_explained(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[6] = {"bench"};
        for (int j = 0; j < 4 && bad[i].argv[j]; j++)
            argv[j + 1] = bad[i].argv[j];
        bg_config c;
        char *err;
        int rc = parse(&c, &err, argv);
        if (rc != BG_EINVAL || !strstr(err, bad[i].must_say[0]) ||
            !strstr(err, bad[i].must_say[1]))
            fail_msg("case %zu (%s): rc %d, message: %s", i, bad[i].argv[0], rc, err);
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_values),
        cmocka_unit_test(test_quick_then_override),
        cmocka_unit_test(test_help_and_version_return_1),
        cmocka_unit_test(test_every_error_is_explained),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
