/* Scopes: a real bench binary (scope_bench) with nested scopes, a team and
 * each misuse; the results it records (names, order, entries per
 * iteration, shares, the same samples as the benchmark), the console's
 * tree, --no-scopes and -DBG_NO_SCOPES, the record round trip and a record
 * whose scope does not match its name, and the trace's scope slices nested
 * inside their samples. Only what holds under load is asserted of timings:
 * entries are counts, shares are bounded by construction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <math.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "helpers.h"

#include "bg_ab.h"
#include "bg_harness.h"
#include "bg_model.h"
#include "bg_report.h"

#ifndef SCOPE_BENCH
#error "SCOPE_BENCH must be the path of the scope_bench binary"
#endif

static bg_run g_run;
static bench_out g_out;
static char *g_json;

/* Runs scope_bench with args (and --json into a temporary file); the record
 * parsed into *run and its text kept in *json when asked. */
static bench_out run_json(const char *const *extra, const char *const *env, bg_run *run, char **json)
{
    char path[] = "/tmp/bg_scopes_jsonXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const char *args[24] = {"--quick", "--json", path, "--color", "never", "--counters", "none"};
    size_t n = 7;
    for (size_t i = 0; extra && extra[i] && n < 23; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    bench_out o = run_bench(SCOPE_BENCH, args, env);
    char *text = slurp(path);
    unlink(path);
    memset(run, 0, sizeof *run);
    if (text) {
        char err[512] = "";
        if (bg__record_parse(text, run, err, sizeof err) != 0)
            fail_msg("the record does not parse: %s", err);
    }
    if (json)
        *json = text;
    else
        free(text);
    return o;
}

static int setup_run(void **state)
{
    (void)state;
    g_out = run_json(NULL, NULL, &g_run, &g_json);
    return g_json ? 0 : -1;
}

static int teardown_run(void **state)
{
    (void)state;
    bg__run_free(&g_run);
    bench_out_free(&g_out);
    free(g_json);
    return 0;
}

static size_t index_of(const bg_run *run, const char *name)
{
    for (size_t i = 0; i < run->nresults; i++)
        if (run->results[i].name && !strcmp(run->results[i].name, name))
            return i;
    fail_msg("no result named '%s'", name);
    return 0;
}

static void test_results_in_tree_order(void **state)
{
    (void)state;
    if (g_out.code != 0)
        fail_msg("scope_bench exited %d:\n%s\n%s", g_out.code, g_out.out, g_out.err);
    size_t b = index_of(&g_run, "scoped");
    assert_int_equal(index_of(&g_run, "scoped/parse"), b + 1);
    assert_int_equal(index_of(&g_run, "scoped/parse/tokenize"), b + 2);
    assert_int_equal(index_of(&g_run, "scoped/eval"), b + 3);
    size_t t = index_of(&g_run, "scoped_team/threads:2");
    assert_int_equal(index_of(&g_run, "scoped_team/threads:2/work"), t + 1);
    assert_int_equal(index_of(&g_run, "scoped_team/threads:2/extra"), t + 2);
    /* Compiled out: a plain block, no scope result. */
    size_t c = index_of(&g_run, "compiled_out");
    assert_true(c + 1 == g_run.nresults || !g_run.results[c + 1].scope_of[0]);
    for (size_t i = 0; i < g_run.nresults; i++)
        assert_null(strstr(g_run.results[i].name, "never"));
}

static void test_scope_figures(void **state)
{
    (void)state;
    static const struct {
        const char *name, *of;
        int depth;
        double calls;
    } want[] = {{"scoped/parse", "scoped", 1, 1},
                {"scoped/parse/tokenize", "scoped", 2, 1},
                {"scoped/eval", "scoped", 1, 2},
                /* a team: the mean over its threads (1 and 2 entries; 0 and 1) */
                {"scoped_team/threads:2/work", "scoped_team/threads:2", 1, 1.5},
                {"scoped_team/threads:2/extra", "scoped_team/threads:2", 1, 0.5},
                {"misuse/fine", "misuse", 1, 1}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        const bg_result *r = result_named(&g_run, want[k].name);
        assert_int_equal(r->status, BG_STATUS_OK);
        assert_string_equal(r->scope_of, want[k].of);
        assert_int_equal(r->scope_depth, want[k].depth);
        /* Entries are counted, not timed: exact. */
        assert_rel(bg__result_metric(r, "calls"), want[k].calls, 1e-12);
        assert_true(r->scope_share > 0 && r->scope_share <= 1.0 + 1e-9);
        /* Sampled with its benchmark: the same processes and iterations. */
        const bg_result *of = result_named(&g_run, want[k].of);
        assert_int_equal(r->nprocs, of->nprocs);
        for (size_t i = 0; i < r->nprocs; i++) {
            assert_int_equal(r->procs[i].n, of->procs[i].n);
            for (size_t j = 0; j < r->procs[i].n; j++) {
                assert_true(r->procs[i].iters[j] == of->procs[i].iters[j]);
                assert_true(r->procs[i].wall_ns[j] >= 0);
            }
        }
    }
    /* Disjoint scopes in one body take at most all of it; a nested one at
     * most its enclosing scope (its interval lies inside). */
    double parse = result_named(&g_run, "scoped/parse")->scope_share;
    double eval = result_named(&g_run, "scoped/eval")->scope_share;
    assert_true(parse + eval <= 1.0 + 1e-9);
    const bg_result *p = result_named(&g_run, "scoped/parse");
    const bg_result *tk = result_named(&g_run, "scoped/parse/tokenize");
    for (size_t i = 0; i < p->nprocs; i++)
        for (size_t j = 0; j < p->procs[i].n; j++)
            assert_true(tk->procs[i].wall_ns[j] <= p->procs[i].wall_ns[j] + 1e-6);
    /* The cost of a scope is measured and recorded. */
    assert_true(g_run.overhead.scope_entry_ns > 0);
    assert_true(g_run.overhead.scope_off_ns >= 0);
}

static void test_console_tree(void **state)
{
    (void)state;
    assert_non_null(strstr(g_out.out, "· parse"));
    assert_non_null(strstr(g_out.out, "  · tokenize"));
    assert_non_null(strstr(g_out.out, "% of scoped/parse, 1 entry/iter"));
    assert_non_null(strstr(g_out.out, "% of scoped, 2 entries/iter"));
    assert_non_null(strstr(g_out.out, "and 6 scopes"));
    assert_non_null(strstr(g_out.out, "scopes: "));
}

static void test_record_round_trip(void **state)
{
    (void)state;
    char *text = bg__record_to_json(&g_run);
    assert_non_null(text);
    bg_run back;
    char err[512] = "";
    assert_int_equal(bg__record_parse(text, &back, err, sizeof err), 0);
    free(text);
    const bg_result *a = result_named(&g_run, "scoped/parse/tokenize");
    const bg_result *b = result_named(&back, "scoped/parse/tokenize");
    assert_string_equal(b->scope_of, "scoped");
    assert_int_equal(b->scope_depth, 2);
    assert_rel(b->scope_share, a->scope_share, 1e-12);
    bg__run_free(&back);

    /* A scope that does not match its name is refused, naming it. */
    cJSON *root = cJSON_Parse(g_json);
    assert_non_null(root);
    cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "benchmarks"))
    {
        cJSON *so = cJSON_GetObjectItem(e, "scope");
        if (so && !strcmp(cJSON_GetObjectItem(e, "name")->valuestring, "scoped/eval"))
            cJSON_ReplaceItemInObject(so, "of", cJSON_CreateString("other"));
    }
    char *bad = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    assert_int_not_equal(bg__record_parse(bad, &back, err, sizeof err), 0);
    free(bad);
    assert_non_null(strstr(err, "scoped/eval"));
    assert_non_null(strstr(err, "scope"));
}

