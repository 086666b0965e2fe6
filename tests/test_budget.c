/* Absolute budgets (--limit, compare/budget.c): parsing, checking a head
 * run against them, the verdict and exit they give, and how every output
 * of a comparison shows them. Synthetic runs, no timing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "bg_compare.h"
#include "helpers.h"

static void test_parse(void **state)
{
    (void)state;
    bg_budget b;
    char err[512];
    assert_int_equal(bg__budget_parse("parse_*:time<=50us", &b, err, sizeof err), 0);
    assert_string_equal(b.glob, "parse_*");
    assert_string_equal(b.metric, "time");
    assert_true(b.upper && b.inclusive);
    assert_rel(b.limit, 50000, 1e-12);

    assert_int_equal(bg__budget_parse("load:peak_rss<=64MiB", &b, err, sizeof err), 0);
    assert_string_equal(b.metric, "max_rss_bytes");
    assert_rel(b.limit, 64.0 * 1048576, 1e-12);

    /* A glob with ':' (instance names), strict and lower bounds, no glob. */
    assert_int_equal(bg__budget_parse("sort/n:1024:time<1.5ms", &b, err, sizeof err), 0);
    assert_string_equal(b.glob, "sort/n:1024");
    assert_true(b.upper && !b.inclusive);
    assert_rel(b.limit, 1.5e6, 1e-12);
    assert_int_equal(bg__budget_parse("hash*:items_per_s>=2M", &b, err, sizeof err), 0);
    assert_true(!b.upper && b.inclusive);
    assert_rel(b.limit, 2e6, 1e-12);
    assert_int_equal(bg__budget_parse("instructions<=1200", &b, err, sizeof err), 0);
    assert_string_equal(b.glob, "*");
    assert_rel(b.limit, 1200, 1e-12);
    assert_int_equal(bg__budget_parse("x:time<=\xc2\xb5s", &b, err, sizeof err), BG_EINVAL);
    assert_int_equal(bg__budget_parse("x:time<=3\xc2\xb5s", &b, err, sizeof err), 0);
    assert_rel(b.limit, 3000, 1e-12);

    /* Each bad budget says what is wrong and what is expected. */
    static const struct {
        const char *spec, *says;
    } bad[] = {
        {"", "empty budget"},
        {"parse_*:time", "no comparison"},
        {":time<=5us", "empty benchmark glob"},
        {"parse_*:<=5us", "names no metric"},
        {"parse_*:ti me<=5us", "not a metric name"},
        {"parse_*:time<=fast", "not a limit"},
        {"parse_*:time<=-3us", "not a limit"},
        {"parse_*:time<=5parsecs", "unknown unit 'parsecs'"},
        {"parse_*:time<=5MiB", "does not fit metric 'time'"},
        {"load:peak_rss<=5ms", "does not fit metric 'max_rss_bytes'"},
        {"x:instructions<=5us", "does not fit metric 'instructions'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (bg__budget_parse(bad[i].spec, &b, err, sizeof err) != BG_EINVAL || !strstr(err, bad[i].says))
            fail_msg("budget '%s': got '%s', expected a message with '%s'", bad[i].spec, err, bad[i].says);
    }
}

/* A run of benchmarks at the given per-iteration times (3 processes of 10
 * samples each, +-0.1 %), each process with a peak RSS of rss_mib MiB. */
static void make_run(bg_run *r, const char *const *names, const double *ns, size_t nb, double rss_mib)
{
    memset(r, 0, sizeof *r);
    snprintf(r->machine_id, sizeof r->machine_id, "m1");
    r->results = calloc(nb, sizeof *r->results);
    assert_non_null(r->results);
    r->nresults = nb;
    for (size_t i = 0; i < nb; i++) {
        bg_result *x = &r->results[i];
        x->name = names[i];
        x->status = BG_STATUS_OK;
        x->nprocs = 3;
        x->procs = calloc(3, sizeof *x->procs);
        assert_non_null(x->procs);
        for (size_t p = 0; p < 3; p++) {
            bg_proc *pr = &x->procs[p];
            pr->n = 10;
            pr->iters = calloc(10, sizeof *pr->iters);
            pr->wall_ns = calloc(10, sizeof *pr->wall_ns);
            pr->cpu_ns = calloc(10, sizeof *pr->cpu_ns);
            assert_true(pr->iters && pr->wall_ns && pr->cpu_ns);
            pr->has_rusage = true;
            pr->ru.max_rss_bytes = rss_mib * 1048576;
            for (size_t j = 0; j < 10; j++) {
                pr->iters[j] = (double)(100 * (j + 1));
                double jitter = 1.0 + 0.001 * ((double)((j * 7 + p * 3) % 5) - 2.0) / 2.0;
                pr->wall_ns[j] = pr->iters[j] * ns[i] * jitter;
                pr->cpu_ns[j] = pr->wall_ns[j];
            }
        }
    }
}

