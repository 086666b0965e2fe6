/* The benchmark API: specs expanded into instances (names, ranges, errors
 * naming the benchmark), growth-order fits and thread scaling on synthetic
 * results, their record round trip, a change of class as a regression, the
 * planner on a body the clock cannot see, and a real bench binary (api_bench)
 * for teams, user counters, pause/resume, manual time, batched setup and an
 * empty body. Nothing here asserts on a fresh timing beyond what holds under
 * load. */
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

#include "bg_cmds.h"
#include "bg_compare.h"
#include "bg_harness.h"
#include "bg_model.h"
#include "bg_report.h"

#ifndef API_BENCH
#error "API_BENCH must be the path of the api_bench binary"
#endif

static void body(bg_state *b)
{
    (void)b;
}

static void spec_sweep(bg_spec *s)
{
    bg_spec_range(s, "n", 1 << 10, 10000000, 8);
    bg_spec_complexity(s, "n", BG_BIGO_AUTO);
}

static void spec_two(bg_spec *s)
{
    bg_spec_dense(s, "n", 1, 5, 2);
    bg_spec_args(s, "m", (const int64_t[]){7}, 1);
    bg_spec_threads_range(s, 1, 4);
    bg_spec_on_request(s);
}

static void test_instances(void **state)
{
    (void)state;
    bg__registry_reset();
    assert_int_equal(bg_register("sort", body, "x.c", 1), 0);
    assert_int_equal(bg_register("two", body, "x.c", 2), 0);
    assert_int_equal(bg_register("plain", body, "x.c", 3), 0);
    assert_int_equal(bg_register_spec("sort", spec_sweep, "x.c", 4), 0);
    assert_int_equal(bg_register_spec("two", spec_two, "x.c", 5), 0);
    const bg_bench *in;
    size_t n;
    char err[512] = "";
    assert_int_equal(bg__registry_instances(&in, &n, err, sizeof err), 0);
    /* plain; sort: 1024 8192 65536 524288 4194304 10000000; two: 3 n x 3 teams */
    static const char *const want[] = {
        "plain", "sort/1024", "sort/8192", "sort/65536", "sort/524288", "sort/4194304",
        "sort/10000000", "two/n:1/m:7/threads:1", "two/n:3/m:7/threads:1",
        "two/n:5/m:7/threads:1", "two/n:1/m:7/threads:2", "two/n:3/m:7/threads:2",
        "two/n:5/m:7/threads:2", "two/n:1/m:7/threads:4", "two/n:3/m:7/threads:4",
        "two/n:5/m:7/threads:4"};
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(in[i].name, want[i]);
    assert_null(in[0].family);
    assert_string_equal(in[1].family, "sort");
    assert_int_equal(in[6].args[0], 10000000);
    assert_int_equal(in[1].complexity, BG_BIGO_AUTO);
    assert_int_equal(in[1].complexity_arg, 0);
    assert_int_equal(in[8].args[0], 3);
    assert_int_equal(in[8].args[1], 7);
    assert_int_equal(in[15].threads, 4);
    assert_true(in[15].on_request);
    assert_false(in[1].on_request);
    bg__registry_reset();
}

/* Each mistake: BG_EINVAL and a message naming the benchmark and the call. */
typedef struct bad_case {
    bg_spec_fn fn;
    const char *want;
} bad_case;

static void bad_empty(bg_spec *s) { bg_spec_range(s, "n", 100, 10, 2); }
static void bad_mult(bg_spec *s) { bg_spec_range(s, "n", 1, 100, 0); }
static void bad_dense(bg_spec *s) { bg_spec_dense(s, "n", 1, 10, 0); }
static void bad_threads(bg_spec *s) { bg_spec_threads(s, (const int[]){2, 100000}, 2); }
static void bad_dup(bg_spec *s) { bg_spec_args(s, "n", (const int64_t[]){4, 4}, 2); }
static void bad_cx(bg_spec *s)
{
    bg_spec_args(s, "n", (const int64_t[]){4, 8}, 2);
    bg_spec_complexity(s, "m", BG_BIGO_AUTO);
}
static void bad_name(bg_spec *s) { bg_spec_args(s, "a b", (const int64_t[]){1}, 1); }