static void test_no_scopes_flag(void **state)
{
    (void)state;
    bg_run run;
    const char *extra[] = {"--no-scopes", "--filter", "^scoped$", NULL};
    bench_out o = run_json(extra, NULL, &run, NULL);
    assert_int_equal(o.code, 0);
    assert_int_equal(run.nresults, 1);
    assert_string_equal(run.results[0].name, "scoped");
    assert_null(strstr(o.out, "· parse"));
    bg__run_free(&run);
    bench_out_free(&o);
}

/* Each misuse fails its benchmark with a message naming the mistake; the
 * other benchmarks of the run are measured as usual. */
static void test_misuse(void **state)
{
    (void)state;
    static const struct {
        const char *bad, *msg;
    } cases[] = {
        {"end", "bg_scope_end: no scope is open (more ends than begins)"},
        {"open", "scope 'left_open' is still open at the end of a sample"},
        {"deep", "'l9' is nested deeper than 8 scopes (inside l1/l2/l3/l4/l5/l6/l7/l8)"},
        {"many", "'sq' is one scope too many (at most 16 per benchmark)"},
        {"name", "'has space' is not a scope name"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char envv[64];
        snprintf(envv, sizeof envv, "SCOPE_BENCH_BAD=%s", cases[k].bad);
        const char *env[] = {envv, NULL};
        const char *extra[] = {"--filter", "^(misuse|scoped)$", NULL};
        bg_run run;
        bench_out o = run_json(extra, env, &run, NULL);
        if (o.code != 3)
            fail_msg("%s: exit %d, not 3:\n%s\n%s", cases[k].bad, o.code, o.out, o.err);
        const bg_result *m = result_named(&run, "misuse");
        assert_int_equal(m->status, BG_STATUS_ERROR);
        if (!strstr(m->message, cases[k].msg))
            fail_msg("%s: message '%s' lacks '%s'", cases[k].bad, m->message, cases[k].msg);
        assert_non_null(strstr(o.out, cases[k].msg));
        assert_int_equal(result_named(&run, "scoped")->status, BG_STATUS_OK);
        assert_int_equal(result_named(&run, "scoped/parse")->status, BG_STATUS_OK);
        for (size_t i = 0; i < run.nresults; i++)
            assert_null(strstr(run.results[i].name, "misuse/"));
        bg__run_free(&run);
        bench_out_free(&o);
    }
}

/* The trace: every event has the fields the format requires; each scope
 * slice lies inside a sample of its benchmark's track, and tokenize inside
 * parse. */
static const cJSON *item(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!x)
        fail_msg("trace event without '%s'", k);
    return x;
}

