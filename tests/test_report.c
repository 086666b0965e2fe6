/* Tests for `benchgate report`, `export` and `import`, run as a program over
 * a temporary git repository of 14 commits with a stored run on each (one
 * benchmark steps up by 25 % at the 8th commit, two have names that must be
 * escaped; another one's instructions counter steps up by 10 % at the 10th
 * commit while its time stays flat), and for the report without gnuplot. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include <cjson/cJSON.h>

#include "bg_model.h"
#include "bg_reporter.h"
#include "bg_report.h"
#include "bg_store.h"

#ifndef BENCHGATE_EXE
#error "BENCHGATE_EXE must name the benchgate binary"
#endif

#define NCOMMITS 14
#define STEP_AT 7        /* 0-based: commits 7.. are 25 % slower on "stepper" */
#define OTHER_ONLY 2     /* this commit has a run from another machine only */
#define INSTR_STEP 9     /* commits 9.. run 10 % more instructions in "steady", in the same time */
#define NO_COUNTERS 4    /* this commit's run recorded no counters */
#define MACHINE "aaaaaaaaaaaa"
#define OTHER "bbbbbbbbbbbb"

static char tmp[256], repo[320];
static char ids[NCOMMITS][41];
static char out[1 << 17];

static const char *const NAMES[] = {"steady", "stepper", "<script>alert(1)</script>", "a\"b\\c"};
static const double BASE_NS[] = {1000, 2000, 500, 700};
static const double BASE_INSTR[] = {3000, 5000, 1200, 2100}; /* instructions per iteration */
#define NB 4

static double noise(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / (double)(1ULL << 53) * 2.0 - 1.0;
}

/* Gives each process of r an "instructions" counter: `per_iter` per
 * iteration, with 0.1 % noise. */
static void add_instructions(bg_result *r, double per_iter, uint64_t *s)
{
    for (size_t p = 0; p < r->nprocs; p++) {
        bg_proc *pr = &r->procs[p];
        pr->ncounters = 1;
        pr->counters = calloc(1, sizeof *pr->counters);
        assert_non_null(pr->counters);
        snprintf(pr->counters[0].name, sizeof pr->counters[0].name, "instructions");
        pr->counters[0].v = malloc(pr->n * sizeof(double));
        assert_non_null(pr->counters[0].v);
        for (size_t j = 0; j < pr->n; j++)
            pr->counters[0].v[j] = pr->iters[j] * per_iter * (1 + 0.001 * noise(s));
    }
}

/* The run of commit k on `machine`, 3 processes x 8 samples per benchmark,
 * with an instructions counter except at commit NO_COUNTERS. */
static void make_run(bg_run *run, size_t k, const char *machine)
{
    memset(run, 0, sizeof *run);
    bg__config_default(&run->config);
    run->config.resamples = 1000;
    snprintf(run->git_commit, sizeof run->git_commit, "%s", ids[k]);
    snprintf(run->git_branch, sizeof run->git_branch, "main");
    snprintf(run->git_status, sizeof run->git_status, "ok");
    snprintf(run->machine_id, sizeof run->machine_id, "%s", machine);
    snprintf(run->created, sizeof run->created, "2026-01-01T00:%02zu:00Z", k);
    run->created_unix = 1767225600 + 60 * (int64_t)k;
    snprintf(run->host, sizeof run->host, "testhost");
    run->nmachine_fields = 1;
    snprintf(run->machine_fields[0].key, sizeof run->machine_fields[0].key, "cpu_model");
    snprintf(run->machine_fields[0].value, sizeof run->machine_fields[0].value, "Test CPU <fast> & \"cheap\"");
    run->overhead = (bg_overhead){.wall_read_ns = 18.5, .cpu_read_ns = 160.25, .resolution_ns = 20,
                                  .empty_loop_ns = 0.31, .sample_overhead_ns = 1319.99,
                                  .counters_sample_ns = NAN};
    run->results = calloc(NB, sizeof *run->results);
    assert_non_null(run->results);
    run->nresults = NB;
    uint64_t s = 1000 + k;
    for (size_t b = 0; b < NB; b++) {
        bg_result *r = &run->results[b];
        r->name = NAMES[b];
        r->seed = 7 + b;
        r->nprocs = 3;
        r->procs = calloc(3, sizeof *r->procs);
        assert_non_null(r->procs);
        double level = b == 1 && k >= STEP_AT ? 1.25 : 1.0;
        for (size_t p = 0; p < 3; p++) {
            bg_proc *pr = &r->procs[p];
            pr->n = 8;
            pr->iters = malloc(8 * sizeof(double));
            pr->wall_ns = malloc(8 * sizeof(double));
            pr->cpu_ns = malloc(8 * sizeof(double));
            pr->warmup_ns = 1e5;
            double pf = 1 + 0.001 * noise(&s);
            for (size_t j = 0; j < 8; j++) {
                pr->iters[j] = 100.0 * (double)(j + 1);
                pr->wall_ns[j] = pr->iters[j] * BASE_NS[b] * level * pf * (1 + 0.003 * noise(&s));
                pr->cpu_ns[j] = pr->wall_ns[j];
            }
        }
        assert_int_equal(bg__summarize_result(&run->config, r), 0);
        if (k != NO_COUNTERS)
            add_instructions(r, BASE_INSTR[b] * (b == 0 && k >= INSTR_STEP ? 1.10 : 1.0), &s);
    }
}

static void save(size_t k, const char *machine)
{
    bg_run run;
    make_run(&run, k, machine);
    char *json = bg__record_to_json(&run);
    assert_non_null(json);
    bg_store *st = NULL;
    char err[512] = "", dir[400];
    snprintf(dir, sizeof dir, "%s/.benchgate", repo);
    assert_int_equal(bg_store_open(&st, dir, NULL, err, sizeof err), 0);
    if (bg_store_save(st, json, ids[k], machine, NULL, err, sizeof err) != 0)
        fail_msg("save failed: %s", err);
    bg_store_close(&st);
    free(json);
    bg__run_free(&run);
}

static int setup(void **state)
{
    (void)state;
    unsetenv("BENCHGATE_DIR");
    unsetenv("BENCHGATE_GNUPLOT");
    if (make_tmp_repo(tmp, sizeof tmp, repo, sizeof repo, "bg_report") != 0)
        return -1;
    bg_use(&(bg_tool){.exe = BENCHGATE_EXE, .dir = repo, .out = out, .outsz = sizeof out});
    sh("git init -q -b main '%s' && cd '%s' && for i in $(seq 1 %d); do echo $i > f && git add f && " GIT
       " commit -q -m c$i; done",
       repo, repo, NCOMMITS);
    for (size_t k = 0; k < NCOMMITS; k++) {
        sh_line(ids[k], sizeof ids[k], "cd '%s' && git rev-parse HEAD~%zu", repo, NCOMMITS - 1 - k);
        save(k, k == OTHER_ONLY ? OTHER : MACHINE);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return remove_tree(tmp);
}

/* ---- looking at what was written ---- */

static bool has_file(const char *dir, const char *name)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, R_OK) == 0;
}

/* Files of dir ending in `suffix`; each is checked by fn (may be NULL). */
static size_t each_file(const char *dir, const char *suffix, void (*fn)(const char *path, const char *text))
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name), sl = strlen(suffix);
        if (len < sl || strcmp(de->d_name + len - sl, suffix) != 0)
            continue;
        n++;
        if (!fn)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char *text = slurp(path);
        assert_non_null(text);
        fn(path, text);
        free(text);
    }
    closedir(d);
    return n;
}

