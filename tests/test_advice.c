/* Recommendations (harness/advice.c): each rule fires on a result that
 * shows its evidence and stays quiet on one that does not; the advice is
 * recorded and read back. Synthetic results, no timing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bg_advice.h"
#include "helpers.h"

#define NP 3
#define NS 10

typedef struct ctr {
    const char *name;
    double per_iter;
} ctr;

/* A result of NP processes x NS samples at per_iter ns (process p scaled by
 * scale[p], NULL for none), with the given counters per iteration. */
static void make(bg_result *r, const bg_config *c, double per_iter, const double *scale, const ctr *ctrs,
                 size_t nctr)
{
    memset(r, 0, sizeof *r);
    r->name = "b";
    r->status = BG_STATUS_OK;
    r->nprocs = NP;
    r->procs = calloc(NP, sizeof *r->procs);
    assert_non_null(r->procs);
    for (size_t p = 0; p < NP; p++) {
        bg_proc *pr = &r->procs[p];
        pr->n = NS;
        pr->iters = calloc(NS, sizeof(double));
        pr->wall_ns = calloc(NS, sizeof(double));
        pr->cpu_ns = calloc(NS, sizeof(double));
        assert_true(pr->iters && pr->wall_ns && pr->cpu_ns);
        pr->ncounters = nctr;
        pr->counters = calloc(nctr ? nctr : 1, sizeof *pr->counters);
        assert_non_null(pr->counters);
        for (size_t k = 0; k < nctr; k++) {
            snprintf(pr->counters[k].name, sizeof pr->counters[k].name, "%s", ctrs[k].name);
            pr->counters[k].v = calloc(NS, sizeof(double));
            assert_non_null(pr->counters[k].v);
        }
        for (size_t j = 0; j < NS; j++) {
            pr->iters[j] = 1000.0 * (double)(j + 1);
            double jitter = 1.0 + 0.001 * ((double)((j * 7 + p * 3) % 5) - 2.0) / 2.0;
            pr->wall_ns[j] = pr->iters[j] * per_iter * (scale ? scale[p] : 1.0) * jitter;
            pr->cpu_ns[j] = pr->wall_ns[j];
            for (size_t k = 0; k < nctr; k++)
                pr->counters[k].v[j] = pr->iters[j] * ctrs[k].per_iter;
        }
    }
    assert_int_equal(bg__summarize_result(c, r), 0);
}

static void config(bg_config *c)
{
    bg__config_default(c);
    c->resamples = 200;
    c->quick = true; /* the noisy rule then looks at process agreement only */
}

static bg_overhead overhead(void)
{
    bg_overhead o;
    memset(&o, 0, sizeof o);
    o.wall_read_ns = 20;
    o.empty_loop_ns = 0.3;
    return o;
}

static const bg_advice *find(const bg_result *r, const char *rule)
{
    for (size_t i = 0; i < r->nadvice; i++)
        if (!strcmp(r->advice[i].rule, rule))
            return &r->advice[i];
    return NULL;
}

/* Runs the rules on a result built as given: whether `rule` fired. */
static bool fires(const char *rule, double per_iter, const double *scale, const ctr *ctrs, size_t nctr,
                  const char *doctor, bg_result *keep)
{
    bg_config c;
    config(&c);
    bg_overhead o = overhead();
    bg_result r;
    make(&r, &c, per_iter, scale, ctrs, nctr);
    bg__advise_result(&c, &o, &r, doctor);
    bool got = find(&r, rule) != NULL;
    for (size_t i = 0; i < r.nadvice; i++) {
        assert_true(r.advice[i].evidence[0] != '\0');
        assert_true(r.advice[i].action[0] != '\0');
    }
    if (keep)
        *keep = r;
    else
        bg__result_free(&r);
    return got;
}

static void test_noisy(void **state)
{
    (void)state;
    static const double apart[NP] = {1.0, 1.15, 0.9};
    bg_result r;
    assert_true(fires("noisy", 1000, apart, NULL, 0, "CPU frequency scaling is on", &r));
    const bg_advice *a = find(&r, "noisy");
    assert_non_null(strstr(a->evidence, "varies"));
    assert_non_null(strstr(a->action, "benchgate doctor"));
    assert_non_null(strstr(a->action, "CPU frequency scaling is on"));
    bg__result_free(&r);
    assert_false(fires("noisy", 1000, NULL, NULL, 0, "", NULL));
}