static void test_spec_errors(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {bad_empty, "benchmark 'b': bg_spec_range: argument 'n': the range 100..10 is empty"},
        {bad_mult, "benchmark 'b': bg_spec_range: argument 'n': multiplier 0 (it must be 2 or more)"},
        {bad_dense, "benchmark 'b': bg_spec_dense: argument 'n': step 0"},
        {bad_threads, "benchmark 'b': bg_spec_threads: 100000 threads (a team has 1 to 256)"},
        {bad_dup, "benchmark 'b': bg_spec_args: argument 'n' is given the value 4 twice"},
        {bad_cx, "benchmark 'b': bg_spec_complexity: 'm' is not an argument"},
        {bad_name, "benchmark 'b': bg_spec_args: argument name 'a b'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bg__registry_reset();
        assert_int_equal(bg_register("b", body, "x.c", 1), 0);
        assert_int_equal(bg_register_spec("b", cases[i].fn, "x.c", 2), 0);
        const bg_bench *in;
        size_t n;
        char err[512] = "";
        assert_int_equal(bg__registry_instances(&in, &n, err, sizeof err), BG_EINVAL);
        if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: got '%s', want it to start '%s'", i, err, cases[i].want);
    }
    /* A spec for a BENCH that does not exist. */
    bg__registry_reset();
    assert_int_equal(bg_register_spec("ghost", bad_empty, "g.c", 9), 0);
    const bg_bench *in;
    size_t n;
    char err[512] = "";
    assert_int_equal(bg__registry_instances(&in, &n, err, sizeof err), BG_EINVAL);
    assert_non_null(strstr(err, "BENCH_SPEC(ghost) at g.c:9 names no BENCH"));
    bg__registry_reset();
}

static void test_planner_unresolvable(void **state)
{
    (void)state;
    /* A body the compiler removed: each batch takes the same ~20 ns. */
    bg_warmup w;
    bg__warmup_init(&w);
    double elapsed = 0;
    int steps = 0;
    uint64_t it = 1;
    while (!bg__warmup_step(&w, it, 20, elapsed, 40e6, 10000)) {
        it = w.next;
        elapsed += 100;
        assert_true(it >= 1);
        assert_true(++steps < 100); /* ends long before the budget */
    }
    bg_plan p;
    assert_int_equal(bg__plan(w.per_iter_ns, 0.12e9, 20, 10000, &p), 0);
    assert_true(p.k >= 1 && p.k < (UINT64_C(1) << 41));
    assert_true(p.m >= 5);
}

/* ---- synthetic results ---- */

static void fake_result(bg_result *r, const char *name, const char *family, int64_t n, int threads,
                        bg_big_o o, double mean_ns, uint64_t items)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->status = BG_STATUS_OK;
    r->has_summary = true;
    r->wall.est[BG_STAT_MEAN].point = mean_ns;
    snprintf(r->family, sizeof r->family, "%s", family);
    r->nargs = n ? 1 : 0;
    snprintf(r->arg_names[0], sizeof r->arg_names[0], "n");
    r->args[0] = n;
    r->threads = threads;
    r->complexity = o;
    r->complexity_arg = o ? 0 : -1;
    r->items_per_iter = items;
}

static const char *const gnames[] = {"g/1024", "g/8192", "g/65536", "g/524288", "g/4194304"};

/* A run of g over 1K..4M whose mean time is t(n). */
static void growth_run(bg_run *run, double (*t)(double), bg_big_o o)
{
    memset(run, 0, sizeof *run);
    run->nresults = 5;
    run->results = calloc(5, sizeof *run->results);
    assert_non_null(run->results);
    for (size_t i = 0; i < 5; i++) {
        int64_t n = (int64_t)1024 << (3 * i);
        fake_result(&run->results[i], gnames[i], "g", n, 0, o, t((double)n), 0);
    }
    assert_int_equal(bg__run_sweeps(run), 0);
}

static double t_nlogn(double n) { return 3.0 * n * log2(n) + 50.0; }
static double t_n(double n) { return 2.0 * n + 100.0; }
static double t_n2(double n) { return 0.001 * n * n; }

static void free_fake(bg_run *run)
{
    free(run->results); /* the names are literals, no processes */
    run->results = NULL;
    run->nresults = 0;
    free(run->sweeps);
    run->sweeps = NULL;
    run->nsweeps = 0;
}