/* No benchmark name reaches a page or a plot unescaped. */
static void no_raw_markup(const char *path, const char *text)
{
    if (strcasestr(text, "<script"))
        fail_msg("%s holds a raw <script", path);
    if (strstr(text, "a\"b\\c") && strstr(path, ".html"))
        fail_msg("%s holds the name a\"b\\c unescaped", path);
}

static void no_images(const char *path, const char *text)
{
    if (strstr(text, "<img"))
        fail_msg("%s shows an image although gnuplot is missing", path);
}

static bool have_gnuplot(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* ---- tests ---- */

static void test_report_history(void **state)
{
    (void)state;
    char dir[400], sub[450];
    snprintf(dir, sizeof dir, "%s/site", tmp);
    int rc = bg("report --out '%s'", dir);
    char want[1024], bench[64];
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
    snprintf(want, sizeof want, "report: %s/index.html\n", dir);
    assert_non_null(strstr(out, want));
    assert_int_equal(each_file(dir, ".html", no_raw_markup), 1 + NB + NCOMMITS - 1);
    snprintf(want, sizeof want, "commit-%s.html", ids[NCOMMITS - 1]);
    assert_true(has_file(dir, want));
    snprintf(want, sizeof want, "commit-%s.html", ids[OTHER_ONLY]);
    assert_false(has_file(dir, want)); /* its only run is from another machine */

    snprintf(want, sizeof want, "%s/index.html", dir);
    char *index = slurp(want);
    assert_non_null(index);
    assert_non_null(strstr(index, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(index, "a&quot;b\\c"));
    assert_non_null(strstr(index, "Test CPU &lt;fast&gt; &amp; &quot;cheap&quot;"));
    assert_non_null(strstr(index, "1 commit(s) have runs only from other machines"));
    /* Baseline: the commit before HEAD; the stepper's change point is the
     * commit where it stepped, about +25 %. */
    snprintf(want, sizeof want, "commit %.12s", ids[NCOMMITS - 2]);
    assert_non_null(strstr(index, want));
    const char *cp = strstr(index, "<h2>Change points</h2>");
    assert_non_null(cp);
    const char *row = strstr(cp, ">stepper</a>");
    assert_non_null(row);
    snprintf(want, sizeof want, "<code>%.12s</code>", ids[STEP_AT]);
    assert_non_null(strstr(row, want));
    assert_non_null(strstr(row, "+2"));
    free(index);

    snprintf(sub, sizeof sub, "%s/plots", dir);
    if (!have_gnuplot()) {
        print_message("gnuplot is not installed: plots not checked\n");
        return;
    }
    /* dist, fit, cmp, hist and spark for each benchmark. */
    assert_int_equal(each_file(sub, ".svg", no_raw_markup), 5 * NB);
    bg__name_slug(NAMES[2], bench, sizeof bench);
    snprintf(want, sizeof want, "%s/%s-dist.svg", sub, bench);
    char *svg = slurp(want);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "&lt;script>alert(1)&lt;/script>: per-iteration time"));
    free(svg);
    bg__name_slug(NAMES[3], bench, sizeof bench);
    snprintf(want, sizeof want, "%s/%s-hist.svg", sub, bench);
    svg = slurp(want);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "a\"b\\c: mean per commit"));
    /* the commits' subjects ("c1", ...) under their ids on the axis */
    assert_non_null(strstr(svg, "<text>c1</text>"));
    free(svg);
    snprintf(want, sizeof want, "%s/bench-%s.html", dir, bench);
    char *page = slurp(want);
    assert_non_null(page);
    assert_non_null(strstr(page, "<h1>a&quot;b\\c</h1>"));
    assert_non_null(strstr(page, "-hist.svg"));
    /* each commit's column of the history plot: a tooltip with its
     * subject, author and date, and a link to its page */
    assert_non_null(strstr(page, "usemap=\"#map-"));
    const char *area = strstr(page, "<area shape=\"rect\" coords=\"");
    assert_non_null(area);
    assert_non_null(strstr(area, " c3 ("));
    assert_non_null(strstr(area, "href=\"commit-"));
    assert_non_null(strstr(page, "<h2>Counters</h2>"));
    assert_non_null(strstr(page, "CPU time"));
    /* the noise record of the machine, which the comparison allowed for */
    assert_non_null(strstr(page, "Between-run noise on this machine: &plusmn;"));
    assert_non_null(strstr(page, "run pair"));
    free(page);
}

/* The head commit's page: the run's configuration, machine, harness
 * overhead (durations formatted as everywhere, not printf's %g) and every
 * benchmark's estimates, with the values of the run as make_run built it. */
static void test_report_commit_page(void **state)
{
    (void)state;
    char dir[400], path[600];
    snprintf(dir, sizeof dir, "%s/site-commit", tmp);
    int rc = bg_env("BENCHGATE_GNUPLOT=/nonexistent", "report --out '%s'", dir);
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
    snprintf(path, sizeof path, "%s/commit-%s.html", dir, ids[NCOMMITS - 1]);
    char *page = slurp(path);
    assert_non_null(page);
    /* The sections, in order, each followed by its values. */
    static const char *const sections[] = {"<h2>Configuration</h2>", "<h2>Machine</h2>",
                                           "<h2>Harness overhead</h2>", "<h2>Estimates</h2>"};
    const char *at[4];
    for (size_t i = 0; i < 4; i++) {
        at[i] = strstr(page, sections[i]);
        if (!at[i])
            fail_msg("%s has no section %s", path, sections[i]);
        if (i > 0)
            assert_true(at[i] > at[i - 1]);
    }
    bg_run run;
    make_run(&run, NCOMMITS - 1, MACHINE);
    char want[256], a[48], b[48];
    snprintf(want, sizeof want, "<td>bootstrap resamples</td><td class=\"num\">%zu</td>", run.config.resamples);
    assert_non_null(strstr(at[0], want));
    snprintf(want, sizeof want, "<td>seed</td><td class=\"num\">%llu</td>", (unsigned long long)run.config.seed);
    assert_non_null(strstr(at[0], want));
    assert_non_null(strstr(at[1], "<code>" MACHINE "</code>"));
    assert_non_null(strstr(at[1], "<td>testhost</td>"));
    assert_non_null(strstr(at[1], "<td>Test CPU &lt;fast&gt; &amp; &quot;cheap&quot;</td>"));
    bg__format_ns(run.overhead.sample_overhead_ns, a, sizeof a);
    snprintf(want, sizeof want, "<td>fixed cost of a sample</td><td class=\"num\">%s</td>", a);
    assert_non_null(strstr(at[2], want));
    assert_non_null(strstr(a, "µs"));       /* 1319.99 ns reads as microseconds */
    assert_null(strstr(page, "1319.99")); /* not %g */
    bg__format_ns(run.overhead.cpu_read_ns, a, sizeof a);
    snprintf(want, sizeof want, "<td>CPU-clock read</td><td class=\"num\">%s</td>", a);
    assert_non_null(strstr(at[2], want));
    assert_non_null(strstr(at[2], "<td>counter reads per sample</td><td class=\"num\">-</td>"));
    /* Every benchmark's row: its link, processes / samples and each
     * statistic's point with its interval. */
    static const char *const links[NB] = {">steady</a>", ">stepper</a>",
                                          ">&lt;script&gt;alert(1)&lt;/script&gt;</a>", ">a&quot;b\\c</a>"};
    for (size_t i = 0; i < NB; i++) {
        const bg_result *r = &run.results[i];
        const char *row = strstr(at[3], links[i]);
        if (!row)
            fail_msg("the estimates have no row for %s", r->name);
        char *end = strstr(row, "</tr>");
        assert_non_null(end);
        *end = '\0';
        snprintf(want, sizeof want, "%zu / %zu", r->nprocs, r->wall.nsamples);
        assert_non_null(strstr(row, want));
        for (int st = 0; st < BG_STAT_COUNT; st++) {
            const bg_estimate *e = &r->wall.est[st];
            bg__format_ns(e->point, a, sizeof a);
            snprintf(want, sizeof want, "<td class=\"num\">%s<br>", a);
            if (!strstr(row, want))
                fail_msg("%s %s: no %s in its row", r->name, bg_statistic_name((bg_statistic)st), want);
            bg__format_ns(e->lo, a, sizeof a);
            bg__format_ns(e->hi, b, sizeof b);
            snprintf(want, sizeof want, "[%s,</span> <span class=\"nw\">%s]", a, b);
            if (!strstr(row, want))
                fail_msg("%s %s: no interval %s in its row", r->name, bg_statistic_name((bg_statistic)st), want);
        }
        *end = '<';
    }
    bg__run_free(&run);
    free(page);
}