static void test_clock_rules(void **state)
{
    (void)state;
    bg_result r;
    assert_true(fires("optimised-away", 0.35, NULL, NULL, 0, NULL, &r));
    assert_null(find(&r, "near-clock")); /* the stronger finding alone */
    assert_non_null(strstr(find(&r, "optimised-away")->action, "bg_do_not_optimize"));
    bg__result_free(&r);
    assert_true(fires("near-clock", 50, NULL, NULL, 0, NULL, &r));
    assert_non_null(strstr(find(&r, "near-clock")->evidence, "50 ns per iteration"));
    assert_null(find(&r, "optimised-away"));
    bg__result_free(&r);
    assert_false(fires("near-clock", 5000, NULL, NULL, 0, NULL, NULL));
    assert_false(fires("optimised-away", 5000, NULL, NULL, 0, NULL, NULL));
}

static void test_memory_rules(void **state)
{
    (void)state;
    const ctr allocs[] = {{"allocs", 2}, {"alloc_bytes", 128}};
    bg_result r;
    assert_true(fires("allocs-in-loop", 1000, NULL, allocs, 2, NULL, &r));
    assert_non_null(strstr(find(&r, "allocs-in-loop")->evidence, "2 allocations (128 bytes)"));
    bg__result_free(&r);
    const ctr few[] = {{"allocs", 0.5}};
    assert_false(fires("allocs-in-loop", 1000, NULL, few, 1, NULL, NULL));
    const ctr faults[] = {{"page_faults", 0.5}};
    assert_true(fires("page-faults", 1000, NULL, faults, 1, NULL, NULL));
    const ctr rare[] = {{"page_faults", 0.01}};
    assert_false(fires("page-faults", 1000, NULL, rare, 1, NULL, NULL));
}

static void test_cpu_rules(void **state)
{
    (void)state;
    const ctr mem[] = {{"cycles", 2500}, {"instructions", 1000}, {"cache_references", 100}, {"cache_misses", 30},
                       {"branch_misses", 1}};
    bg_result r;
    assert_true(fires("memory-bound", 1000, NULL, mem, 5, NULL, &r));
    assert_non_null(strstr(find(&r, "memory-bound")->evidence, "IPC 0.40"));
    assert_null(find(&r, "branch-misses"));
    bg__result_free(&r);
    const ctr fast[] = {{"cycles", 500}, {"instructions", 1000}, {"cache_references", 100}, {"cache_misses", 30},
                        {"branch_misses", 20}};
    assert_false(fires("memory-bound", 1000, NULL, fast, 5, NULL, &r));
    assert_non_null(find(&r, "branch-misses"));
    assert_non_null(strstr(find(&r, "branch-misses")->evidence, "20.0 branch misses per 1000"));
    bg__result_free(&r);
}

static void test_gpu_rules(void **state)
{
    (void)state;
    const ctr copy[] = {{"gpu_kernels", 1}, {"gpu_kernel_ns", 50000}, {"gpu_memcpy_htod_ns", 60000},
                        {"gpu_memcpy_dtoh_ns", 30000}, {"gpu_timer_ns", 150000}};
    assert_true(fires("gpu-transfers", 200000, NULL, copy, 5, NULL, NULL));
    assert_false(fires("gpu-launch-overhead", 200000, NULL, copy, 5, NULL, NULL)); /* 50 us kernels */
    const ctr small[] = {{"gpu_kernels", 4}, {"gpu_kernel_ns", 8000}, {"gpu_memcpy_htod_ns", 1000},
                         {"gpu_timer_ns", 40000}};
    bg_result r;
    assert_true(fires("gpu-launch-overhead", 50000, NULL, small, 4, NULL, &r));
    assert_non_null(strstr(find(&r, "gpu-launch-overhead")->evidence, "4 launches of 2 us each"));
    assert_null(find(&r, "gpu-transfers"));
    bg__result_free(&r);
    const ctr busy[] = {{"gpu_kernels", 4}, {"gpu_kernel_ns", 8000}, {"gpu_timer_ns", 10000}};
    assert_false(fires("gpu-launch-overhead", 50000, NULL, busy, 3, NULL, NULL));
}

