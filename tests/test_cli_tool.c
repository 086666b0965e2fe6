/* Tests for the benchgate command: compare, gate (exit codes, Bench-Accept
 * trailers, JUnit), ls, machine refusal and usage errors, run as a program
 * over a temporary git repository with hand-made run records. */
#include <setjmp.h>
#include <stdbool.h>
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
#include <cjson/cJSON.h>

#include "bg_store.h"

#ifndef BENCHGATE_EXE
#error "BENCHGATE_EXE must name the benchgate binary"
#endif

static char tmp[256];  /* temp dir, removed at the end */
static char repo[320]; /* git repository inside it */
static char c0[41], c1[41], c2[41], c3[41];
static char out[1 << 16]; /* the last bg()'s output */

/* Deterministic noise in [-1, 1]. */
static double noise(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / (double)(1ULL << 53) * 2.0 - 1.0;
}

static cJSON *arr(const double *v, size_t n)
{
    return cJSON_CreateDoubleArray(v, (int)n);
}

/* A run record: benches fast_thing (1000 ns), slow_thing (2000 ns * slow)
 * and "weird<&>" (500 ns), 3 processes x 10 samples. */
static char *make_record(const char *commit, const char *machine, const char *cpu, int64_t created,
                         double slow, uint64_t seed, const char *crash)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "benchgate.run");
    cJSON_AddNumberToObject(root, "schema_version", 1);
    cJSON_AddStringToObject(root, "created", "2026-01-01T00:00:00Z");
    cJSON_AddNumberToObject(root, "created_unix", (double)created);
    cJSON_AddStringToObject(root, "host", "testhost");
    cJSON *git = cJSON_AddObjectToObject(root, "git");
    cJSON_AddStringToObject(git, "commit", commit);
    cJSON_AddStringToObject(git, "branch", "feature");
    cJSON_AddBoolToObject(git, "dirty", 0);
    cJSON_AddStringToObject(git, "status", "ok");
    cJSON *m = cJSON_AddObjectToObject(root, "machine");
    cJSON_AddStringToObject(m, "id", machine);
    cJSON_AddStringToObject(m, "cpu_model", cpu);
    cJSON_AddStringToObject(m, "kernel", "6.1.0");
    cJSON_AddStringToObject(m, "compiler", "gcc 12.2.0");
    cJSON_AddStringToObject(m, "flags", "-O2");
    cJSON *cfg = cJSON_AddObjectToObject(root, "config");
    cJSON_AddNumberToObject(cfg, "warmup_s", 0.1);
    cJSON_AddNumberToObject(cfg, "measure_s", 0.3);
    cJSON_AddNumberToObject(cfg, "budget_s", 3);
    cJSON_AddNumberToObject(cfg, "target", 0.01);
    cJSON_AddNumberToObject(cfg, "timeout_s", 10);
    cJSON_AddNumberToObject(cfg, "samples", 10);
    cJSON_AddNumberToObject(cfg, "min_procs", 3);
    cJSON_AddNumberToObject(cfg, "max_procs", 3);
    cJSON_AddStringToObject(cfg, "seed", "1");
    cJSON_AddNumberToObject(cfg, "resamples", 1000);
    cJSON_AddNumberToObject(cfg, "confidence", 0.95);
    cJSON_AddStringToObject(cfg, "statistic", "mean");
    cJSON *benches = cJSON_AddArrayToObject(root, "benchmarks");
    static const char *const names[] = {"fast_thing", "slow_thing", "weird<&>"};
    const double base_ns[] = {1000, 2000 * slow, 500};
    uint64_t s = seed;
    for (int b = 0; b < 3; b++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(benches, o);
        cJSON_AddStringToObject(o, "name", names[b]);
        bool crashed = crash && !strcmp(crash, names[b]);
        cJSON_AddStringToObject(o, "status", crashed ? "crashed" : "ok");
        cJSON_AddStringToObject(o, "message", crashed ? "killed by signal 11" : "");
        cJSON_AddStringToObject(o, "seed", "7");
        cJSON *procs = cJSON_AddArrayToObject(o, "processes");
        for (int p = 0; p < 3 && !crashed; p++) {
            double it[10], w[10], c[10];
            double pf = 1.0 + 0.001 * noise(&s);
            for (int i = 0; i < 10; i++) {
                it[i] = 100.0 * (i + 1);
                w[i] = it[i] * base_ns[b] * pf * (1.0 + 0.003 * noise(&s));
                c[i] = w[i];
            }
            cJSON *po = cJSON_CreateObject();
            cJSON_AddItemToArray(procs, po);
            cJSON_AddItemToObject(po, "iters", arr(it, 10));
            cJSON_AddItemToObject(po, "wall_ns", arr(w, 10));
            cJSON_AddItemToObject(po, "cpu_ns", arr(c, 10));
            /* deterministic allocations (one more per iteration when slow),
             * noisy instructions, a peak and a per-process figure */
            double al[10], ins[10], pk[10], f = b == 1 ? slow : 1.0;
            for (int i = 0; i < 10; i++) {
                al[i] = it[i] * (f > 1.1 ? 3 : 2);
                ins[i] = it[i] * 1000 * f * (1.0 + 0.002 * noise(&s));
                pk[i] = 4096 * f;
            }
            cJSON *ctr = cJSON_AddObjectToObject(po, "counters");
            cJSON_AddItemToObject(ctr, "allocs", arr(al, 10));
            cJSON_AddItemToObject(ctr, "instructions", arr(ins, 10));
            cJSON_AddItemToObject(ctr, "peak_live_bytes", arr(pk, 10));
            cJSON *ru = cJSON_AddObjectToObject(po, "rusage");
            cJSON_AddNumberToObject(ru, "max_rss_bytes", 1e7 * f * (1.0 + 0.001 * noise(&s)));
        }
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    assert_non_null(text);
    return text;
}

