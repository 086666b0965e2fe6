/* A settings rule's metric (.benchgate.json "benchmarks": [{"metric": ...}]):
 * each row compared on its own metric, its values in that metric's unit,
 * every output saying which metric a row used, metrics that cannot be
 * compared refused per row, and between-run noise never borrowed from
 * another metric. Synthetic runs, no timing. */
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
#include "bg_noise.h"
#include "bg_settings.h"
#include "helpers.h"

/* One benchmark of a synthetic run: its per-iteration time, and when
 * `counter` is set that counter's per-iteration value. `jitter` spreads
 * the samples +-0.1 % (0: every sample the same, an exact count). */
typedef struct spec {
    const char *name;
    double ns;
    const char *counter;
    double per_iter;
    bool jitter;
} spec;

static void make_run(bg_run *r, const char *commit, const spec *sp, size_t nb)
{
    memset(r, 0, sizeof *r);
    snprintf(r->machine_id, sizeof r->machine_id, "m1");
    snprintf(r->git_commit, sizeof r->git_commit, "%s", commit);
    r->results = calloc(nb, sizeof *r->results);
    assert_non_null(r->results);
    r->nresults = nb;
    for (size_t i = 0; i < nb; i++) {
        bg_result *x = &r->results[i];
        x->name = strdup(sp[i].name);
        x->owns_name = true;
        x->status = BG_STATUS_OK;
        x->nprocs = 3;
        x->procs = calloc(3, sizeof *x->procs);
        assert_true(x->name && x->procs);
        for (size_t p = 0; p < 3; p++) {
            bg_proc *pr = &x->procs[p];
            pr->n = 10;
            pr->iters = calloc(10, sizeof *pr->iters);
            pr->wall_ns = calloc(10, sizeof *pr->wall_ns);
            pr->cpu_ns = calloc(10, sizeof *pr->cpu_ns);
            assert_true(pr->iters && pr->wall_ns && pr->cpu_ns);
            if (sp[i].counter) {
                pr->ncounters = 1;
                pr->counters = calloc(1, sizeof *pr->counters);
                assert_non_null(pr->counters);
                snprintf(pr->counters[0].name, sizeof pr->counters[0].name, "%s", sp[i].counter);
                pr->counters[0].v = calloc(10, sizeof(double));
                assert_non_null(pr->counters[0].v);
            }
            for (size_t j = 0; j < 10; j++) {
                pr->iters[j] = (double)(100 * (j + 1));
                double jitter = 1.0 + 0.001 * ((double)((j * 7 + p * 3) % 5) - 2.0) / 2.0;
                pr->wall_ns[j] = pr->iters[j] * sp[i].ns * jitter;
                pr->cpu_ns[j] = pr->wall_ns[j];
                if (sp[i].counter)
                    pr->counters[0].v[j] = pr->iters[j] * sp[i].per_iter * (sp[i].jitter ? jitter : 1.0);
            }
        }
    }
}

static const bg_cmp_row *row_named(const bg_comparison *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->rows[i].name, name))
            return &c->rows[i];
    fail_msg("no row %s", name);
    return NULL;
}