static void test_growth_fit(void **state)
{
    (void)state;
    bg_run run;
    growth_run(&run, t_nlogn, BG_BIGO_AUTO);
    assert_int_equal(run.nsweeps, 1);
    assert_int_equal(run.sweeps[0].kind, BG_SWEEP_GROWTH);
    assert_string_equal(run.sweeps[0].key, "g");
    assert_string_equal(run.sweeps[0].arg, "n");
    assert_int_equal(run.sweeps[0].big_o, BG_BIGO_NLOGN);
    assert_false(run.sweeps[0].declared);
    assert_rel(run.sweeps[0].coef, 3.0, 0.01);
    assert_true(run.sweeps[0].rms < 0.01);
    free_fake(&run);

    growth_run(&run, t_n, BG_BIGO_AUTO);
    assert_int_equal(run.sweeps[0].big_o, BG_BIGO_N);
    free_fake(&run);

    /* Declared: that class's coefficient, whatever fits best. */
    growth_run(&run, t_n2, BG_BIGO_N);
    assert_int_equal(run.sweeps[0].big_o, BG_BIGO_N);
    assert_true(run.sweeps[0].declared);
    assert_true(run.sweeps[0].rms > 0.1);
    free_fake(&run);
}

static void test_thread_scaling(void **state)
{
    (void)state;
    bg_run run;
    memset(&run, 0, sizeof run);
    run.nresults = 4;
    run.results = calloc(4, sizeof *run.results);
    assert_non_null(run.results);
    /* 1000 items per team iteration: 1 thread 1000 ns, 2 threads 550 (91 %),
     * 4 threads 400 (62 %), 8 threads 450 (28 %, slower than 4). */
    fake_result(&run.results[0], "p/threads:1", "p", 0, 1, BG_BIGO_NONE, 1000, 1000);
    fake_result(&run.results[1], "p/threads:2", "p", 0, 2, BG_BIGO_NONE, 550, 1000);
    fake_result(&run.results[2], "p/threads:4", "p", 0, 4, BG_BIGO_NONE, 400, 1000);
    fake_result(&run.results[3], "p/threads:8", "p", 0, 8, BG_BIGO_NONE, 450, 1000);
    assert_int_equal(bg__run_sweeps(&run), 0);
    assert_int_equal(run.nsweeps, 1);
    const bg_sweep *w = &run.sweeps[0];
    assert_int_equal(w->kind, BG_SWEEP_THREADS);
    assert_string_equal(w->key, "p");
    assert_int_equal(w->best_threads, 4);
    assert_int_equal(w->knee_threads, 4);
    assert_rel(w->efficiency[0], 1.0, 1e-12);
    assert_rel(w->efficiency[1], 1000.0 / (2 * 550), 1e-12);
    assert_rel(w->throughput[2], 1000 / 400e-9, 1e-12);
    free_fake(&run);
}

/* A growth sweep survives the record: fields written, read, refitted. */
static void test_record_round_trip(void **state)
{
    (void)state;
    bg_run run;
    growth_run(&run, t_n, BG_BIGO_AUTO);
    for (size_t i = 0; i < run.nresults; i++)
        run.results[i].has_summary = false; /* no samples: the record would refuse estimates */
    assert_int_equal(bg__run_sweeps(&run), 0);
    assert_int_equal(run.nsweeps, 0); /* no summary, no sweep */
    run.results[0].threads = 2;
    snprintf(run.results[0].note, sizeof run.results[0].note, "a note");
    char *json = bg__record_to_json(&run);
    assert_non_null(json);
    bg_run back;
    char err[256] = "";
    int rc = bg__record_parse(json, &back, err, sizeof err);
    if (rc)
        fail_msg("parse: %s", err);
    const bg_result *r = result_named(&back, "g/8192");
    assert_string_equal(r->family, "g");
    assert_int_equal(r->nargs, 1);
    assert_string_equal(r->arg_names[0], "n");
    assert_int_equal(r->args[0], 8192);
    assert_int_equal(r->complexity, BG_BIGO_AUTO);
    assert_int_equal(r->complexity_arg, 0);
    r = result_named(&back, "g/1024");
    assert_int_equal(r->threads, 2);
    assert_string_equal(r->note, "a note");
    bg__run_free(&back);
    free(json);
    free_fake(&run);
}