/* A failed benchmark gets no advice; the advice survives the record. */
static void test_failed_and_record(void **state)
{
    (void)state;
    bg_config c;
    config(&c);
    bg_overhead o = overhead();
    bg_run run;
    memset(&run, 0, sizeof run);
    run.config = c;
    run.overhead = o;
    run.results = calloc(2, sizeof *run.results);
    assert_non_null(run.results);
    run.nresults = 2;
    const ctr faults[] = {{"page_faults", 3}};
    make(&run.results[0], &c, 0.3, NULL, faults, 1);
    make(&run.results[1], &c, 0.3, NULL, NULL, 0);
    run.results[1].name = "crashy";
    run.results[1].status = BG_STATUS_CRASHED;
    for (size_t i = 0; i < 2; i++)
        bg__advise_result(&c, &o, &run.results[i], NULL);
    assert_int_equal(run.results[0].nadvice, 2);
    assert_int_equal(run.results[1].nadvice, 0);
    char *json = bg__record_to_json(&run);
    assert_non_null(json);
    bg_run back;
    char err[256] = "";
    if (bg__record_parse(json, &back, err, sizeof err) != 0)
        fail_msg("%s", err);
    free(json);
    const bg_result *b = result_named(&back, "b");
    assert_int_equal(b->nadvice, 2);
    assert_string_equal(b->advice[0].rule, run.results[0].advice[0].rule);
    assert_string_equal(b->advice[1].evidence, run.results[0].advice[1].evidence);
    assert_string_equal(b->advice[1].action, run.results[0].advice[1].action);
    bg__run_free(&back);
    bg__run_free(&run);
}

/* The sweep rules: a team past its thread sweep's knee, a declared growth
 * order its sizes contradict; and neither on a sweep that is fine. */
static void test_sweep_rules(void **state)
{
    (void)state;
    bg_config c;
    config(&c);
    bg_run run;
    memset(&run, 0, sizeof run);
    run.config = c;
    run.overhead = overhead();
    static const char *const names[] = {"psum/threads:1", "psum/threads:2", "psum/threads:4",
                                        "sort/n:1000", "sort/n:100000", "sort/n:10000000"};
    run.nresults = 6;
    run.results = calloc(6, sizeof *run.results);
    assert_non_null(run.results);
    for (size_t i = 0; i < 6; i++) {
        make(&run.results[i], &c, 1000, NULL, NULL, 0);
        run.results[i].name = names[i];
    }
    run.nsweeps = 2;
    run.sweeps = calloc(2, sizeof *run.sweeps);
    assert_non_null(run.sweeps);
    bg_sweep *t = &run.sweeps[0], *g = &run.sweeps[1];
    t->kind = BG_SWEEP_THREADS;
    snprintf(t->key, sizeof t->key, "psum");
    t->n = 3;
    for (size_t i = 0; i < 3; i++) {
        t->x[i] = (double)(1u << i);
        t->names[i] = names[i];
    }
    t->efficiency[0] = 1.0, t->efficiency[1] = 0.9, t->efficiency[2] = 0.55;
    t->best_threads = 4;
    t->knee_threads = 4;
    g->kind = BG_SWEEP_GROWTH;
    snprintf(g->key, sizeof g->key, "sort");
    g->n = 3;
    for (size_t i = 0; i < 3; i++) {
        g->x[i] = i == 0 ? 1e3 : i == 1 ? 1e5 : 1e7;
        g->names[i] = names[3 + i];
    }
    g->declared = true;
    g->big_o = BG_BIGO_N;
    g->rms = 0.35;
    g->fitted = BG_BIGO_NLOGN;
    g->fitted_rms = 0.05;
    bg__advise_run(&run);
    assert_null(find(&run.results[1], "past-knee"));
    const bg_advice *k = find(&run.results[2], "past-knee");
    assert_non_null(k);
    assert_non_null(strstr(k->evidence, "4 threads run at 55 % efficiency"));
    assert_non_null(strstr(k->action, "at most 4 workers"));
    assert_null(find(&run.results[4], "growth-above-declared"));
    const bg_advice *a = find(&run.results[5], "growth-above-declared");
    assert_non_null(a);
    assert_non_null(strstr(a->evidence, "declared O(n), but its 3 sizes (1000..10000000) fit O(n log n)"));
    /* A knee-less sweep and a declared class that fits: quiet. */
    t->knee_threads = 0;
    g->fitted = BG_BIGO_N;
    g->fitted_rms = g->rms = 0.05;
    for (size_t i = 0; i < 6; i++)
        run.results[i].nadvice = 0;
    bg__advise_run(&run);
    for (size_t i = 0; i < 6; i++) {
        assert_null(find(&run.results[i], "past-knee"));
        assert_null(find(&run.results[i], "growth-above-declared"));
    }
    /* The fitted class is worse but the fit is not clearly better: quiet. */
    g->fitted = BG_BIGO_NLOGN;
    g->rms = 0.12;
    g->fitted_rms = 0.08;
    bg__advise_run(&run);
    assert_null(find(&run.results[5], "growth-above-declared"));
    bg__run_free(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noisy),          cmocka_unit_test(test_clock_rules),
        cmocka_unit_test(test_memory_rules),   cmocka_unit_test(test_cpu_rules),
        cmocka_unit_test(test_gpu_rules),      cmocka_unit_test(test_failed_and_record),
        cmocka_unit_test(test_sweep_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
