/* Tests for the report's building blocks: escaping (HTML, gnuplot, file
 * names), the exports (CSV, Google Benchmark JSON, Chrome trace), the
 * Google Benchmark importer (round trip and real Google Benchmark output)
 * and the gnuplot driver's failure paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "bg_cmds.h"
#include "helpers.h"
#include "bg_report.h"
#include "bg_reporter.h"

/* ---- helpers ---- */

/* What fn writes to a FILE, as a string (caller frees). */
static char *capture(int (*fn)(FILE *, const bg_run *), const bg_run *run, int *rc)
{
    /* Static: GCC takes a pointer into a buffer behind a local's address
     * for a dangling pointer once this is inlined. */
    static char *buf;
    static size_t len;
    buf = NULL;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    *rc = fn(f, run);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static char *escaped(void (*fn)(FILE *, const char *), const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fn(f, s);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static double noise(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / (double)(1ULL << 53) * 2.0 - 1.0;
}

static const char *const NAMES[] = {"sort_1k", "<script>alert(1)</script>", "a\"b\\c", "crashy"};
#define NB 4
#define NPROC 4
#define NSAMP 6

/* A run of NB benchmarks (the last one crashed), NPROC processes of NSAMP
 * linear-plan samples, with summaries computed as the runner does. */
static void make_run(bg_run *run)
{
    memset(run, 0, sizeof *run);
    bg__config_default(&run->config);
    run->config.resamples = 500;
    snprintf(run->git_commit, sizeof run->git_commit, "%040d", 7);
    snprintf(run->machine_id, sizeof run->machine_id, "0123456789ab");
    snprintf(run->created, sizeof run->created, "2026-01-02T03:04:05Z");
    snprintf(run->host, sizeof run->host, "testhost");
    run->nmachine_fields = 1;
    snprintf(run->machine_fields[0].key, sizeof run->machine_fields[0].key, "cores");
    snprintf(run->machine_fields[0].value, sizeof run->machine_fields[0].value, "4");
    run->results = calloc(NB, sizeof *run->results);
    assert_non_null(run->results);
    run->nresults = NB;
    uint64_t s = 42;
    for (size_t b = 0; b < NB; b++) {
        bg_result *r = &run->results[b];
        r->name = NAMES[b];
        r->seed = 100 + b;
        if (b == NB - 1) {
            r->status = BG_STATUS_CRASHED;
            snprintf(r->message, sizeof r->message, "killed by signal 11");
            continue;
        }
        r->items_per_iter = b == 0 ? 1000 : 0;
        r->nprocs = NPROC;
        r->procs = calloc(NPROC, sizeof *r->procs);
        assert_non_null(r->procs);
        for (size_t p = 0; p < NPROC; p++) {
            bg_proc *pr = &r->procs[p];
            pr->n = NSAMP;
            pr->iters = malloc(NSAMP * sizeof(double));
            pr->wall_ns = malloc(NSAMP * sizeof(double));
            pr->cpu_ns = malloc(NSAMP * sizeof(double));
            pr->warmup_iters = 64;
            pr->warmup_ns = 5000.0 * (double)(b + 1);
            double pf = 1 + 0.01 * noise(&s);
            for (size_t j = 0; j < NSAMP; j++) {
                pr->iters[j] = 100.0 * (double)(j + 1);
                pr->wall_ns[j] = pr->iters[j] * 250.0 * (double)(b + 1) * pf * (1 + 0.02 * noise(&s));
                pr->cpu_ns[j] = pr->wall_ns[j] * 0.99;
            }
            if (b == 0) { /* a counter: 50 instructions per iteration */
                pr->ncounters = 1;
                pr->counters = calloc(1, sizeof *pr->counters);
                assert_non_null(pr->counters);
                snprintf(pr->counters[0].name, sizeof pr->counters[0].name, "instructions");
                pr->counters[0].v = malloc(NSAMP * sizeof(double));
                for (size_t j = 0; j < NSAMP; j++)
                    pr->counters[0].v[j] = 50 * pr->iters[j];
            }
        }
        assert_int_equal(bg__summarize_result(&run->config, r), 0);
    }
}

static const cJSON *item(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!x)
        fail_msg("missing field '%s'", k);
    return x;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *x = item(o, k);
    assert_true(cJSON_IsNumber(x));
    return x->valuedouble;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *x = item(o, k);
    assert_true(cJSON_IsString(x));
    return x->valuestring;
}

static void assert_close(double a, double b, double rel)
{
    if (!(fabs(a - b) <= rel * fmax(fabs(a), fabs(b))))
        fail_msg("%.17g and %.17g differ by more than %g relative", a, b, rel);
}

/* ---- escaping ---- */

static void test_html_escape(void **state)
{
    (void)state;
    char *s = escaped(bg__html_escape, "<script>alert(1)</script>");
    assert_string_equal(s, "&lt;script&gt;alert(1)&lt;/script&gt;");
    free(s);
    s = escaped(bg__html_escape, "a\"b\\c & 'd'");
    assert_string_equal(s, "a&quot;b\\c &amp; &#39;d&#39;");
    free(s);
    /* Control characters and invalid UTF-8 become '?'; valid UTF-8 stays. */
    s = escaped(bg__html_escape, "x\ny\x1b[31m \xc2\xb5s \xff\xc3 \xe2\x82");
    assert_string_equal(s, "x?y?[31m \xc2\xb5s ?? ??"); /* each invalid byte */
    free(s);
    s = escaped(bg__html_escape, NULL);
    assert_string_equal(s, "");
    free(s);
}

static void test_gp_quote(void **state)
{
    (void)state;
    char *s = escaped(bg__gp_quote, "it's a\"b\\c");
    assert_string_equal(s, "'it''s a\"b\\c'");
    free(s);
    s = escaped(bg__gp_quote, "line\nbreak'; system 'rm -rf /");
    assert_string_equal(s, "'line?break''; system ''rm -rf /'");
    free(s);
    s = escaped(bg__gp_quote, "");
    assert_string_equal(s, "''");
    free(s);
}

static void test_utf8_len(void **state)
{
    (void)state;
    assert_int_equal(bg__utf8_len("a"), 1);
    assert_int_equal(bg__utf8_len("\xc2\xb5"), 2);
    assert_int_equal(bg__utf8_len("\xe2\x82\xac"), 3);
    assert_int_equal(bg__utf8_len("\xf0\x9f\x98\x80"), 4);
    assert_int_equal(bg__utf8_len("\x80"), 0);         /* continuation byte */
    assert_int_equal(bg__utf8_len("\xc0\xaf"), 0);     /* overlong '/' */
    assert_int_equal(bg__utf8_len("\xe0\x80\xaf"), 0); /* overlong, 3 bytes */
    assert_int_equal(bg__utf8_len("\xed\xa0\x80"), 0); /* a UTF-16 surrogate */
    assert_int_equal(bg__utf8_len("\xf4\x90\x80\x80"), 0); /* past U+10FFFF */
    assert_int_equal(bg__utf8_len("\xe2\x82"), 0);     /* truncated */
}

static void test_slug(void **state)
{
    (void)state;
    char a[64], b[64], c[64];
    bg__name_slug("<script>alert(1)</script>", a, sizeof a);
    bg__name_slug("script alert 1 script", b, sizeof b);
    bg__name_slug("", c, sizeof c);
    for (const char *p = a; *p; p++)
        assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz0123456789-", *p));
    assert_non_null(strstr(a, "script-alert-1-script"));
    assert_string_not_equal(a, b); /* same letters, different names */
    assert_true(strlen(c) > 0);
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    bg__name_slug(longname, a, sizeof a);
    assert_true(strlen(a) <= 49);
    bg__name_slug("../../etc/passwd", a, sizeof a);
    assert_null(strchr(a, '/'));
    assert_null(strchr(a, '.'));
}

/* ---- exports ---- */

static void test_export_csv(void **state)
{
    (void)state;
    bg_run run;
    make_run(&run);
    int rc;
    char *csv = capture(bg__export_csv, &run, &rc);
    assert_int_equal(rc, 0);
    /* Header, 6 statistics for each measured benchmark, 1 row for the crash. */
    size_t lines = 0;
    for (const char *p = csv; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + 6 * (NB - 1) + 1);
    assert_non_null(strstr(csv, ",\"a\"\"b\\c\",ok,mean,"));
    assert_non_null(strstr(csv, ",\"<script>alert(1)</script>\",ok,"));
    assert_non_null(strstr(csv, ",\"crashy\",crashed,mean,,,,,"));
    /* The mean row of sort_1k reads back as the very same doubles. */
    const char *row = strstr(csv, ",\"sort_1k\",ok,mean,");
    assert_non_null(row);
    double pt, lo, hi;
    assert_int_equal(sscanf(row + strlen(",\"sort_1k\",ok,mean,"), "%lf,%lf,%lf", &pt, &lo, &hi), 3);
    assert_true(pt == run.results[0].wall.est[BG_STAT_MEAN].point);
    assert_true(lo == run.results[0].wall.est[BG_STAT_MEAN].lo);
    assert_true(hi == run.results[0].wall.est[BG_STAT_MEAN].hi);
    free(csv);
    bg__run_free(&run);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The entries of `arr` whose run_name is name and run_type is type. */
static size_t entries(const cJSON *arr, const char *name, const char *type, const cJSON **out, size_t max)
{
    size_t n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (!strcmp(str(e, "run_name"), name) && !strcmp(str(e, "run_type"), type) && n < max)
            out[n++] = e;
    }
    return n;
}

static const cJSON *aggregate_of(const cJSON *arr, const char *name, const char *which)
{
    const cJSON *agg[8];
    size_t n = entries(arr, name, "aggregate", agg, 8);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(str(agg[i], "aggregate_name"), which))
            return agg[i];
    fail_msg("no %s aggregate for %s", which, name);
    return NULL;
}