static void save_run(const char *commit, int64_t created, double slow, uint64_t seed, const char *crash)
{
    bg_store *st = NULL;
    char err[512] = "";
    char dir[400];
    snprintf(dir, sizeof dir, "%s/.benchgate", repo);
    assert_int_equal(bg_store_open(&st, dir, NULL, err, sizeof err), 0);
    char *text = make_record(commit, "aaaaaaaaaaaa", "Test CPU", created, slow, seed, crash);
    int rc = bg_store_save(st, text, commit, "aaaaaaaaaaaa", NULL, err, sizeof err);
    if (rc)
        fail_msg("save failed: %s", err);
    free(text);
    bg_store_close(&st);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The line of text that starts with `name`. */
static const char *line_of(const char *text, const char *name)
{
    const char *p = text;
    size_t len = strlen(name);
    while (p && *p) {
        if (!strncmp(p, name, len) && p[len] == ' ')
            return p;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

/* Does the line of text that starts with `name` contain `what`? */
static bool row_has(const char *text, const char *name, const char *what)
{
    const char *l = line_of(text, name);
    if (!l)
        return false;
    const char *e = strchr(l, '\n');
    size_t n = e ? (size_t)(e - l) : strlen(l);
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s", (int)n, l);
    return strstr(buf, what) != NULL;
}

static int setup(void **state)
{
    (void)state;
    unsetenv("BENCHGATE_DIR");
    unsetenv("GITHUB_STEP_SUMMARY");
    if (make_tmp_repo(tmp, sizeof tmp, repo, sizeof repo, "bg_cli_tool") != 0)
        return -1;
    bg_use(&(bg_tool){.exe = BENCHGATE_EXE, .dir = repo, .out = out, .outsz = sizeof out});
    sh("git init -q -b main '%s' && cd '%s' && echo 0 > f && git add f && " GIT " commit -q -m c0", repo,
       repo);
    sh("cd '%s' && echo 1 > f && " GIT " commit -q -am c1 && git checkout -q -b feature && "
       "echo 2 > f && " GIT " commit -q -am c2",
       repo);
    sh_line(c0, sizeof c0, "cd '%s' && git rev-parse main~1", repo);
    sh_line(c1, sizeof c1, "cd '%s' && git rev-parse main", repo);
    sh_line(c2, sizeof c2, "cd '%s' && git rev-parse HEAD", repo);
    save_run(c1, 1000, 1.0, 11, NULL);
    save_run(c2, 2000, 1.2, 22, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return remove_tree(tmp);
}


static void test_compare(void **state)
{
    (void)state;
    /* a regression: exit 1, as for gate */
    int rc = bg("compare %s %s", c1, c2);
    if (rc != 1)
        fail_msg("compare exited %d, want 1:\n%s", rc, out);
    print_message("%s", out);
    assert_true(row_has(out, "slow_thing", "regressed"));
    assert_true(row_has(out, "fast_thing", "unchanged") || row_has(out, "fast_thing", "inconclusive"));
    assert_true(row_has(out, "slow_thing", "+20"));
    /* by branch name, json and csv formats */
    assert_int_equal(bg("compare main feature --format json"), 1);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    cJSON_Delete(j);
    assert_int_equal(bg("compare main feature --format=csv --p-adjust holm"), 1);
    /* --padjust: the older spelling, still accepted */
    assert_int_equal(bg("compare main feature --format=csv --padjust holm"), 1);
    assert_non_null(strstr(out, "\"slow_thing\","));
}

/* --limit: an absolute budget fails compare and gate like a regression,
 * in the table, JUnit and Markdown; one that cannot be checked is exit 2
 * naming it. */
static void test_budgets(void **state)
{
    (void)state;
    /* The same run on both sides: nothing regressed, but over budget. */
    int rc = bg("compare %s %s --limit 'fast*:time<=500ns'", c1, c1);
    if (rc != 1)
        fail_msg("compare exited %d, want 1:\n%s", rc, out);
    assert_true(row_has(out, "fast_thing", "over budget"));
    assert_non_null(strstr(out, "budgets: 1 checked, 1 exceeded"));
    assert_int_equal(bg("compare %s %s --limit 'fast*:time<=1ms' --limit 'slow_thing:peak_rss<=1GiB'", c1, c1), 0);
    assert_non_null(strstr(out, "budgets: 2 checked, 0 exceeded"));
    assert_int_equal(bg("compare %s %s --limit 'fsat*:time<=1ms'", c1, c1), 2);
    assert_non_null(strstr(out, "'fsat*:time<=1ms' matches no benchmark"));
    assert_int_equal(bg("compare %s %s --limit 'fast*:time<=5MiB'", c1, c1), 2);
    assert_non_null(strstr(out, "invalid --limit"));
    assert_int_equal(bg("compare %s %s --limit 'fast*:cycles<=5k'", c1, c1), 2);
    assert_non_null(strstr(out, "did not record 'cycles'"));

    char junit[400], md[400];
    snprintf(junit, sizeof junit, "%s/budget-junit.xml", tmp);
    snprintf(md, sizeof md, "%s/budget.md", tmp);
    rc = bg("gate --stages 1 --limit 'fast_thing:peak_rss<=1MiB' --junit '%s' --markdown '%s'", junit, md);
    if (rc != 1)
        fail_msg("gate exited %d, want 1:\n%s", rc, out);
    assert_true(row_has(out, "fast_thing", "over budget"));
    const char *x = read_all(junit);
    assert_non_null(strstr(x, "over budget: max_rss_bytes"));
    const char *m = read_all(md);
    assert_non_null(strstr(m, "Budgets: 1 checked, 1 exceeded."));

    /* Budgets in the repository's settings file, beside --limit; a bad one
     * names the file and line. */
    char path[400];
    snprintf(path, sizeof path, "%s/.benchgate.json", repo);
    write_file(path, "{\n  \"limits\": [\"fast*:time<=500ns\"]\n}\n");
    assert_int_equal(bg("compare %s %s", c1, c1), 1);
    assert_true(row_has(out, "fast_thing", "over budget"));
    assert_int_equal(bg("compare %s %s --limit 'slow*:time<=1s'", c1, c1), 1);
    assert_non_null(strstr(out, "budgets: 2 checked, 1 exceeded"));
    write_file(path, "{\n  \"limits\": [\n    \"fast*:time<=1ms\",\n    \"fast*:time<=5MiB\"\n  ]\n}\n");
    assert_int_equal(bg("compare %s %s", c1, c1), 2);
    assert_non_null(strstr(out, ".benchgate.json:4: limits[1]: budget 'fast*:time<=5MiB': unit 'MiB'"));
    unlink(path);
}

/* The repository's .benchgate.json: a rule's threshold decides its
 * benchmarks' verdicts, a rule's metric is what they are compared on (with
 * --metric or without), an ignored benchmark has no row, the top-level
 * threshold is the default and --threshold wins over it; a bad entry is an
 * error naming the file and line (exit 2). */
static void test_settings_file(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof path, "%s/.benchgate.json", repo);
    /* slow_thing is +20 %: under a 30 % threshold it is not a regression. */
    write_file(path, "{\n  \"benchmarks\": [\n    {\"match\": \"slow_*\", \"threshold\": 30}\n  ]\n}\n");
    int rc = bg("compare %s %s", c1, c2);
    if (rc != 0)
        fail_msg("compare with a 30 %% rule for slow_* exited %d, want 0:\n%s", rc, out);
    assert_false(row_has(out, "slow_thing", "regressed"));
    /* --threshold on the command line is the suite's; the rule still wins for slow_*. */
    assert_int_equal(bg("compare %s %s --threshold 1", c1, c2), 0);
    /* Ignored: no row at all. */
    write_file(path, "{\"benchmarks\": [{\"match\": \"slow_thing\", \"ignore\": true}]}\n");
    assert_int_equal(bg("compare %s %s", c1, c2), 0);
    assert_null(strstr(out, "slow_thing"));
    assert_non_null(strstr(out, "fast_thing"));
    /* The top-level threshold, and --threshold over it. */
    write_file(path, "{\"threshold\": 50}\n");
    assert_int_equal(bg("compare %s %s", c1, c2), 0);
    assert_int_equal(bg("compare %s %s --threshold 1", c1, c2), 1);
    /* The gate reads it too. */
    write_file(path, "{\"benchmarks\": [{\"match\": \"slow_*\", \"threshold\": 30}]}\n");
    rc = bg("gate");
    if (rc != 0)
        fail_msg("gate with a 30 %% rule for slow_* exited %d, want 0:\n%s", rc, out);
    /* A rule's metric: slow_thing on allocations (2 -> 3 per iteration, an
     * exact +50 %), fast_thing on instructions (unchanged), weird<&> on a
     * counter no run recorded (not compared, the metric named). */
    write_file(path, "{\"threshold\": 30, \"benchmarks\": [\n"
                     "  {\"match\": \"slow_*\", \"metric\": \"allocs\"},\n"
                     "  {\"match\": \"fast_*\", \"metric\": \"instructions\"},\n"
                     "  {\"match\": \"weird*\", \"metric\": \"gpu_timer_ns\"}\n]}\n");
    rc = bg("compare %s %s", c1, c2);
    if (rc != 1)
        fail_msg("compare with slow_* on allocs exited %d, want 1:\n%s", rc, out);
    assert_true(row_has(out, "slow_thing", "+50.00%"));
    assert_true(row_has(out, "slow_thing", "regressed (metric allocs)"));
    assert_true(row_has(out, "fast_thing", "(metric instructions)"));
    assert_true(row_has(out, "weird<&>", "not compared (metric gpu_timer_ns)"));
    assert_true(row_has(out, "weird<&>", "no benchmark of either run recorded the metric 'gpu_timer_ns'"));
    assert_int_equal(bg("compare %s %s --format json", c1, c2), 1);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "metric")->valuestring, "time");
    const cJSON *b;
    size_t seen = 0;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(j, "benchmarks"))
    {
        const char *name = cJSON_GetObjectItem(b, "name")->valuestring;
        const char *metric = cJSON_GetObjectItem(b, "metric")->valuestring;
        if (!strcmp(name, "slow_thing")) {
            assert_string_equal(metric, "allocs");
            assert_true(cJSON_GetObjectItem(b, "a_mean")->valuedouble == 2);
            assert_true(cJSON_GetObjectItem(b, "b_mean")->valuedouble == 3);
            assert_string_equal(cJSON_GetObjectItem(b, "verdict")->valuestring, "regressed");
            seen++;
        } else if (!strcmp(name, "fast_thing")) {
            assert_string_equal(metric, "instructions");
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    cJSON_Delete(j);
    assert_int_equal(bg("compare %s %s --format csv", c1, c2), 1);
    assert_non_null(strstr(out, "\"slow_thing\",\"allocs\",2,3,"));
    /* --metric sets the suite's metric; the rules still give theirs. */
    write_file(path, "{\"benchmarks\": [{\"match\": \"slow_*\", \"metric\": \"allocs\"}]}\n");
    assert_int_equal(bg("compare %s %s --metric peak_live_bytes --format csv", c1, c2), 1);
    assert_non_null(strstr(out, "\"slow_thing\",\"allocs\",2,3,"));
    assert_non_null(strstr(out, "\"fast_thing\",\"peak_live_bytes\",4096,4096,\"bytes\","));
    /* The gate compares slow_thing on allocations too: a regression. */
    rc = bg("gate");
    if (rc != 1)
        fail_msg("gate with slow_* on allocs exited %d, want 1:\n%s", rc, out);
    assert_non_null(strstr(out, "allocs"));
    /* benchgate noise reads the settings too: slow_thing's noise is
     * learned on its rule's metric, the others on the suite's. */
    rc = bg("noise --format json");
    if (rc != 0)
        fail_msg("noise with settings exited %d:\n%s", rc, out);
    j = cJSON_Parse(out);
    assert_non_null(j);
    seen = 0;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(j, "benchmarks"))
    {
        const char *name = cJSON_GetObjectItem(b, "name")->valuestring;
        const char *metric = cJSON_GetObjectItem(b, "metric")->valuestring;
        if (!strcmp(name, "slow_thing") && ++seen)
            assert_string_equal(metric, "allocs");
        else if (!strcmp(name, "fast_thing") && ++seen)
            assert_string_equal(metric, "time");
    }
    assert_int_equal(seen, 2);
    cJSON_Delete(j);
    assert_int_equal(bg("noise"), 0);
    assert_true(row_has(out, "slow_thing", "(metric allocs, a settings rule)"));
    /* Bad entries: file and line. */
    write_file(path, "{\n  \"benchmarks\": [\n    {\"match\": \"a\", \"threshold\": 1},\n"
                     "    {\"threshold\": \"five\"}\n  ]\n}\n");
    assert_int_equal(bg("compare %s %s", c1, c2), 2);
    assert_non_null(strstr(out, ".benchgate.json:4: benchmarks[1]"));
    assert_int_equal(bg("gate"), 2);
    assert_non_null(strstr(out, ".benchgate.json:4:"));
    write_file(path, "{\n  \"threshold\": 2,\n  \"treshold\": 3\n}\n");
    assert_int_equal(bg("compare %s %s", c1, c2), 2);
    assert_non_null(strstr(out, ".benchgate.json:3: unknown key \"treshold\""));
    write_file(path, "{\n  \"threshold\": 2,\n  \"benchmarks\": [\n    {\"match\": \"x\" \"ignore\": true}\n]}\n");
    assert_int_equal(bg("compare %s %s", c1, c2), 2);
    assert_non_null(strstr(out, ".benchgate.json:4: not valid JSON"));
    unlink(path);
}

static void test_gate_regression_and_junit(void **state)
{
    (void)state;
    char junit[400], md[400];
    snprintf(junit, sizeof junit, "%s/junit.xml", tmp);
    snprintf(md, sizeof md, "%s/summary.md", tmp);
    char gss[400];
    snprintf(gss, sizeof gss, "%s/step_summary.md", tmp);
    write_file(gss, "earlier content\n");
    setenv("GITHUB_STEP_SUMMARY", gss, 1);
    int rc = bg("gate --junit '%s' --markdown '%s'", junit, md);
    unsetenv("GITHUB_STEP_SUMMARY");
    if (rc != 1)
        fail_msg("gate exited %d, want 1:\n%s", rc, out);
    const char *g = read_all(gss);
    assert_non_null(strstr(g, "earlier content\n"));
    assert_non_null(strstr(g, "regressed"));
    const char *x = read_all(junit);
    assert_non_null(strstr(x, "<failure"));
    assert_non_null(strstr(x, "name=\"weird&lt;&amp;&gt;\""));
    assert_null(strstr(x, "weird<&>"));
    const char *m = read_all(md);
    assert_non_null(strstr(m, "slow\\_thing"));
    assert_non_null(strstr(m, "regressed"));
    /* a JUnit file that cannot be written is reported, but the regression
     * still decides the exit code */
    rc = bg("gate --junit '%s/no-such-dir/junit.xml'", tmp);
    if (rc != 1)
        fail_msg("gate exited %d, want 1:\n%s", rc, out);
    assert_non_null(strstr(out, "cannot write JUnit XML"));
    assert_non_null(strstr(out, "no-such-dir"));
}

static void test_gate_missing_base(void **state)
{
    (void)state;
    int rc = bg("gate --base main~1");
    print_message("%s", out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "main~1"));
    assert_non_null(strstr(out, "no stored run"));
    rc = bg("gate --base no-such-ref");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "no-such-ref"));
    /* the gate could not decide: CI still gets a JUnit error and a summary */
    char junit[400], md[400], gss[400];
    snprintf(junit, sizeof junit, "%s/err-junit.xml", tmp);
    snprintf(md, sizeof md, "%s/err.md", tmp);
    snprintf(gss, sizeof gss, "%s/err-step-summary.md", tmp);
    setenv("GITHUB_STEP_SUMMARY", gss, 1);
    rc = bg("gate --base main~1 --junit '%s' --markdown '%s'", junit, md);
    unsetenv("GITHUB_STEP_SUMMARY");
    assert_int_equal(rc, 2);
    const char *x = read_all(junit);
    assert_non_null(strstr(x, "errors=\"1\""));
    /* What strict JUnit schemas require of a suite. */
    assert_non_null(strstr(x, "<testsuite name=\"benchgate\""));
    assert_non_null(strstr(x, " timestamp=\"20"));
    assert_non_null(strstr(x, " hostname=\""));
    assert_non_null(strstr(x, "<testcase classname=\"benchgate\" name=\"gate\" time=\""));
    assert_non_null(strstr(x, "<error message=\"no stored run for the base"));
    assert_non_null(strstr(x, "main~1"));
    const char *m = read_all(md);
    assert_non_null(strstr(m, "## benchgate gate: error"));
    assert_non_null(strstr(m, "could not decide: no stored run for the base"));
    assert_non_null(strstr(read_all(gss), "could not decide"));
    /* a bad command line too, as far as it names the reports */
    rc = bg("gate --junit '%s' --markdown '%s' --threshold lots", junit, md);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "lots"));
    x = read_all(junit);
    assert_non_null(strstr(x, "<testcase classname=\"benchgate\" name=\"gate\" time=\""));
    assert_non_null(strstr(x, "<error message=\"invalid gate options"));
    assert_non_null(strstr(read_all(md), "could not decide: invalid gate options"));
    (void)c0;
}

