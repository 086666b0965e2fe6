/* Between-run noise learned from stored runs (compare/noise.c) and its use
 * in comparisons (compare/compare_runs.c): synthetic runs, no timing. */
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

#include "bg_compare.h"
#include "bg_noise.h"
#include "bg_stats.h"

#define MAXB 4

/* A run whose benchmarks have the given per-iteration levels; when
 * `samples` each benchmark also gets 3 processes of 10 samples around its
 * level (+-0.1 %), so that it can be compared. */
static void make_run(bg_run *r, const char *commit, bool dirty, const char *const *names, const double *lv,
                     size_t nb, bool samples)
{
    memset(r, 0, sizeof *r);
    snprintf(r->git_commit, sizeof r->git_commit, "%s", commit);
    r->git_dirty = dirty;
    snprintf(r->machine_id, sizeof r->machine_id, "m1");
    r->results = calloc(nb, sizeof *r->results);
    assert_non_null(r->results);
    r->nresults = nb;
    for (size_t i = 0; i < nb; i++) {
        bg_result *x = &r->results[i];
        x->name = names[i];
        x->status = BG_STATUS_OK;
        x->has_summary = true;
        x->wall.est[BG_STAT_MEAN].point = lv[i];
        if (!samples)
            continue;
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
            for (size_t j = 0; j < 10; j++) {
                pr->iters[j] = (double)(100 * (j + 1));
                double jitter = 1.0 + 0.001 * ((double)((j * 7 + p * 3) % 5) - 2.0) / 2.0;
                pr->wall_ns[j] = pr->iters[j] * lv[i] * jitter;
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

static const char *const NAMES[] = {"alpha", "beta"};

static const bg_noise_row *row(const bg_noise *n, const char *name)
{
    for (size_t i = 0; i < n->nrows; i++)
        if (!strcmp(n->rows[i].name, name))
            return &n->rows[i];
    return NULL;
}

/* Repeated runs of one commit: consecutive pairs in time; a dirty run and
 * a run outside any commit teach nothing. */
static void test_repeated_runs(void **state)
{
    (void)state;
    const double a[] = {100, 103, 99, 101, 104, 98};
    bg_run runs[8];
    const bg_run *ptr[8];
    bool clean[8];
    size_t n = 0;
    for (size_t i = 0; i < 6; i++) {
        double lv[2] = {a[i], 50.0 * (1 + 0.001 * (double)i)};
        make_run(&runs[n], "c1", false, NAMES, lv, 2, false);
        clean[n] = true;
        ptr[n] = &runs[n];
        n++;
        if (i == 2) { /* a dirty run in between: 2x slower, must be ignored */
            double dl[2] = {200, 100};
            make_run(&runs[n], "c1", true, NAMES, dl, 2, false);
            clean[n] = false;
            ptr[n] = &runs[n];
            n++;
        }
    }
    double nl[2] = {300, 300};
    make_run(&runs[n], "", false, NAMES, nl, 2, false);
    clean[n] = false;
    ptr[n] = &runs[n];
    n++;

    bg_noise nz;
    assert_int_equal(bg__noise_from_runs(ptr, clean, n, NULL, 0, "time", NULL, &nz), 0);
    assert_int_equal(nz.runs_read, 8);
    assert_int_equal(nz.runs_used, 6);
    const bg_noise_row *w = row(&nz, "alpha");
    assert_non_null(w);
    assert_int_equal(w->npairs, 5);
    assert_int_equal(w->nrepeat, 5);
    assert_int_equal(w->nhistory, 0);
    double d[5];
    for (size_t i = 0; i < 5; i++)
        d[i] = log(a[i + 1] / a[i]);
    bg_drift want;
    assert_int_equal(bg_drift_estimate(d, 5, &want), 0);
    assert_true(fabs(w->sigma - want.sigma) < 1e-15);
    const bg_noise_row *b = row(&nz, "beta");
    assert_non_null(b);
    assert_true(b->sigma < 0.002);

    char src[64];
    size_t df = 99;
    double s = bg__noise_for(&nz, "alpha", &df, src, sizeof src);
    assert_true(fabs(s - want.sigma) < 1e-15);
    assert_int_equal(df, 5);
    assert_string_equal(src, "learned from 5 run pairs");
    s = bg__noise_for(&nz, "gamma", &df, src, sizeof src);
    assert_true(s == BG_NOISE_DEFAULT_SIGMA);
    assert_int_equal(df, 0);
    assert_string_equal(src, "default: 0 run pairs in the store, 3 needed");
    bg__noise_free(&nz);
    for (size_t i = 0; i < n; i++)
        free_run(&runs[i]);
}

/* Consecutive commits of first-parent history: the pair across a real step
 * is left out; commits not on the history are ignored; with fewer than
 * BG_NOISE_MIN_PAIRS pairs the default is used. */
static void test_history(void **state)
{
    (void)state;
    char hist[14][41];
    bg_run runs[14];
    const bg_run *ptr[14];
    bool clean[14];
    /* history[] is newest first: commit k0 is the oldest. */
    for (size_t i = 0; i < 12; i++) {
        snprintf(hist[11 - i], 41, "k%zu", i);
        double base = i < 6 ? 100.0 : 140.0;
        double lv[1] = {base * (1 + 0.004 * (double)((i * 3) % 4))};
        make_run(&runs[i], hist[11 - i], false, NAMES, lv, 1, false);
        clean[i] = true;
        ptr[i] = &runs[i];
    }
    /* A run of a commit off the history (another branch): ignored. */
    double off[1] = {500};
    make_run(&runs[12], "zz", false, NAMES, off, 1, false);
    clean[12] = true;
    ptr[12] = &runs[12];

    bg_noise nz;
    assert_int_equal(bg__noise_from_runs(ptr, clean, 13, (const char (*)[41])hist, 12, "time", NULL, &nz), 0);
    assert_int_equal(nz.commits, 12);
    const bg_noise_row *w = row(&nz, "alpha");
    assert_non_null(w);
    assert_int_equal(w->nhistory, 10);
    assert_int_equal(w->npairs, 10);
    assert_true(w->sigma < 0.02); /* the 40 % step is not noise */
    bg__noise_free(&nz);

    /* Two commits only: one pair, below the minimum: the default. */
    assert_int_equal(bg__noise_from_runs(ptr, clean, 2, (const char (*)[41])&hist[10], 2, "time", NULL, &nz), 0);
    size_t df = 7;
    char src[64];
    assert_true(bg__noise_for(&nz, "alpha", &df, src, sizeof src) == BG_NOISE_DEFAULT_SIGMA);
    assert_int_equal(df, 0);
    assert_string_equal(src, "default: 1 run pair in the store, 3 needed");
    bg__noise_free(&nz);
    for (size_t i = 0; i < 13; i++)
        free_run(&runs[i]);
}

/* A +4 % change with a tight within-run interval: "regressed" without the
 * between-run noise, "inconclusive" with the default (drift band about
 * +-10 %), and "regressed" again when the store has learned that this
 * benchmark is quiet (0.2 % over 20 pairs). The output names the drift. */
static void test_comparison_uses_noise(void **state)
{
    (void)state;
    bg_run a, b;
    double la[1] = {100.0}, lb[1] = {104.0};
    make_run(&a, "c1", false, NAMES, la, 1, true);
    make_run(&b, "c2", false, NAMES, lb, 1, true);
    bg_cmp_opts o;
    bg__cmp_opts_default(&o);
    o.resamples = 2000;
    bg_comparison c;
    char err[256];
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    assert_int_equal(c.rows[0].verdict, BG_VERDICT_REGRESSED);
    assert_false(c.rows[0].drift_used);
    assert_false(c.drift_used);
    bg__comparison_free(&c);

    bg_noise nz = {0};
    nz.default_sigma = BG_NOISE_DEFAULT_SIGMA;
    nz.min_pairs = BG_NOISE_MIN_PAIRS;
    snprintf(nz.machine, sizeof nz.machine, "m1");
    o.noise = &nz;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    const bg_cmp_row *w = &c.rows[0];
    assert_true(w->drift_used);
    assert_int_equal(w->verdict, BG_VERDICT_INCONCLUSIVE);
    assert_true(w->ch.lo < 0 && w->ch.hi > 0.08);
    assert_true(w->ch_within.lo > 0.03);
    assert_true(fabs(bg__cmp_row_drift_band(w) - expm1(1.959963984540054 * 0.05)) < 1e-12);
    assert_string_equal(w->drift_source, "default: 0 run pairs in the store, 3 needed");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    bg__cmp_print_console(f, &c, NULL, NULL);
    fclose(f);
    assert_non_null(strstr(buf, "inconclusive (drift +-10.3 %)"));
    assert_non_null(strstr(buf, "between-run noise from 0 stored runs of machine m1"));
    free(buf);
    bg__comparison_free(&c);

    bg_noise_row quiet = {.name = (char *)"alpha", .sigma = 0.002, .npairs = 20, .nrepeat = 20};
    nz.rows = &quiet;
    nz.nrows = 1;
    assert_int_equal(bg__compare_runs(&a, &b, &o, &c, err, sizeof err), 0);
    assert_int_equal(c.rows[0].verdict, BG_VERDICT_REGRESSED);
    assert_int_equal(c.rows[0].drift_df, 20);
    bg__comparison_free(&c);
    free_run(&a);
    free_run(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repeated_runs),
        cmocka_unit_test(test_history),
        cmocka_unit_test(test_comparison_uses_noise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