/* O(n) in A, O(n^2) in B: a regression; the other way an improvement. */
static void test_class_change(void **state)
{
    (void)state;
    bg_run a, b;
    growth_run(&a, t_n, BG_BIGO_AUTO);
    growth_run(&b, t_n2, BG_BIGO_AUTO);
    assert_int_equal(b.sweeps[0].big_o, BG_BIGO_N2);
    bg_cmp_opts o;
    bg__cmp_opts_default(&o);
    bg_comparison c;
    char err[256] = "";
    /* No samples: every row is "not ok", the class change is still seen. */
    for (size_t i = 0; i < 5; i++)
        a.results[i].status = b.results[i].status = BG_STATUS_OK;
    int rc = bg__compare_runs(&a, &b, &o, &c, err, sizeof err);
    if (rc)
        fail_msg("compare: %s", err);
    assert_int_equal(c.nclasses, 1);
    assert_string_equal(c.classes[0].key, "g");
    assert_int_equal(c.classes[0].a, BG_BIGO_N);
    assert_int_equal(c.classes[0].b, BG_BIGO_N2);
    assert_true(c.classes[0].regressed);
    assert_true(bg__cmp_class_regressed(&c));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bg__cmp_print(f, &c, BG_CMP_CONSOLE);
    fclose(f);
    assert_non_null(strstr(buf, "growth order of g in n: O(n) -> O(n^2), REGRESSED"));
    free(buf);
    char junit[] = "/tmp/bg_api_junitXXXXXX";
    int fd = mkstemp(junit);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(bg__cmp_write_junit(junit, &c, "s", err, sizeof err), 0);
    char *x = slurp(junit);
    unlink(junit);
    assert_non_null(x);
    assert_non_null(strstr(x, "failures=\"1\""));
    assert_non_null(strstr(x, "<failure message=\"growth order grew\">growth order in n: O(n) -> O(n^2)</failure>"));
    free(x);
    bg__comparison_free(&c);
    rc = bg__compare_runs(&b, &a, &o, &c, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_int_equal(c.nclasses, 1);
    assert_false(bg__cmp_class_regressed(&c));
    bg__comparison_free(&c);
    free_fake(&a);
    free_fake(&b);
}

/* Gives r two processes of three samples each, every sample at mean_ns
 * per iteration (+-1 %), and its summary. */
static void fake_samples(bg_result *r, double mean_ns)
{
    bg_config c;
    bg__config_default(&c);
    c.resamples = 200;
    r->nprocs = 2;
    r->procs = calloc(2, sizeof *r->procs);
    assert_non_null(r->procs);
    for (size_t i = 0; i < 2; i++) {
        bg_proc *p = &r->procs[i];
        p->n = 3;
        p->iters = calloc(3, sizeof(double));
        p->wall_ns = calloc(3, sizeof(double));
        p->cpu_ns = calloc(3, sizeof(double));
        assert_true(p->iters && p->wall_ns && p->cpu_ns);
        for (size_t j = 0; j < 3; j++) {
            p->iters[j] = (double)(j + 1) * 10;
            p->wall_ns[j] = p->iters[j] * mean_ns * (1 + 0.01 * ((double)j - 1));
            p->cpu_ns[j] = p->wall_ns[j];
        }
        p->ncounters = 1;
        p->counters = calloc(1, sizeof *p->counters);
        assert_non_null(p->counters);
        snprintf(p->counters[0].name, sizeof p->counters[0].name, "hits");
        p->counters[0].v = calloc(3, sizeof(double));
        assert_non_null(p->counters[0].v);
        for (size_t j = 0; j < 3; j++)
            p->counters[0].v[j] = 2 * p->iters[j]; /* 2 per iteration */
        p->counter_kind[0] = BG_COUNT_ITER;
    }
    assert_int_equal(bg__summarize_result(&c, r), 0);
}

/* Google Benchmark JSON carries arguments, teams, user counters and the
 * _BigO/_RMS rows; the importer reads them back, and also reads a file
 * Google Benchmark wrote (names only, BigO rows). */
static void test_gbench_interop(void **state)
{
    (void)state;
    bg_run run;
    memset(&run, 0, sizeof run);
    bg__config_default(&run.config);
    run.nresults = 5;
    run.results = calloc(5, sizeof *run.results);
    assert_non_null(run.results);
    for (size_t i = 0; i < 5; i++) {
        int64_t n = (int64_t)1024 << (3 * i);
        fake_result(&run.results[i], gnames[i], "g", n, 0, BG_BIGO_AUTO, 0, 0);
        fake_samples(&run.results[i], t_nlogn((double)n));
        run.results[i].name = strdup(gnames[i]);
        run.results[i].owns_name = true;
        assert_int_equal(bg__result_derive(&run.results[i], BG_STAT_MEAN), 0);
    }
    run.results[4].threads = 2;
    assert_int_equal(bg__run_sweeps(&run), 0);
    assert_int_equal(run.nsweeps, 1);
    assert_int_equal(run.sweeps[0].big_o, BG_BIGO_NLOGN);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(bg__export_gbench(f, &run), 0);
    fclose(f);
    cJSON *doc = cJSON_Parse(buf);
    assert_non_null(doc);
    const cJSON *e, *bigo = NULL, *rms = NULL, *t2 = NULL;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "benchmarks"))
    {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (!strcmp(nm->valuestring, "g_BigO"))
            bigo = e;
        if (!strcmp(nm->valuestring, "g_RMS"))
            rms = e;
        if (!strcmp(nm->valuestring, "g/4194304") && !t2)
            t2 = e;
    }
    assert_non_null(bigo);
    assert_non_null(rms);
    assert_non_null(t2);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(bigo, "big_o")->valuestring, "NlgN");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(bigo, "run_name")->valuestring, "g");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(rms, "aggregate_name")->valuestring, "RMS");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(t2, "threads")->valuedouble, 2);
    assert_rel(cJSON_GetObjectItemCaseSensitive(t2, "hits")->valuedouble, 2, 1e-12);
    cJSON_Delete(doc);

    bg_run back;
    char err[256] = "";
    int rc = bg__import_gbench(buf, "export.json", &back, err, sizeof err);
    if (rc)
        fail_msg("import: %s", err);
    const bg_result *r = result_named(&back, "g/65536");
    assert_string_equal(r->family, "g");
    assert_string_equal(r->arg_names[0], "n");
    assert_int_equal(r->args[0], 65536);
    assert_rel(bg__result_metric(r, "hits"), 2, 1e-9);
    assert_int_equal(result_named(&back, "g/4194304")->threads, 2);
    assert_int_equal(back.nsweeps, 1); /* the four without a team (one point is no sweep) */
    bool found = false;
    for (size_t i = 0; i < back.nsweeps; i++)
        if (back.sweeps[i].kind == BG_SWEEP_GROWTH && !strcmp(back.sweeps[i].key, "g")) {
            found = true;
            assert_int_equal(back.sweeps[i].n, 4);
            assert_int_equal(back.sweeps[i].big_o, BG_BIGO_NLOGN);
        }
    assert_true(found);
    bg__run_free(&back);
    free(buf);
    bg__run_free(&run);

    /* As Google Benchmark writes it: names carry the arguments, a BigO row
     * the class (declared on the family). */
    static const char gb[] =
        "{\"context\":{},\"benchmarks\":["
        "{\"name\":\"BM_Sort/8/threads:1\",\"run_name\":\"BM_Sort/8/threads:1\",\"run_type\":\"iteration\","
        "\"threads\":1,\"iterations\":100,\"real_time\":80,\"cpu_time\":80,\"time_unit\":\"ns\",\"probes\":3},"
        "{\"name\":\"BM_Sort/64/threads:1\",\"run_name\":\"BM_Sort/64/threads:1\",\"run_type\":\"iteration\","
        "\"threads\":1,\"iterations\":100,\"real_time\":900,\"cpu_time\":900,\"time_unit\":\"ns\",\"probes\":4},"
        "{\"name\":\"BM_Sort_BigO\",\"run_name\":\"BM_Sort\",\"run_type\":\"aggregate\",\"aggregate_name\":\"BigO\","
        "\"cpu_coefficient\":2.1,\"real_coefficient\":2.1,\"big_o\":\"NlgN\",\"time_unit\":\"ns\"},"
        "{\"name\":\"BM_Sort_RMS\",\"run_name\":\"BM_Sort\",\"run_type\":\"aggregate\",\"aggregate_name\":\"RMS\","
        "\"rms\":0.05}]}";
    rc = bg__import_gbench(gb, "gb.json", &back, err, sizeof err);
    if (rc)
        fail_msg("import: %s", err);
    assert_int_equal(back.nresults, 2);
    r = result_named(&back, "BM_Sort/64/threads:1");
    assert_string_equal(r->family, "BM_Sort");
    assert_string_equal(r->arg_names[0], "arg0");
    assert_int_equal(r->args[0], 64);
    assert_int_equal(r->threads, 1);
    assert_int_equal(r->complexity, BG_BIGO_NLOGN);
    assert_rel(bg__result_metric(r, "probes"), 4, 1e-12);
    assert_int_equal(back.nsweeps, 1);
    bg__run_free(&back);
}