static void test_trace_nesting(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(bg__export_trace(f, &g_run), 0);
    fclose(f);
    cJSON *root = cJSON_Parse(text);
    free(text);
    assert_non_null(root);
    const cJSON *ev = item(root, "traceEvents");
    size_t scopes = 0, tokenize = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, ev)
    {
        const char *ph = item(e, "ph")->valuestring;
        item(e, "name");
        item(e, "pid");
        item(e, "tid");
        if (strcmp(ph, "X") != 0)
            continue;
        double ts = item(e, "ts")->valuedouble, dur = item(e, "dur")->valuedouble;
        assert_true(dur >= 0);
        if (strcmp(item(e, "cat")->valuestring, "scope") != 0)
            continue;
        scopes++;
        int pid = item(e, "pid")->valueint, tid = item(e, "tid")->valueint;
        const char *name = item(e, "name")->valuestring;
        /* The sample (or the parse slice, for tokenize) that holds it. */
        bool inside = false;
        const cJSON *o;
        cJSON_ArrayForEach(o, ev)
        {
            if (o == e || strcmp(item(o, "ph")->valuestring, "X") != 0 ||
                item(o, "pid")->valueint != pid || item(o, "tid")->valueint != tid)
                continue;
            const char *cat = item(o, "cat")->valuestring;
            bool holder = !strcmp(name, "tokenize") ? !strcmp(item(o, "name")->valuestring, "parse")
                                                    : !strcmp(cat, "sample");
            double ots = item(o, "ts")->valuedouble, odur = item(o, "dur")->valuedouble;
            if (holder && ts >= ots - 1e-9 && ts + dur <= ots + odur + 1e-6)
                inside = true;
        }
        if (!inside)
            fail_msg("scope slice '%s' at %.3f us (+%.3f) lies in no slice that holds it", name, ts, dur);
        tokenize += !strcmp(name, "tokenize");
    }
    assert_true(scopes > 0);
    assert_true(tokenize > 0);
    assert_non_null(cJSON_GetObjectItem(item(root, "otherData"), "scopes"));
    cJSON_Delete(root);
}

/* Interleaved A/B (the gate's stage 2) compares a benchmark's scopes as
 * rows of their own, block by block beside it, and keeps them in the
 * merged runs. The same binary on both sides: only the shape is asserted. */
