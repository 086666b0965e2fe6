/* The runner end to end, through a real bench binary (faulty_bench): crashes,
 * hangs, skips and exits are reported and the other benchmarks still run;
 * samples carry their real start times; --filter and --list; the JSON run
 * record round-trips, and a malformed start_ns is refused; CLI errors exit 2. */
#include <fcntl.h>
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

#include "bg_harness.h"

#ifndef FAULTY_BENCH
#error "FAULTY_BENCH must be the path of the faulty_bench binary"
#endif

/* Slack for comparing a sample's end with the next one's start: the wall
 * time and the start are both whole-ns clock differences, so they agree to
 * a ns; 1 µs leaves room for the double rounding of large offsets. */
#define START_SLACK_NS 1000.0

/* Every sample of r has a start time since the run started; within a
 * process they follow each other without overlap, and each process starts
 * after the one before it ended (they run one after another). */
static void check_start_times(const bg_result *r)
{
    double prev_end = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        const bg_proc *p = &r->procs[i];
        assert_non_null(p->start_ns);
        for (size_t j = 0; j < p->n; j++) {
            assert_true(p->start_ns[j] >= 0);
            if (j > 0)
                assert_true(p->start_ns[j] >= p->start_ns[j - 1]);
            if (!(p->start_ns[j] >= prev_end - START_SLACK_NS))
                fail_msg("%s process %zu sample %zu starts at %.0f ns, before the previous "
                         "sample ended at %.0f ns", r->name, i + 1, j + 1, p->start_ns[j],
                         prev_end);
            prev_end = p->start_ns[j] + p->wall_ns[j];
        }
    }
}

static void test_faults_are_reported_and_others_run(void **state)
{
    (void)state;
    char json[] = "/tmp/bg_runner_jsonXXXXXX";
    int fd = mkstemp(json);
    assert_true(fd >= 0);
    close(fd);
    const char *args[] = {"--quick", "--timeout", "1", "--json", json, "--color", "never", NULL};
    bench_out o = run_bench(FAULTY_BENCH, args, NULL);
    assert_int_equal(o.code, 3);
    /* The console names each failure with its cause. */
    assert_non_null(strstr(o.out, "crash_segv"));
    assert_non_null(strstr(o.out, "signal 11"));
    assert_non_null(strstr(o.out, "timed out"));
    assert_non_null(strstr(o.out, "exited with code 7"));
    assert_non_null(strstr(o.out, "never entered BENCH_LOOP"));
    assert_non_null(strstr(o.out, "unavailable: no GPU in this test"));

    char *text = slurp(json);
    assert_non_null(text);
    bg_run run;
    char err[256];
    int rc = bg__record_parse(text, &run, err, sizeof err);
    if (rc)
        fail_msg("parse: %s", err);
    assert_int_equal(run.nresults, 7);
    /* Sorted by name, whatever the order in the source. */
    assert_string_equal(run.results[0].name, "crash_segv");
    const bg_result *r = result_named(&run, "crash_segv");
    assert_int_equal(r->status, BG_STATUS_CRASHED);
    assert_int_equal(r->signal, 11);
    r = result_named(&run, "hang_forever");
    assert_int_equal(r->status, BG_STATUS_TIMEOUT);
    r = result_named(&run, "exit_seven");
    assert_int_equal(r->status, BG_STATUS_CRASHED);
    assert_int_equal(r->exit_code, 7);
    r = result_named(&run, "no_loop");
    assert_int_equal(r->status, BG_STATUS_ERROR);
    r = result_named(&run, "skip_no_gpu");
    assert_int_equal(r->status, BG_STATUS_SKIPPED);
    r = result_named(&run, "fine_fast");
    assert_int_equal(r->status, BG_STATUS_OK);
    assert_true(r->has_summary);
    assert_int_equal(r->nprocs, 2);
    assert_int_equal(r->items_per_iter, 2000);
    const bg_estimate *e = &r->wall.est[BG_STAT_MEAN];
    assert_true(e->lo <= e->point && e->point <= e->hi);
    assert_true(e->point > 0);
    /* Each process carries its samples, linear plan: iters k, 2k, 3k... */
    const bg_proc *p = &r->procs[0];
    assert_true(p->n >= 5);
    assert_true(p->iters[1] == 2 * p->iters[0]);
    assert_true(p->stack_offset != r->procs[1].stack_offset ||
                p->heap_offset != r->procs[1].heap_offset);
    for (size_t j = 0; j < p->n; j++)
        assert_true(p->wall_ns[j] > 0 && p->cpu_ns[j] >= 0);
    check_start_times(r);
    assert_int_equal(result_named(&run, "fine_slowable")->status, BG_STATUS_OK);
    check_start_times(result_named(&run, "fine_slowable"));
    /* One clock for the whole run: the later benchmark's samples come after. */
    const bg_result *slow = result_named(&run, "fine_slowable");
    assert_true(slow->procs[0].start_ns[0] > p->start_ns[0]);

    /* Round trip: serialise what we parsed and parse again: identical JSON. */
    char *again = bg__record_to_json(&run);
    assert_non_null(again);
    bg_run run2;
    assert_int_equal(bg__record_parse(again, &run2, err, sizeof err), 0);
    char *third = bg__record_to_json(&run2);
    assert_string_equal(again, third);
    /* And the samples survive exactly. */
    const bg_result *r2 = result_named(&run2, "fine_fast");
    assert_memory_equal(r2->procs[0].wall_ns, p->wall_ns, p->n * sizeof(double));
    assert_non_null(r2->procs[0].start_ns);
    assert_memory_equal(r2->procs[0].start_ns, p->start_ns, p->n * sizeof(double));
    free(third);
    free(again);
    bg__run_free(&run2);
    bg__run_free(&run);
    free(text);
    unlink(json);
    bench_out_free(&o);
}

