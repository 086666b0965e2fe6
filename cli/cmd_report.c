/* The benchgate subcommands report, export and import: argument parsing
 * and files; the work is done by report_model.c, reporters/export.c and
 * import_gbench.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_cmds.h"
#include "bg_git.h"
#include "bg_report.h"
#include "bg_reporter.h"
#include "bg_store.h"

/* Reads the options of `prog` (a table whose ids index vals): a value goes
 * to vals[id], an option without one sets vals[id] to "" ; positional
 * arguments go to pos (at most maxpos). Returns 0, 1 after --help (the
 * caller prints it), or BG_EINVAL after a message. */
static int parse(const char *prog, const bg_opt *opts, int argc, char **argv, const char **vals,
                 const char **pos, size_t maxpos, size_t *npos)
{
    *npos = 0;
    bg_opt_parser p;
    bg_opt_init(&p, opts, prog, argc, argv, 0);
    const char *val;
    int id;
    while ((id = bg_opt_next(&p, &val)) != BG_OPT_END) {
        if (id == BG_OPT_ERROR)
            return BG_EINVAL;
        if (id == BG_OPT_HELP)
            return 1;
        if (id == BG_OPT_POS) {
            if (*npos >= maxpos) {
                bg_opt_unexpected(&p, val);
                return BG_EINVAL;
            }
            pos[(*npos)++] = val;
            continue;
        }
        vals[id] = val ? val : "";
    }
    return 0;
}

/* ---- report ---- */

enum { R_OUT = 1, R_STORE, R_BASE, R_HISTORY, R_THRESHOLD, R_ALPHA, R_METRIC, R_FORCE, R_N };

static const bg_opt REPORT_OPTIONS[] = {
    {R_OUT, "out", 0, "DIR", NULL, "where the site goes (default benchgate-report)"},
    {R_STORE, "store", 0, "DIR", NULL, "the run store (default: $BENCHGATE_DIR, else <repo>/.benchgate)"},
    {R_BASE, "base", 0, "REF|FILE", NULL, "the baseline: a commit-ish, run file or named baseline"},
    {R_HISTORY, "history", 0, "N", NULL, "first-parent commits in the history at most (default 1000)"},
    {R_THRESHOLD, "threshold", 0, "PCT", NULL, "noise threshold in percent (default 1)"},
    {R_ALPHA, "alpha", 0, "X", NULL, "significance level (default 0.05)"},
    {R_METRIC, "metric", 0, "NAME", "gate-on", "what the comparison, histories and change points are about"},
    {R_FORCE, "force", 0, NULL, NULL, "compare with a baseline from another machine"},
    {0, NULL, 0, NULL, NULL, NULL},
};

static void report_help(FILE *f)
{
    fputs("usage: benchgate report [--out DIR] [--store DIR] [--base REF|FILE] [--history N] [--metric NAME]\n"
          "                        [--threshold PCT] [--alpha A] [--force] [REF | A..B | RUN-FILE]\n"
          "\n"
          "Writes a static HTML report (index.html, a page per benchmark and per commit, SVG plots\n"
          "drawn by gnuplot) for the newest stored run of REF (default HEAD), or for a run file.\n"
          "History: REF's first-parent commits (at most --history, default 1000) with runs on the\n"
          "same machine, with change points. Baseline: --base (commit-ish, run file or named\n"
          "baseline), else A for A..B, else an earlier run of the head's commit, else the nearest\n"
          "older commit with a run. --out defaults to benchgate-report. Prints the index's path.\n"
          "Without gnuplot the pages are written without plots (apt-get install gnuplot-nox);\n"
          "$BENCHGATE_GNUPLOT names the gnuplot program.\n"
          "--metric NAME: what the comparison, histories and change points are about: time,\n"
          "cpu, or a recorded counter (instructions, allocs, peak_live_bytes, max_rss_bytes,\n"
          "...), as for compare --metric; distribution plots stay about time. Default:\n"
          "instructions when the head and the baseline are instruction mode, else time.\n"
          "The repository's .benchgate.json applies as for compare: its threshold and metric\n"
          "unless given, and a rule's metric for the benchmarks it matches.\n"
          "\nOptions:\n",
          f);
    bg_opt_help(f, REPORT_OPTIONS);
}