static void test_machine_refused(void **state)
{
    (void)state;
    char pa[400], pb[400];
    snprintf(pa, sizeof pa, "%s/a.json", tmp);
    snprintf(pb, sizeof pb, "%s/b.json", tmp);
    char *ta = make_record(c1, "aaaaaaaaaaaa", "Test CPU", 100, 1.0, 5, NULL);
    char *tb = make_record(c2, "bbbbbbbbbbbb", "Other CPU", 200, 1.0, 6, NULL);
    write_file(pa, ta);
    write_file(pb, tb);
    free(ta);
    free(tb);
    int rc = bg("compare '%s' '%s'", pa, pb);
    print_message("%s", out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "machine differs"));
    assert_non_null(strstr(out, "cpu_model"));
    rc = bg("compare '%s' '%s' --force", pa, pb);
    assert_int_equal(rc, 0);
    assert_non_null(line_of(out, "fast_thing"));
    /* gate with a file head on another machine is refused too */
    rc = bg("gate --base main --head '%s'", pb);
    assert_int_equal(rc, 2);
}

static void test_gate_crash(void **state)
{
    (void)state;
    char pb[400];
    snprintf(pb, sizeof pb, "%s/crash.json", tmp);
    char *tb = make_record(c2, "aaaaaaaaaaaa", "Test CPU", 300, 1.0, 9, "fast_thing");
    write_file(pb, tb);
    free(tb);
    int rc = bg("gate --head '%s'", pb);
    if (rc != 3)
        fail_msg("gate exited %d, want 3:\n%s", rc, out);
}

