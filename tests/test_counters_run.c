/* Counters end to end through a real bench binary (counter_bench): values
 * travel with each sample into the run record, allocation counts are exact,
 * rusage and the peak resident set are per benchmark process, unavailable
 * groups say why once, the console shows a compact set or every counter,
 * and the record round-trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <malloc.h>
#include <math.h>

#include <cmocka.h>

#include "helpers.h"

#include "bg_alloc.h"
#include "bg_model.h"

#ifndef COUNTER_BENCH
#error "COUNTER_BENCH must be the path of the counter_bench binary"
#endif

static const bg_counter_status *group(const bg_run *run, const char *name)
{
    for (size_t i = 0; i < run->ncounter_groups; i++)
        if (!strcmp(run->counter_groups[i].group, name))
            return &run->counter_groups[i];
    return NULL;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* The run of every benchmark with every counter group, shared by the tests. */
static bg_run g_run;
static bench_out g_out;
static char *g_json;

static int setup_all(void **state)
{
    (void)state;
    char path[] = "/tmp/bg_ctr_jsonXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    const char *args[] = {"--quick", "--counters=all", "--json", path, "--color", "never", NULL};
    g_out = run_bench(COUNTER_BENCH, args, NULL);
    g_json = slurp(path);
    unlink(path);
    char err[256];
    if (g_out.code != 0 || !g_json || bg__record_parse(g_json, &g_run, err, sizeof err) != 0) {
        fprintf(stderr, "counter_bench failed (exit %d): %s\n%s\n", g_out.code, g_out.err,
                g_json ? err : "no record");
        return -1;
    }
    return 0;
}

static int teardown_all(void **state)
{
    (void)state;
    bg__run_free(&g_run);
    bench_out_free(&g_out);
    free(g_json);
    return 0;
}

/* Every sample of every process of r has counter `name` equal to
 * per_iter * iterations. */
static void assert_exact(const bg_result *r, const char *name, double per_iter)
{
    assert_true(r->nprocs >= 2);
    for (size_t i = 0; i < r->nprocs; i++) {
        const double *v = bg__proc_metric(r, i, name);
        if (!v)
            fail_msg("%s: process %zu has no %s", r->name, i, name);
        for (size_t j = 0; j < r->procs[i].n; j++)
            if (v[j] != per_iter * r->procs[i].iters[j])
                fail_msg("%s: %s = %.0f in a sample of %.0f iterations, expected %.0f", r->name,
                         name, v[j], r->procs[i].iters[j], per_iter * r->procs[i].iters[j]);
    }
}

static void test_alloc_counts_are_exact(void **state)
{
    (void)state;
    const bg_counter_status *g = group(&g_run, "alloc");
    assert_non_null(g);
#if defined(__SANITIZE_ADDRESS__)
    assert_false(g->available);
    assert_string_equal(g->note, "built with AddressSanitizer, which replaces malloc itself");
    assert_null(bg__proc_metric(result_named(&g_run, "alloc_three_blocks"), 0, "allocs"));
    skip(); /* the allocator is ASan's here: nothing to count exactly */
#else
    assert_true(g->available);
    const bg_result *r = result_named(&g_run, "alloc_three_blocks");
    assert_exact(r, "allocs", 3);
    assert_exact(r, "frees", 3);
    assert_exact(r, "alloc_bytes", 600);
    /* The three blocks are live together: the peak is their usable sizes. */
    void *a = malloc(100), *b = calloc(2, 100), *c = malloc(300);
    double live = (double)(malloc_usable_size(a) + malloc_usable_size(b) + malloc_usable_size(c));
    free(a);
    free(b);
    free(c);
    assert_true(bg__result_metric(r, "peak_live_bytes") == live);
    assert_true(bg__result_metric(r, "allocs") == 3);
    assert_true(bg__result_metric(r, "bytes_per_alloc") == 200);

    r = result_named(&g_run, "alloc_realloc_strdup");
    assert_exact(r, "allocs", 3);
    assert_exact(r, "frees", 3);
    assert_exact(r, "alloc_bytes", 16 + 4096 + 6);
    /* No allocation in a benchmark that does none. */
    assert_exact(result_named(&g_run, "page_fault_each"), "allocs", 0);
#endif
}