int bg__cmd_report(int argc, char **argv)
{
    const char *v[R_N] = {NULL};
    const char *pos[1];
    size_t npos;
    int rc = parse("benchgate report", REPORT_OPTIONS, argc, argv, v, pos, 1, &npos);
    if (rc == 1) {
        report_help(stdout);
        return BG_EXIT_OK;
    }
    if (rc)
        return bg__exit_of(rc);
    const char *out = v[R_OUT] ? v[R_OUT] : "benchgate-report", *hist = v[R_HISTORY], *thr = v[R_THRESHOLD],
               *alpha = v[R_ALPHA], *metric = v[R_METRIC];
    bool force = v[R_FORCE] != NULL;
    bg_report_opts o;
    memset(&o, 0, sizeof o);
    bg__cmp_opts_default(&o.cmp);
    o.out_dir = out;
    o.store_dir = v[R_STORE];
    o.base = v[R_BASE];
    o.force = force;
    o.cmp.force = force;
    o.spec = npos ? pos[0] : NULL;
    o.cmp.metric = metric;
    double hv = 1000;
    if ((hist && bg__parse_number("--history", hist, 1, 100000, &hv)) ||
        (thr && bg__parse_number("--threshold", thr, 0, 1000, &o.cmp.threshold_pct)) ||
        (alpha && bg__parse_number("--alpha", alpha, 1e-12, 0.5, &o.cmp.alpha)))
        return BG_EXIT_USAGE;
    o.history_max = (size_t)hv;
    if (!out[0]) {
        bg__errf("--out needs a directory");
        return BG_EXIT_USAGE;
    }
    if (metric && !metric[0]) {
        bg__errf("--metric needs a name (time, cpu or a recorded counter)");
        return BG_EXIT_USAGE;
    }
    /* The repository's settings (.benchgate.json), as compare reads them:
     * the suite's threshold and metric unless given here, and each rule's
     * metric and threshold for the benchmarks it matches. */
    bg_settings settings;
    bg__settings_init(&settings);
    char err[2048] = "", index[4200];
    if (bg__cli_load_settings(&settings, &o.cmp, thr != NULL, metric != NULL) != 0) {
        bg__settings_free(&settings);
        return BG_EXIT_USAGE;
    }
    rc = bg__report_generate(&o, index, sizeof index, err, sizeof err);
    bg__settings_free(&settings);
    if (rc != 0) {
        bg__errf("report: %s", err);
        return BG_EXIT_USAGE;
    }
    printf("report: %s\n", index);
    return BG_EXIT_OK;
}

/* ---- export ---- */

enum { E_FORMAT = 1, E_OUT, E_STORE, E_PER_PROCESS, E_HISTORY, E_N };

/* export --history: first-parent commits at most, as report's --history. */
#define EXPORT_HISTORY_MAX 1000

static const bg_opt EXPORT_OPTIONS[] = {
    {E_FORMAT, "format", 0, "FMT", NULL, "csv, gbench or trace"},
    {E_HISTORY, "history", 0, NULL, NULL,
     "with --format csv: every stored run along REF's first-parent\n"
     "history (1000 commits at most), a row per commit and benchmark"},
    {E_OUT, "out", 0, "FILE", NULL, "write to FILE (atomically) instead of stdout"},
    {E_STORE, "store", 0, "DIR", NULL, "the run store (default: $BENCHGATE_DIR, else <repo>/.benchgate)"},
    {E_PER_PROCESS, "per-process", 0, NULL, NULL,
     "gbench: an \"iteration\" entry per process and mean/median/stddev/cv aggregates\n"
     "(the shape of --benchmark_repetitions output), not one entry per benchmark"},
    {0, NULL, 0, NULL, NULL, NULL},
};

static void export_help(FILE *f)
{
    fputs("usage: benchgate export --format csv|gbench|trace [--out FILE] [--store DIR] [RUN-FILE | REF]\n"
          "\n"
          "Writes a run (a run file, or the newest stored run of REF, default HEAD) as\n"
          "  csv     estimates: one row per benchmark and statistic, with intervals;\n"
          "  gbench  Google Benchmark JSON as github-action-benchmark and Bencher read it:\n"
          "          one entry per benchmark, its mean (run_type aggregate, aggregate_name\n"
          "          mean, name BENCH_mean); --per-process for an entry per process;\n"
          "  trace   Chrome trace event JSON for Perfetto / chrome://tracing: an event per\n"
          "          warm-up and sample, a track per benchmark process, each scope's\n"
          "          time in a sample as a slice inside it.\n"
          "to stdout or, written atomically, to --out FILE.\n"
          "\nOptions:\n",
          f);
    bg_opt_help(f, EXPORT_OPTIONS);
}