/* start_ns is optional (records made before it have none), and a present
 * one of the wrong length or holding a non-number is refused, naming the
 * benchmark. */
static void test_record_start_ns(void **state)
{
    (void)state;
    const char *rec =
        "{\"schema\":\"benchgate.run\",\"schema_version\":1,\"created_unix\":0,"
        "\"config\":{\"warmup_s\":0.01,\"measure_s\":0.03,\"budget_s\":3,\"target\":0.01,"
        "\"timeout_s\":10,\"samples\":10,\"min_procs\":1,\"max_procs\":1,\"seed\":\"1\","
        "\"resamples\":2000,\"confidence\":0.95,\"statistic\":\"mean\"},"
        "\"benchmarks\":[{\"name\":\"tick\",\"status\":\"ok\",\"seed\":\"3\",\"processes\":["
        "{\"iters\":[1,2],\"wall_ns\":[10,20],\"cpu_ns\":[9,19]%s}]}]}";
    char buf[2048], err[256];
    bg_run run;

    snprintf(buf, sizeof buf, rec, "");
    assert_int_equal(bg__record_parse(buf, &run, err, sizeof err), 0);
    assert_null(run.results[0].procs[0].start_ns);
    char *json = bg__record_to_json(&run);
    assert_non_null(json);
    assert_null(strstr(json, "start_ns"));
    free(json);
    bg__run_free(&run);

    snprintf(buf, sizeof buf, rec, ",\"start_ns\":[1500,1512.5]");
    if (bg__record_parse(buf, &run, err, sizeof err) != 0)
        fail_msg("parse: %s", err);
    const double *st = run.results[0].procs[0].start_ns;
    assert_non_null(st);
    assert_true(st[0] == 1500 && st[1] == 1512.5);
    json = bg__record_to_json(&run);
    assert_non_null(json);
    bg_run again;
    assert_int_equal(bg__record_parse(json, &again, err, sizeof err), 0);
    assert_memory_equal(again.results[0].procs[0].start_ns, st, 2 * sizeof(double));
    free(json);
    bg__run_free(&again);
    bg__run_free(&run);

    snprintf(buf, sizeof buf, rec, ",\"start_ns\":[1500]");
    assert_int_equal(bg__record_parse(buf, &run, err, sizeof err), BG_EPARSE);
    assert_non_null(strstr(err, "benchmark 'tick': 'start_ns' and 'iters' differ in length"));

    snprintf(buf, sizeof buf, rec, ",\"start_ns\":[1500,\"later\"]");
    assert_int_equal(bg__record_parse(buf, &run, err, sizeof err), BG_EPARSE);
    assert_non_null(strstr(err, "benchmark 'tick': 'start_ns' is not an array of finite numbers"));

    snprintf(buf, sizeof buf, rec, ",\"start_ns\":7");
    assert_int_equal(bg__record_parse(buf, &run, err, sizeof err), BG_EPARSE);
    assert_non_null(strstr(err, "benchmark 'tick'"));

    /* An error found before start_ns is the one reported, not replaced
     * by one about a valid start_ns. */
    snprintf(buf, sizeof buf, rec, ",\"warmup_ns\":\"soon\",\"start_ns\":[1500,1512.5]");
    assert_int_equal(bg__record_parse(buf, &run, err, sizeof err), BG_EPARSE);
    if (!strstr(err, "'warmup_ns'") || strstr(err, "start_ns"))
        fail_msg("unexpected message: %s", err);

    /* Any per-sample array holding a non-number names the benchmark. */
    snprintf(buf, sizeof buf, rec, "");
    char *w = strstr(buf, "[10,20]");
    assert_non_null(w);
    memcpy(w, "[10,\"\"]", 7);
    assert_int_equal(bg__record_parse(buf, &run, err, sizeof err), BG_EPARSE);
    if (!strstr(err, "benchmark 'tick': array 'wall_ns' holds a value that is not a finite number"))
        fail_msg("unexpected message: %s", err);
}