static void test_export_gbench(void **state)
{
    (void)state;
    bg_run run;
    make_run(&run);
    int rc;
    char *text = capture(bg__export_gbench, &run, &rc);
    assert_int_equal(rc, 0);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    const cJSON *ctx = item(root, "context");
    assert_string_equal(str(ctx, "host_name"), "testhost");
    assert_int_equal((int)num(ctx, "num_cpus"), 4);
    const cJSON *arr = item(root, "benchmarks");
    for (size_t b = 0; b + 1 < NB; b++) {
        const bg_result *r = &run.results[b];
        const cJSON *it[16];
        size_t n = entries(arr, r->name, "iteration", it, 16);
        assert_int_equal(n, NPROC);
        /* Each repetition: the process's totals, computed here again. */
        double real[NPROC];
        for (size_t p = 0; p < NPROC; p++) {
            double sw = 0, si = 0, sc = 0;
            for (size_t j = 0; j < NSAMP; j++) {
                sw += r->procs[p].wall_ns[j];
                si += r->procs[p].iters[j];
                sc += r->procs[p].cpu_ns[j];
            }
            real[p] = sw / si;
            assert_string_equal(str(it[p], "name"), r->name);
            assert_string_equal(str(it[p], "time_unit"), "ns");
            assert_int_equal((int)num(it[p], "repetitions"), NPROC);
            assert_int_equal((int)num(it[p], "repetition_index"), (int)p);
            assert_true(num(it[p], "iterations") == si);
            assert_close(num(it[p], "real_time"), sw / si, 1e-15);
            assert_close(num(it[p], "cpu_time"), sc / si, 1e-15);
        }
        /* Aggregates as Google Benchmark computes them over repetitions. */
        double mean = 0, var = 0;
        for (size_t p = 0; p < NPROC; p++)
            mean += real[p] / NPROC;
        for (size_t p = 0; p < NPROC; p++)
            var += (real[p] - mean) * (real[p] - mean) / (NPROC - 1);
        qsort(real, NPROC, sizeof *real, cmp_d);
        double median = (real[NPROC / 2 - 1] + real[NPROC / 2]) / 2;
        assert_close(num(aggregate_of(arr, r->name, "mean"), "real_time"), mean, 1e-12);
        assert_close(num(aggregate_of(arr, r->name, "median"), "real_time"), median, 1e-12);
        assert_close(num(aggregate_of(arr, r->name, "stddev"), "real_time"), sqrt(var), 1e-9);
        assert_close(num(aggregate_of(arr, r->name, "cv"), "real_time"), sqrt(var) / mean, 1e-9);
        assert_string_equal(str(aggregate_of(arr, r->name, "cv"), "aggregate_unit"), "percentage");
        char want[128];
        snprintf(want, sizeof want, "%s_median", r->name);
        assert_string_equal(str(aggregate_of(arr, r->name, "median"), "name"), want);
    }
    /* Throughput where declared: items per iteration / time per iteration;
     * counters as user counters, per iteration. */
    const cJSON *it0[16];
    entries(arr, "sort_1k", "iteration", it0, 16);
    assert_true(num(it0[0], "instructions") == 50);
    assert_close(num(it0[0], "items_per_second"), 1000 * 1e9 / num(it0[0], "real_time"), 1e-12);
    /* The crash is an errored entry. */
    const cJSON *bad[4];
    assert_int_equal(entries(arr, "crashy", "iteration", bad, 4), 1);
    assert_true(cJSON_IsTrue(item(bad[0], "error_occurred")));
    assert_string_equal(str(bad[0], "error_message"), "killed by signal 11");
    cJSON_Delete(root);
    free(text);
    bg__run_free(&run);
}

static void test_export_trace(void **state)
{
    (void)state;
    bg_run run;
    make_run(&run);
    int rc;
    char *text = capture(bg__export_trace, &run, &rc);
    assert_int_equal(rc, 0);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    size_t samples = 0, warmups = 0, procnames = 0, threads = 0;
    double last_end[NB + 1][NPROC + 1];
    memset(last_end, 0, sizeof last_end);
    double cursor = 0; /* without start times: every event begins where the last ended */
    const cJSON *e;
    cJSON_ArrayForEach(e, item(root, "traceEvents"))
    {
        const char *ph = str(e, "ph");
        int pid = (int)num(e, "pid"), tid = (int)num(e, "tid");
        assert_true(pid >= 1 && pid <= NB);
        if (!strcmp(ph, "M")) {
            const char *what = str(e, "name");
            if (!strcmp(what, "process_name")) {
                procnames++;
                assert_string_equal(str(item(e, "args"), "name"), NAMES[pid - 1]);
            } else {
                assert_string_equal(what, "thread_name");
                threads++;
            }
            continue;
        }
        assert_string_equal(ph, "X");
        assert_true(tid >= 1 && tid <= NPROC);
        double ts = num(e, "ts"), dur = num(e, "dur");
        /* One track per process: its events never overlap. */
        assert_true(ts >= last_end[pid][tid] - 1e-6);
        last_end[pid][tid] = ts + dur;
        assert_close(ts, cursor, 1e-12);
        cursor = ts + dur;
        if (!strcmp(str(e, "cat"), "sample")) {
            const cJSON *args = item(e, "args");
            size_t j = (size_t)num(args, "iterations") / 100 - 1;
            const bg_proc *p = &run.results[pid - 1].procs[tid - 1];
            assert_close(dur, p->wall_ns[j] / 1e3, 1e-15);
            assert_close(num(args, "cpu_ns"), p->cpu_ns[j], 1e-15);
            assert_string_equal(str(args, "benchmark"), NAMES[pid - 1]);
            if (pid == 1)
                assert_true(num(args, "instructions") == 50 * p->iters[j]);
            samples++;
        } else {
            assert_string_equal(str(e, "cat"), "warmup");
            warmups++;
        }
    }
    assert_int_equal(samples, (NB - 1) * NPROC * NSAMP);
    assert_int_equal(warmups, (NB - 1) * NPROC);
    assert_int_equal(procnames, NB);
    assert_int_equal(threads, (NB - 1) * NPROC);
    assert_string_equal(str(item(root, "otherData"), "commit"), run.git_commit);
    assert_non_null(strstr(str(item(root, "otherData"), "timeline"), "laid end to end"));
    cJSON_Delete(root);
    free(text);
    bg__run_free(&run);
}

/* A trace past its cap keeps every k-th sample of each process, with a
 * note; durations and order stay as measured. */