static void test_sw_counters(void **state)
{
    (void)state;
    const bg_counter_status *g = group(&g_run, "sw");
    assert_non_null(g);
    const bg_result *r = result_named(&g_run, "page_fault_each");
    if (!g->available) {
        assert_true(strncmp(g->note, "perf_event_open(", 16) == 0);
        assert_null(bg__proc_metric(r, 0, "page_faults"));
        skip();
    }
    assert_exact(r, "page_faults", 1);
    /* task_clock is CPU time around the sample: close to the wall time of a
     * busy single-threaded loop (medians, so one preemption does not count). */
    for (size_t i = 0; i < r->nprocs; i++) {
        const bg_proc *p = &r->procs[i];
        const double *tc = bg__proc_metric(r, i, "task_clock");
        assert_non_null(tc);
        double ratio[64];
        size_t n = p->n < 64 ? p->n : 64;
        for (size_t j = 0; j < n; j++)
            ratio[j] = tc[j] / p->wall_ns[j];
        double m = bg_stat_median(ratio, n);
        if (!(m > 0.5 && m < 1.5))
            fail_msg("median task_clock / wall = %g", m);
    }
}

static void test_hw_available_or_says_why(void **state)
{
    (void)state;
    const bg_counter_status *g = group(&g_run, "hw");
    assert_non_null(g);
    const bg_result *r = result_named(&g_run, "alloc_three_blocks");
    if (g->available) {
        assert_non_null(bg__proc_metric(r, 0, "instructions"));
        assert_true(bg__result_metric(r, "instructions") > 0);
        assert_true(bg__result_metric(r, "ipc") > 0);
        return;
    }
    assert_true(strncmp(g->note, "perf_event_open(", 16) == 0 ||
                strncmp(g->note, "the kernel never scheduled", 26) == 0);
    assert_null(bg__proc_metric(r, 0, "instructions"));
    /* Said once in the console, whatever the number of benchmarks. */
    assert_int_equal(count_of(g_out.out, "hw unavailable: "), 1);
    assert_non_null(strstr(g_out.out, g->note));
}

static void test_rusage_per_process(void **state)
{
    (void)state;
    const bg_result *big = result_named(&g_run, "rss_64mib"), *small = result_named(&g_run, "page_fault_each");
    for (size_t i = 0; i < big->nprocs; i++) {
        const bg_proc *p = &big->procs[i];
        assert_true(p->has_rusage);
        assert_true(p->ru.start_rss_bytes > 0);
        /* The 64 MiB touched in setup are this process's own. */
        assert_true(p->ru.max_rss_bytes - p->ru.start_rss_bytes >= 63.0 * 1024 * 1024);
        assert_true(p->ru.user_ns + p->ru.sys_ns > 0);
        assert_true(p->ru.minor_faults > 0);
    }
    bg_rusage a, b;
    assert_true(bg__result_rusage(big, &a));
    assert_true(bg__result_rusage(small, &b));
    /* ...and not the next benchmark's: each benchmark runs in its own processes. */
    assert_true(b.max_rss_bytes < a.max_rss_bytes - 32.0 * 1024 * 1024);
    assert_true(bg__result_metric(big, "max_rss_bytes") == a.max_rss_bytes);
}

static void test_console_shows_every_counter(void **state)
{
    (void)state;
    assert_non_null(strstr(g_out.out, "counters: "));
    assert_non_null(strstr(g_out.out, "rusage (median of "));
    if (group(&g_run, "sw")->available)
        assert_non_null(strstr(g_out.out, "    sw: task_clock "));
#if !defined(__SANITIZE_ADDRESS__)
    assert_non_null(strstr(g_out.out, "    alloc: allocs 3/iter, frees 3/iter, alloc_bytes 600 B/iter"));
#endif
}