/* Change points need runs of 10 commits: a shorter history says how many
 * of its commits have runs and how many more are needed. */
static void test_report_short_history(void **state)
{
    (void)state;
    char dir[400], path[500];
    snprintf(dir, sizeof dir, "%s/site-short", tmp);
    int rc = bg_env("BENCHGATE_GNUPLOT=/nonexistent", "report --history 8 --out '%s'", dir);
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *index = slurp(path);
    assert_non_null(index);
    const char *cp = strstr(index, "<h2>Change points</h2>");
    assert_non_null(cp);
    assert_non_null(strstr(cp, "8 of the 8 commit(s) in the history have a run; change points need runs of at "
                               "least 10 commits (2 more): 5 on each side of a change, 2 at the ends of the history."));
    assert_null(strstr(cp, "None detected"));
    /* the median beside the mean, and which one the verdicts use */
    assert_non_null(strstr(index, "<th>estimate (mean, 95% CI)</th><th>median (95% CI)</th>"));
    assert_non_null(strstr(index, "Verdicts compare the mean time per iteration"));
    /* the history table names each commit by subject, author and date */
    assert_non_null(strstr(index, "<th>commit</th><th>subject</th><th>author</th><th>date</th><th>run</th>"));
    assert_non_null(strstr(index, "</a></td><td>c8</td><td>"));
    free(index);
}

/* A shift at the end of a history (tools/make-history.sh: benchmark 0
 * +8 % from commit STEP of 24): in the newest two commits it is a change
 * point at its first commit; in the newest commit alone, a suspected
 * change awaiting the next run. */
static void test_report_change_at_the_end(void **state)
{
    (void)state;
    static const struct {
        int step;
        const char *want;
    } cases[] = {
        {23, "</code></a> change 23 <small"},
        {24, "Suspected change in <a href=\"bench-bench-00-sort"},
    };
    for (size_t i = 0; i < 2; i++) {
        char dir[400], path[500];
        snprintf(dir, sizeof dir, "%s/end-%d", tmp, cases[i].step);
        sh("sh '%s/../../tools/make-history.sh' '%s' 24 4 %d >/dev/null && cd '%s' && "
           "BENCHGATE_GNUPLOT=/nonexistent '%s' report --out report >/dev/null 2>&1",
           BG_FIXTURES_DIR, dir, cases[i].step, dir, BENCHGATE_EXE);
        snprintf(path, sizeof path, "%s/report/index.html", dir);
        char *index = slurp(path);
        assert_non_null(index);
        const char *cp = strstr(index, "<h2>Change points</h2>");
        const char *end = cp ? strstr(cp, "<h2>History") : NULL;
        assert_non_null(end);
        const char *hit = strstr(cp, cases[i].want);
        if (!hit || hit > end)
            fail_msg("step %d: no '%s' among the change points:\n%.*s", cases[i].step, cases[i].want,
                     (int)(end - cp), cp);
        if (cases[i].step == 24) { /* one run: not (yet) a change point of bench_00 */
            const char *not = strstr(cp, "</code></a> change 24 <small");
            assert_true(!not || not > end);
        }
        free(index);
    }
}

/* All plots of one report come from one gnuplot process: a stand-in
 * gnuplot logs each start, then runs the real one (or, without it, reads
 * its script). */