/* The comparison in `fmt`, as a new string (free it). */
static char *print(const bg_comparison *c, bg_cmp_format fmt)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    if (fmt == BG_CMP_CONSOLE)
        bg__cmp_print_console(f, c, NULL, NULL);
    else if (fmt == BG_CMP_MARKDOWN)
        bg__cmp_print_markdown(f, c, NULL);
    else
        assert_int_equal(bg__cmp_print(f, c, fmt), 0);
    long len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    char *out = calloc((size_t)len + 1, 1);
    assert_non_null(out);
    assert_int_equal(fread(out, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    return out;
}

/* The line of `text` where `what` first occurs, from there to its end. */
static void line_of(const char *text, const char *what, char *line, size_t n)
{
    const char *p = strstr(text, what);
    if (!p) {
        fail_msg("no '%s' in:\n%s", what, text);
        return;
    }
    p += what[0] == '\n';
    size_t len = strcspn(p, "\n");
    snprintf(line, n, "%.*s", (int)len, p);
}

static const char SETTINGS[] = "{\n"
                               "  \"benchmarks\": [\n"
                               "    {\"match\": \"gpu_*\", \"metric\": \"gpu_timer_ns\"},\n"
                               "    {\"match\": \"alloc_*\", \"metric\": \"alloc_bytes\"},\n"
                               "    {\"match\": \"ratio_*\", \"metric\": \"ipc\"},\n"
                               "    {\"match\": \"typo_*\", \"metric\": \"gpu_timr_ns\"}\n"
                               "  ]\n"
                               "}\n";

/* Base and head: gpu_saxpy's GPU time grows 30 % while its wall time
 * stays; sort's wall time falls 20 %; alloc_vec allocates the same 4 KiB
 * per iteration (an exact count); gpu_nocounter has no GPU timer in A. */
static void make_pair(bg_run *a, bg_run *b)
{
    const spec sa[] = {
        {"gpu_saxpy", 1000, "gpu_timer_ns", 2000, true},
        {"sort", 500, NULL, 0, false},
        {"alloc_vec", 300, "alloc_bytes", 4096, false},
        {"gpu_nocounter", 100, NULL, 0, false},
        {"ratio_x", 100, NULL, 0, false},
        {"typo_x", 100, NULL, 0, false},
    };
    const spec sb[] = {
        {"gpu_saxpy", 1000, "gpu_timer_ns", 2600, true},
        {"sort", 400, NULL, 0, false},
        {"alloc_vec", 330, "alloc_bytes", 4096, false},
        {"gpu_nocounter", 100, "gpu_timer_ns", 50, true},
        {"ratio_x", 100, NULL, 0, false},
        {"typo_x", 100, NULL, 0, false},
    };
    make_run(a, "1111111111111111111111111111111111111111", sa, 6);
    make_run(b, "2222222222222222222222222222222222222222", sb, 6);
}

/* Each row on its rule's metric: values, verdicts, unit, notes. */
static void test_rows_on_their_metric(void **state)
{
    (void)state;
    bg_run a, b;
    make_pair(&a, &b);
    bg_settings s;
    char err[512] = "";
    assert_int_equal(bg__settings_parse(SETTINGS, "m.json", &s, err, sizeof err), 0);
    bg_cmp_opts o;
    bg__cmp_opts_default(&o);
    o.resamples = 2000;
    o.settings = &s;
    bg_comparison c;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    assert_string_equal(c.metric, "time");

    const bg_cmp_row *w = row_named(&c, "gpu_saxpy");
    assert_string_equal(w->metric, "gpu_timer_ns");
    assert_string_equal(bg__cmp_row_metric(&c, w), "gpu_timer_ns");
    assert_string_equal(bg__cmp_row_unit(&c, w), "ns");
    assert_int_equal(w->kind, BG_ROW_COMPARED);
    assert_rel(w->mean_a, 2000, 2e-3);
    assert_rel(w->mean_b, 2600, 2e-3);
    assert_rel(w->ch.change, 0.30, 1e-2);
    assert_int_equal(w->verdict, BG_VERDICT_REGRESSED);

    w = row_named(&c, "sort");
    assert_string_equal(w->metric, "");
    assert_string_equal(bg__cmp_row_metric(&c, w), "time");
    assert_rel(w->mean_a, 500, 2e-3);
    assert_int_equal(w->verdict, BG_VERDICT_IMPROVED);

    /* The same 4 KiB in both: exact, unchanged, though its time grew 10 %. */
    w = row_named(&c, "alloc_vec");
    assert_string_equal(bg__cmp_row_unit(&c, w), "bytes");
    assert_true(w->mean_a == 4096 && w->mean_b == 4096);
    assert_int_equal(w->verdict, BG_VERDICT_UNCHANGED);

    w = row_named(&c, "gpu_nocounter");
    assert_int_equal(w->kind, BG_ROW_NOT_OK);
    assert_string_equal(bg__cmp_row_verdict(w), "not compared");
    assert_non_null(strstr(w->note, "gpu_timer_ns not recorded in A"));

    w = row_named(&c, "ratio_x");
    assert_int_equal(w->kind, BG_ROW_NOT_OK);
    assert_non_null(strstr(w->note, "rule at m.json:5: 'ipc' is a ratio"));
    assert_non_null(strstr(w->note, "ratio derived for display"));

    w = row_named(&c, "typo_x");
    assert_int_equal(w->kind, BG_ROW_NOT_OK);
    assert_non_null(strstr(w->note, "rule at m.json:6: no benchmark"));
    assert_non_null(strstr(w->note, "recorded the metric 'gpu_timr_ns'"));
    assert_non_null(strstr(w->note, "gpu_timer_ns"));

    /* Without the settings every row is on time: gpu_saxpy unchanged. */
    bg_comparison plain;
    o.settings = NULL;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &plain, err, sizeof err), 0);
    w = row_named(&plain, "gpu_saxpy");
    assert_string_equal(w->metric, "");
    assert_int_equal(w->verdict, BG_VERDICT_UNCHANGED);
    assert_int_equal(row_named(&plain, "alloc_vec")->verdict, BG_VERDICT_REGRESSED);
    bg__comparison_free(&plain);

    bg__comparison_free(&c);
    bg__settings_free(&s);
    bg__run_free(&a);
    bg__run_free(&b);
}