#ifdef BENCHGATE_EXE
/* Writes a run of g over 1K..512K whose time grows as t(n), with samples. */
static void write_growth_run(const char *path, double (*t)(double))
{
    bg_run run;
    memset(&run, 0, sizeof run);
    bg__config_default(&run.config);
    run.nresults = 4;
    run.results = calloc(4, sizeof *run.results);
    assert_non_null(run.results);
    for (size_t i = 0; i < 4; i++) {
        int64_t n = (int64_t)1024 << (3 * i);
        fake_result(&run.results[i], gnames[i], "g", n, 0, BG_BIGO_AUTO, 0, 0);
        fake_samples(&run.results[i], t((double)n));
        run.results[i].name = strdup(gnames[i]);
        run.results[i].owns_name = true;
    }
    char err[256];
    assert_int_equal(bg__record_write(&run, path, err, sizeof err), 0);
    bg__run_free(&run);
}

/* `benchgate compare` of an O(n) run with an O(n^2) one: exit 1, named. */
static void test_compare_class_cli(void **state)
{
    (void)state;
    char a[] = "/tmp/bg_api_aXXXXXX", b[] = "/tmp/bg_api_bXXXXXX";
    int fa = mkstemp(a), fb = mkstemp(b);
    assert_true(fa >= 0 && fb >= 0);
    close(fa);
    close(fb);
    write_growth_run(a, t_n);
    write_growth_run(b, t_n2);
    const char *args[] = {"compare", a, b, NULL};
    bench_out o = run_bench(BENCHGATE_EXE, args, NULL);
    if (o.code != 1)
        fail_msg("exit %d:\n%s\n%s", o.code, o.out, o.err);
    unlink(a);
    unlink(b);
    assert_int_equal(o.code, 1);
    assert_non_null(strstr(o.out, "growth order of g in n: O(n) -> O(n^2), REGRESSED"));
    bench_out_free(&o);
}
#endif