static void test_export_trace_capped(void **state)
{
    (void)state;
    bg_run run;
    make_run(&run);
    size_t total = 0;
    for (size_t i = 0; i < run.nresults; i++)
        for (size_t k = 0; k < run.results[i].nprocs; k++)
            total += run.results[i].procs[k].n;
    bg__trace_max_samples = total / 3;
    int rc;
    char *text = capture(bg__export_trace, &run, &rc);
    bg__trace_max_samples = BG_TRACE_MAX_SAMPLES;
    assert_int_equal(rc, 0);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    size_t samples = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, item(root, "traceEvents"))
        samples += !strcmp(str(e, "ph"), "X") && !strcmp(str(e, "cat"), "sample");
    assert_true(samples <= total / 3 && samples >= total / 5);
    char want[64];
    snprintf(want, sizeof want, "%zu of %zu samples shown", samples, total);
    assert_non_null(strstr(str(item(root, "otherData"), "capped"), want));
    cJSON_Delete(root);
    free(text);
    bg__run_free(&run);
}

/* Where sample start times are recorded, each sample's event is at its
 * start (µs), with its wall time as duration, and the warm-up ends where
 * the first sample began; a process without them is laid end to end after
 * what was placed before it. */
static void test_export_trace_start_times(void **state)
{
    (void)state;
    bg_run run;
    make_run(&run);
    /* Gaps between samples (1 ms apart; samples last under 0.5 ms), and the
     * benchmarks' processes interleaved in time so that no end-to-end
     * layout could produce these positions. */
    for (size_t b = 0; b + 1 < NB; b++)
        for (size_t p = 0; p < NPROC; p++) {
            bg_proc *pr = &run.results[b].procs[p];
            pr->start_ns = malloc(NSAMP * sizeof(double));
            assert_non_null(pr->start_ns);
            for (size_t j = 0; j < NSAMP; j++)
                pr->start_ns[j] = 1e8 * (double)(NPROC - p) + 1e7 * (double)b + 1e6 * (double)j +
                                  0.5;
        }
    int rc;
    char *text = capture(bg__export_trace, &run, &rc);
    assert_int_equal(rc, 0);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    size_t samples = 0, warmups = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, item(root, "traceEvents"))
    {
        if (strcmp(str(e, "ph"), "X") != 0)
            continue;
        int pid = (int)num(e, "pid"), tid = (int)num(e, "tid");
        const bg_proc *p = &run.results[pid - 1].procs[tid - 1];
        double ts = num(e, "ts"), dur = num(e, "dur");
        if (!strcmp(str(e, "cat"), "sample")) {
            size_t j = (size_t)num(item(e, "args"), "iterations") / 100 - 1;
            assert_close(ts, p->start_ns[j] / 1e3, 1e-15);
            assert_close(dur, p->wall_ns[j] / 1e3, 1e-15);
            samples++;
        } else {
            assert_close(ts + dur, p->start_ns[0] / 1e3, 1e-12);
            assert_close(dur, p->warmup_ns / 1e3, 1e-15);
            warmups++;
        }
    }
    assert_int_equal(samples, (NB - 1) * NPROC * NSAMP);
    assert_int_equal(warmups, (NB - 1) * NPROC);
    const char *timeline = str(item(root, "otherData"), "timeline");
    assert_non_null(strstr(timeline, "start times are measured"));
    assert_null(strstr(timeline, "laid end to end"));
    cJSON_Delete(root);
    free(text);

    /* One process without start times: its warm-up begins where the
     * process before it (benchmark 2, process 1) ended, and its samples
     * follow end to end. */
    bg_proc *bare = &run.results[1].procs[1];
    free(bare->start_ns);
    bare->start_ns = NULL;
    const bg_proc *before = &run.results[1].procs[0];
    double cursor = (before->start_ns[NSAMP - 1] + before->wall_ns[NSAMP - 1]) / 1e3;
    text = capture(bg__export_trace, &run, &rc);
    assert_int_equal(rc, 0);
    root = cJSON_Parse(text);
    assert_non_null(root);
    size_t seen = 0;
    cJSON_ArrayForEach(e, item(root, "traceEvents"))
    {
        if (strcmp(str(e, "ph"), "X") != 0 || num(e, "pid") != 2 || num(e, "tid") != 2)
            continue;
        assert_close(num(e, "ts"), cursor, 1e-12);
        cursor += num(e, "dur");
        seen++;
    }
    assert_int_equal(seen, NSAMP + 1);
    timeline = str(item(root, "otherData"), "timeline");
    assert_non_null(strstr(timeline, "some processes"));
    cJSON_Delete(root);
    free(text);
    bg__run_free(&run);
}

/* ---- import ---- */

static void expect_import_error(const char *text, const char *want1, const char *want2);

/* Every estimate of two summaries is the same double. */
static void assert_same_estimates(const bg_result *x, const bg_result *y)
{
    assert_true(x->has_summary && y->has_summary);
    assert_int_equal(x->wall.nsamples, y->wall.nsamples);
    for (int s = 0; s < BG_STAT_COUNT; s++) {
        const bg_estimate *a = &x->wall.est[s], *b = &y->wall.est[s];
        if (a->point != b->point || a->lo != b->lo || a->hi != b->hi)
            fail_msg("%s %s: %.17g [%.17g, %.17g] became %.17g [%.17g, %.17g]", x->name,
                     bg_statistic_name((bg_statistic)s), a->point, a->lo, a->hi, b->point, b->lo, b->hi);
    }
    assert_true(x->cpu_per_iter_ns == y->cpu_per_iter_ns);
}

/* Exported Google Benchmark JSON imported again is the original run: the
 * raw samples, seeds and bootstrap settings travel in benchgate_* fields,
 * so every estimate (point and interval) is the original run's, and
 * exporting the import again gives the same file. Without those fields
 * (what Google Benchmark's own tools keep), a repetition is one sample
 * and the estimates are Google Benchmark's aggregates of the export. */
/* ---- the default gbench export, against the rules of its two consumers:
 * github-action-benchmark's googlecpp parser makes every entry a point
 * (name, real_time, time_unit + "/iter", iterations, cpu_time, threads);
 * Bencher's cpp_google adapter reads name, real_time and time_unit of
 * every entry, the last of a name winning, and needs context.caches. ---- */

static cJSON *mean_export(bg_run *run)
{
    make_run(run);
    int rc;
    char *text = capture(bg__export_gbench_mean, run, &rc);
    assert_int_equal(rc, 0);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    free(text);
    return root;
}

/* name: one entry per benchmark, Google Benchmark's aggregate name. */
static void test_gbench_rule_name(void **state)
{
    (void)state;
    bg_run run;
    cJSON *root = mean_export(&run);
    const cJSON *arr = item(root, "benchmarks");
    assert_int_equal(cJSON_GetArraySize(arr), NB);
    for (size_t b = 0; b + 1 < NB; b++) {
        char want[128];
        snprintf(want, sizeof want, "%s_mean", NAMES[b]);
        size_t seen = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, arr) seen += !strcmp(str(e, "name"), want);
        assert_int_equal(seen, 1);
    }
    assert_true(cJSON_IsArray(item(item(root, "context"), "caches")));
    cJSON_Delete(root);
    bg__run_free(&run);
}

/* real_time: the mean over processes of each process's time per iteration. */
static void test_gbench_rule_real_time(void **state)
{
    (void)state;
    bg_run run;
    cJSON *root = mean_export(&run);
    const cJSON *arr = item(root, "benchmarks");
    for (size_t b = 0; b + 1 < NB; b++) {
        const bg_result *r = &run.results[b];
        double mean = 0;
        for (size_t p = 0; p < NPROC; p++) {
            double sw = 0, si = 0;
            for (size_t j = 0; j < NSAMP; j++) {
                sw += r->procs[p].wall_ns[j];
                si += r->procs[p].iters[j];
            }
            mean += sw / si / NPROC;
        }
        const cJSON *e = cJSON_GetArrayItem(arr, (int)b);
        assert_true(cJSON_IsNumber(item(e, "real_time")));
        assert_close(num(e, "real_time"), mean, 1e-12);
        assert_true(num(e, "cpu_time") > 0);
    }
    cJSON_Delete(root);
    bg__run_free(&run);
}