static void free_run(bg_run *r)
{
    for (size_t i = 0; i < r->nresults; i++) {
        for (size_t p = 0; p < r->results[i].nprocs; p++) {
            free(r->results[i].procs[p].iters);
            free(r->results[i].procs[p].wall_ns);
            free(r->results[i].procs[p].cpu_ns);
        }
        free(r->results[i].procs);
    }
    free(r->results);
}

static const char *const NAMES[] = {"parse_small", "parse_big", "load"};
static const double BASE_NS[] = {40000, 60000, 1000};

static void budgets(bg_budget *b, size_t n, const char *const *specs)
{
    char err[512];
    for (size_t i = 0; i < n; i++)
        if (bg__budget_parse(specs[i], &b[i], err, sizeof err) != 0)
            fail_msg("%s", err);
}

/* Unchanged code: no relative regression, but parse_big is over its
 * absolute budget, and load over its memory budget: both fail. */
static void test_over_budget_fails(void **state)
{
    (void)state;
    bg_run a, b;
    make_run(&a, NAMES, BASE_NS, 3, 80);
    make_run(&b, NAMES, BASE_NS, 3, 80);
    static const char *const specs[] = {"parse_*:time<=50us", "load:peak_rss<=64MiB"};
    bg_budget rules[2];
    budgets(rules, 2, specs);
    bg_cmp_opts o;
    bg__cmp_opts_default(&o);
    o.budgets = rules;
    o.nbudgets = 2;
    bg_comparison c;
    char err[512] = "";
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    assert_int_equal(c.nbudgets, 3);
    assert_int_equal(bg__budget_exceeded(&c), 2);
    size_t regressions = 0;
    for (size_t i = 0; i < c.n; i++) {
        const bg_cmp_row *w = &c.rows[i];
        assert_int_not_equal(w->verdict, BG_VERDICT_REGRESSED);
        bool over = !strcmp(w->name, "parse_big") || !strcmp(w->name, "load");
        assert_int_equal(bg__cmp_row_is_regression(w), over);
        assert_string_equal(bg__cmp_row_verdict(w), over ? "over budget" : bg_verdict_name(w->verdict));
        regressions += over;
    }
    assert_int_equal(regressions, 2);

    /* Every output says so. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(bg__cmp_print(f, &c, BG_CMP_CONSOLE), 0);
    fclose(f);
    assert_true(line_has(buf, "parse_big", "over budget"));
    assert_true(line_has(buf, "budgets:", "3 checked, 2 exceeded"));
    assert_true(line_has(buf, "over budget: load", "64 MiB"));
    assert_false(line_has(buf, "parse_small", "over budget"));
    free(buf);

    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(bg__cmp_print(f, &c, BG_CMP_MARKDOWN), 0);
    fclose(f);
    assert_true(line_has(buf, "| parse\\_big", "over budget")); /* names are Markdown-escaped */
    assert_true(line_has(buf, "| parse\\_small | parse\\_\\*:time\\<=50us", "within"));
    free(buf);

    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(bg__cmp_print(f, &c, BG_CMP_CSV), 0);
    fclose(f);
    assert_true(line_has(buf, "\"load\",", ",\"over budget\""));
    free(buf);

    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(bg__cmp_print(f, &c, BG_CMP_JSON), 0);
    fclose(f);
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    assert_non_null(j);
    const cJSON *arr = cJSON_GetObjectItem(j, "budgets");
    assert_int_equal(cJSON_GetArraySize(arr), 3);
    size_t exceeded = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        exceeded += cJSON_IsTrue(cJSON_GetObjectItem(it, "exceeded"));
        assert_non_null(cJSON_GetObjectItem(it, "limit"));
        assert_non_null(cJSON_GetObjectItem(it, "value"));
    }
    assert_int_equal(exceeded, 2);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "benchmarks")) {
        const cJSON *ob = cJSON_GetObjectItem(it, "over_budget");
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(it, "name"));
        if (!strcmp(name, "parse_big"))
            assert_string_equal(cJSON_GetStringValue(ob), "parse_*:time<=50us");
        else if (!strcmp(name, "parse_small"))
            assert_null(ob);
    }
    cJSON_Delete(j);

    const char *junit = pid_path("budget-junit", ".xml");
    assert_int_equal(bg__cmp_write_junit(junit, &c, "benchgate", err, sizeof err), 0);
    char *x = slurp(junit);
    assert_non_null(x);
    assert_true(line_has(x, "<failure message=\"over budget: time", "budget &lt;= 50"));
    unlink(junit);
    free(x);

    bg__comparison_free(&c);
    assert_null(c.budgets);
    free_run(&a);
    free_run(&b);
}