/* ---- the bench binary ---- */

static bg_run g_run;
static bench_out g_out;

static int setup_run(void **state)
{
    (void)state;
    char path[] = "/tmp/bg_api_jsonXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    const char *args[] = {"--quick", "--json", path, "--color", "never", "--counters", "none", NULL};
    g_out = run_bench(API_BENCH, args, NULL);
    char *json = slurp(path);
    unlink(path);
    if (!json)
        return -1;
    char err[256];
    int rc = bg__record_parse(json, &g_run, err, sizeof err);
    free(json);
    return rc;
}

static int teardown_run(void **state)
{
    (void)state;
    bg__run_free(&g_run);
    bench_out_free(&g_out);
    return 0;
}

static void test_run_exit_and_names(void **state)
{
    (void)state;
    if (g_out.code != 0)
        fail_msg("api_bench exited %d:\n%s\n%s", g_out.code, g_out.out, g_out.err);
    static const char *const names[] = {"args/n:8/k:1", "args/n:8/k:2", "args/n:64/k:1",
                                        "args/n:64/k:2", "team/threads:1", "team/threads:2"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const bg_result *r = result_named(&g_run, names[i]);
        assert_int_equal(r->status, BG_STATUS_OK);
        assert_non_null(strstr(g_out.out, names[i]));
    }
    /* Each instance saw its own arguments (recorded as max counters). */
    const bg_result *r = result_named(&g_run, "args/n:64/k:2");
    assert_rel(bg__result_metric(r, "n_seen"), 64, 1e-12);
    assert_rel(bg__result_metric(r, "k_seen"), 2, 1e-12);
    assert_int_equal(r->args[0], 64);
    assert_string_equal(r->family, "args");
}