/* The two stages on synthetic runs, no timing: fake bench binaries (shell
 * scripts) hand out run records made by make_record, slow_thing 30 % slower
 * in head's. Stage 1 suspects slow_thing; stage 2 (the fake base and head
 * binaries interleaved) confirms it and the gate fails, naming stage 2;
 * a head that is slow only in stage 1's run is cleared by stage 2 and the
 * gate passes; without a base binary stage 2 is unavailable and the gate
 * fails only because +30 % is beyond the drift band, saying so. */
static void write_fake_bench(const char *path, const char *side_first, const char *side_rest, const char *counter)
{
    char body[4096];
    snprintf(body, sizeof body,
             "json= list= filter=.\n"
             "while [ $# -gt 0 ]; do case $1 in --json) json=$2; shift;; --filter) filter=$2; shift;; "
             "--list) list=1;; esac; shift; done\n"
             "if [ -n \"$list\" ]; then printf 'fast_thing\\nslow_thing\\nweird<&>\\n' | grep -E \"$filter\"; "
             "exit 0; fi\n"
             "n=$(cat '%s' 2>/dev/null || echo 0); echo $((n + 1)) > '%s'\n"
             "side=%s; [ \"$n\" -gt 0 ] && side=%s\n"
             "one=; [ \"$filter\" = . ] || one=-$(printf '%%s' \"$filter\" | sed 's/^\\^//; s/\\$$//; s/\\\\//g')\n"
             "cp \"%s/fake-$side-$((n %% 4))$one.json\" \"$json\"\n",
             counter, counter, side_first, side_rest, tmp);
    write_script(path, "%s", body);
}