static void test_filter_and_list(void **state)
{
    (void)state;
    const char *l[] = {"--list", NULL};
    bench_out o = run_bench(FAULTY_BENCH, l, NULL);
    assert_int_equal(o.code, 0);
    assert_string_equal(o.out, "crash_segv\nexit_seven\nfine_fast\nfine_slowable\nhang_forever\n"
                               "no_loop\nskip_no_gpu\n");
    bench_out_free(&o);

    const char *f[] = {"--list", "--filter", "^fine_(fast|slow)", NULL};
    o = run_bench(FAULTY_BENCH, f, NULL);
    assert_int_equal(o.code, 0);
    assert_string_equal(o.out, "fine_fast\nfine_slowable\n");
    bench_out_free(&o);

    const char *r[] = {"--quick", "--filter", "fast$", "--color", "never", NULL};
    o = run_bench(FAULTY_BENCH, r, NULL);
    assert_int_equal(o.code, 0);
    assert_non_null(strstr(o.out, "fine_fast"));
    assert_null(strstr(o.out, "crash_segv"));
    bench_out_free(&o);
}

static void test_usage_errors_exit_2(void **state)
{
    (void)state;
    const char *a[] = {"--filter", "(", NULL};
    bench_out o = run_bench(FAULTY_BENCH, a, NULL);
    assert_int_equal(o.code, 2);
    assert_non_null(strstr(o.err, "--filter '(' is not a valid extended regular expression"));
    bench_out_free(&o);

    const char *b[] = {"--filter", "^nothing_matches$", NULL};
    o = run_bench(FAULTY_BENCH, b, NULL);
    assert_int_equal(o.code, 2);
    assert_non_null(strstr(o.err, "no benchmark matches --filter '^nothing_matches$'"));
    bench_out_free(&o);

    const char *c[] = {"--samples", "2", NULL};
    o = run_bench(FAULTY_BENCH, c, NULL);
    assert_int_equal(o.code, 2);
    assert_non_null(strstr(o.err, "--samples: invalid value '2'"));
    bench_out_free(&o);

    const char *d[] = {"--quick", "--filter", "^fine_fast$", "--json",
                       "/nonexistent-dir/x/run.json", NULL};
    o = run_bench(FAULTY_BENCH, d, NULL);
    assert_int_equal(o.code, 2);
    assert_non_null(strstr(o.err, "/nonexistent-dir/x/run.json"));
    bench_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults_are_reported_and_others_run),
        cmocka_unit_test(test_record_start_ns),
        cmocka_unit_test(test_filter_and_list),
        cmocka_unit_test(test_usage_errors_exit_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