static void test_ab_compares_scopes(void **state)
{
    (void)state;
    bg_ab_opts o;
    bg__ab_opts_default(&o);
    o.a.bin = SCOPE_BENCH;
    o.b.bin = SCOPE_BENCH;
    o.filter = "^scoped$";
    o.watch = "^scoped/parse/tokenize$";
    o.min_blocks = 6;
    o.max_blocks = 6;
    o.budget_s = 60;
    o.save = 0;
    o.bench_args[0] = "--quick";
    o.bench_args[1] = "--counters";
    o.bench_args[2] = "none";
    o.nbench_args = 3;
    FILE *log = tmpfile();
    assert_non_null(log);
    o.log = log;
    bg_ab_result r;
    char err[2048] = "";
    int rc = bg__ab_run(&o, &r, err, sizeof err);
    fclose(log);
    if (rc != 0)
        fail_msg("ab failed: %s", err);
    static const char *const want[] = {"scoped", "scoped/parse", "scoped/parse/tokenize", "scoped/eval"};
    size_t lead = r.cmp.n;
    for (size_t k = 0; k < 4; k++) {
        size_t i = 0;
        while (i < r.cmp.n && strcmp(r.cmp.rows[i].name, want[k]) != 0)
            i++;
        if (i == r.cmp.n)
            fail_msg("ab has no row '%s'", want[k]);
        if (k == 0)
            lead = i;
        assert_int_equal(i, lead + k); /* each scope right after its benchmark, in tree order */
        assert_int_equal(r.cmp.rows[i].kind, BG_ROW_COMPARED);
        assert_int_equal(r.info[i].blocks, 6); /* a pair in every block */
        assert_true(r.cmp.rows[i].mean_a > 0 && r.cmp.rows[i].mean_b > 0);
    }
    assert_true(r.have_runs);
    const bg_result *m = result_named(&r.run_b, "scoped/parse/tokenize");
    assert_string_equal(m->scope_of, "scoped");
    assert_int_equal(m->scope_depth, 2);
    assert_int_equal(m->nprocs, 6 * 2); /* every process of every block */
    bg__ab_result_free(&r);
}

#ifdef BENCHGATE_EXE
/* The gate on a regression inside one scope: stage 1 suspects
 * scoped/parse/tokenize (and what encloses it), stage 2 measures it by
 * running its benchmark interleaved, base binary against head binary, and
 * confirms it: the gate fails naming the scope and the stage. The slowdown
 * is 4x, far above the noise of a loaded machine; a fresh base is tried
 * up to three times. */
static void test_gate_on_a_scope(void **state)
{
    (void)state;
    static char tmp[256], repo[320], out[1 << 17], base_bin[400];
    assert_int_equal(make_tmp_repo(tmp, sizeof tmp, repo, sizeof repo, "bg_scopes_gate"), 0);
    unsetenv("BENCHGATE_DIR");
    unsetenv("SCOPE_BENCH_SLOW");
    sh("git init -q -b main '%s' && cd '%s' && echo a > f && git add f && " GIT " commit -q -m A",
       repo, repo);
    snprintf(base_bin, sizeof base_bin, "%s/base-bin.sh", tmp);
    write_script(base_bin, "unset SCOPE_BENCH_SLOW\nexec '%s' \"$@\"\n", SCOPE_BENCH);
    bg_use(&(bg_tool){.exe = BENCHGATE_EXE, .dir = repo, .out = out, .outsz = sizeof out});
    int rc = -1;
    for (int i = 0; i < 3 && rc != 1; i++) {
        sh("cd '%s' && '%s' --filter '^scoped$' --quick --procs 4 --max-procs 4 --counters none "
           "--save > /dev/null 2>&1", repo, SCOPE_BENCH);
        setenv("SCOPE_BENCH_SLOW", "1", 1);
        rc = bg("gate --base HEAD --bench '%s' --bench-arg --filter --bench-arg '^scoped$' --bench-arg --quick "
                "--bench-arg --counters --bench-arg none --threshold 5 --base-bin '%s'",
                SCOPE_BENCH, base_bin);
        unsetenv("SCOPE_BENCH_SLOW");
        fprintf(stderr, "--- attempt %d: exit %d\n%s", i + 1, rc, out);
    }
    if (rc != 1)
        fail_msg("gate exited %d, want 1", rc);
    assert_true(line_has(out, "scoped/parse/tokenize", "regressed"));
    assert_true(line_has(out, "scoped/parse/tokenize", "(stage 2: "));
    assert_non_null(strstr(out, "stage 2 decided scoped/parse/tokenize: regressed"));
    assert_non_null(strstr(out, "gate: FAILED: regression"));
    remove_tree(tmp);
}
#endif

int main(void)
{
    const struct CMUnitTest run_tests[] = {
        cmocka_unit_test(test_results_in_tree_order),
        cmocka_unit_test(test_scope_figures),
        cmocka_unit_test(test_console_tree),
        cmocka_unit_test(test_record_round_trip),
        cmocka_unit_test(test_trace_nesting),
    };
    const struct CMUnitTest alone[] = {
        cmocka_unit_test(test_no_scopes_flag),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_ab_compares_scopes),
#ifdef BENCHGATE_EXE
        cmocka_unit_test(test_gate_on_a_scope),
#endif
    };
    int failed = cmocka_run_group_tests_name("scope_bench run", run_tests, setup_run, teardown_run);
    return failed + cmocka_run_group_tests_name("scope options and misuse", alone, NULL, NULL);
}