static void test_gate_two_stages(void **state)
{
    (void)state;
    char head[41];
    sh_line(head, sizeof head, "cd '%s' && git rev-parse HEAD", repo);
    for (int k = 0; k < 4; k++) {
        char path[400];
        const char *sides[] = {"base", "slow", "fast"};
        const double slow[] = {1.0, 1.3, 1.0};
        for (int s2 = 0; s2 < 3; s2++) {
            snprintf(path, sizeof path, "%s/fake-%s-%d.json", tmp, sides[s2], k);
            char *text = make_record(head, "aaaaaaaaaaaa", "Test CPU", 5000 + k, slow[s2], 100 + 10 * k + s2, NULL);
            write_file(path, text);
            /* and one record per benchmark, as a run with --filter writes */
            for (int b = 0; b < 3; b++) {
                cJSON *root = cJSON_Parse(text);
                assert_non_null(root);
                cJSON *arr = cJSON_GetObjectItem(root, "benchmarks");
                cJSON *keep = cJSON_DetachItemFromArray(arr, b);
                while (cJSON_GetArraySize(arr) > 0)
                    cJSON_DeleteItemFromArray(arr, 0);
                cJSON_AddItemToArray(arr, keep);
                char *one = cJSON_Print(root);
                snprintf(path, sizeof path, "%s/fake-%s-%d-%s.json", tmp, sides[s2], k,
                         cJSON_GetObjectItem(keep, "name")->valuestring);
                write_file(path, one);
                free(one);
                cJSON_Delete(root);
            }
            free(text);
        }
    }
    char base_bin[400], head_bin[400], once_bin[400], basefile[400], cnt[400];
    snprintf(base_bin, sizeof base_bin, "%s/fake-base.sh", tmp);
    snprintf(head_bin, sizeof head_bin, "%s/fake-head.sh", tmp);
    snprintf(once_bin, sizeof once_bin, "%s/fake-once.sh", tmp);
    snprintf(basefile, sizeof basefile, "%s/fake-base-0.json", tmp);
    char cnt0[400];
    snprintf(cnt0, sizeof cnt0, "%s/fake-base.n", tmp);
    write_fake_bench(base_bin, "base", "base", cnt0);
    snprintf(cnt, sizeof cnt, "%s/fake-head.n", tmp);
    write_fake_bench(head_bin, "slow", "slow", cnt);
    char cnt2[400];
    snprintf(cnt2, sizeof cnt2, "%s/fake-once.n", tmp);
    write_fake_bench(once_bin, "slow", "fast", cnt2);

    int rc = bg("gate --base '%s' --bench '%s' --base-bin '%s' --stage2-budget 5",
                basefile, head_bin, base_bin);
    if (rc != 1 || !strstr(out, "stage 2 decided slow_thing: regressed") ||
        !strstr(out, "went on to stage 2") || !row_has(out, "slow_thing", "blocks interleaved"))
        fail_msg("gate exited %d, want 1 with stage 2 confirming slow_thing:\n%s", rc, out);
    /* fast_thing goes to stage 2 only when stage 1 saw it slower at all,
     * and is never confirmed */
    assert_false(strstr(out, "stage 2 decided fast_thing: regressed") != NULL);

    rc = bg("gate --base '%s' --bench '%s' --base-bin '%s' --stage2-budget 5", basefile,
            once_bin, base_bin);
    if (rc != 0 || !strstr(out, "stage 2 decided slow_thing: ") ||
        strstr(out, "stage 2 decided slow_thing: regressed") || !strstr(out, "gate: passed"))
        fail_msg("gate exited %d, want 0 with stage 2 clearing slow_thing:\n%s", rc, out);

    /* No base binary: a base from a file made at c0 would be built from c0,
     * which has no meson.build here; the gate says stage 2 is unavailable
     * and fails on the stage-1 regression beyond the drift band. */
    rc = bg("gate --base '%s' --bench '%s'", basefile, head_bin);
    if (rc != 1 || !strstr(out, "stage 2 unavailable") || !strstr(out, "stage 1 decided slow_thing: regressed"))
        fail_msg("gate exited %d, want 1 judged by stage 1:\n%s", rc, out);
    /* --stages 1: stage 2 is not tried. */
    rc = bg("gate --base '%s' --bench '%s' --stages 1", basefile, head_bin);
    if (rc != 1 || !strstr(out, "(unavailable: --stages 1)"))
        fail_msg("gate --stages 1 exited %d:\n%s", rc, out);
    assert_int_equal(bg("gate --stages 3"), 2);
}