static void test_record_round_trips(void **state)
{
    (void)state;
    char *again = bg__record_to_json(&g_run);
    assert_non_null(again);
    bg_run run2;
    char err[256];
    assert_int_equal(bg__record_parse(again, &run2, err, sizeof err), 0);
    char *third = bg__record_to_json(&run2);
    assert_string_equal(again, third);
    assert_int_equal(run2.ncounter_groups, g_run.ncounter_groups);
    assert_int_equal(run2.config.counters, g_run.config.counters);
    const bg_result *a = result_named(&g_run, "alloc_three_blocks"), *b = result_named(&run2, "alloc_three_blocks");
    assert_int_equal(a->procs[0].ncounters, b->procs[0].ncounters);
    for (size_t k = 0; k < a->procs[0].ncounters; k++)
        assert_memory_equal(a->procs[0].counters[k].v, b->procs[0].counters[k].v,
                            a->procs[0].n * sizeof(double));
    assert_true(b->procs[0].has_rusage);
    assert_true(a->procs[0].ru.max_rss_bytes == b->procs[0].ru.max_rss_bytes);
    free(third);
    free(again);
    bg__run_free(&run2);
}

/* Records may lack every counter field (made before counters existed), and
 * a malformed counter array is refused with the benchmark named. */
static void test_record_optional_and_malformed(void **state)
{
    (void)state;
    const char *old =
        "{\"schema\":\"benchgate.run\",\"schema_version\":1,\"created_unix\":0,"
        "\"config\":{\"warmup_s\":0.01,\"measure_s\":0.03,\"budget_s\":3,\"target\":0.01,"
        "\"timeout_s\":10,\"samples\":10,\"min_procs\":2,\"max_procs\":2,\"seed\":\"1\","
        "\"resamples\":2000,\"confidence\":0.95,\"statistic\":\"mean\"},"
        "\"benchmarks\":[{\"name\":\"x\",\"status\":\"ok\",\"seed\":\"3\",\"processes\":["
        "{\"iters\":[1,2],\"wall_ns\":[10,20],\"cpu_ns\":[9,19]%s}]}]}";
    char buf[2048];
    bg_run run;
    char err[256];
    snprintf(buf, sizeof buf, old, "");
    assert_int_equal(bg__record_parse(buf, &run, err, sizeof err), 0);
    assert_int_equal(run.config.counters, 0);
    assert_int_equal(run.ncounter_groups, 0);
    assert_int_equal(run.results[0].procs[0].ncounters, 0);
    assert_false(run.results[0].procs[0].has_rusage);
    assert_null(bg__proc_metric(&run.results[0], 0, "instructions"));
    bg__run_free(&run);

    snprintf(buf, sizeof buf, old, ",\"counters\":{\"allocs\":[3]}");
    assert_int_equal(bg__record_parse(buf, &run, err, sizeof err), BG_EPARSE);
    assert_non_null(strstr(err, "benchmark 'x': a counter array and 'iters' differ in length"));

    snprintf(buf, sizeof buf, old, ",\"counters\":{\"allocs\":[3,\"six\"]}");
    assert_int_equal(bg__record_parse(buf, &run, err, sizeof err), BG_EPARSE);
    assert_non_null(strstr(err, "allocs"));

    snprintf(buf, sizeof buf, old, ",\"counters\":[1,2]");
    assert_int_equal(bg__record_parse(buf, &run, err, sizeof err), BG_EPARSE);
    assert_non_null(strstr(err, "'counters' is not an object"));

    snprintf(buf, sizeof buf, old,
             ",\"counters\":{\"allocs\":[3,6]},\"rusage\":{\"max_rss_bytes\":4096}");
    assert_int_equal(bg__record_parse(buf, &run, err, sizeof err), 0);
    assert_true(bg__result_metric(&run.results[0], "allocs") == 3);
    assert_true(bg__result_metric(&run.results[0], "max_rss_bytes") == 4096);
    assert_true(isnan(run.results[0].procs[0].ru.user_ns));
    bg__run_free(&run);
}