static void test_run_team(void **state)
{
    (void)state;
    const bg_result *r1 = result_named(&g_run, "team/threads:1");
    const bg_result *r2 = result_named(&g_run, "team/threads:2");
    /* Every thread counted one per iteration: the team's sum is T. */
    assert_rel(bg__result_metric(r1, "ticks"), 1, 1e-12);
    assert_rel(bg__result_metric(r2, "ticks"), 2, 1e-12);
    assert_rel(bg__result_metric(r2, "index_max"), 1, 1e-12);
    assert_int_equal(r2->items_per_iter, 2); /* each thread declared 1 */
    assert_int_equal(r2->threads, 2);
    /* The sweep is reported, whatever its figures on a loaded machine. */
    bool found = false;
    for (size_t i = 0; i < g_run.nsweeps; i++)
        if (g_run.sweeps[i].kind == BG_SWEEP_THREADS && !strcmp(g_run.sweeps[i].key, "team")) {
            found = true;
            assert_int_equal(g_run.sweeps[i].n, 2);
            assert_true(g_run.sweeps[i].best_threads == 1 || g_run.sweeps[i].best_threads == 2);
        }
    assert_true(found);
    assert_non_null(strstr(g_out.out, "threads team: best "));
}

static void test_run_counters(void **state)
{
    (void)state;
    const bg_result *r = result_named(&g_run, "counters");
    assert_rel(bg__result_metric(r, "per_iter"), 2, 1e-12);
    assert_rel(bg__result_metric(r, "biggest"), 7, 1e-12);
    assert_int_equal(bg__result_metric_kind(r, "per_sample"), BG_METRIC_SAMPLE);
    assert_int_equal(bg__result_metric_kind(r, "biggest"), BG_METRIC_PEAK);
    /* Per sample: the sample's iterations; a rate: above 0 per second. */
    const double *ps = bg__proc_metric(r, 0, "per_sample");
    assert_non_null(ps);
    assert_rel(ps[0], r->procs[0].iters[0], 1e-12);
    assert_true(bg__result_metric(r, "rate") > 0);
    assert_non_null(strstr(g_out.out, "user counters: per_iter 2/iter"));
    /* Compared as any metric: the run against itself is unchanged. */
    static const char *const metrics[] = {"per_iter", "per_sample", "rate", "biggest"};
    for (size_t m = 0; m < 4; m++) {
        bg_cmp_opts o;
        bg__cmp_opts_default(&o);
        o.metric = metrics[m];
        o.resamples = 500;
        bg_comparison c;
        char err[256] = "";
        int rc = bg__compare_runs(&g_run, &g_run, &o, &c, err, sizeof err);
        if (rc)
            fail_msg("--metric %s: %s", metrics[m], err);
        bool found = false;
        for (size_t i = 0; i < c.n; i++)
            if (!strcmp(c.rows[i].name, "counters")) {
                found = true;
                assert_int_equal(c.rows[i].kind, BG_ROW_COMPARED);
                assert_true(fabs(c.rows[i].ch.change) < 1e-9);
            }
        assert_true(found);
        bg__comparison_free(&c);
    }
}

/* A size whose declared memory cannot fit is skipped, saying so. */
static void test_run_does_not_fit(void **state)
{
    (void)state;
    const bg_result *r = result_named(&g_run, "huge/1000");
    assert_int_equal(r->status, BG_STATUS_SKIPPED);
    assert_non_null(strstr(r->message, "does not fit: needs"));
    assert_non_null(strstr(g_out.out, "does not fit: needs"));
}