/* time_unit: one Bencher and github-action-benchmark know (ns, us, ms, s). */
static void test_gbench_rule_time_unit(void **state)
{
    (void)state;
    bg_run run;
    cJSON *root = mean_export(&run);
    const cJSON *e;
    cJSON_ArrayForEach(e, item(root, "benchmarks"))
    {
        const char *u = str(e, "time_unit");
        assert_non_null(u);
        assert_true(!strcmp(u, "ns") || !strcmp(u, "us") || !strcmp(u, "ms") || !strcmp(u, "s"));
    }
    cJSON_Delete(root);
    bg__run_free(&run);
}

/* run_type: "aggregate" for a measured benchmark (no per-process
 * "iteration" entries unless --per-process asks). */
static void test_gbench_rule_run_type(void **state)
{
    (void)state;
    bg_run run;
    cJSON *root = mean_export(&run);
    const cJSON *arr = item(root, "benchmarks");
    for (size_t b = 0; b + 1 < NB; b++)
        assert_string_equal(str(cJSON_GetArrayItem(arr, (int)b), "run_type"), "aggregate");
    const cJSON *it[16];
    for (size_t b = 0; b + 1 < NB; b++)
        assert_int_equal(entries(arr, NAMES[b], "iteration", it, 16), 0);
    cJSON_Delete(root);
    bg__run_free(&run);
}

/* aggregate_name: "mean", with run_name the benchmark's own name. */
static void test_gbench_rule_aggregate_name(void **state)
{
    (void)state;
    bg_run run;
    cJSON *root = mean_export(&run);
    const cJSON *arr = item(root, "benchmarks");
    for (size_t b = 0; b + 1 < NB; b++) {
        const cJSON *e = cJSON_GetArrayItem(arr, (int)b);
        assert_string_equal(str(e, "aggregate_name"), "mean");
        assert_string_equal(str(e, "run_name"), NAMES[b]);
    }
    cJSON_Delete(root);
    bg__run_free(&run);
}

/* threads: an integer >= 1 on every entry (github-action-benchmark prints it). */
static void test_gbench_rule_threads(void **state)
{
    (void)state;
    bg_run run;
    cJSON *root = mean_export(&run);
    const cJSON *e;
    cJSON_ArrayForEach(e, item(root, "benchmarks"))
    {
        double t = num(e, "threads");
        assert_true(t >= 1 && t == floor(t));
        assert_true(num(e, "iterations") >= 0);
    }
    cJSON_Delete(root);
    bg__run_free(&run);
}

/* The default form imports back to the same samples and estimates. */
static void test_gbench_mean_roundtrip(void **state)
{
    (void)state;
    bg_run run, back;
    make_run(&run);
    int rc;
    char *text = capture(bg__export_gbench_mean, &run, &rc);
    assert_int_equal(rc, 0);
    char err[512] = "";
    rc = bg__import_gbench(text, "mean.json", &back, err, sizeof err);
    if (rc)
        fail_msg("import failed: %s", err);
    assert_int_equal(back.nresults, NB);
    for (size_t b = 0; b + 1 < NB; b++) {
        const bg_result *r = &back.results[b], *o = &run.results[b];
        assert_string_equal(r->name, NAMES[b]);
        assert_int_equal(r->nprocs, NPROC);
        assert_true(r->seed == o->seed);
        for (size_t p = 0; p < NPROC; p++)
            for (size_t j = 0; j < NSAMP; j++)
                assert_true(r->procs[p].wall_ns[j] == o->procs[p].wall_ns[j]);
        assert_same_estimates(o, r);
    }
    assert_int_equal(back.results[0].items_per_iter, 1000);
    assert_close(bg__result_metric(&back.results[0], "instructions"), 50, 1e-12);
    assert_int_equal(back.results[NB - 1].status, BG_STATUS_ERROR);
    free(text);
    bg__run_free(&back);
    bg__run_free(&run);
}

/* Criterion.rs results (tests/fixtures/criterion, made by
 * tools/make-criterion-fixtures.sh with Criterion 0.3.6): each benchmark's
 * samples as one process, its mean Criterion's, compared like any run. */
static double criterion_mean(const char *side, const char *bench)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/criterion/%s/%s/new/estimates.json", BG_FIXTURES_DIR, side, bench);
    char err[256];
    char *text = bg__read_file(path, err, sizeof err);
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    double v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "mean"), "point_estimate")
                   ->valuedouble;
    cJSON_Delete(j);
    return v;
}

static void test_import_criterion(void **state)
{
    (void)state;
    bg_run a, b;
    char err[1024] = "", dir[1024];
    snprintf(dir, sizeof dir, "%s/criterion/base", BG_FIXTURES_DIR);
    if (bg__import_criterion(dir, &a, err, sizeof err) != 0)
        fail_msg("import failed: %s", err);
    snprintf(dir, sizeof dir, "%s/criterion/head", BG_FIXTURES_DIR);
    if (bg__import_criterion(dir, &b, err, sizeof err) != 0)
        fail_msg("import failed: %s", err);
    assert_int_equal(a.nresults, 2);
    /* Names: benchmark.json's full_id, in order of directory. */
    assert_string_equal(a.results[0].name, "fib/20");
    assert_string_equal(a.results[1].name, "sum_1k");
    for (size_t i = 0; i < 2; i++) {
        const bg_result *r = &a.results[i];
        assert_int_equal(r->status, BG_STATUS_OK);
        assert_int_equal(r->nprocs, 1);
        assert_int_equal(r->procs[0].n, 30);
        /* Criterion's mean is the mean of each sample's time per iteration, as ours. */
        assert_rel(r->wall.est[BG_STAT_MEAN].point, criterion_mean("base", r->name), 1e-9);
    }
    assert_string_equal(a.machine_id, b.machine_id);
    /* head's sum_1k does twice the work: compared like measured runs. */
    bg_comparison c;
    assert_int_equal(bg__compare_runs(&a, &b, NULL, &c, err, sizeof err), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.rows[1].name, "sum_1k");
    assert_int_equal(c.rows[1].verdict, BG_VERDICT_REGRESSED);
    bg__comparison_free(&c);
    bg__run_free(&a);
    bg__run_free(&b);
}