/* Runs last: adds commits with Bench-Accept trailers. */
static void test_gate_accept(void **state)
{
    (void)state;
    /* a trailer whose glob matches nothing accepts nothing */
    sh("cd '%s' && echo 5 > f && " GIT " commit -q -am 'other' -m 'Bench-Accept: fast_* +50%%'", repo);
    sh_line(c3, sizeof c3, "cd '%s' && git rev-parse HEAD", repo);
    save_run(c3, 2500, 1.2, 25, NULL);
    int rc = bg("gate");
    if (rc != 1)
        fail_msg("gate exited %d, want 1:\n%s", rc, out);
    assert_true(row_has(out, "slow_thing", "regressed"));
    assert_false(row_has(out, "slow_thing", "accepted"));
    /* a malformed trailer (no '+', no '%') is ignored with a warning naming
     * the commit */
    sh("cd '%s' && echo 6 > f && " GIT " commit -q -am 'bad trailer' -m 'Bench-Accept: slow_* 25'", repo);
    sh_line(c3, sizeof c3, "cd '%s' && git rev-parse HEAD", repo);
    save_run(c3, 2600, 1.2, 26, NULL);
    rc = bg("gate");
    if (rc != 1)
        fail_msg("gate exited %d, want 1:\n%s", rc, out);
    char warn[200];
    snprintf(warn, sizeof warn,
             "warning: ignoring malformed trailer in commit %.12s: 'Bench-Accept: slow_* 25'", c3);
    if (!strstr(out, warn))
        fail_msg("no '%s' in:\n%s", warn, out);
    assert_true(row_has(out, "slow_thing", "regressed"));
    /* an allowance smaller than the change does not accept it */
    sh("cd '%s' && echo 3 > f && " GIT " commit -q -am 'small' -m 'Bench-Accept: slow_* +10%%'", repo);
    sh_line(c3, sizeof c3, "cd '%s' && git rev-parse HEAD", repo);
    save_run(c3, 3000, 1.2, 33, NULL);
    rc = bg("gate");
    if (rc != 1)
        fail_msg("gate exited %d, want 1:\n%s", rc, out);
    assert_true(row_has(out, "slow_thing", "regressed"));

    sh("cd '%s' && echo 4 > f && " GIT " commit -q -am 'slow it down' -m 'Bench-Accept: slow_* +25%%'",
       repo);
    sh_line(c3, sizeof c3, "cd '%s' && git rev-parse HEAD", repo);
    save_run(c3, 4000, 1.2, 44, NULL);
    char junit[400];
    snprintf(junit, sizeof junit, "%s/junit2.xml", tmp);
    rc = bg("gate --junit '%s'", junit);
    if (rc != 0)
        fail_msg("gate exited %d, want 0:\n%s", rc, out);
    print_message("%s", out);
    assert_true(row_has(out, "slow_thing", "accepted"));
    assert_null(strstr(read_all(junit), "<failure"));
}

