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
#include "bg_store.h"

enum { EXIT_OK = 0, EXIT_USAGE = 2 };

/* ---- a small option parser: --flag VALUE, --flag=VALUE, --bool ---- */

typedef struct flag {
    const char *name;
    const char **value; /* NULL for a boolean flag */
    bool *set;          /* for a boolean flag */
} flag;

/* Parses argv against flags; positional arguments go to pos (at most
 * maxpos). Returns 0, 1 for --help, or EXIT_USAGE after a message. */
static int parse_flags(int argc, char **argv, const flag *flags, const char **pos, size_t maxpos, size_t *npos)
{
    *npos = 0;
    bool only_pos = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || !strcmp(a, "-")) {
            if (*npos >= maxpos) {
                bg__errf("unexpected argument '%s' (see --help)", a);
                return EXIT_USAGE;
            }
            pos[(*npos)++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_pos = true;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return 1;
        const flag *f = NULL;
        const char *val = NULL;
        for (const flag *k = flags; k->name && !f; k++) {
            size_t len = strlen(k->name);
            if (strncmp(a, k->name, len) != 0 || (a[len] != '\0' && a[len] != '='))
                continue;
            f = k;
            if (a[len] == '=')
                val = a + len + 1;
        }
        if (!f) {
            bg__errf("unknown option '%s' (see --help)", a);
            return EXIT_USAGE;
        }
        if (!f->value) {
            if (val) {
                bg__errf("option %s takes no value", f->name);
                return EXIT_USAGE;
            }
            *f->set = true;
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) {
                bg__errf("option %s needs a value", f->name);
                return EXIT_USAGE;
            }
            val = argv[++i];
        }
        *f->value = val;
    }
    return 0;
}

/* ---- report ---- */

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
          "instructions when the head and the baseline are instruction mode, else time.\n",
          f);
}

int bg__cmd_report(int argc, char **argv)
{
    const char *out = "benchgate-report", *store = NULL, *base = NULL, *hist = NULL, *thr = NULL, *alpha = NULL,
               *metric = NULL;
    bool force = false;
    const flag flags[] = {{"--out", &out, NULL},          {"--store", &store, NULL},
                          {"--base", &base, NULL},        {"--history", &hist, NULL},
                          {"--threshold", &thr, NULL},    {"--alpha", &alpha, NULL},
                          {"--metric", &metric, NULL},    {"--force", NULL, &force},
                          {NULL, NULL, NULL}};
    const char *pos[1];
    size_t npos;
    int rc = parse_flags(argc, argv, flags, pos, 1, &npos);
    if (rc == 1) {
        report_help(stdout);
        return EXIT_OK;
    }
    if (rc)
        return rc;
    bg_report_opts o;
    memset(&o, 0, sizeof o);
    bg__cmp_opts_default(&o.cmp);
    o.out_dir = out;
    o.store_dir = store;
    o.base = base;
    o.force = force;
    o.cmp.force = force;
    o.spec = npos ? pos[0] : NULL;
    o.cmp.metric = metric;
    double v = 1000;
    if ((hist && bg__parse_number("--history", hist, 1, 100000, &v)) ||
        (thr && bg__parse_number("--threshold", thr, 0, 1000, &o.cmp.threshold_pct)) ||
        (alpha && bg__parse_number("--alpha", alpha, 1e-12, 0.5, &o.cmp.alpha)))
        return EXIT_USAGE;
    o.history_max = (size_t)v;
    if (!out[0]) {
        bg__errf("--out needs a directory");
        return EXIT_USAGE;
    }
    if (metric && !metric[0]) {
        bg__errf("--metric needs a name (time, cpu or a recorded counter)");
        return EXIT_USAGE;
    }
    char err[2048] = "", index[4200];
    if (bg__report_generate(&o, index, sizeof index, err, sizeof err) != 0) {
        bg__errf("report: %s", err);
        return EXIT_USAGE;
    }
    printf("report: %s\n", index);
    return EXIT_OK;
}

/* ---- export ---- */

static void export_help(FILE *f)
{
    fputs("usage: benchgate export --format csv|gbench|trace [--out FILE] [--store DIR] [RUN-FILE | REF]\n"
          "\n"
          "Writes a run (a run file, or the newest stored run of REF, default HEAD) as\n"
          "  csv     estimates: one row per benchmark and statistic, with intervals;\n"
          "  gbench  Google Benchmark JSON (repetitions = processes, mean/median/stddev/cv\n"
          "          aggregates), read by github-action-benchmark, Bencher and compare.py;\n"
          "  trace   Chrome trace event JSON for Perfetto / chrome://tracing: an event per\n"
          "          sample, a track per benchmark process.\n"
          "to stdout or, written atomically, to --out FILE.\n",
          f);
}

