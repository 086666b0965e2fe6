/* The repository's settings file (store/settings.c): what it holds, which
 * rule a benchmark gets, where it is found, and each bad entry reported
 * with its file and line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

#include "bg_model.h"
#include "bg_settings.h"

static void test_parse_full(void **state)
{
    (void)state;
    const char *text = "{\n"
                       "  \"threshold\": 2.5,\n"
                       "  \"metric\": \"cpu\",\n"
                       "  \"benchmarks\": [\n"
                       "    {\"match\": \"sort_*\", \"threshold\": 5},\n"
                       "    {\"match\": \"sort_big\", \"ignore\": true},\n"
                       "    {\"match\": \"io_[ab]\", \"ignore\": true, \"threshold\": 0}\n"
                       "  ],\n"
                       "  \"limits\": [\"sort_*:time<=50us\"]\n"
                       "}\n";
    bg_settings s;
    char err[512] = "";
    assert_int_equal(bg__settings_parse(text, "x.json", &s, err, sizeof err), 0);
    assert_true(s.threshold_pct == 2.5);
    assert_string_equal(s.metric, "cpu");
    assert_int_equal(s.nrules, 3);
    assert_int_equal(s.rules[0].line, 5);
    assert_int_equal(s.rules[2].line, 7);
    assert_int_equal(s.nlimits, 1);
    assert_string_equal(s.limits[0], "sort_*:time<=50us");
    /* The first matching rule applies: sort_big gets sort_*'s threshold. */
    const bg_rule *r = bg__settings_rule(&s, "sort_big");
    assert_non_null(r);
    assert_true(r->threshold_pct == 5 && !r->ignore);
    assert_true(bg__settings_rule(&s, "io_a")->ignore);
    assert_null(bg__settings_rule(&s, "io_c"));
    assert_null(bg__settings_rule(NULL, "sort_1k"));
    bg__settings_free(&s);
    assert_int_equal(s.nrules, 0);
    assert_true(isnan(s.threshold_pct));
}

/* A rule may name the metric its benchmarks are compared on, alone or with
 * a threshold; without one it is the suite's (""). */
static void test_parse_rule_metric(void **state)
{
    (void)state;
    const char *text = "{\n"
                       "  \"metric\": \"time\",\n"
                       "  \"benchmarks\": [\n"
                       "    {\"match\": \"gpu_*\", \"metric\": \"gpu_timer_ns\"},\n"
                       "    {\"match\": \"alloc_*\", \"metric\": \"allocs\", \"threshold\": 0},\n"
                       "    {\"match\": \"io\", \"metric\": \"cpu\", \"ignore\": true},\n"
                       "    {\"match\": \"*\", \"threshold\": 3}\n"
                       "  ]\n"
                       "}\n";
    bg_settings s;
    char err[512] = "";
    assert_int_equal(bg__settings_parse(text, "m.json", &s, err, sizeof err), 0);
    assert_int_equal(s.nrules, 4);
    const bg_rule *r = bg__settings_rule(&s, "gpu_saxpy");
    assert_non_null(r);
    assert_string_equal(r->metric, "gpu_timer_ns");
    assert_true(isnan(r->threshold_pct) && !r->ignore);
    assert_int_equal(r->line, 4);
    r = bg__settings_rule(&s, "alloc_vec");
    assert_string_equal(r->metric, "allocs");
    assert_true(r->threshold_pct == 0);
    assert_true(bg__settings_rule(&s, "io")->ignore);
    assert_string_equal(bg__settings_rule(&s, "sort")->metric, "");
    bg__settings_free(&s);
}