static void test_report_one_gnuplot(void **state)
{
    (void)state;
    char dir[400], sub[450], prog[400], log[400], env[900];
    snprintf(dir, sizeof dir, "%s/site-one", tmp);
    snprintf(prog, sizeof prog, "%s/gnuplot-counting", tmp);
    snprintf(log, sizeof log, "%s/gnuplot-starts.log", tmp);
    FILE *f = fopen(prog, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\necho start >> '%s'\n", log);
    if (have_gnuplot())
        fputs("exec gnuplot \"$@\"\n", f);
    else
        fputs("exec cat >/dev/null\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(prog, 0755), 0);
    unlink(log);
    snprintf(env, sizeof env, "BENCHGATE_GNUPLOT='%s'", prog);
    int rc = bg_env(env, "report --out '%s'", dir);
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
    char *starts = slurp(log);
    assert_non_null(starts);
    assert_string_equal(starts, "start\n");
    free(starts);
    if (have_gnuplot()) { /* and that one process drew every plot */
        snprintf(sub, sizeof sub, "%s/plots", dir);
        assert_int_equal(each_file(sub, ".svg", NULL), 5 * NB);
    }
}

/* Without gnuplot the same report is written, without plots, and says how
 * to get them; plots of an earlier report in the directory are removed. */
static void test_report_without_gnuplot(void **state)
{
    (void)state;
    char dir[400], sub[450], path[500];
    snprintf(dir, sizeof dir, "%s/site", tmp);
    int rc = bg_env("BENCHGATE_GNUPLOT=/nonexistent/gnuplot", "report --out '%s'", dir);
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
    assert_non_null(strstr(out, "gnuplot not found"));
    assert_int_equal(each_file(dir, ".html", no_images), 1 + NB + NCOMMITS - 1);
    snprintf(sub, sizeof sub, "%s/plots", dir);
    assert_int_equal(each_file(sub, ".svg", NULL), 0);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *index = slurp(path);
    assert_non_null(strstr(index, "apt-get install gnuplot-nox"));
    assert_non_null(strstr(index, "/nonexistent/gnuplot"));
    free(index);
}

static void test_report_range_and_file(void **state)
{
    (void)state;
    char dir[400], path[500];
    snprintf(dir, sizeof dir, "%s/range", tmp);
    int rc = bg("report --out '%s' %.12s..%.12s", dir, ids[4], ids[11]);
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
    /* Commits 5..11 and 4 itself, each with a run. */
    assert_int_equal(each_file(dir, ".html", NULL), 1 + NB + 8);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *index = slurp(path);
    char want[128];
    snprintf(want, sizeof want, "commit %.12s</a>", ids[4]);
    assert_non_null(strstr(index, want)); /* the baseline is the range's start */
    snprintf(want, sizeof want, "commit %.12s</a>", ids[11]);
    assert_non_null(strstr(index, want));
    assert_non_null(strstr(index, "&#9650; regressed")); /* stepper, 4 -> 11 */
    free(index);

    /* A run file as the head: its commit's history comes with it. */
    bg_run run;
    make_run(&run, NCOMMITS - 1, MACHINE);
    char file[400], err[512];
    snprintf(file, sizeof file, "%s/head-run.json", tmp);
    assert_int_equal(bg__record_write(&run, file, err, sizeof err), 0);
    bg__run_free(&run);
    snprintf(dir, sizeof dir, "%s/fromfile", tmp);
    rc = bg_env("BENCHGATE_GNUPLOT=/nonexistent/gnuplot", "report --out '%s' '%s'", dir, file);
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
    snprintf(path, sizeof path, "%s/index.html", dir);
    index = slurp(path);
    assert_non_null(strstr(index, "run file head-run.json of commit"));
    free(index);
}

static void test_export_import_cli(void **state)
{
    (void)state;
    char gb[400], trace[400], store2[400];
    snprintf(gb, sizeof gb, "%s/export.json", tmp);
    snprintf(trace, sizeof trace, "%s/trace.json", tmp);
    snprintf(store2, sizeof store2, "%s/store2", tmp);
    int rc = bg("export --format gbench --out '%s' HEAD", gb);
    if (rc != 0)
        fail_msg("export exited %d:\n%s", rc, out);
    rc = bg("import gbench '%s' --commit HEAD~1 --store '%s'", gb, store2);
    if (rc != 0)
        fail_msg("import exited %d:\n%s", rc, out);
    assert_non_null(strstr(out, "imported 4 benchmark(s), 12 repetition(s)"));
    assert_int_equal(bg("export --format gbench --store '%s' HEAD~1", store2), 0);
    cJSON *a = parse_file(gb), *b = cJSON_Parse(out);
    assert_non_null(b);
    const cJSON *ea = cJSON_GetObjectItem(a, "benchmarks"), *eb = cJSON_GetObjectItem(b, "benchmarks");
    assert_int_equal(cJSON_GetArraySize(ea), cJSON_GetArraySize(eb));
    for (int i = 0; i < cJSON_GetArraySize(ea); i++) {
        const cJSON *x = cJSON_GetArrayItem(ea, i), *y = cJSON_GetArrayItem(eb, i);
        assert_string_equal(cJSON_GetObjectItem(x, "name")->valuestring, cJSON_GetObjectItem(y, "name")->valuestring);
        double rx = cJSON_GetObjectItem(x, "real_time")->valuedouble;
        double ry = cJSON_GetObjectItem(y, "real_time")->valuedouble;
        if (!(rx == ry || ((rx - ry) / rx < 1e-12 && (ry - rx) / rx < 1e-12)))
            fail_msg("entry %d: real_time %.17g became %.17g", i, rx, ry);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    /* A report over the imported run (one sample per process) works. */
    char dir[400];
    snprintf(dir, sizeof dir, "%s/imported-site", tmp);
    rc = bg("report --store '%s' --out '%s' HEAD~1", store2, dir);
    if (rc != 0)
        fail_msg("report of the imported run exited %d:\n%s", rc, out);

    assert_int_equal(bg("export --format trace --out '%s' HEAD", trace), 0);
    cJSON *t = parse_file(trace);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(t, "traceEvents")) > NB * 3 * 8);
    cJSON_Delete(t);
    assert_int_equal(bg("export --format csv HEAD"), 0);
    assert_non_null(strstr(out, "commit,machine,benchmark,status,statistic,"));
    assert_non_null(strstr(out, ",\"a\"\"b\\c\",ok,mean,"));
}

/* Criterion.rs results imported at two commits: compared and reported
 * like measured runs (the fixtures' head doubles sum_1k's work). */
static void test_import_criterion_cli(void **state)
{
    (void)state;
    char store3[400], site[400];
    snprintf(store3, sizeof store3, "%s/store-criterion", tmp);
    snprintf(site, sizeof site, "%s/criterion-site", tmp);
    int rc = bg("import criterion '%s/criterion/base' --commit HEAD~1 --store '%s'", BG_FIXTURES_DIR, store3);
    if (rc != 0)
        fail_msg("import exited %d:\n%s", rc, out);
    assert_non_null(strstr(out, "imported 2 benchmark(s)"));
    assert_int_equal(bg("import criterion '%s/criterion/head' --commit HEAD --store '%s'", BG_FIXTURES_DIR, store3), 0);
    rc = bg("compare HEAD~1 HEAD --store '%s' --color never", store3);
    if (rc != 1)
        fail_msg("compare exited %d, want 1:\n%s", rc, out);
    assert_true(line_has(out, "sum_1k", "regressed"));
    assert_non_null(strstr(out, "fib/20"));
    rc = bg("report --store '%s' --out '%s' HEAD", store3, site);
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
}

static void test_usage_errors(void **state)
{
    (void)state;
    assert_int_equal(bg("export HEAD"), 2);
    assert_non_null(strstr(out, "--format csv, gbench or trace"));
    assert_int_equal(bg("export --format xml HEAD"), 2);
    assert_non_null(strstr(out, "'xml'"));
    assert_int_equal(bg("export --format csv no-such-ref"), 2);
    assert_non_null(strstr(out, "cannot resolve 'no-such-ref'"));
    assert_int_equal(bg("import gbench"), 2);
    assert_int_equal(bg("import csv x.csv"), 2);
    assert_non_null(strstr(out, "import gbench FILE | criterion DIR"));
    assert_int_equal(bg("import criterion /nonexistent/dir"), 2);
    assert_non_null(strstr(out, "/nonexistent/dir"));
    assert_int_equal(bg("import gbench /nonexistent/x.json"), 2);
    assert_non_null(strstr(out, "cannot read /nonexistent/x.json"));
    assert_int_equal(bg("import gbench f --commit no-such-ref"), 2);
    assert_int_equal(bg("report --history 0"), 2);
    assert_int_equal(bg("report --bogus"), 2);
    assert_non_null(strstr(out, "unknown option '--bogus'"));
    assert_int_equal(bg("report no-such-ref"), 2);
    assert_non_null(strstr(out, "cannot resolve 'no-such-ref'"));
    assert_int_equal(bg("report HEAD...HEAD~1"), 2);
    assert_int_equal(bg("report --help"), 0);
    assert_non_null(strstr(out, "usage: benchgate report"));
    char empty[400];
    snprintf(empty, sizeof empty, "%s/empty-store", tmp);
    assert_int_equal(bg("report --store '%s' --out '%s/x'", empty, tmp), 2);
    assert_non_null(strstr(out, "no stored run"));
    /* A baseline from another machine is refused unless forced. */
    assert_int_equal(bg_env("BENCHGATE_GNUPLOT=/nonexistent", "report --out '%s/x' --base %s", tmp, ids[OTHER_ONLY]), 0);
    char file[400], err[512];
    bg_run run;
    make_run(&run, 1, OTHER);
    snprintf(file, sizeof file, "%s/other.json", tmp);
    assert_int_equal(bg__record_write(&run, file, err, sizeof err), 0);
    bg__run_free(&run);
    assert_int_equal(bg("report --out '%s/x' --base '%s'", tmp, file), 2);
    assert_non_null(strstr(out, "different machines"));
    assert_int_equal(bg_env("BENCHGATE_GNUPLOT=/nonexistent", "report --out '%s/x' --base '%s' --force", tmp, file), 0);
}

/* A gnuplot that fails, and a corrupt run file in the store: the report is
 * still written, says what went wrong and names the file. */
static void test_report_faults(void **state)
{
    (void)state;
    char dir[400], path[600];
    snprintf(dir, sizeof dir, "%s/faults", tmp);
    snprintf(path, sizeof path, "%s/.benchgate/runs/%s/%s/9999999999-1-corrupt.json", repo, ids[5], MACHINE);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"schema\": \"benchgate.run\", \"schema_version\": 1, \"benchmarks\": [", f);
    assert_int_equal(fclose(f), 0);
    int rc = bg_env("BENCHGATE_GNUPLOT=/bin/false", "report --out '%s'", dir);
    unlink(path);
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
    assert_non_null(strstr(out, "9999999999-1-corrupt.json"));
    assert_non_null(strstr(out, "/bin/false failed"));
    assert_int_equal(each_file(dir, ".html", no_images), 1 + NB + NCOMMITS - 1);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *index = slurp(path);
    assert_non_null(strstr(index, "/bin/false failed (exit 1)"));
    free(index);
}