/* Loads the run named by spec: a file, or the newest run of a commit-ish. */
static int load_spec(const char *spec, const char *store_dir, bg_run *run)
{
    char err[1024] = "";
    if (bg__is_file(spec)) {
        if (bg__load_run_file(spec, run, err, sizeof err) != 0) {
            bg__errf("%s", err);
            return EXIT_USAGE;
        }
        return 0;
    }
    bg_git *g = NULL;
    bg_store *st = NULL;
    char id[BG_GIT_OID_BUF];
    int rc = EXIT_USAGE;
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
    const char *format = NULL, *out = NULL, *store = NULL;
    const flag flags[] = {{"--format", &format, NULL}, {"--out", &out, NULL}, {"--store", &store, NULL},
                          {NULL, NULL, NULL}};
    const char *pos[1];
    size_t npos;
    int rc = parse_flags(argc, argv, flags, pos, 1, &npos);
    if (rc == 1) {
        export_help(stdout);
        return EXIT_OK;
    }
    if (rc)
        return rc;
    int (*fn)(FILE *, const bg_run *) = NULL;
    if (format && !strcmp(format, "csv"))
        fn = bg__export_csv;
    else if (format && !strcmp(format, "gbench"))
        fn = bg__export_gbench;
    else if (format && !strcmp(format, "trace"))
        fn = bg__export_trace;
    if (!fn) {
        bg__errf("export needs --format csv, gbench or trace%s%s%s", format ? " (not '" : "", format ? format : "",
             format ? "')" : "");
        return EXIT_USAGE;
    }
    bg_run run;
    memset(&run, 0, sizeof run);
    if (load_spec(npos ? pos[0] : "HEAD", store, &run) != 0)
        return EXIT_USAGE;
    /* Built in memory first, so --out is written whole or not at all. */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    rc = mem ? fn(mem, &run) : BG_ENOMEM;
    if (mem && fclose(mem) != 0 && rc == 0)
        rc = BG_ENOMEM;
    bg__run_free(&run);
    if (rc) {
        bg__errf("export failed: %s", bg_strerror(rc));
        free(buf);
        return EXIT_USAGE;
    }
    char err[1024] = "";
    if (out && strcmp(out, "-") != 0) {
        rc = bg__write_file_atomic(out, buf, len, err, sizeof err);
        if (rc)
            bg__errf("%s", err);
    } else if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
        bg__errf("cannot write the export to stdout: %s", strerror(errno));
        rc = BG_EIO;
    }
    free(buf);
    return rc ? EXIT_USAGE : EXIT_OK;
}

/* ---- import ---- */

static void import_help(FILE *f)
{
    fputs("usage: benchgate import gbench FILE [--commit REF] [--store DIR]\n"
          "\n"
          "Stores Google Benchmark JSON output (--benchmark_out=FILE --benchmark_out_format=json,\n"
          "ideally with --benchmark_repetitions=N) as a run of commit REF (default HEAD; outside a\n"
          "repository, a run without commit). Each repetition becomes a process with one sample;\n"
          "estimates are computed as for a benchgate run. A file written by 'benchgate export\n"
          "--format gbench' is rebuilt from its raw samples (benchgate_samples), with the\n"
          "original run's estimates. The machine id is derived from the\n"
          "file's context, so imported runs compare with each other, not with benchgate runs.\n",
          f);
}

/* Fills the git fields of run: --commit REF, else HEAD when in a repository. */
static int set_commit(bg_run *run, const char *ref)
{
    char err[1024] = "";
    bg_git *g = NULL;
    if (bg_git_open(&g, NULL, err, sizeof err) != 0) {
        if (ref) {
            bg__errf("--commit %s needs a git repository: %s", ref, err);
            return EXIT_USAGE;
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
        return ref ? EXIT_USAGE : 0;
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
    const char *commit = NULL, *store = NULL;
    const flag flags[] = {{"--commit", &commit, NULL}, {"--store", &store, NULL}, {NULL, NULL, NULL}};
    const char *pos[2];
    size_t npos;
    int rc = parse_flags(argc, argv, flags, pos, 2, &npos);
    if (rc == 1) {
        import_help(stdout);
        return EXIT_OK;
    }
    if (rc)
        return rc;
    if (npos != 2 || strcmp(pos[0], "gbench") != 0) {
        bg__errf("usage: benchgate import gbench FILE [--commit REF] [--store DIR] (the only format is gbench)");
        return EXIT_USAGE;
    }
    char err[1024] = "";
    char *text = bg__read_file(pos[1], err, sizeof err);
    if (!text) {
        bg__errf("%s", err);
        return EXIT_USAGE;
    }
    bg_run run;
    rc = bg__import_gbench(text, pos[1], &run, err, sizeof err);
    free(text);
    if (rc) {
        bg__errf("%s", err);
        return EXIT_USAGE;
    }
    int ret = set_commit(&run, commit);
    bg_store *st = NULL;
    char *json = NULL, *path = NULL;
    if (ret == 0 && bg_store_open(&st, store, NULL, err, sizeof err) != 0) {
        bg__errf("cannot open the store: %s", err);
        ret = EXIT_USAGE;
    }
    if (ret == 0 && !(json = bg__record_to_json(&run))) {
        bg__errf("out of memory writing the run record");
        ret = EXIT_USAGE;
    }
    if (ret == 0 && bg_store_save(st, json, run.git_commit[0] ? run.git_commit : NULL, run.machine_id, &path, err,
                                  sizeof err) != 0) {
        bg__errf("%s", err);
        ret = EXIT_USAGE;
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