/* --metric sets the suite's metric; rules still give theirs to the
 * benchmarks they match. */
static void test_flag_and_rules(void **state)
{
    (void)state;
    bg_run a, b;
    make_pair(&a, &b);
    bg_settings s;
    char err[512] = "";
    assert_int_equal(bg__settings_parse(SETTINGS, "m.json", &s, err, sizeof err), 0);
    bg_cmp_opts o;
    bg__cmp_opts_default(&o);
    o.resamples = 2000;
    o.settings = &s;
    o.metric = "cpu";
    bg_comparison c;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    assert_string_equal(c.metric, "cpu");
    assert_string_equal(bg__cmp_row_metric(&c, row_named(&c, "sort")), "cpu");
    assert_string_equal(bg__cmp_row_metric(&c, row_named(&c, "gpu_saxpy")), "gpu_timer_ns");
    assert_int_equal(row_named(&c, "gpu_saxpy")->verdict, BG_VERDICT_REGRESSED);
    bg__comparison_free(&c);
    /* A rule naming the suite's metric is no exception: the row says "". */
    o.metric = "gpu_timer_ns";
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    assert_string_equal(row_named(&c, "gpu_saxpy")->metric, "");
    bg__comparison_free(&c);
    bg__settings_free(&s);
    bg__run_free(&a);
    bg__run_free(&b);
}

/* Every output: the row's unit, and which metric it used. */
static void test_outputs(void **state)
{
    (void)state;
    bg_run a, b;
    make_pair(&a, &b);
    bg_settings s;
    char err[512] = "";
    assert_int_equal(bg__settings_parse(SETTINGS, "m.json", &s, err, sizeof err), 0);
    bg_cmp_opts o;
    bg__cmp_opts_default(&o);
    o.resamples = 2000;
    o.settings = &s;
    bg_comparison c;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);

    char *csv = print(&c, BG_CMP_CSV);
    char line[512];
    line_of(csv, "\n\"gpu_saxpy\",\"gpu_timer_ns\",", line, sizeof line);
    assert_non_null(strstr(line, ",\"ns\","));
    assert_non_null(strstr(line, ",\"regressed\""));
    assert_non_null(strstr(csv, "\n\"sort\",\"time\","));
    assert_non_null(strstr(csv, "\n\"alloc_vec\",\"alloc_bytes\",4096,4096,\"bytes\","));
    free(csv);

    char *js = print(&c, BG_CMP_JSON);
    cJSON *root = cJSON_Parse(js);
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItem(root, "metric")->valuestring, "time");
    const cJSON *x;
    size_t seen = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(root, "benchmarks"))
    {
        const char *name = cJSON_GetObjectItem(x, "name")->valuestring;
        const char *metric = cJSON_GetObjectItem(x, "metric")->valuestring;
        const char *unit = cJSON_GetObjectItem(x, "unit")->valuestring;
        if (!strcmp(name, "gpu_saxpy")) {
            assert_string_equal(metric, "gpu_timer_ns");
            assert_string_equal(unit, "ns");
            assert_string_equal(cJSON_GetObjectItem(x, "verdict")->valuestring, "regressed");
            seen++;
        } else if (!strcmp(name, "alloc_vec")) {
            assert_string_equal(metric, "alloc_bytes");
            assert_string_equal(unit, "bytes");
            seen++;
        } else if (!strcmp(name, "sort")) {
            assert_string_equal(metric, "time");
            seen++;
        }
    }
    assert_int_equal(seen, 3);
    cJSON_Delete(root);
    free(js);

    /* Console and Markdown: values in the row's unit, the metric named. */
    char kib[32], us[32];
    bg__fmt_metric(4096, "bytes", kib, sizeof kib);
    bg__fmt_metric(2600, "ns", us, sizeof us);
    for (int fmt = 0; fmt < 2; fmt++) {
        char *out = print(&c, fmt ? BG_CMP_MARKDOWN : BG_CMP_CONSOLE);
        /* Markdown escapes the underscores. */
        line_of(out, fmt ? "alloc\\_vec" : "alloc_vec", line, sizeof line);
        assert_non_null(strstr(line, kib));
        assert_non_null(strstr(line, fmt ? "(metric alloc\\_bytes)" : "(metric alloc_bytes)"));
        line_of(out, fmt ? "gpu\\_saxpy" : "gpu_saxpy", line, sizeof line);
        assert_non_null(strstr(line, us));
        assert_non_null(strstr(line, fmt ? "(metric gpu\\_timer\\_ns)" : "(metric gpu_timer_ns)"));
        line_of(out, "sort", line, sizeof line);
        assert_null(strstr(line, "(metric"));
        free(out);
    }

    char path[] = "/tmp/bg_rule_metric_junit.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(bg__cmp_write_junit(path, &c, "bench", err, sizeof err), 0);
    char *xml = slurp(path);
    assert_non_null(xml);
    assert_non_null(strstr(xml, "in gpu_timer_ns (adjusted p"));
    free(xml);
    unlink(path);

    bg__comparison_free(&c);
    bg__settings_free(&s);
    bg__run_free(&a);
    bg__run_free(&b);
}