/* A second run of HEAD is compared with the earlier one of the same
 * commit, as the bench binary's --baseline auto does. */
static void test_report_earlier_run_baseline(void **state)
{
    (void)state;
    bg_run run;
    make_run(&run, NCOMMITS - 1, MACHINE);
    run.created_unix += 3600;
    bg_result *r = &run.results[1];
    for (size_t p = 0; p < r->nprocs; p++)
        for (size_t j = 0; j < r->procs[p].n; j++)
            r->procs[p].wall_ns[j] *= 1.5;
    assert_int_equal(bg__summarize_result(&run.config, r), 0);
    char *json = bg__record_to_json(&run), *saved = NULL;
    bg__run_free(&run);
    bg_store *st = NULL;
    char err[512] = "", dir[400];
    snprintf(dir, sizeof dir, "%s/.benchgate", repo);
    assert_int_equal(bg_store_open(&st, dir, NULL, err, sizeof err), 0);
    assert_int_equal(bg_store_save(st, json, ids[NCOMMITS - 1], MACHINE, &saved, err, sizeof err), 0);
    bg_store_close(&st);
    free(json);
    snprintf(dir, sizeof dir, "%s/rerun", tmp);
    int rc = bg_env("BENCHGATE_GNUPLOT=/nonexistent", "report --out '%s'", dir);
    unlink(saved);
    free(saved);
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
    char path[500];
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *index = slurp(path);
    char want[128];
    snprintf(want, sizeof want, "earlier run of commit %.12s</a>", ids[NCOMMITS - 1]);
    assert_non_null(strstr(index, want));
    const char *row = strstr(index, ">stepper</a>");
    assert_non_null(row);
    const char *end = strstr(row, "</tr>");
    assert_non_null(end);
    const char *reg = strstr(row, "&#9650; regressed");
    assert_true(reg && reg < end);
    assert_true(has_file(dir, "run-base.html"));
    free(index);
}

/* The row of benchmark `name` in the index's change point table, or NULL
 * when it has none there. */
static const char *cp_row(const char *index, const char *name)
{
    const char *cp = strstr(index, "<h2>Change points</h2>");
    assert_non_null(cp);
    char want[128];
    snprintf(want, sizeof want, ">%s</a>", name);
    return strstr(cp, want);
}

/* The number at the start of the k-th (from 0) numeric cell after s;
 * *rest is what follows it. */
static double num_cell(const char *s, int k, char **rest)
{
    static const char td[] = "<td class=\"num\">";
    const char *cell = s;
    for (int i = 0; i <= k; i++) {
        cell = strstr(cell, td);
        assert_non_null(cell);
        cell += strlen(td);
    }
    return strtod(cell, rest);
}

/* steady's index row and change point, about instructions: regressed by
 * about 10 % (the head's figure 3300 in the first number cell, the
 * baseline's 3000 in cell base_cell and the change after it, plain counts),
 * its change point at INSTR_STEP. */
static void check_steady_instructions(const char *index, int base_cell)
{
    const char *row = strstr(index, ">steady</a>");
    assert_non_null(row);
    const char *end = strstr(row, "</tr>");
    assert_non_null(end);
    const char *reg = strstr(row, "&#9650; regressed");
    if (!reg || reg > end)
        fail_msg("steady is not regressed in instructions:\n%.*s", (int)(end - row), row);
    /* the last digit of the figures differs between builds */
    char *rest;
    double head_fig = num_cell(row, 0, &rest);
    assert_true(!strncmp(rest, "</td>", 5) && fabs(head_fig / 3300 - 1) < 0.002);
    double base_fig = num_cell(row, base_cell, &rest);
    assert_true(!strncmp(rest, "</td>", 5) && fabs(base_fig / 3000 - 1) < 0.002);
    double change = num_cell(row, base_cell + 1, &rest);
    assert_true(rest < end && !strncmp(rest, "%", 1) && fabs(change - 10) < 0.2);
    row = cp_row(index, "steady");
    if (!row)
        fail_msg("no change point for steady in instructions:\n%s", strstr(index, "<h2>Change points</h2>"));
    char want[64];
    snprintf(want, sizeof want, "<code>%.12s</code>", ids[INSTR_STEP]);
    assert_non_null(strstr(row, want));
    change = num_cell(row, 0, &rest);
    if (strncmp(rest, "%", 1) != 0 || !(fabs(change - 10) < 0.2))
        fail_msg("steady's change point: %.300s", row);
}

/* --metric instructions: the comparison, the histories and the change
 * points are about instructions per iteration, where "steady" stepped up
 * by 10 % at INSTR_STEP while its time stayed flat; the commit whose run
 * has no counters is left out of that history. */
static void test_report_metric(void **state)
{
    (void)state;
    char dir[400], path[500], want[512];
    snprintf(dir, sizeof dir, "%s/metric", tmp);
    int rc = bg("report --metric instructions --base %.12s --out '%s'", ids[INSTR_STEP - 1], dir);
    if (rc != 0)
        fail_msg("report --metric instructions exited %d:\n%s", rc, out);
    assert_int_equal(each_file(dir, ".html", no_raw_markup), 1 + NB + NCOMMITS - 1);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *index = slurp(path);
    assert_non_null(index);
    assert_non_null(strstr(index, "<h1>Benchmarks: instructions per iteration</h1>"));
    assert_non_null(strstr(index, "<th>instructions per iteration (mean)</th>"));
    /* steady: regressed by about 10 %, its figures plain counts; its change
     * point where its instructions stepped */
    check_steady_instructions(index, 1);
    /* stepper's time stepped, its instructions did not */
    const char *row = strstr(index, ">stepper</a>");
    assert_non_null(row);
    const char *end = strstr(row, "</tr>");
    const char *unch = strstr(row, "= unchanged");
    assert_true(unch && unch < end);
    /* stepper has no change point in instructions */
    assert_null(cp_row(index, "stepper"));
    free(index);

    char bench[64];
    bg__name_slug(NAMES[0], bench, sizeof bench);
    snprintf(path, sizeof path, "%s/bench-%s.html", dir, bench);
    char *page = slurp(path);
    assert_non_null(page);
    assert_non_null(strstr(page, "<title>steady: instructions per iteration</title>"));
    assert_non_null(strstr(page, "<h2>History: instructions per iteration</h2>"));
    assert_non_null(strstr(page, "about the samples' wall time"));
    free(page);
    if (!have_gnuplot()) {
        print_message("gnuplot is not installed: plots not checked\n");
        return;
    }
    snprintf(path, sizeof path, "%s/plots/%s-hist.svg", dir, bench);
    char *svg = slurp(path);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "steady: instructions per iteration per commit"));
    assert_non_null(strstr(svg, "instructions per iteration (thousands)"));
    assert_null(strstr(svg, "time per iteration"));
    free(svg);
    /* the commit whose run has no counters is left out, not plotted as 0:
     * of the 14 commits, that one and the one run on another machine */
    snprintf(path, sizeof path, "%s/index.html", dir);
    index = slurp(path);
    assert_non_null(index);
    snprintf(want, sizeof want, "instructions per iteration of %d commits: ", NCOMMITS - 2);
    const char *spark = strstr(strstr(index, ">steady</a>"), "title=\"");
    assert_non_null(spark);
    if (strncmp(spark + 7, want, strlen(want)) != 0)
        fail_msg("steady's history line says %.80s", spark + 7);
    free(index);
}