/* Loads the run named by spec: a file, or the newest run of a commit-ish. */
static int load_spec(const char *spec, const char *store_dir, bg_run *run)
{
    char err[1024] = "";
    if (bg__is_file(spec)) {
        if (bg__load_run_file(spec, run, err, sizeof err) != 0) {
            bg__errf("%s", err);
            return BG_EXIT_USAGE;
        }
        return 0;
    }
    bg_git *g = NULL;
    bg_store *st = NULL;
    char id[BG_GIT_OID_BUF];
    int rc = BG_EXIT_USAGE;
    if (bg_git_open(&g, NULL, err, sizeof err) != 0) {
        bg__errf("'%s' is not a file and there is no git repository to resolve it: %s", spec, err);
    } else if (bg_git_resolve(g, spec, id, err, sizeof err) != 0) {
        bg__errf("cannot resolve '%s' (not a file nor a known revision): %s", spec, err);
    } else if (bg_store_open(&st, store_dir, NULL, err, sizeof err) != 0) {
        bg__errf("cannot open the store: %s", err);
    } else if (bg__load_commit_run(st, id, NULL, false, run, NULL, 0, err, sizeof err) != 0) {
        bg__errf("%s", err);
    } else {
        rc = 0;
    }
    bg_store_close(&st);
    bg_git_close(&g);
    return rc;
}

int bg__cmd_export(int argc, char **argv)
{
    const char *v[E_N] = {NULL};
    const char *pos[1] = {NULL};
    size_t npos;
    int rc = parse("benchgate export", EXPORT_OPTIONS, argc, argv, v, pos, 1, &npos);
    if (rc == 1) {
        export_help(stdout);
        return BG_EXIT_OK;
    }
    if (rc)
        return bg__exit_of(rc);
    const char *format = v[E_FORMAT], *out = v[E_OUT], *store = v[E_STORE];
    if (v[E_HISTORY] && (!format || strcmp(format, "csv") != 0)) {
        bg__errf("export --history writes CSV: give --format csv%s%s%s", format ? " (not '" : "",
                 format ? format : "", format ? "')" : "");
        return BG_EXIT_USAGE;
    }
    /* The exports are the run reporters that write other tools' formats. */
    static const char *const exports[] = {"csv", "gbench", "trace", NULL};
    const bg_reporter *fn = NULL;
    for (size_t i = 0; format && exports[i] && !fn; i++)
        if (!strcmp(format, exports[i]))
            fn = bg__reporter_find(!strcmp(format, "gbench") && v[E_PER_PROCESS] ? "gbench-processes" : format,
                                   BG_REPORT_RUN);
    if (!fn) {
        bg__errf("export needs --format csv, gbench or trace%s%s%s", format ? " (not '" : "", format ? format : "",
             format ? "')" : "");
        return BG_EXIT_USAGE;
    }
    char err[1024] = "";
    bg_run run;
    memset(&run, 0, sizeof run);
    if (!v[E_HISTORY] && load_spec(npos ? pos[0] : "HEAD", store, &run) != 0)
        return BG_EXIT_USAGE;
    /* Built in memory first, so --out is written whole or not at all. */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    const bg_report_src src = {.kind = BG_REPORT_RUN, .run = &run};
    if (!mem)
        rc = BG_ENOMEM;
    else if (v[E_HISTORY])
        rc = bg__export_history(npos ? pos[0] : "HEAD", store, EXPORT_HISTORY_MAX, mem, err, sizeof err);
    else
        rc = bg__report(mem, fn, &src);
    if (mem && fclose(mem) != 0 && rc == 0)
        rc = BG_ENOMEM;
    bg__run_free(&run);
    if (rc) {
        if (err[0])
            bg__errf("export --history: %s", err);
        else
            bg__errf("export failed: %s", bg_strerror(rc));
        free(buf);
        return BG_EXIT_USAGE;
    }
    if (out && strcmp(out, "-") != 0) {
        rc = bg__write_file_atomic(out, buf, len, err, sizeof err);
        if (rc)
            bg__errf("%s", err);
    } else if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
        bg__errf("cannot write the export to stdout: %s", strerror(errno));
        rc = BG_EIO;
    }
    free(buf);
    return rc ? BG_EXIT_USAGE : BG_EXIT_OK;
}

/* ---- import ---- */

enum { I_COMMIT = 1, I_STORE, I_N };

static const bg_opt IMPORT_OPTIONS[] = {
    {I_COMMIT, "commit", 0, "REF", NULL, "the commit the run belongs to (default HEAD)"},
    {I_STORE, "store", 0, "DIR", NULL, "the run store (default: $BENCHGATE_DIR, else <repo>/.benchgate)"},
    {0, NULL, 0, NULL, NULL, NULL},
};