/* The allocation interposer is preloaded only for --counters alloc; when
 * it cannot be found the group says why, and the run goes on. */
static void test_alloc_interposer_missing(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* never preloaded under ASan: the group says so (test_alloc_counts_are_exact) */
#endif
    setenv(BG_ALLOC_LIB_ENV, "/nonexistent/libbenchgate-alloc.so", 1);
    const char *a[] = {"--quick", "--filter", "^alloc_three_blocks$", "--counters", "alloc",
                       "--color", "never", NULL};
    bench_out o = run_bench(COUNTER_BENCH, a, NULL);
    unsetenv(BG_ALLOC_LIB_ENV);
    assert_int_equal(o.code, 0);
    assert_non_null(strstr(o.out, "alloc unavailable: allocation interposer not loaded "
                                  "(BENCHGATE_ALLOC_LIB=/nonexistent/libbenchgate-alloc.so: "
                                  "No such file or directory)"));
    assert_non_null(strstr(o.out, "alloc_three_blocks"));
    bench_out_free(&o);
}

static void test_compact_default_and_none(void **state)
{
    (void)state;
    const char *d[] = {"--quick", "--filter", "^rss_64mib$", "--color", "never", NULL};
    bench_out o = run_bench(COUNTER_BENCH, d, NULL);
    assert_int_equal(o.code, 0);
    assert_non_null(strstr(o.out, "max RSS "));
    assert_null(strstr(o.out, "rusage (median of"));
    assert_null(strstr(o.out, "alloc ("));
    bench_out_free(&o);

    const char *n[] = {"--quick", "--filter", "^rss_64mib$", "--counters", "none", "--color",
                       "never", NULL};
    o = run_bench(COUNTER_BENCH, n, NULL);
    assert_int_equal(o.code, 0);
    assert_null(strstr(o.out, "counters:"));
    assert_null(strstr(o.out, "max RSS"));
    bench_out_free(&o);

    const char *bad[] = {"--counters=sw,cpu", NULL};
    o = run_bench(COUNTER_BENCH, bad, NULL);
    assert_int_equal(o.code, 2);
    assert_non_null(strstr(o.err, "--counters: invalid value 'sw,cpu'; unknown counter group 'cpu'"));
    bench_out_free(&o);

    /* Empty: a usage error naming the flag and what it takes, from the
     * program's bare name like every other message. */
    const char *blank[] = {"--counters", "", NULL};
    o = run_bench(COUNTER_BENCH, blank, NULL);
    assert_int_equal(o.code, 2);
    assert_non_null(strstr(o.err, "counter_bench: --counters: invalid value ''; it is empty; "
                                  "expected all, none, default or a comma-separated list of: "));
    assert_null(strstr(o.err, "/counter_bench"));
    bench_out_free(&o);
    const char *comma[] = {"--counters=sw,", NULL};
    o = run_bench(COUNTER_BENCH, comma, NULL);
    assert_int_equal(o.code, 2);
    assert_non_null(strstr(o.err, "--counters: invalid value 'sw,'; a group name is missing"));
    bench_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_counts_are_exact),
        cmocka_unit_test(test_alloc_interposer_missing),
        cmocka_unit_test(test_sw_counters),
        cmocka_unit_test(test_hw_available_or_says_why),
        cmocka_unit_test(test_rusage_per_process),
        cmocka_unit_test(test_console_shows_every_counter),
        cmocka_unit_test(test_record_round_trips),
        cmocka_unit_test(test_record_optional_and_malformed),
        cmocka_unit_test(test_compact_default_and_none),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