/* Not Criterion output: the directory or the file is named. */
static void test_import_criterion_errors(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/bg_crit.XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    bg_run run;
    char err[1024] = "";
    assert_int_equal(bg__import_criterion(dir, &run, err, sizeof err), BG_EPARSE);
    assert_non_null(strstr(err, "no Criterion.rs results"));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/target/criterion/x/new' && cd '%s/target/criterion/x/new' && "
             "echo '{\"mean\": {\"point_estimate\": 1}}' > estimates.json && "
             "echo '{\"iters\": [1, 2], \"times\": [5]}' > sample.json", dir, dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(bg__import_criterion(dir, &run, err, sizeof err), BG_EPARSE);
    assert_non_null(strstr(err, "x/new/sample.json: 'iters' and 'times'"));
    snprintf(cmd, sizeof cmd, "echo '{\"iters\": [1, 2], \"times\": [5, 11]}' > '%s/target/criterion/x/new/sample.json'"
             " && echo '[' > '%s/target/criterion/x/new/estimates.json'", dir, dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(bg__import_criterion(dir, &run, err, sizeof err), BG_EPARSE);
    assert_non_null(strstr(err, "x/new/estimates.json: not valid JSON"));
    snprintf(cmd, sizeof cmd, "echo '{\"mean\": {\"point_estimate\": 3}}' > '%s/target/criterion/x/new/estimates.json'",
             dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(bg__import_criterion(dir, &run, err, sizeof err), 0);
    assert_string_equal(run.results[0].name, "x"); /* no benchmark.json: the directory */
    bg__run_free(&run);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* The comparison table on a terminal: verdicts coloured (red regressed,
 * green improved), rows within an 80-column terminal in the compact
 * layout; piped (width 0, no colour) the full table without escapes. */
static void test_console_compact_and_colour(void **state)
{
    (void)state;
    bg_cmp_row rows[2];
    memset(rows, 0, sizeof rows);
    rows[0] = (bg_cmp_row){.name = "a_rather_long_benchmark_name_that_goes_on_and_on_past_the_column",
                           .kind = BG_ROW_COMPARED, .mean_a = 1000, .mean_b = 1200,
                           .ch = {.change = 0.2, .lo = 0.15, .hi = 0.25, .p = 0.001}, .p_adj = 0.002,
                           .verdict = BG_VERDICT_REGRESSED};
    rows[1] = (bg_cmp_row){.name = "fast", .kind = BG_ROW_COMPARED, .mean_a = 1000, .mean_b = 800,
                           .ch = {.change = -0.2, .lo = -0.25, .hi = -0.15, .p = 0.001}, .p_adj = 0.002,
                           .verdict = BG_VERDICT_IMPROVED};
    bg_comparison c;
    memset(&c, 0, sizeof c);
    c.rows = rows;
    c.n = 2;
    c.threshold = 0.01;
    c.alpha = 0.05;
    snprintf(c.metric, sizeof c.metric, "time");
    snprintf(c.unit, sizeof c.unit, "ns");
    for (int narrow = 0; narrow < 2; narrow++) {
        bg_report_src src = {.kind = BG_REPORT_COMPARISON, .cmp = &c, .label_a = "base", .label_b = "now",
                             .color = narrow, .width = narrow ? 80 : 0};
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(bg__report(f, bg__reporter_find("console", BG_REPORT_COMPARISON), &src), 0);
        fclose(f);
        if (narrow) {
            assert_non_null(strstr(buf, "\033[31m++ regressed\033[0m"));
            assert_non_null(strstr(buf, "\033[32m-- improved\033[0m"));
            /* The header and rows: at most 80 columns, escapes not counted. */
            char *line = buf;
            for (int k = 0; k < 3; k++) {
                char *end = strchr(line, '\n');
                assert_non_null(end);
                size_t cols = 0;
                for (char *q = line; q < end; q++) {
                    if (*q == '\033') {
                        while (q < end && *q != 'm')
                            q++;
                        continue;
                    }
                    cols += ((unsigned char)*q & 0xC0) != 0x80;
                }
                if (cols > 80)
                    fail_msg("line %d is %zu columns: %.*s", k, cols, (int)(end - line), line);
                line = end + 1;
            }
        } else {
            assert_null(strchr(buf, '\033'));
            assert_non_null(strstr(buf, "p (adj)"));
            assert_non_null(strstr(buf, rows[0].name));
        }
        free(buf);
    }
    /* bg__console_style: "always" and "never" win; auto off a terminal is plain. */
    bg_report_src s2 = {0};
    bg__console_style(&s2, -1, "always");
    assert_true(s2.color);
    assert_int_equal(s2.width, 0);
    bg__console_style(&s2, -1, "never");
    assert_false(s2.color);
    setenv("NO_COLOR", "1", 1);
    bg__console_style(&s2, -1, NULL);
    assert_false(s2.color);
    unsetenv("NO_COLOR");
}

/* Messages after a table wrap at the terminal's width, indented under
 * their first line; table rows are laid out, not wrapped; piped (width 0,
 * no COLUMNS) each message stays one line. */
static void test_console_messages_wrap(void **state)
{
    (void)state;
    static const char note[] =
        "accepted by the rule 'known-slow' in .benchgate.json: the change lies inside the band the "
        "settings allow for this benchmark, so the gate does not fail on it";
    bg_cmp_row row = {.name = "a_rather_long_benchmark_name_that_goes_on_and_on_past_the_column",
                      .kind = BG_ROW_COMPARED, .mean_a = 1000, .mean_b = 1030,
                      .ch = {.change = 0.03, .lo = 0.01, .hi = 0.05, .p = 0.01}, .p_adj = 0.01,
                      .verdict = BG_VERDICT_REGRESSED, .accepted = true};
    snprintf(row.note, sizeof row.note, "%s", note);
    bg_comparison c;
    memset(&c, 0, sizeof c);
    c.rows = &row;
    c.n = 1;
    c.threshold = 0.01;
    c.alpha = 0.05;
    c.drift_used = true;
    snprintf(c.drift_note, sizeof c.drift_note, "between-run noise learned from 12 pairs of runs of unchanged "
             "code on this machine; each verdict widens its interval by it");
    snprintf(c.metric, sizeof c.metric, "time");
    snprintf(c.unit, sizeof c.unit, "ns");
    unsetenv("COLUMNS");
    for (int narrow = 0; narrow < 2; narrow++) {
        bg_report_src src = {.kind = BG_REPORT_COMPARISON, .cmp = &c, .label_a = "base", .label_b = "now",
                             .width = narrow ? 80 : 0};
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_int_equal(bg__report(f, bg__reporter_find("console", BG_REPORT_COMPARISON), &src), 0);
        fclose(f);
        /* The note, its words in order, whatever the breaks. */
        char joined[4096] = "";
        size_t longest = 0, continued = 0;
        for (char *line = buf, *end; (end = strchr(line, '\n')); line = end + 1) {
            size_t n = (size_t)(end - line);
            longest = n > longest ? n : longest;
            char *q = line;
            if (n > 4 && !strncmp(line, "    ", 4) && line[4] != ' ') {
                continued++; /* a continuation: two past the message's own indent of 2 */
                q = line + 4;
                strcat(joined, " ");
            } else if (joined[0]) {
                strcat(joined, "\n");
            }
            strncat(joined, q, (size_t)(end - q));
        }
        if (narrow) {
            if (longest > 80)
                fail_msg("a line of %zu columns at width 80:\n%s", longest, buf);
            assert_true(continued >= 2); /* the note took three lines or more */
            assert_non_null(strstr(joined, note));
        } else {
            assert_non_null(strstr(buf, note)); /* one line */
            assert_non_null(strstr(buf, c.drift_note));
            assert_int_equal(continued, 0);
        }
        free(buf);
    }
}

static void test_import_roundtrip(void **state)
{
    (void)state;
    bg_run run, back;
    make_run(&run);
    int rc;
    char *first = capture(bg__export_gbench, &run, &rc);
    assert_int_equal(rc, 0);
    char err[512] = "";
    rc = bg__import_gbench(first, "first.json", &back, err, sizeof err);
    if (rc)
        fail_msg("import failed: %s", err);
    assert_int_equal(back.nresults, NB);
    for (size_t b = 0; b + 1 < NB; b++) {
        const bg_result *r = &back.results[b], *o = &run.results[b];
        assert_string_equal(r->name, NAMES[b]);
        assert_int_equal(r->status, BG_STATUS_OK);
        assert_int_equal(r->nprocs, NPROC);
        assert_true(r->seed == o->seed);
        for (size_t p = 0; p < NPROC; p++) {
            assert_int_equal(r->procs[p].n, NSAMP);
            for (size_t j = 0; j < NSAMP; j++) {
                assert_true(r->procs[p].iters[j] == o->procs[p].iters[j]);
                assert_true(r->procs[p].wall_ns[j] == o->procs[p].wall_ns[j]);
                assert_true(r->procs[p].cpu_ns[j] == o->procs[p].cpu_ns[j]);
            }
        }
        assert_same_estimates(o, r);
    }
    assert_int_equal(back.config.resamples, run.config.resamples);
    assert_true(back.config.confidence == run.config.confidence);
    assert_int_equal(back.results[0].items_per_iter, 1000);
    /* The counter comes back per sample: 50 instructions per iteration. */
    assert_int_equal(back.results[0].procs[0].ncounters, 1);
    assert_true(back.results[0].procs[0].counters[0].v[NSAMP - 1] ==
                run.results[0].procs[0].counters[0].v[NSAMP - 1]);
    assert_close(bg__result_metric(&back.results[0], "instructions"), 50, 1e-12);
    assert_int_equal(back.results[NB - 1].status, BG_STATUS_ERROR);
    assert_non_null(strstr(back.results[NB - 1].message, "killed by signal 11"));
    /* Export again: the same text. */
    char *second = capture(bg__export_gbench, &back, &rc);
    assert_int_equal(rc, 0);
    cJSON *j1 = cJSON_Parse(first), *j2 = cJSON_Parse(second);
    if (!cJSON_Compare(item(j1, "benchmarks"), item(j2, "benchmarks"), true))
        fail_msg("exported again, the benchmarks differ:\n%s\n---\n%s", first, second);
    /* The same file less the benchgate_* fields: one sample per
     * repetition, estimates from the per-repetition times. */
    cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j1, "benchmarks"))
    {
        cJSON_DeleteItemFromObjectCaseSensitive(e, "benchgate_samples");
        cJSON_DeleteItemFromObjectCaseSensitive(e, "benchgate_counters");
        cJSON_DeleteItemFromObjectCaseSensitive(e, "benchgate_seed");
    }
    char *plain = cJSON_PrintUnformatted(j1);
    bg_run gb;
    rc = bg__import_gbench(plain, "plain.json", &gb, err, sizeof err);
    if (rc)
        fail_msg("import failed: %s", err);
    const cJSON *arr = item(j1, "benchmarks");
    for (size_t b = 0; b + 1 < NB; b++) {
        const bg_result *r = &gb.results[b];
        assert_int_equal(r->nprocs, NPROC);
        assert_int_equal(r->procs[0].n, 1);
        assert_close(r->wall.est[BG_STAT_MEAN].point, num(aggregate_of(arr, NAMES[b], "mean"), "real_time"), 1e-12);
        assert_close(r->wall.est[BG_STAT_MEDIAN].point, num(aggregate_of(arr, NAMES[b], "median"), "real_time"),
                     1e-12);
        assert_close(r->wall.est[BG_STAT_SD].point, num(aggregate_of(arr, NAMES[b], "stddev"), "real_time"), 1e-9);
    }
    assert_close(bg__result_metric(&gb.results[0], "instructions"), 50, 1e-12);
    bg__run_free(&gb);
    free(plain);
    cJSON_Delete(j1);
    cJSON_Delete(j2);
    free(first);
    free(second);
    bg__run_free(&back);
    bg__run_free(&run);
}

/* Raw samples that are not what the exporter writes are refused, naming
 * the entry. */
static void test_import_bad_samples(void **state)
{
    (void)state;
    static const struct {
        const char *fields, *want;
    } cases[] = {
        {"\"benchgate_samples\": []", "is empty"},
        {"\"benchgate_samples\": [[0, 10, 10]]", "iterations >= 1"},
        {"\"benchgate_samples\": [[1, \"x\", 10]]", "wall_ns >= 0"},
        {"\"benchgate_samples\": [[1, 10]]", "wall_ns >= 0"},
        {"\"benchgate_samples\": [[1, 10, 10]], \"benchgate_seed\": \"12x\"", "benchgate_seed"},
        {"\"benchgate_samples\": [[1, 10, 10]], \"benchgate_counters\": {\"c\": [1, 2]}",
         "one value per sample"},
        {"\"benchgate_samples\": [[1, 10, 10]], \"benchgate_counters\": {\"c\": [\"x\"]}",
         "not a number or null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"benchmarks\": [{\"name\": \"BM_x\", \"iterations\": 3, \"real_time\": 1, %s}]}",
                 cases[i].fields);
        expect_import_error(text, "entry 1 ('BM_x')", cases[i].want);
    }
    /* A null counter value is a value not measured: as the runner does with
     * a counter it could not read, the counter is left out of that process
     * (and said so), and the import saves as a record the store reads. */
    bg_run run;
    char err[512] = "";
    assert_int_equal(bg__import_gbench("{\"benchmarks\": [{\"name\": \"BM_x\", \"iterations\": 3, "
                                       "\"real_time\": 1, \"benchgate_samples\": [[2, 10, 9], [4, 30, 29]], "
                                       "\"benchgate_counters\": {\"c\": [null, 8], \"d\": [1, 2]}}]}",
                                       "ok.json", &run, err, sizeof err),
                     0);
    assert_int_equal(run.results[0].procs[0].n, 2);
    assert_int_equal(run.results[0].procs[0].ncounters, 1);
    assert_string_equal(run.results[0].procs[0].counters[0].name, "d");
    assert_true(run.results[0].procs[0].counters[0].v[1] == 2);
    assert_non_null(strstr(run.results[0].counter_note, "c was not measured in every sample of process 1"));
    assert_close(run.results[0].wall.est[BG_STAT_MEAN].point, (10.0 / 2 + 30.0 / 4) / 2, 1e-12);
    bg__run_free(&run);
}

/* Output in the shape Google Benchmark 1.8 writes with
 * --benchmark_repetitions=3 --benchmark_out_format=json. */
static const char GBENCH_OUTPUT[] =
    "{\n"
    "  \"context\": {\"date\": \"2024-03-01T10:00:00+00:00\", \"host_name\": \"buildbox\",\n"
    "    \"executable\": \"./bench\", \"num_cpus\": 8, \"mhz_per_cpu\": 3000,\n"
    "    \"cpu_scaling_enabled\": false, \"caches\": [{\"type\": \"Data\", \"level\": 1, \"size\": 32768,\n"
    "    \"num_sharing\": 2}], \"load_avg\": [0.5, 0.4, 0.3], \"library_build_type\": \"release\"},\n"
    "  \"benchmarks\": [\n"
    "    {\"name\": \"BM_Sort/1024\", \"family_index\": 0, \"per_family_instance_index\": 0,\n"
    "     \"run_name\": \"BM_Sort/1024\", \"run_type\": \"iteration\", \"repetitions\": 3,\n"
    "     \"repetition_index\": 0, \"threads\": 1, \"iterations\": 20000, \"real_time\": 35.0,\n"
    "     \"cpu_time\": 34.9, \"time_unit\": \"us\", \"items_per_second\": 2.9257142857e7,\n"
    "     \"comparisons\": 10240, \"peak_heap_bytes\": 8192, \"ipc\": 2.5, \"label\": \"x\"},\n"
    "    {\"name\": \"BM_Sort/1024\", \"family_index\": 0, \"per_family_instance_index\": 0,\n"
    "     \"run_name\": \"BM_Sort/1024\", \"run_type\": \"iteration\", \"repetitions\": 3,\n"
    "     \"repetition_index\": 1, \"threads\": 1, \"iterations\": 20000, \"real_time\": 36.0,\n"
    "     \"cpu_time\": 35.9, \"time_unit\": \"us\", \"items_per_second\": 2.8444444444e7,\n"
    "     \"comparisons\": 10250, \"peak_heap_bytes\": 8192},\n"
    "    {\"name\": \"BM_Sort/1024\", \"family_index\": 0, \"per_family_instance_index\": 0,\n"
    "     \"run_name\": \"BM_Sort/1024\", \"run_type\": \"iteration\", \"repetitions\": 3,\n"
    "     \"repetition_index\": 2, \"threads\": 1, \"iterations\": 20000, \"real_time\": 34.0,\n"
    "     \"cpu_time\": 33.9, \"time_unit\": \"us\", \"items_per_second\": 3.0117647059e7,\n"
    "     \"comparisons\": 10260, \"peak_heap_bytes\": 9000},\n"
    "    {\"name\": \"BM_Sort/1024_mean\", \"family_index\": 0, \"per_family_instance_index\": 0,\n"
    "     \"run_name\": \"BM_Sort/1024\", \"run_type\": \"aggregate\", \"repetitions\": 3, \"threads\": 1,\n"
    "     \"aggregate_name\": \"mean\", \"aggregate_unit\": \"time\", \"iterations\": 3,\n"
    "     \"real_time\": 35.0, \"cpu_time\": 34.9, \"time_unit\": \"us\"},\n"
    "    {\"name\": \"BM_Sort/1024_stddev\", \"family_index\": 0, \"per_family_instance_index\": 0,\n"
    "     \"run_name\": \"BM_Sort/1024\", \"run_type\": \"aggregate\", \"repetitions\": 3, \"threads\": 1,\n"
    "     \"aggregate_name\": \"stddev\", \"aggregate_unit\": \"time\", \"iterations\": 3,\n"
    "     \"real_time\": 1.0, \"cpu_time\": 1.0, \"time_unit\": \"us\"},\n"
    "    {\"name\": \"BM_Hash\", \"family_index\": 1, \"per_family_instance_index\": 0,\n"
    "     \"run_name\": \"BM_Hash\", \"run_type\": \"iteration\", \"repetitions\": 3,\n"
    "     \"repetition_index\": 0, \"threads\": 1, \"iterations\": 10000000, \"real_time\": 61.5,\n"
    "     \"cpu_time\": 61.4, \"time_unit\": \"ns\"},\n"
    "    {\"name\": \"BM_Hash\", \"family_index\": 1, \"per_family_instance_index\": 0,\n"
    "     \"run_name\": \"BM_Hash\", \"run_type\": \"iteration\", \"repetitions\": 3,\n"
    "     \"repetition_index\": 1, \"threads\": 1, \"iterations\": 10000000, \"real_time\": 62.5,\n"
    "     \"cpu_time\": 62.4, \"time_unit\": \"ns\"},\n"
    "    {\"name\": \"BM_Hash\", \"family_index\": 1, \"per_family_instance_index\": 0,\n"
    "     \"run_name\": \"BM_Hash\", \"run_type\": \"iteration\", \"repetitions\": 3,\n"
    "     \"repetition_index\": 2, \"threads\": 1, \"iterations\": 10000000, \"real_time\": 63.5,\n"
    "     \"cpu_time\": 63.4, \"time_unit\": \"ns\"},\n"
    "    {\"name\": \"BM_Broken\", \"family_index\": 2, \"per_family_instance_index\": 0,\n"
    "     \"run_name\": \"BM_Broken\", \"run_type\": \"iteration\", \"repetitions\": 1,\n"
    "     \"repetition_index\": 0, \"threads\": 1, \"iterations\": 0, \"real_time\": 0,\n"
    "     \"cpu_time\": 0, \"time_unit\": \"ns\", \"error_occurred\": true,\n"
    "     \"error_message\": \"could not open input\"}\n"
    "  ]\n"
    "}\n";

/* A real Google Benchmark file (microseconds, user counters) imported,
 * stored (the run record) and exported again: the times stay in its unit
 * and the aggregate carries the user counters, in both shapes. */
static void test_gbench_units_and_counters_roundtrip(void **state)
{
    (void)state;
    bg_run run, back;
    char err[512] = "";
    assert_int_equal(bg__import_gbench(GBENCH_OUTPUT, "bench.json", &run, err, sizeof err), 0);
    assert_string_equal(run.results[0].time_unit, "us");
    /* Through the run record, as a stored import is read back. */
    char *json = bg__record_to_json(&run);
    assert_non_null(json);
    cJSON *root = cJSON_Parse(json);
    free(json);
    assert_int_equal(bg__record_from_json(root, &back, err, sizeof err), 0);
    cJSON_Delete(root);
    assert_string_equal(back.results[0].time_unit, "us");
    int rc;
    for (int shape = 0; shape < 2; shape++) {
        char *text = capture(shape ? bg__export_gbench : bg__export_gbench_mean, &back, &rc);
        assert_int_equal(rc, 0);
        cJSON *doc = cJSON_Parse(text);
        free(text);
        const cJSON *mean = aggregate_of(item(doc, "benchmarks"), "BM_Sort/1024", "mean");
        assert_non_null(mean);
        assert_string_equal(str(mean, "time_unit"), "us");
        assert_close(num(mean, "real_time"), 35.0, 1e-12);
        assert_close(num(mean, "cpu_time"), 34.9, 1e-12);
        /* The user counter's mean over the repetitions. */
        assert_close(num(mean, "comparisons"), 10250, 1e-12);
        cJSON_Delete(doc);
    }
    bg__run_free(&back);
    bg__run_free(&run);
}

static void test_import_gbench_output(void **state)
{
    (void)state;
    bg_run run;
    char err[512] = "";
    int rc = bg__import_gbench(GBENCH_OUTPUT, "bench.json", &run, err, sizeof err);
    if (rc)
        fail_msg("import failed: %s", err);
    assert_int_equal(run.nresults, 3);
    const bg_result *sort = &run.results[0], *hash = &run.results[1], *broken = &run.results[2];
    assert_string_equal(sort->name, "BM_Sort/1024");
    assert_int_equal(sort->nprocs, 3);
    /* Microseconds per iteration become a sample holding the total in ns. */
    assert_true(sort->procs[1].iters[0] == 20000);
    assert_close(sort->procs[1].wall_ns[0], 36.0e3 * 20000, 1e-15);
    assert_close(sort->procs[1].cpu_ns[0], 35.9e3 * 20000, 1e-15);
    assert_close(sort->wall.est[BG_STAT_MEAN].point, 35.0e3, 1e-12);
    assert_close(sort->wall.est[BG_STAT_MEDIAN].point, 35.0e3, 1e-12);
    assert_close(sort->wall.est[BG_STAT_SD].point, 1.0e3, 1e-12);
    assert_int_equal(sort->items_per_iter, 1024);
    /* User counters: per-iteration figures as written (a sample holds the
     * total), peaks as they are; a derived name (ipc) is left out. */
    assert_int_equal(sort->procs[0].ncounters, 2);
    assert_close(bg__result_metric(sort, "comparisons"), 10250, 1e-12);
    assert_close(bg__result_metric(sort, "peak_heap_bytes"), 9000, 1e-12);
    assert_true(isnan(bg__result_metric(sort, "ipc")));
    assert_int_equal(hash->procs[0].ncounters, 0);
    assert_close(hash->wall.est[BG_STAT_MEAN].point, 62.5, 1e-12);
    assert_close(hash->cpu_per_iter_ns, 62.4, 1e-12);
    assert_int_equal(broken->status, BG_STATUS_ERROR);
    assert_non_null(strstr(broken->message, "could not open input"));
    /* The machine comes from the context: 12 hex digits, the same for the
     * same host, different for another host. */
    assert_int_equal(strlen(run.machine_id), 12);
    assert_int_equal(strspn(run.machine_id, "0123456789abcdef"), 12);
    assert_string_equal(run.host, "buildbox");
    char *other = strdup(GBENCH_OUTPUT);
    memcpy(strstr(other, "buildbox"), "buildbix", 8);
    bg_run run2;
    assert_int_equal(bg__import_gbench(other, "other.json", &run2, err, sizeof err), 0);
    assert_string_not_equal(run.machine_id, run2.machine_id);
    bg__run_free(&run2);
    free(other);
    /* What the record module writes, it reads back. */
    char *json = bg__record_to_json(&run);
    assert_non_null(json);
    bg_run again;
    assert_int_equal(bg__record_parse(json, &again, err, sizeof err), 0);
    assert_int_equal(again.nresults, 3);
    assert_close(again.results[0].wall.est[BG_STAT_MEAN].point, 35.0e3, 1e-12);
    bg__run_free(&again);
    free(json);
    bg__run_free(&run);
}

static void expect_import_error(const char *text, const char *want1, const char *want2)
{
    bg_run run;
    char err[512] = "";
    int rc = bg__import_gbench(text, "in.json", &run, err, sizeof err);
    assert_int_equal(rc, BG_EPARSE);
    if (!strstr(err, "in.json") || !strstr(err, want1) || (want2 && !strstr(err, want2)))
        fail_msg("unexpected message: %s", err);
}

static void test_import_errors(void **state)
{
    (void)state;
    expect_import_error("{\"benchmarks\": [", "not valid JSON", NULL);
    expect_import_error(NULL, "not valid JSON", NULL);
    expect_import_error("{\"schema\": \"benchgate.run\"}", "not Google Benchmark JSON", "--benchmark_out");
    expect_import_error("{\"benchmarks\": []}", "no benchmarks to import", NULL);
    expect_import_error("{\"benchmarks\": [{\"name\": \"BM_x_mean\", \"run_name\": \"BM_x\", \"run_type\": "
                        "\"aggregate\", \"iterations\": 3, \"real_time\": 1, \"time_unit\": \"ns\"}]}",
                        "only aggregate entries", "aggregates_only");
    expect_import_error("{\"benchmarks\": [{\"name\": \"BM_x\", \"iterations\": 3, \"real_time\": 1, "
                        "\"cpu_time\": 1, \"time_unit\": \"fortnights\"}]}",
                        "entry 1 ('BM_x')", "time_unit");
    expect_import_error("{\"benchmarks\": [{\"name\": \"BM_x\", \"iterations\": -3, \"real_time\": 1}]}",
                        "entry 1 ('BM_x')", "iterations");
    expect_import_error("{\"benchmarks\": [{\"name\": \"BM_x\", \"iterations\": 3, \"real_time\": \"fast\"}]}",
                        "entry 1 ('BM_x')", "real_time");
    expect_import_error("{\"benchmarks\": [42]}", "entry 1", "no 'name'");
    /* Figures a run record cannot keep (found by fuzz_gbench): refused
     * with the reason, never stored as a run the store cannot read back. */
    expect_import_error("{\"benchmarks\": [{\"name\": \"BM_x\", \"iterations\": 1000, \"real_time\": 12.5, "
                        "\"time_unit\": \"ns\", \"items_per_second\": 1e82}]}",
                        "entry 1 ('BM_x')", "more than 2^53 per iteration");
    expect_import_error("{\"benchmarks\": [{\"name\": \"BM_x\", \"iterations\": 1e20, \"real_time\": 1, "
                        "\"time_unit\": \"ns\"}]}",
                        "entry 1 ('BM_x')", "a whole number from 1 to 2^53");
    expect_import_error("{\"benchmarks\": [{\"name\": \"BM_x\", \"iterations\": 3, \"real_time\": 1e300, "
                        "\"time_unit\": \"s\"}]}",
                        "cannot keep", "not a finite number");
    expect_import_error("{\"benchmarks\": [{\"name\": \"BM_x\", \"iterations\": 3, \"real_time\": 1, "
                        "\"time_unit\": \"ns\", \"probes\": 1e308}]}",
                        "cannot keep", "not a finite number");
}

/* ---- gnuplot's failure paths ---- */

static void test_plot_missing_program(void **state)
{
    (void)state;
    setenv("BENCHGATE_GNUPLOT", "/nonexistent/gnuplot", 1);
    bg_plotter *p = (bg_plotter *)1;
    char err[512] = "";
    assert_int_equal(bg__plot_open(&p, "/tmp", err, sizeof err), BG_EUNAVAIL);
    assert_null(p);
    assert_non_null(strstr(err, "/nonexistent/gnuplot"));
    assert_non_null(strstr(err, "apt-get install gnuplot-nox"));
    unsetenv("BENCHGATE_GNUPLOT");
}

/* Writes DIR/fakeplot, a shell script with `body`, and makes it the gnuplot
 * program ($BENCHGATE_GNUPLOT); its path goes to prog. */
static void fake_gnuplot(const char *dir, const char *body, char *prog, size_t n)
{
    snprintf(prog, n, "%s/fakeplot", dir);
    FILE *f = fopen(prog, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(prog, 0755), 0);
    setenv("BENCHGATE_GNUPLOT", prog, 1);
}

/* A "gnuplot" that exits at once with an error: the plots fail, the
 * process does not die of SIGPIPE, and the message says what happened. */
static void test_plot_program_fails(void **state)
{
    (void)state;
    char dir[] = "/tmp/bg_plot_fail.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char prog[64];
    fake_gnuplot(dir, "echo 'line 0: invalid command' >&2\nexit 3", prog, sizeof prog);
    bg_plotter *p = NULL;
    char err[512] = "";
    assert_int_equal(bg__plot_open(&p, dir, err, sizeof err), 0);
    double x[200];
    for (size_t i = 0; i < 200; i++)
        x[i] = 100 + (double)(i % 17);
    bg_plot_dist d = {x, 200, "head", 108};
    bg_density_frame fr;
    size_t nx = 200;
    assert_int_equal(bg_stat_density_frame((const double *const[]){x}, &nx, 1, &fr), 0);
    for (int i = 0; i < 300; i++) /* more than a pipe holds once it has no reader */
        bg__plot_density(p, "plots/x.svg", "t", "time per iteration", &d, 1, &fr);
    assert_int_equal(bg__plot_close(&p, err, sizeof err), BG_EIO);
    assert_null(p);
    if (!strstr(err, "exit 3") || !strstr(err, "invalid command"))
        fail_msg("unexpected message: %s", err);
    unsetenv("BENCHGATE_GNUPLOT");
    unlink(prog);
    rmdir(dir);
}

/* A far outlier does not set the density plot's range: the range ends at
 * the far-out fence and the plot says a sample lies beyond; without one,
 * the range is the data's and nothing is said. The script gnuplot loads is
 * captured by a stand-in that copies the file it is told to load. */
static void density_script(double outlier, char *script, size_t n, double *xmax)
{
    char dir[] = "/tmp/bg_plot_dens.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char prog[64], gp[64], body[256];
    snprintf(gp, sizeof gp, "%s/in.gp", dir);
    /* gnuplot is told on its stdin to load the script from a file */
    snprintf(body, sizeof body, "f=$(sed -n \"s/^load '\\(.*\\)'$/\\1/p\"); cat \"$f\" > '%s'", gp);
    fake_gnuplot(dir, body, prog, sizeof prog);
    bg_plotter *p = NULL;
    char err[512] = "";
    assert_int_equal(bg__plot_open(&p, dir, err, sizeof err), 0);
    double x[200];
    for (size_t i = 0; i < 200; i++)
        x[i] = 1000 + (double)(i % 17); /* 1000 .. 1016 ns */
    x[7] = outlier;
    bg_plot_dist d = {x, 200, "head", 1008};
    bg_density_frame fr;
    size_t nx = 200;
    assert_int_equal(bg_stat_density_frame((const double *const[]){x}, &nx, 1, &fr), 0);
    assert_int_equal(bg__plot_density(p, "x.svg", "t", "time per iteration", &d, 1, &fr), 0);
    assert_int_equal(bg__plot_close(&p, err, sizeof err), 0);
    unsetenv("BENCHGATE_GNUPLOT");
    FILE *f = fopen(gp, "r");
    assert_non_null(f);
    size_t len = fread(script, 1, n - 1, f);
    script[len] = '\0';
    fclose(f);
    const char *xr = strstr(script, "set xrange [");
    assert_non_null(xr);
    double a, b;
    assert_int_equal(sscanf(xr, "set xrange [%lf:%lf]", &a, &b), 2);
    *xmax = b;
    unlink(gp);
    unlink(prog);
    rmdir(dir);
}

static void test_plot_density_outlier(void **state)
{
    (void)state;
    static char script[1 << 16];
    double xmax;
    /* Quartiles 1004 and 1012 ns: the far-out fence is 1036 ns; the
     * outlier at 32 us would otherwise make the range 30x wider. */
    density_script(32000, script, sizeof script, &xmax);
    assert_true(xmax < 1.1); /* in microseconds */
    assert_non_null(strstr(script, "1 sample beyond the range shown (farthest 32 µs)"));
    density_script(1010, script, sizeof script, &xmax);
    assert_true(xmax < 1.1);
    assert_null(strstr(script, "beyond the range"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html_escape),     cmocka_unit_test(test_gp_quote),
        cmocka_unit_test(test_utf8_len),        cmocka_unit_test(test_slug),
        cmocka_unit_test(test_export_csv),      cmocka_unit_test(test_export_gbench),
        cmocka_unit_test(test_export_trace),    cmocka_unit_test(test_export_trace_start_times),
        cmocka_unit_test(test_export_trace_capped),
        cmocka_unit_test(test_import_roundtrip), cmocka_unit_test(test_import_bad_samples),
        cmocka_unit_test(test_gbench_rule_name), cmocka_unit_test(test_gbench_rule_real_time),
        cmocka_unit_test(test_gbench_rule_time_unit), cmocka_unit_test(test_gbench_rule_run_type),
        cmocka_unit_test(test_gbench_rule_aggregate_name), cmocka_unit_test(test_gbench_rule_threads),
        cmocka_unit_test(test_gbench_mean_roundtrip),
        cmocka_unit_test(test_import_criterion), cmocka_unit_test(test_import_criterion_errors),
        cmocka_unit_test(test_gbench_units_and_counters_roundtrip),
        cmocka_unit_test(test_console_compact_and_colour),
        cmocka_unit_test(test_console_messages_wrap),
        cmocka_unit_test(test_plot_density_outlier),
        cmocka_unit_test(test_import_gbench_output), cmocka_unit_test(test_import_errors),
        cmocka_unit_test(test_plot_missing_program), cmocka_unit_test(test_plot_program_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