/* .benchgate.json: a rule's metric makes that benchmark's row, history and
 * change points about it (steady on instructions, which stepped up 10 % at
 * INSTR_STEP while its time stayed flat), its row and page saying so,
 * while the others stay on time; a file that cannot be read is an error
 * naming it and the line. Runs last: it writes the settings file into the
 * repository (and removes it). */
static void test_report_settings_metric(void **state)
{
    (void)state;
    char dir[400], path[500], settings[400];
    snprintf(settings, sizeof settings, "%s/.benchgate.json", repo);
    FILE *f = fopen(settings, "w");
    assert_non_null(f);
    fputs("{\n  \"benchmarks\": [\n    {\"match\": \"steady\", \"metric\": \"instructions\"}\n  ]\n}\n", f);
    assert_int_equal(fclose(f), 0);
    snprintf(dir, sizeof dir, "%s/settings", tmp);
    int rc = bg("report --base %.12s --out '%s'", ids[INSTR_STEP - 1], dir);
    if (rc != 0)
        fail_msg("report with a settings rule's metric exited %d:\n%s", rc, out);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *index = slurp(path);
    assert_non_null(index);
    /* the index is about time; steady's row about instructions, and says so */
    assert_non_null(strstr(index, "<th>estimate (mean, "));
    const char *row = strstr(index, ">steady</a>");
    assert_non_null(row);
    const char *end = strstr(row, "</tr>");
    assert_non_null(end);
    const char *label = strstr(row, "metric instructions (rule at ");
    assert_true(label && label < end);
    assert_non_null(strstr(label, ".benchgate.json:3)"));
    check_steady_instructions(index, 2); /* cell 1: the median column, "-" */
    /* stepper stays on time: no label */
    row = strstr(index, ">stepper</a>");
    assert_non_null(row);
    end = strstr(row, "</tr>");
    label = strstr(row, "metric ");
    assert_true(!label || label > end);
    free(index);

    char bench[64];
    bg__name_slug(NAMES[0], bench, sizeof bench);
    snprintf(path, sizeof path, "%s/bench-%s.html", dir, bench);
    char *page = slurp(path);
    assert_non_null(page);
    assert_non_null(strstr(page, "<title>steady: instructions per iteration</title>"));
    assert_non_null(strstr(page, "<h2>History: instructions per iteration</h2>"));
    assert_non_null(strstr(page, "as its rule at <code>"));
    free(page);
    bg__name_slug(NAMES[1], bench, sizeof bench);
    snprintf(path, sizeof path, "%s/bench-%s.html", dir, bench);
    page = slurp(path);
    assert_non_null(page);
    assert_non_null(strstr(page, "<title>stepper</title>"));
    assert_null(strstr(page, "Metric: "));
    free(page);
    if (have_gnuplot()) {
        bg__name_slug(NAMES[0], bench, sizeof bench);
        snprintf(path, sizeof path, "%s/plots/%s-hist.svg", dir, bench);
        char *svg = slurp(path);
        assert_non_null(svg);
        assert_non_null(strstr(svg, "instructions per iteration (thousands)"));
        free(svg);
    }

    /* a file that cannot be read: exit 2 naming it and the line */
    f = fopen(settings, "w");
    assert_non_null(f);
    fputs("{\n  \"benchmarks\": [{\"match\": \"x\" \"ignore\": true}]\n}\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(bg("report --out '%s'", dir), 2);
    assert_non_null(strstr(out, ".benchgate.json:2"));
    unlink(settings);
}

/* The same history by time: no change point for steady at INSTR_STEP
 * (its time is flat), and the commit without counters is plotted. */
static void test_report_metric_time_default(void **state)
{
    (void)state;
    char dir[400], path[500], want[64];
    snprintf(dir, sizeof dir, "%s/metric-time", tmp);
    int rc = bg_env("BENCHGATE_GNUPLOT=/nonexistent", "report --base %.12s --out '%s'", ids[INSTR_STEP - 1], dir);
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *index = slurp(path);
    assert_non_null(index);
    assert_non_null(strstr(index, "<h1>Benchmarks</h1>"));
    const char *row = cp_row(index, "steady");
    snprintf(want, sizeof want, "<code>%.12s</code>", ids[INSTR_STEP]);
    if (row) {
        const char *end = strstr(row, "</tr>");
        const char *at = strstr(row, want);
        assert_false(at && at < end);
    }
    assert_non_null(cp_row(index, "stepper"));
    free(index);
}

/* A name no run records, and a ratio, are refused before anything is
 * written, naming the metric and what the run has. */
static void test_report_metric_refused(void **state)
{
    (void)state;
    char dir[400];
    snprintf(dir, sizeof dir, "%s/metric-refused", tmp);
    assert_int_equal(bg("report --metric instrucions --out '%s'", dir), 2);
    assert_non_null(strstr(out, "'instrucions'"));
    assert_non_null(strstr(out, "time, cpu, instructions"));
    assert_int_equal(access(dir, F_OK), -1);
    assert_int_equal(bg("report --metric ipc --out '%s'", dir), 2);
    assert_non_null(strstr(out, "'ipc' is a ratio"));
    assert_non_null(strstr(out, "instructions, cycles"));
    assert_int_equal(bg("report --metric '' --out '%s'", dir), 2);
    assert_int_equal(bg("report --metric nope --out '%s' '%s/head-run.json'", dir, tmp), 2);
    assert_non_null(strstr(out, "no benchmark of either run recorded the metric 'nope'"));
    /* without a baseline (a run outside any commit) the head alone is checked */
    bg_run run;
    make_run(&run, 0, MACHINE);
    run.git_commit[0] = '\0';
    char file[400], err[512];
    snprintf(file, sizeof file, "%s/no-commit.json", tmp);
    assert_int_equal(bg__record_write(&run, file, err, sizeof err), 0);
    bg__run_free(&run);
    assert_int_equal(bg("report --metric nope --out '%s' '%s'", dir, file), 2);
    assert_non_null(strstr(out, "no benchmark of the run recorded the metric 'nope'"));
    assert_int_equal(bg_env("BENCHGATE_GNUPLOT=/nonexistent", "report --metric instructions --out '%s' '%s'", dir, file), 0);
}

/* --metric with a baseline whose benchmarks differ from the head's: a
 * benchmark only in the head (new) and one only in the baseline (gone)
 * get pages whose comparison says "-" for the missing side. */
static void test_report_metric_one_sided(void **state)
{
    (void)state;
    char dir[400], head[400], base[400], path[500], err[512];
    bg_run run;
    make_run(&run, 0, MACHINE);
    bg__result_free(&run.results[NB - 1]); /* the baseline lacks the last benchmark */
    run.nresults = NB - 1;
    snprintf(base, sizeof base, "%s/one-sided-base.json", tmp);
    assert_int_equal(bg__record_write(&run, base, err, sizeof err), 0);
    bg__run_free(&run);
    make_run(&run, 1, MACHINE);
    bg__result_free(&run.results[0]); /* the head lacks the first */
    memmove(run.results, run.results + 1, (NB - 1) * sizeof *run.results);
    run.nresults = NB - 1;
    snprintf(head, sizeof head, "%s/one-sided-head.json", tmp);
    assert_int_equal(bg__record_write(&run, head, err, sizeof err), 0);
    bg__run_free(&run);
    snprintf(dir, sizeof dir, "%s/metric-one-sided", tmp);
    int rc = bg_env("BENCHGATE_GNUPLOT=/nonexistent", "report --metric instructions --base '%s' --out '%s' '%s'",
                base, dir, head);
    if (rc != 0)
        fail_msg("report --metric with one-sided benchmarks exited %d:\n%s", rc, out);
    char slug[64];
    for (int k = 0; k < 2; k++) {
        bg__name_slug(NAMES[k ? NB - 1 : 0], slug, sizeof slug);
        snprintf(path, sizeof path, "%s/bench-%s.html", dir, slug);
        char *page = slurp(path);
        assert_non_null(page);
        assert_non_null(strstr(page, k ? "baseline -</p>" : "head -,"));
        free(page);
    }
}

/* Writes the run of commit k, made in `mode`, to tmp/<name>; its path in
 * path. */
static void write_mode_run(size_t k, bg_mode mode, const char *name, char *path, size_t n)
{
    bg_run run;
    char err[512];
    make_run(&run, k, MACHINE);
    run.config.mode = mode;
    snprintf(path, n, "%s/%s", tmp, name);
    if (bg__record_write(&run, path, err, sizeof err) != 0)
        fail_msg("cannot write %s: %s", path, err);
    bg__run_free(&run);
}

/* The index row of benchmark `name` (from its link to its </tr>), copied
 * into buf. */
static void index_row(const char *index, const char *name, char *buf, size_t n)
{
    char link[128];
    snprintf(link, sizeof link, ">%s</a>", name);
    const char *row = strstr(index, link);
    if (!row)
        fail_msg("no row for %s in the index", name);
    const char *end = strstr(row, "</tr>");
    assert_non_null(end);
    snprintf(buf, n, "%.*s", (int)(end - row), row);
}

/* Two instruction-mode runs without --metric: the whole index is about
 * instructions, the metric line says why, and the change column holds the
 * instruction change (steady +10 %), not the time change (0 %). */
static void test_report_instruction_mode_default(void **state)
{
    (void)state;
    char head[400], base[400], dir[400], path[500], row[4096];
    write_mode_run(INSTR_STEP - 1, BG_MODE_INSTR_VALGRIND, "instr-base.json", base, sizeof base);
    write_mode_run(INSTR_STEP, BG_MODE_INSTR_VALGRIND, "instr-head.json", head, sizeof head);
    snprintf(dir, sizeof dir, "%s/instr-default", tmp);
    int rc = bg_env("BENCHGATE_GNUPLOT=/nonexistent", "report --base '%s' --out '%s' '%s'", base, dir, head);
    if (rc != 0)
        fail_msg("report of two instruction-mode runs exited %d:\n%s", rc, out);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *index = slurp(path);
    assert_non_null(index);
    assert_non_null(strstr(index, "<h1>Benchmarks: instructions per iteration</h1>"));
    assert_null(strstr(index, "(wall clock)"));
    assert_non_null(strstr(index, "(the default for instruction-mode runs)"));
    index_row(index, "steady", row, sizeof row);
    char *rest;
    double change = num_cell(row, 2, &rest);
    if (strncmp(rest, "%", 1) != 0 || !(fabs(change - 10) < 0.2))
        fail_msg("steady's change is not its instruction change (+10 %%):\n%s", row);
    assert_non_null(strstr(row, "&#9650; regressed"));
    index_row(index, "stepper", row, sizeof row);
    assert_non_null(strstr(row, "= unchanged"));
    free(index);
    /* an explicit --metric time is still honoured */
    snprintf(dir, sizeof dir, "%s/instr-time", tmp);
    rc = bg_env("BENCHGATE_GNUPLOT=/nonexistent", "report --metric time --base '%s' --out '%s' '%s'", base, dir, head);
    if (rc != 0)
        fail_msg("report --metric time of two instruction-mode runs exited %d:\n%s", rc, out);
    snprintf(path, sizeof path, "%s/index.html", dir);
    index = slurp(path);
    assert_non_null(index);
    assert_non_null(strstr(index, "<h1>Benchmarks</h1>"));
    index_row(index, "steady", row, sizeof row);
    assert_non_null(strstr(row, "= unchanged"));
    free(index);
}

/* A head and a baseline of different --mode without --metric: compared on
 * instructions when both recorded them; otherwise the report is written
 * without the comparison, saying why (not refused). An explicit --metric
 * the modes do not share is still refused. */
static void test_report_mixed_modes(void **state)
{
    (void)state;
    char head[400], base[400], bare[400], dir[400], path[500], row[4096];
    write_mode_run(INSTR_STEP - 1, BG_MODE_TIME, "mixed-base.json", base, sizeof base);
    write_mode_run(INSTR_STEP, BG_MODE_INSTR_VALGRIND, "mixed-head.json", head, sizeof head);
    write_mode_run(NO_COUNTERS, BG_MODE_TIME, "mixed-bare.json", bare, sizeof bare);
    snprintf(dir, sizeof dir, "%s/mixed", tmp);
    int rc = bg_env("BENCHGATE_GNUPLOT=/nonexistent", "report --base '%s' --out '%s' '%s'", base, dir, head);
    if (rc != 0)
        fail_msg("report of mixed-mode runs exited %d:\n%s", rc, out);
    snprintf(path, sizeof path, "%s/index.html", dir);
    char *index = slurp(path);
    assert_non_null(index);
    assert_non_null(strstr(index, "<h1>Benchmarks: instructions per iteration</h1>"));
    assert_non_null(strstr(index, "compared on instructions, which both recorded"));
    index_row(index, "steady", row, sizeof row);
    char *rest;
    double change = num_cell(row, 2, &rest);
    if (strncmp(rest, "%", 1) != 0 || !(fabs(change - 10) < 0.2))
        fail_msg("steady's change is not its instruction change (+10 %%):\n%s", row);
    free(index);

    /* the baseline recorded no instructions: no comparison, a note */
    snprintf(dir, sizeof dir, "%s/mixed-bare", tmp);
    rc = bg_env("BENCHGATE_GNUPLOT=/nonexistent", "report --base '%s' --out '%s' '%s'", bare, dir, head);
    if (rc != 0)
        fail_msg("report of mixed-mode runs without a shared counter exited %d:\n%s", rc, out);
    assert_non_null(strstr(out, "not compared: it was made in --mode time, the head in --mode "
                                "instructions:valgrind"));
    snprintf(path, sizeof path, "%s/index.html", dir);
    index = slurp(path);
    assert_non_null(index);
    assert_non_null(strstr(index, "<dt>baseline</dt><dd><span class=\"note\">"));
    assert_non_null(strstr(index, "not compared: it was made in --mode time"));
    assert_non_null(strstr(index, "<h1>Benchmarks: instructions per iteration</h1>"));
    index_row(index, "steady", row, sizeof row);
    assert_non_null(strstr(row, "no baseline"));
    assert_null(strstr(row, "&#9650; regressed"));
    free(index);

    /* asked for time across the modes: refused, naming both */
    snprintf(dir, sizeof dir, "%s/mixed-time", tmp);
    assert_int_equal(bg("report --metric time --base '%s' --out '%s' '%s'", base, dir, head), 2);
    assert_non_null(strstr(out, "different modes"));
    assert_int_equal(access(dir, F_OK), -1);
}

/* Occurrences of `needle` in s up to `end` (NULL: the end of s). */
static size_t count_in(const char *s, const char *end, const char *needle)
{
    size_t n = 0;
    for (const char *q = strstr(s, needle); q && (!end || q < end); q = strstr(q + 1, needle))
        n++;
    return n;
}

/* A benchmark whose second process recorded no samples: the fit plot has
 * one series per process with samples, each titled with its own process
 * and holding that process's points (an empty block once shifted gnuplot's
 * "index" of every later process by one). */
static void test_report_fit_skips_empty_process(void **state)
{
    (void)state;
    if (!have_gnuplot()) {
        print_message("gnuplot is not installed: fit plot not checked\n");
        return;
    }
    static const size_t nsamples[] = {8, 0, 5, 3};
    bg_run run;
    make_run(&run, 0, MACHINE);
    bg_result *r = &run.results[0];
    bg__result_free(r); /* its processes; the name is the test's */
    r->name = NAMES[0];
    r->nprocs = 4;
    r->procs = calloc(4, sizeof *r->procs);
    assert_non_null(r->procs);
    for (size_t p = 0; p < 4; p++) {
        bg_proc *pr = &r->procs[p];
        pr->n = nsamples[p];
        pr->iters = calloc(8, sizeof(double));
        pr->wall_ns = calloc(8, sizeof(double));
        pr->cpu_ns = calloc(8, sizeof(double));
        assert_true(pr->iters && pr->wall_ns && pr->cpu_ns);
        for (size_t j = 0; j < pr->n; j++) {
            pr->iters[j] = 100.0 * (double)(j + 1);
            pr->wall_ns[j] = pr->cpu_ns[j] = pr->iters[j] * (1000 + 10 * (double)p);
        }
    }
    /* the estimates over the processes with samples (the statistics take
     * no empty group), as a run whose process recorded nothing has them */
    bg_proc full[3] = {r->procs[0], r->procs[2], r->procs[3]};
    bg_result t = *r;
    t.procs = full;
    t.nprocs = 3;
    assert_int_equal(bg__summarize_result(&run.config, &t), 0);
    r->wall = t.wall;
    r->cpu_per_iter_ns = t.cpu_per_iter_ns;
    r->has_summary = true;
    char file[400], dir[400], path[600], err[512];
    snprintf(file, sizeof file, "%s/empty-process.json", tmp);
    assert_int_equal(bg__record_write(&run, file, err, sizeof err), 0);
    bg__run_free(&run);
    snprintf(dir, sizeof dir, "%s/empty-process", tmp);
    int rc = bg("report --out '%s' '%s'", dir, file);
    if (rc != 0)
        fail_msg("report with an empty process exited %d:\n%s", rc, out);
    char slug[64];
    bg__name_slug(NAMES[0], slug, sizeof slug);
    snprintf(path, sizeof path, "%s/plots/%s-fit.svg", dir, slug);
    char *svg = slurp(path);
    if (!svg)
        fail_msg("no fit plot %s:\n%s", path, out);
    /* the series: the fitted slope (and its band), then processes 1, 3 and
     * 4, each a group of the SVG holding its key text, its samples' points
     * and its key swatch */
    assert_null(strstr(svg, "<text>process 2</text>"));
    static const int procs[] = {1, 3, 4};
    for (size_t k = 0; k < 3; k++) {
        char title[64];
        snprintf(title, sizeof title, "<text>process %d</text>", procs[k]);
        const char *at = strstr(svg, title);
        if (!at)
            fail_msg("the fit plot has no series titled 'process %d'", procs[k]);
        assert_null(strstr(at + 1, title));
        const char *end = strstr(at, "<g id=\"gnuplot_plot_");
        size_t pts = count_in(at, end, "<use xlink:href='#gpPt");
        if (pts != nsamples[procs[k] - 1] + 1)
            fail_msg("series 'process %d' draws %zu points, want its %zu samples and its key swatch", procs[k],
                     pts, nsamples[procs[k] - 1]);
    }
    free(svg);
}

/* A run with GPU rows: the benchmark page shows every kernel and copy (names
 * escaped) and each process's GPU state. */
static void test_report_gpu_breakdown(void **state)
{
    (void)state;
    bg_run run;
    make_run(&run, NCOMMITS - 1, MACHINE);
    bg_proc *p = &run.results[0].procs[0];
    p->activity = calloc(4, sizeof *p->activity);
    assert_non_null(p->activity);
    p->nactivity = 4;
    p->activity[0] = (bg_activity){.kind = BG_ACT_KERNEL, .name = "void scale<float>(float*, int)",
                                   .v = {3600, 3600 * 1500.0, 0, 0}};
    p->activity[1] = (bg_activity){.kind = BG_ACT_MEMCPY_DTOH, .name = "",
                                   .v = {7200, 7200 * 2000.0, 4096, 0}};
    p->activity[2] = (bg_activity){.kind = BG_ACT_GPU_START, .name = "Test GPU",
                                   .v = {1980, 3201, 41, 1}};
    p->activity[3] = (bg_activity){.kind = BG_ACT_GPU_END, .name = "Test GPU",
                                   .v = {1755, 3201, 83, 0x40}};
    char file[400], err[512], dir[400], path[600], slug[128];
    snprintf(file, sizeof file, "%s/gpu-run.json", tmp);
    assert_int_equal(bg__record_write(&run, file, err, sizeof err), 0);
    bg__name_slug(run.results[0].name, slug, sizeof slug);
    bg__run_free(&run);
    snprintf(dir, sizeof dir, "%s/gpu", tmp);
    int rc = bg_env("BENCHGATE_GNUPLOT=/nonexistent/gnuplot", "report --out '%s' '%s'", dir, file);
    if (rc != 0)
        fail_msg("report exited %d:\n%s", rc, out);
    snprintf(path, sizeof path, "%s/bench-%s.html", dir, slug);
    char *page = slurp(path);
    assert_non_null(page);
    /* Only process 1 has rows: per its 3600 iterations (100 + ... + 800). */
    assert_non_null(strstr(page, "<h3>GPU kernels and copies</h3>"));
    assert_non_null(strstr(page, "void scale&lt;float&gt;(float*, int)</td><td class=\"num\">1</td>"));
    assert_non_null(strstr(page, "memcpy DtoH 4 KiB</td><td class=\"num\">2</td>"));
    assert_non_null(strstr(page, "<h3>GPU state</h3>"));
    assert_non_null(strstr(page, "<td>end</td><td>Test GPU</td><td class=\"num\">1755 MHz</td>"));
    assert_non_null(strstr(page, "hardware thermal slowdown"));
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_history),
        cmocka_unit_test(test_report_without_gnuplot),
        cmocka_unit_test(test_report_commit_page),
        cmocka_unit_test(test_report_one_gnuplot),
        cmocka_unit_test(test_report_short_history),
        cmocka_unit_test(test_report_change_at_the_end),
        cmocka_unit_test(test_report_range_and_file),
        cmocka_unit_test(test_export_import_cli), cmocka_unit_test(test_import_criterion_cli),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_report_faults),
        cmocka_unit_test(test_report_earlier_run_baseline),
        cmocka_unit_test(test_report_metric),
        cmocka_unit_test(test_report_metric_time_default),
        cmocka_unit_test(test_report_metric_refused),
        cmocka_unit_test(test_report_metric_one_sided),
        cmocka_unit_test(test_report_instruction_mode_default),
        cmocka_unit_test(test_report_mixed_modes),
        cmocka_unit_test(test_report_fit_skips_empty_process),
        cmocka_unit_test(test_report_gpu_breakdown),
        cmocka_unit_test(test_report_settings_metric), /* last: it writes .benchgate.json */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
