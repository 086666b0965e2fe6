/* The benchgate subcommands report, export and import (cmd_report.c), and
 * what they are built from: the report model (report_model.c) and the
 * Google Benchmark importer (import_gbench.c). */
#ifndef BG_CMDS_H
#define BG_CMDS_H

#include <stdbool.h>
#include <stddef.h>

#include "bg_compare.h"
#include "bg_model.h"
#include "bg_store.h"

/* Each takes the arguments after the subcommand name and returns the exit
 * status: 0 done, 2 usage or environment error (the message says what to
 * do). */
int bg__cmd_report(int argc, char **argv);
int bg__cmd_export(int argc, char **argv);
int bg__cmd_import(int argc, char **argv);
/* benchgate ab and doctor (cmd_ab.c): same conventions, and ab exits as
 * gate does (0 pass, 1 regression, 2 error, 3 crash or timeout). */
int bg__cmd_ab(int argc, char **argv);
int bg__cmd_doctor(int argc, char **argv);

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

#endif