static void import_help(FILE *f)
{
    fputs("usage: benchgate import gbench FILE [--commit REF] [--store DIR]\n"
          "       benchgate import criterion DIR [--commit REF] [--store DIR]\n"
          "\n"
          "Stores Google Benchmark JSON output (--benchmark_out=FILE --benchmark_out_format=json,\n"
          "ideally with --benchmark_repetitions=N) as a run of commit REF (default HEAD; outside a\n"
          "repository, a run without commit). Each repetition becomes a process with one sample;\n"
          "estimates are computed as for a benchgate run. A file written by 'benchgate export\n"
          "--format gbench' is rebuilt from its raw samples (benchgate_samples), with the\n"
          "original run's estimates. The machine id is derived from the\n"
          "file's context, so imported runs compare with each other, not with benchgate runs.\n"
          "\n"
          "criterion: Criterion.rs results (DIR is target/criterion, or the project holding it):\n"
          "each <benchmark>/new/sample.json becomes a benchmark of one process whose samples\n"
          "are Criterion's; compared and reported like any run.\n"
          "\nOptions:\n",
          f);
    bg_opt_help(f, IMPORT_OPTIONS);
}

/* Fills the git fields of run: --commit REF, else HEAD when in a repository. */
static int set_commit(bg_run *run, const char *ref)
{
    char err[1024] = "";
    bg_git *g = NULL;
    if (bg_git_open(&g, NULL, err, sizeof err) != 0) {
        if (ref) {
            bg__errf("--commit %s needs a git repository: %s", ref, err);
            return BG_EXIT_USAGE;
        }
        snprintf(run->git_status, sizeof run->git_status, "no-repo");
        return 0;
    }
    int rc = bg_git_resolve(g, ref ? ref : "HEAD", run->git_commit, err, sizeof err);
    if (rc) {
        if (ref)
            bg__errf("cannot resolve --commit '%s': %s", ref, err);
        else
            snprintf(run->git_status, sizeof run->git_status, "no-commits");
        bg_git_close(&g);
        return ref ? BG_EXIT_USAGE : 0;
    }
    bg_git_head h;
    if (!ref && bg_git_head_info(g, &h, err, sizeof err) == 0 && bg_git_head_branch(&h))
        snprintf(run->git_branch, sizeof run->git_branch, "%s", h.branch);
    snprintf(run->git_status, sizeof run->git_status, "imported");
    bg_git_close(&g);
    return 0;
}

int bg__cmd_import(int argc, char **argv)
{
    const char *v[I_N] = {NULL};
    const char *pos[2];
    size_t npos;
    int rc = parse("benchgate import", IMPORT_OPTIONS, argc, argv, v, pos, 2, &npos);
    if (rc == 1) {
        import_help(stdout);
        return BG_EXIT_OK;
    }
    if (rc)
        return bg__exit_of(rc);
    const char *commit = v[I_COMMIT], *store = v[I_STORE];
    bool criterion = npos == 2 && !strcmp(pos[0], "criterion");
    if (npos != 2 || (strcmp(pos[0], "gbench") != 0 && !criterion)) {
        bg__errf("usage: benchgate import gbench FILE | criterion DIR [--commit REF] [--store DIR]");
        return BG_EXIT_USAGE;
    }
    char err[1024] = "";
    bg_run run;
    if (criterion) {
        rc = bg__import_criterion(pos[1], &run, err, sizeof err);
    } else {
        char *text = bg__read_file(pos[1], err, sizeof err);
        if (!text) {
            bg__errf("%s", err);
            return BG_EXIT_USAGE;
        }
        rc = bg__import_gbench(text, pos[1], &run, err, sizeof err);
        free(text);
    }
    if (rc) {
        bg__errf("%s", err);
        return BG_EXIT_USAGE;
    }
    int ret = set_commit(&run, commit);
    bg_store *st = NULL;
    char *json = NULL, *path = NULL;
    if (ret == 0 && bg_store_open(&st, store, NULL, err, sizeof err) != 0) {
        bg__errf("cannot open the store: %s", err);
        ret = BG_EXIT_USAGE;
    }
    if (ret == 0 && !(json = bg__record_to_json(&run))) {
        bg__errf("out of memory writing the run record");
        ret = BG_EXIT_USAGE;
    }
    if (ret == 0 && bg_store_save(st, json, run.git_commit[0] ? run.git_commit : NULL, run.machine_id, &path, err,
                                  sizeof err) != 0) {
        bg__errf("%s", err);
        ret = BG_EXIT_USAGE;
    }
    if (ret == 0) {
        size_t reps = 0;
        for (size_t i = 0; i < run.nresults; i++)
            reps += run.results[i].nprocs;
        printf("imported %zu benchmark(s), %zu repetition(s) from %s as a run of %s%.12s on machine %s: %s\n",
               run.nresults, reps, pos[1], run.git_commit[0] ? "commit " : "no commit", run.git_commit,
               run.machine_id, path);
    }
    free(path);
    free(json);
    bg_store_close(&st);
    bg__run_free(&run);
    return ret;
}