/* Runs after test_gate_accept. On main, the merge-base with main is HEAD:
 * the gate compares HEAD's run with its parent's (c0, 25 % faster at
 * slow_thing), never with itself. An explicit base that is the same stored
 * run as head is refused. */
static void test_gate_on_main(void **state)
{
    (void)state;
    sh("cd '%s' && git checkout -q main", repo);
    save_run(c0, 500, 0.8, 5, NULL);
    char note[200];
    snprintf(note, sizeof note, "HEAD is the merge-base with main; comparing with its parent %.12s", c0);
    int rc = bg("gate");
    if (rc != 1 || !strstr(out, note))
        fail_msg("gate on main exited %d, want 1 and '%s':\n%s", rc, note, out);
    assert_true(row_has(out, "slow_thing", "+25"));
    /* --base HEAD names the same run as head */
    rc = bg("gate --base HEAD");
    if (rc != 2 || !strstr(out, "base and head are the same stored run"))
        fail_msg("gate --base HEAD exited %d, want 2:\n%s", rc, out);
    sh("cd '%s' && git checkout -q feature", repo);
}

static void test_push_fetch(void **state)
{
    (void)state;
    sh("git init -q --bare '%s/remote.git'", tmp);
    int rc = bg("push '%s/remote.git'", tmp);
    if (rc != 0)
        fail_msg("push exited %d:\n%s", rc, out);
    print_message("%s", out);
    assert_non_null(strstr(out, "pushed " BG_STORE_NOTES_REF));
    assert_non_null(strstr(out, "run(s) newly added to the notes"));
    assert_null(strstr(out, "imported"));
    /* a clone fetches the runs into its own store */
    sh("git clone -q '%s/remote.git' '%s/clone' 2>/dev/null || git clone -q '%s' '%s/clone'", tmp, tmp,
       repo, tmp);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s/clone' && '%s' fetch '%s/remote.git' 2>&1 | grep -q 'imported'", tmp,
             BENCHGATE_EXE, tmp);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "test -n \"$(ls '%s/clone/.benchgate/runs/%s/aaaaaaaaaaaa')\"", tmp, c1);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(bg("push --bogus"), 2);
}

static void test_ls_and_usage(void **state)
{
    (void)state;
    char bad[600];
    snprintf(bad, sizeof bad, "%s/.benchgate/runs/%s/aaaaaaaaaaaa/1-2-3.json", repo, c1);
    write_file(bad, "{ truncated");
    int rc = bg("ls");
    print_message("%s", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "aaaaaaaaaaaa"));
    char shortc[13];
    snprintf(shortc, sizeof shortc, "%.12s", c2);
    assert_non_null(strstr(out, shortc));
    assert_non_null(strstr(out, "1-2-3.json"));  /* skipped file named on stderr */
    unlink(bad);

    /* ls REF lists that commit's runs only; a run whose envelope reads but
     * whose body does not is listed as damaged, named on stderr */
    char damaged[600], shortc1[13];
    snprintf(shortc1, sizeof shortc1, "%.12s", c1);
    snprintf(damaged, sizeof damaged, "%s/.benchgate/runs/%s/aaaaaaaaaaaa/5-0-0.json", repo, c1);
    char text[400];
    snprintf(text, sizeof text,
             "{\"schema\":\"benchgate.run\",\"schema_version\":1,\"created_unix\":5,\"git\":{\"commit\":\"%s\"},"
             "\"machine\":{\"id\":\"aaaaaaaaaaaa\"},\"benchmarks\":\"x\"}",
             c1);
    write_file(damaged, text);
    rc = bg("ls main");
    print_message("%s", out);
    assert_int_equal(rc, 0);
    char row[64];
    snprintf(row, sizeof row, "\n%s  aaaaaaaaaaaa", shortc1);
    assert_non_null(strstr(out, row));
    snprintf(row, sizeof row, "\n%s ", shortc);
    assert_null(strstr(out, row)); /* feature's commit is not listed */
    assert_non_null(strstr(out, "damaged  "));
    assert_non_null(strstr(out, "benchgate: damaged: "));
    assert_non_null(strstr(out, "5-0-0.json: field 'config' is missing"));
    unlink(damaged);
    assert_int_equal(bg("ls no-such-ref"), 2);
    assert_non_null(strstr(out, "ls no-such-ref: "));
    assert_int_equal(bg("ls main feature"), 2);

    assert_int_equal(bg("frobnicate"), 2);
    assert_non_null(strstr(out, "frobnicate"));
    assert_int_equal(bg("compare main feature --bogus"), 2);
    assert_non_null(strstr(out, "--bogus"));
    assert_int_equal(bg("compare main"), 2);
    assert_int_equal(bg("compare main feature --format xml"), 2);
    assert_int_equal(bg("gate --help"), 0);
    assert_non_null(strstr(out, "Exit codes"));
    assert_int_equal(bg("ls --help"), 0);
    assert_int_equal(bg("--help"), 0);
}