static void test_run_timing_control(void **state)
{
    (void)state;
    const bg_result *m = result_named(&g_run, "manual");
    assert_rel(m->wall.est[BG_STAT_MEAN].point, 1000, 1e-9);
    /* 20 µs paused per iteration; what is timed is two clock reads. Even
     * on a loaded machine that stays far below the paused work. */
    const bg_result *p = result_named(&g_run, "paused");
    assert_true(p->wall.est[BG_STAT_MEDIAN].point < 10000);
    assert_int_equal(result_named(&g_run, "batched")->status, BG_STATUS_OK);
    /* An empty body: measured (about 0) with a note, not an error. */
    const bg_result *e = result_named(&g_run, "empty");
    assert_int_equal(e->status, BG_STATUS_OK);
#ifdef __OPTIMIZE__
    /* Optimised, the compiler removes the empty loop: about 0 and the note. */
    assert_true(e->wall.est[BG_STAT_MEAN].point < 1.0);
    assert_non_null(strstr(e->note, "the body costs less than the loop can resolve"));
    assert_non_null(strstr(g_out.out, "note: the body costs less than the loop can resolve"));
#else
    /* Unoptimised (the sanitizer build) the loop stays: the note is there
     * exactly when the mean is below the harness's empty loop. */
    bool below = e->wall.est[BG_STAT_MEAN].point < g_run.overhead.empty_loop_ns;
    assert_int_equal(below, strstr(e->note, "the body costs less than the loop can resolve") != NULL);
#endif
}

static void test_run_filter_instance(void **state)
{
    (void)state;
    const char *args[] = {"--list", "--filter", "^args/n:64/", NULL};
    bench_out o = run_bench(API_BENCH, args, NULL);
    assert_int_equal(o.code, 0);
    assert_string_equal(o.out, "args/n:64/k:1\nargs/n:64/k:2\n");
    bench_out_free(&o);
}

/* A mistake in a spec: exit 2 and a message naming the benchmark. */
static void test_run_bad_spec(void **state)
{
    (void)state;
    static const struct { const char *env, *want; } cases[] = {
        {"API_BENCH_BAD=range", "benchmark 'args': bg_spec_range: argument 'n': the range 100..10 is empty"},
        {"API_BENCH_BAD=mult", "benchmark 'args': bg_spec_range: argument 'n': multiplier 0"},
        {"API_BENCH_BAD=threads", "benchmark 'args': bg_spec_threads: 100000 threads"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[] = {"--list", NULL};
        const char *env[] = {cases[i].env, NULL};
        bench_out o = run_bench(API_BENCH, args, env);
        assert_int_equal(o.code, 2);
        if (!strstr(o.err, cases[i].want))
            fail_msg("%s: stderr '%s' lacks '%s'", cases[i].env, o.err, cases[i].want);
        bench_out_free(&o);
    }
}

/* A counter named like a built-in metric fails that benchmark (exit 3),
 * named, and the others still run. */
static void test_run_counter_collision(void **state)
{
    (void)state;
    const char *args[] = {"--quick", "--filter", "^(counters|manual)$", "--color", "never", NULL};
    const char *env[] = {"API_BENCH_BAD=counter", NULL};
    bench_out o = run_bench(API_BENCH, args, env);
    assert_int_equal(o.code, 3);
    assert_non_null(strstr(o.out, "counters"));
    assert_non_null(strstr(o.out, "bg_counter: 'time' is the name of a built-in metric"));
    assert_non_null(strstr(o.out, "manual "));
    bench_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_instances),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_planner_unresolvable),
        cmocka_unit_test(test_growth_fit),
        cmocka_unit_test(test_thread_scaling),
        cmocka_unit_test(test_record_round_trip),
        cmocka_unit_test(test_class_change),
        cmocka_unit_test(test_gbench_interop),
#ifdef BENCHGATE_EXE
        cmocka_unit_test(test_compare_class_cli),
#endif
        cmocka_unit_test(test_run_filter_instance),
        cmocka_unit_test(test_run_bad_spec),
        cmocka_unit_test(test_run_counter_collision),
    };
    const struct CMUnitTest run[] = {
        cmocka_unit_test(test_run_exit_and_names),
        cmocka_unit_test(test_run_team),
        cmocka_unit_test(test_run_counters),
        cmocka_unit_test(test_run_timing_control),
        cmocka_unit_test(test_run_does_not_fit),
    };
    int fails = cmocka_run_group_tests_name("api", unit, NULL, NULL);
    fails += cmocka_run_group_tests_name("api_bench", run, setup_run, teardown_run);
    return fails;
}