/* Noise learned for time never widens a row compared on a counter: the
 * default does, and says so. Learned with the settings, the row's noise is
 * its own metric's. */
static void test_noise_per_metric(void **state)
{
    (void)state;
    bg_settings s;
    char err[512] = "";
    assert_int_equal(bg__settings_parse(SETTINGS, "m.json", &s, err, sizeof err), 0);

    /* Four runs of one commit: wall time swings 10 %, the GPU timer 0.1 %. */
    bg_run runs[4];
    const bg_run *ptr[4];
    bool clean[4] = {true, true, true, true};
    for (size_t i = 0; i < 4; i++) {
        const spec sp[] = {{"gpu_saxpy", i % 2 ? 1100 : 1000, "gpu_timer_ns", i % 2 ? 2002 : 2000, true}};
        make_run(&runs[i], "3333333333333333333333333333333333333333", sp, 1);
        ptr[i] = &runs[i];
    }
    bg_noise plain, ruled;
    assert_int_equal(bg__noise_from_runs(ptr, clean, 4, NULL, 0, "time", NULL, &plain), 0);
    assert_int_equal(bg__noise_from_runs(ptr, clean, 4, NULL, 0, "time", &s, &ruled), 0);
    assert_int_equal(plain.nrows, 1);
    assert_int_equal(ruled.nrows, 1);
    assert_string_equal(plain.rows[0].metric, "");
    assert_string_equal(ruled.rows[0].metric, "gpu_timer_ns");
    assert_true(plain.rows[0].sigma > 0.05);
    assert_false(plain.by_rule);
    assert_true(ruled.by_rule);
    assert_true(ruled.rows[0].sigma < 0.01);

    bg_run a, b;
    make_pair(&a, &b);
    bg_cmp_opts o;
    bg__cmp_opts_default(&o);
    o.resamples = 2000;
    o.settings = &s;
    bg_comparison c;

    /* Time's noise: gpu_saxpy gets the default, named as such. */
    o.noise = &plain;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    const bg_cmp_row *w = row_named(&c, "gpu_saxpy");
    assert_true(w->drift_used);
    assert_int_equal(w->drift_df, 0);
    assert_true(w->drift == BG_NOISE_DEFAULT_SIGMA);
    assert_string_equal(w->drift_source, "default: noise learned for time, not gpu_timer_ns");
    /* The exact count keeps no drift. */
    assert_string_equal(row_named(&c, "alloc_vec")->drift_source, "none: an exact count");
    bg__comparison_free(&c);

    /* Its own metric's noise: learned, used. */
    o.noise = &ruled;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    w = row_named(&c, "gpu_saxpy");
    assert_int_equal(w->drift_df, 3);
    assert_true(w->drift == ruled.rows[0].sigma);
    assert_string_equal(w->drift_source, "learned from 3 run pairs");
    assert_int_equal(w->verdict, BG_VERDICT_REGRESSED);
    bg__comparison_free(&c);

    /* Learned with the settings but no pairs of gpu_saxpy: the default,
     * for want of pairs (not for another metric). */
    bg_noise empty;
    bg__noise_init(&empty, "m1");
    snprintf(empty.metric, sizeof empty.metric, "time");
    empty.by_rule = true;
    o.noise = &empty;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    assert_string_equal(row_named(&c, "gpu_saxpy")->drift_source, "default: 0 run pairs in the store, 3 needed");
    bg__comparison_free(&c);
    empty.by_rule = false;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    assert_string_equal(row_named(&c, "gpu_saxpy")->drift_source, "default: noise learned for time, not gpu_timer_ns");
    bg__comparison_free(&c);

    /* Without settings the time-learned row serves gpu_saxpy on time. */
    o.settings = NULL;
    o.noise = &plain;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    assert_int_equal(row_named(&c, "gpu_saxpy")->drift_df, 3);
    bg__comparison_free(&c);

    bg__noise_free(&plain);
    bg__noise_free(&ruled);
    for (size_t i = 0; i < 4; i++)
        bg__run_free(&runs[i]);
    bg__run_free(&a);
    bg__run_free(&b);
    bg__settings_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_on_their_metric),
        cmocka_unit_test(test_flag_and_rules),
        cmocka_unit_test(test_outputs),
        cmocka_unit_test(test_noise_per_metric),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