static void test_named_baseline(void **state)
{
    (void)state;
    /* save main's run as "release", list it, compare against it by name */
    int rc = bg("baseline save release main");
    if (rc != 0)
        fail_msg("baseline save exited %d:\n%s", rc, out);
    assert_int_equal(bg("baseline ls"), 0);
    assert_true(row_has(out, "release", "3 benchmarks"));
    rc = bg("compare release feature");
    if (rc != 1)
        fail_msg("compare release feature exited %d:\n%s", rc, out);
    assert_true(row_has(out, "slow_thing", "regressed"));
    assert_int_equal(bg("gate --base release"), 1);
    /* bad names and unknown baselines are usage errors that name them */
    assert_int_equal(bg("baseline save ../evil main"), 2);
    assert_non_null(strstr(out, "invalid baseline name '../evil'"));
    assert_int_equal(bg("baseline save x no-such-rev"), 2);
    assert_non_null(strstr(out, "no-such-rev"));
    assert_int_equal(bg("baseline rm nothere"), 2);
    assert_non_null(strstr(out, "nothere"));
    assert_int_equal(bg("baseline frob"), 2);
    assert_int_equal(bg("baseline rm release"), 0);
    assert_int_equal(bg("baseline ls"), 0);
    assert_non_null(strstr(out, "no named baselines"));
}

static void test_metric_seed_resamples(void **state)
{
    (void)state;
    /* cpu is recorded in every run and compares like time */
    int rc = bg("compare main feature --metric cpu");
    if (rc != 1)
        fail_msg("compare --metric cpu exited %d:\n%s", rc, out);
    assert_true(row_has(out, "slow_thing", "regressed"));
    assert_non_null(strstr(out, "metric cpu"));
    /* an unknown metric is refused with the reason */
    assert_int_equal(bg("compare main feature --gate-on branch_misses"), 2);
    assert_non_null(strstr(out, "'branch_misses'"));
    /* the same seed gives the same intervals; another seed other ones */
    static char o1[1 << 14], o2[1 << 14], o3[1 << 14];
    assert_int_equal(bg_into(o1, sizeof o1, "compare main feature --format csv --seed 42 --resamples 2000"), 1);
    assert_int_equal(bg_into(o2, sizeof o2, "compare main feature --format csv --seed 42 --resamples 2000"), 1);
    assert_int_equal(bg_into(o3, sizeof o3, "compare main feature --format csv --seed 43 --resamples 2000"), 1);
    assert_string_equal(o1, o2);
    assert_string_not_equal(o1, o3);
    assert_int_equal(bg("compare main feature --format json --seed 42"), 1);
    assert_non_null(strstr(out, "\"seed\":\t42"));
    assert_int_equal(bg("compare main feature --seed -1"), 2);
    assert_int_equal(bg("compare main feature --resamples 5"), 2);
    assert_non_null(strstr(out, "--resamples"));
}

static void test_counter_metrics(void **state)
{
    (void)state;
    /* allocations are exact: 2 -> 3 per iteration of slow_thing */
    int rc = bg("compare main feature --metric allocs");
    if (rc != 1)
        fail_msg("compare --metric allocs exited %d:\n%s", rc, out);
    assert_true(row_has(out, "slow_thing", "+50.00% [+50.00%, +50.00%]"));
    assert_true(row_has(out, "slow_thing", "regressed"));
    assert_true(row_has(out, "fast_thing", "unchanged"));
    assert_true(row_has(out, "fast_thing", "exact"));
    /* instructions vary a little: the bootstrap finds the 20 % */
    assert_int_equal(bg("compare main feature --gate-on instructions"), 1);
    assert_true(row_has(out, "slow_thing", "regressed"));
    assert_true(row_has(out, "slow_thing", "+20"));
    /* a peak is not divided by iterations; a per-process figure is compared over processes */
    assert_int_equal(bg("compare main feature --metric peak_live_bytes"), 1);
    assert_true(row_has(out, "fast_thing", "4 KiB"));
    assert_true(row_has(out, "slow_thing", "regressed"));
    assert_int_equal(bg("compare main feature --metric max_rss_bytes"), 1);
    assert_true(row_has(out, "slow_thing", "+19.98% [")); /* the drift widens the interval only */
    /* a display ratio is refused with what to use instead */
    assert_int_equal(bg("compare main feature --metric ipc"), 2);
    assert_non_null(strstr(out, "instructions"));
    /* the gate fails on the allocation regression */
    assert_int_equal(bg("gate --gate-on allocs"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_budgets),
        cmocka_unit_test(test_compare), cmocka_unit_test(test_settings_file),
        cmocka_unit_test(test_gate_regression_and_junit),
        cmocka_unit_test(test_gate_missing_base),
        cmocka_unit_test(test_machine_refused),
        cmocka_unit_test(test_gate_crash),
        cmocka_unit_test(test_ls_and_usage),
        cmocka_unit_test(test_push_fetch),
        cmocka_unit_test(test_named_baseline),
        cmocka_unit_test(test_metric_seed_resamples),
        cmocka_unit_test(test_counter_metrics),
        cmocka_unit_test(test_gate_two_stages),
        cmocka_unit_test(test_gate_accept),
        cmocka_unit_test(test_gate_on_main),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