/* A real regression that is also over budget reads "regressed"; a budget
 * met changes nothing; a benchmark that crashed is "failed", not "over
 * budget"; a lower bound on a throughput works. */
static void test_budget_with_other_verdicts(void **state)
{
    (void)state;
    bg_run a, b;
    static const double slow[] = {60000, 60000, 1000};
    make_run(&a, NAMES, BASE_NS, 3, 10);
    make_run(&b, NAMES, slow, 3, 10);
    b.results[2].status = BG_STATUS_CRASHED;
    b.results[2].signal = 11;
    b.results[1].items_per_iter = 1000;
    static const char *const specs[] = {"*:time<=50us", "parse_big:items_per_s>=1G"};
    bg_budget rules[2];
    budgets(rules, 2, specs);
    bg_cmp_opts o;
    bg__cmp_opts_default(&o);
    o.budgets = rules;
    o.nbudgets = 2;
    bg_comparison c;
    char err[512] = "";
    /* items_per_s needs the derived figures: the reader computes them. */
    for (size_t i = 0; i < b.nresults; i++)
        bg__result_derive(&b.results[i], BG_STAT_MEAN);
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    for (size_t i = 0; i < c.n; i++) {
        const bg_cmp_row *w = &c.rows[i];
        if (!strcmp(w->name, "parse_small")) {
            assert_string_equal(bg__cmp_row_verdict(w), "regressed");
            assert_true(w->budget > 0);
        } else if (!strcmp(w->name, "parse_big")) {
            assert_string_equal(bg__cmp_row_verdict(w), "over budget"); /* 16.7 M items/s < 1 G */
        } else {
            assert_string_equal(bg__cmp_row_verdict(w), "failed");
            assert_int_equal(w->budget, 0);
        }
        assert_true(bg__cmp_row_is_regression(w) == (strcmp(w->name, "load") != 0));
    }
    /* load crashed: checked by neither budget. */
    assert_int_equal(c.nbudgets, 3);
    bg__comparison_free(&c);

    /* Re-applying replaces the earlier checks (the gate does after stage 2). */
    static const char *const loose[] = {"parse_*:time<=1ms"};
    bg_budget lr[1];
    budgets(lr, 1, loose);
    o.budgets = lr;
    o.nbudgets = 1;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    assert_int_equal(bg__budget_exceeded(&c), 0);
    assert_int_equal(bg__budget_apply(&c, &b, rules, 1, err, sizeof err), 0);
    assert_int_equal(bg__budget_exceeded(&c), 2);
    assert_int_equal(bg__budget_apply(&c, &b, lr, 1, err, sizeof err), 0);
    assert_int_equal(bg__budget_exceeded(&c), 0);
    for (size_t i = 0; i < c.n; i++)
        assert_int_equal(c.rows[i].budget, 0);
    bg__comparison_free(&c);
    free_run(&a);
    free_run(&b);
}

/* A budget that cannot be checked is an error naming it, not a pass. */
static void test_budget_errors(void **state)
{
    (void)state;
    bg_run a, b;
    make_run(&a, NAMES, BASE_NS, 3, 10);
    make_run(&b, NAMES, BASE_NS, 3, 10);
    bg_cmp_opts o;
    bg__cmp_opts_default(&o);
    bg_comparison c;
    char err[512] = "";
    static const char *const nomatch[] = {"pasre_*:time<=50us"};
    bg_budget r1[1];
    budgets(r1, 1, nomatch);
    o.budgets = r1;
    o.nbudgets = 1;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), BG_ENOTFOUND);
    assert_non_null(strstr(err, "'pasre_*:time<=50us' matches no benchmark"));
    assert_null(c.rows);

    static const char *const nocounter[] = {"load:instructions<=5k"};
    budgets(r1, 1, nocounter);
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), BG_EINVAL);
    assert_non_null(strstr(err, "benchmark 'load' did not record 'instructions'"));
    free_run(&a);
    free_run(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_over_budget_fails),
        cmocka_unit_test(test_budget_with_other_verdicts),
        cmocka_unit_test(test_budget_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
