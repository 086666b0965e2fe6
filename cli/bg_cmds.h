/* The benchgate command: one file per command (cmd_*.c), the command
 * table and dispatcher (main.c), what several commands share (common.c),
 * and what report, export and import are built from: the report model
 * (report_model.c) and the Google Benchmark importer (import_gbench.c). */
#ifndef BG_CMDS_H
#define BG_CMDS_H

#include <stdbool.h>
#include <stddef.h>

#include "bg_compare.h"
#include "bg_exit.h"
#include "bg_model.h"
#include "bg_options.h"
#include "bg_settings.h"
#include "bg_store.h"

/* ---- the commands ---- */

/* Each takes the arguments after the command name and returns its exit
 * status (bg_exit.h): BG_EXIT_OK done, BG_EXIT_USAGE a usage or environment
 * error (the message says what to do); compare, gate and ab also
 * BG_EXIT_REGRESSION, gate and ab BG_EXIT_CRASH. */
int bg__cmd_ls(int argc, char **argv);       /* cmd_ls.c */
int bg__cmd_compare(int argc, char **argv);  /* cmd_compare.c */
int bg__cmd_gate(int argc, char **argv);     /* cmd_gate.c */
int bg__cmd_baseline(int argc, char **argv); /* cmd_baseline.c */
int bg__cmd_push(int argc, char **argv);     /* cmd_notes.c */
int bg__cmd_fetch(int argc, char **argv);    /* cmd_notes.c */
int bg__cmd_report(int argc, char **argv);   /* cmd_report.c */
int bg__cmd_export(int argc, char **argv);   /* cmd_report.c */
int bg__cmd_import(int argc, char **argv);   /* cmd_report.c */
int bg__cmd_ab(int argc, char **argv);       /* cmd_ab.c */
int bg__cmd_doctor(int argc, char **argv);   /* cmd_ab.c */
int bg__cmd_noise(int argc, char **argv);    /* cmd_noise.c */
int bg__cmd_calibrate(int argc, char **argv);/* cmd_noise.c */
int bg__cmd_merge(int argc, char **argv);    /* cmd_merge.c */
int bg__cmd_prune(int argc, char **argv);    /* cmd_prune.c */

/* ---- shared by the commands (common.c) ---- */

/* The option ids of the comparison options, shared by compare and gate. */
enum {
    BG_CLI_STORE = 100,
    BG_CLI_FORMAT,
    BG_CLI_OUT,
    BG_CLI_THRESHOLD,
    BG_CLI_ALPHA,
    BG_CLI_P_ADJUST,
    BG_CLI_METRIC,
    BG_CLI_SEED,
    BG_CLI_RESAMPLES,
    BG_CLI_FORCE,
    BG_CLI_LIMIT,
};

/* --store, as every command that reads the store has it. */
#define BG_CLI_STORE_OPT \
    {BG_CLI_STORE, "store", 0, "DIR", NULL, "the run store (default: $BENCHGATE_DIR, else <repo>/.benchgate)"}

/* The comparison options of compare and gate (bg_options.h table entries). */
#define BG_CLI_CMP_OPTS \
    BG_CLI_STORE_OPT, \
    {BG_CLI_FORMAT, "format", 0, "FMT", NULL, "console (default), markdown, csv or json"}, \
    {BG_CLI_OUT, "out", 0, "FILE", NULL, "write the table to FILE instead of stdout"}, \
    {BG_CLI_THRESHOLD, "threshold", 0, "PCT", NULL, "noise threshold in percent (default 1)"}, \
    {BG_CLI_ALPHA, "alpha", 0, "X", NULL, "significance level (default 0.05)"}, \
    {BG_CLI_P_ADJUST, "p-adjust", 0, "M", "padjust", "suite-wide p-value adjustment: bh (default), holm or none"}, \
    {BG_CLI_METRIC, "metric", 0, "NAME", "gate-on", \
     "what to compare: time (default, wall ns per iteration;\n" \
     "instructions when both runs are instruction mode), cpu,\n" \
     "or a recorded counter such as instructions"}, \
    {BG_CLI_SEED, "seed", 0, "N", NULL, "bootstrap seed (default 1; same seed, same intervals)"}, \
    {BG_CLI_RESAMPLES, "resamples", 0, "N", NULL, "bootstrap resamples (default 10000)"}, \
    {BG_CLI_FORCE, "force", 0, NULL, NULL, "compare runs from different machines, or of different\n--mode, anyway"}, \
    {BG_CLI_LIMIT, "limit", 0, "BUDGET", NULL, \
     "an absolute budget, GLOB:METRIC<=VALUE (repeatable), e.g.\n" \
     "'parse_*:time<=50us' or 'load:peak_rss<=64MiB': a head\n" \
     "benchmark over it fails like a regression"}

/* What the comparison options set. */
typedef struct bg_cli_cmp {
    const char *store;
    bg_cmp_format format;
    const char *out;
    bg_cmp_opts cmp; /* threshold, alpha, p adjustment, seed, resamples, metric, force;
                      * cmp.budgets points into budgets below */
    bool force;
    bg_budget budgets[BG_BUDGET_MAX]; /* --limit, in order */
    size_t nbudgets;
    bool threshold_set, metric_set; /* given on the command line (they win over the file) */
    bg_settings settings;           /* .benchgate.json (bg__cli_cmp_settings); owned */
} bg_cli_cmp;