/* Each bad entry: the line it is on and what is wrong. */
static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"{\n\"threshold\": 1,\n\"x\" 2\n}", "f.json:3: not valid JSON"},
        {"[1, 2]", "f.json:1: the settings must be a JSON object"},
        {"{\n\"threshold\": -1\n}", "f.json:2: \"threshold\" must be"},
        {"{\n\"metric\": 3\n}", "f.json:2: \"metric\" must be"},
        {"{\n\n\"bench\": []\n}", "f.json:3: unknown key \"bench\""},
        {"{\"benchmarks\":\n {}}", "f.json:1: \"benchmarks\" must be an array"},
        {"{\"benchmarks\": [\n  {\"match\": \"a\", \"ignore\": true},\n  3\n]}", "f.json:3: benchmarks[1] is not an object"},
        {"{\"benchmarks\": [\n\n  {\"ignore\": true}\n]}", "f.json:3: benchmarks[0] has no \"match\""},
        {"{\"benchmarks\": [\n  {\"match\": \"a\"}\n]}", "f.json:2: benchmarks[0] (\"a\") sets none of"},
        {"{\"benchmarks\": [\n  {\"match\": \"a\", \"ignore\": 1}\n]}", "f.json:2: benchmarks[0]: \"ignore\" must be"},
        {"{\"benchmarks\": [\n  {\"match\": \"a,b\", \"ignore\": true},\n  {\"match\": \"a\", \"metric\": 3}\n]}",
         "f.json:3: benchmarks[1]: \"metric\" must be a metric's name"},
        {"{\"benchmarks\": [\n\n  {\"match\": \"a\", \"metric\": \"\"}\n]}", "f.json:3: benchmarks[0]: \"metric\" must be"},
        {"{\"benchmarks\": [\n  {\"match\": \"a\", \"metric\": \"a_counter_name_far_longer_than_32_bytes\"}\n]}",
         "f.json:2: benchmarks[0]: \"metric\" must be"},
        {"{\"benchmarks\": [{\"match\": \"a\", \"treshold\": 3}]}", "f.json:1: benchmarks[0]: unknown key \"treshold\""},
        {"{\n\"limits\": [\"a:time<=1ms\",\n 5]}", "f.json:3: limits[1] is not"},
        {"{\n\"limits\": \"a\"}", "f.json:2: \"limits\" must be an array"},
        {"", "f.json:1: not valid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bg_settings s;
        char err[512] = "";
        int rc = bg__settings_parse(cases[i].text, "f.json", &s, err, sizeof err);
        if (rc != BG_EPARSE || strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: rc %d, err '%s', want '%s'", i, rc, err, cases[i].want);
        assert_int_equal(s.nrules, 0);
        bg__settings_free(&s);
    }
}

/* Found in the current directory or a parent, not above the work tree. */
static void test_load_finds_file(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/bg_settings.XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char old[4096];
    assert_non_null(getcwd(old, sizeof old));
    sh("mkdir -p '%s/repo/.git' '%s/repo/a/b' && printf '{\"threshold\": 7}' > '%s/.benchgate.json'", dir, dir,
       dir);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/repo/a/b", dir);
    assert_int_equal(chdir(sub), 0);
    bg_settings s;
    char err[512] = "";
    /* Above the work tree (repo/.git): not read. */
    assert_int_equal(bg__settings_load(NULL, &s, err, sizeof err), 0);
    assert_true(isnan(s.threshold_pct));
    assert_string_equal(s.path, "");
    sh("printf '{\"threshold\": 3}' > '%s/repo/.benchgate.json'", dir);
    assert_int_equal(bg__settings_load(NULL, &s, err, sizeof err), 0);
    assert_true(s.threshold_pct == 3);
    assert_non_null(strstr(s.path, "/repo/.benchgate.json"));
    bg__settings_free(&s);
    /* A file given by name that cannot be read: named in the error. */
    assert_int_equal(bg__settings_load("/nonexistent/x.json", &s, err, sizeof err), BG_EIO);
    assert_non_null(strstr(err, "/nonexistent/x.json"));
    assert_int_equal(chdir(old), 0);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_parse_rule_metric),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_load_finds_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