/* Defaults: console format, bg__cmp_opts_default. */
void bg__cli_cmp_default(bg_cli_cmp *o);
/* Applies option `id` (one of BG_CLI_*) with its value: 0, or BG_EINVAL
 * after a message naming the value and what is expected. */
int bg__cli_cmp_option(bg_cli_cmp *o, int id, const char *val);
/* Reads the repository's settings file (.benchgate.json, bg_settings.h)
 * into o->settings and applies it: its threshold and metric where the
 * command line set none, its rules through o->cmp.settings. 0, or
 * BG_EPARSE / BG_EIO after a message naming the file and line. Free with
 * bg__settings_free(&o->settings). */
int bg__cli_cmp_settings(bg_cli_cmp *o);
/* The same for a command with comparison options of its own (ab, report):
 * reads .benchgate.json into *s, sets cmp's threshold and metric from it
 * unless threshold_set / metric_set, and cmp->settings = s. */
int bg__cli_load_settings(bg_settings *s, bg_cmp_opts *cmp, bool threshold_set, bool metric_set);

/* "Exit codes: ..." as compare's and gate's --help end. */
extern const char bg__cli_exit_help[];

/* Opens the store of `dir` (--store), $BENCHGATE_DIR or the repository into
 * *st (the caller closes it). Returns 0, or BG_EIO with the error printed. */
int bg__cli_open_store(const char *dir, bg_store **st);
/* As bg__cli_open_store for a command that only reads the store: a store
 * directory that does not exist or is not a directory is an error naming
 * it. */
int bg__cli_open_store_to_read(const char *dir, bg_store **st);
/* Prints the comparison in `format` to stdout, or to the file `out` when
 * not NULL. Returns 0, or BG_EIO with the error printed. */
int bg__cli_emit(const bg_comparison *c, bg_cmp_format format, const char *out);

/* ---- the report (report_model.c) ---- */

typedef struct bg_report_opts {
    const char *out_dir;   /* where the site goes (created) */
    const char *store_dir; /* --store, or NULL for the default store */
    const char *spec;      /* REF, A..B or a run file; NULL means HEAD */
    const char *base;      /* --base REF or run file; NULL: automatic */
    size_t history_max;    /* first-parent commits at most */
    bool force;            /* compare with a baseline from another machine */
    bg_cmp_opts cmp;       /* cmp.metric (--metric) is also what the histories show */
} bg_report_opts;

/* Writes the HTML report described in bg_report.h: the head run (the
 * newest run of REF, or the file), its first-parent history on the head's
 * machine with change points, the comparison with the baseline (by default
 * the nearest older commit of the history with a run; for A..B the run of
 * A), and the plots. Notes go to stderr. On success index_path holds the
 * absolute path of index.html. Returns 0 or a BG_E* code with a message. */
int bg__report_generate(const bg_report_opts *o, char *index_path, size_t n, char *err, size_t errlen);

/* ---- loading runs (report_model.c) ---- */

/* export --history (export_history.c): the newest run of each of the
 * first-parent commits of `spec` (at most max), on the machine of the
 * newest of them, as CSV to out: commit, subject, created, machine,
 * benchmark, status, mean and median per iteration with their intervals
 * (ns), samples. BG_ENOTFOUND when no commit has a run. */
int bg__export_history(const char *spec, const char *store_dir, size_t max, FILE *out, char *err, size_t errlen);

/* True when `spec` names an existing regular file. */
bool bg__is_file(const char *spec);
/* Reads and parses a run record file; messages name the file. */
int bg__load_run_file(const char *path, bg_run *run, char *err, size_t errlen);
/* Loads the newest stored run of `commit` (40 hex), preferring machine
 * `machine` (NULL: any); `only_machine` refuses runs of other machines.
 * BG_ENOTFOUND when there is none. *path (may be NULL) gets the file. */
int bg__load_commit_run(bg_store *st, const char *commit, const char *machine, bool only_machine, bg_run *run,
                        char *path, size_t pathlen, char *err, size_t errlen);

/* Parses Google Benchmark JSON text into *run: each benchmark's
 * repetitions ("iteration" entries) become processes of one sample each
 * (iterations, real_time x iterations, cpu_time x iterations), aggregates
 * are skipped (benchgate recomputes its own), an errored benchmark keeps
 * its message with status "error". The machine comes from the file's
 * context (host name, CPUs, MHz), so runs imported from one host compare
 * with each other and never with runs measured by benchgate. `name` (the
 * file) starts every message. On success *run owns everything (free with
 * bg__run_free) and the caller sets the git fields. BG_EPARSE for text that
 * is not Google Benchmark JSON or has nothing to import. */
int bg__import_gbench(const char *json, const char *name, bg_run *run, char *err, size_t errlen);

/* Criterion.rs results (store/import_criterion.c) as a run: `dir` is a
 * target/criterion directory, or a project holding one; every
 * <benchmark>/new/sample.json below it (with its estimates.json, and
 * benchmark.json's full_id as the name when present) becomes a benchmark of
 * one process whose samples are Criterion's (iterations, total ns; CPU time
 * unknown: 0). The machine is this host marked as a Criterion.rs import. On
 * success *run owns everything and the caller sets the git fields; BG_EPARSE
 * naming the file for anything that is not Criterion's output. */
int bg__import_criterion(const char *dir, bg_run *run, char *err, size_t errlen);

#endif
