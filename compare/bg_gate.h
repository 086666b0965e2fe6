/* The CI gate's policy: which base to compare head with, how head is
 * measured, which regressions a Bench-Accept trailer accepts, when a
 * regression is re-measured and what the re-measurement decides, and what
 * the gate's reports (JUnit, Markdown) say. `benchgate gate` (cli/cmd_gate.c)
 * parses its flags into bg_gate_opts, calls bg__gate_run, prints the result
 * and exits with its code.
 *
 * The gate decides in two stages by default:
 *   stage 1  head (stored, or measured now with --bench) against the stored
 *            base run, drift-aware: each interval includes the between-run
 *            noise the store has learned for the benchmark on this machine
 *            (bg_noise.h), so a change inside the drift band is
 *            "inconclusive", never "regressed". Most benchmarks clear here.
 *   stage 2  the benchmarks stage 1 cannot clear (regressed, or an
 *            interval reaching +threshold) are run again, base
 *            and head binaries interleaved block by block as `benchgate ab`
 *            does, so drift cancels; their p-values are adjusted across the
 *            whole suite with stage 1's, and the gate fails only on
 *            regressions stage 2 confirms. The base binary is given
 *            (--base-bin, e.g. restored from a CI cache) or built from the
 *            base commit in a temporary worktree; the head binary is
 *            --bench, or built likewise.
 * When stage 2 cannot run (no base binary: a base from a file, a build that
 * fails) the gate says why and fails only on stage-1 regressions beyond the
 * drift band. With --stages 1 stage 2 is never tried. --ab skips stage 1:
 * every benchmark is measured interleaved.
 *
 * Notes and errors are printed to stderr as they happen ("benchgate: ...");
 * what the gate decided is returned in bg_gate_result for the caller to
 * print. */
#ifndef BG_GATE_H
#define BG_GATE_H

#include <stdbool.h>
#include <stddef.h>

#include "bg_ab.h"
#include "bg_baseline.h"
#include "bg_compare.h"
#include "bg_exit.h"

#define BG_GATE_MAX_ARGS 64

/* What the gate is asked to do (the flags of `benchgate gate`). Strings are
 * borrowed and must outlive bg__gate_run. */
typedef struct bg_gate_opts {
    const char *store;      /* --store DIR, NULL: $BENCHGATE_DIR, else <repo>/.benchgate */
    bg_cmp_opts cmp;        /* threshold, alpha, p adjustment, seed, resamples, metric, force */
    bool force;             /* compare runs of different machines anyway */
    const char *base;       /* --base REF-or-FILE, NULL: the default base (see bg__gate_run) */
    const char *head;       /* --head FILE-or-REF, NULL: HEAD (or the working tree with ab) */
    const char *bench;      /* --bench PATH: measure head now with this bench binary */
    const char *bench_args[BG_GATE_MAX_ARGS]; /* --bench-arg, in order */
    size_t nbench_args;
    const char *filter;     /* --filter REGEX: the benchmarks measured */
    const char *shard;      /* --shard K/N: head measures that shard (with --bench) */
    bool ab;                /* --ab: build base and head and run them interleaved */
    bool allow_dirty;       /* --ab --allow-dirty */
    const char *build_cmd;  /* --ab --build-cmd */
    const char *bench_bin;  /* --ab and stage 2: the bench binary in a build */
    int stages;             /* 2 (default): stage 2 for suspects; 1: stage 1 only */
    const char *base_bin;   /* --base-bin PATH: the base's bench binary for stage 2 */
    double stage2_budget;   /* stage 2 seconds per benchmark, both sides (default 8) */
    bool sequential;        /* --sequential: stage 2 and --ab run a block's sides one after
                             * the other instead of in lockstep (bg_ab_opts.lockstep) */
} bg_gate_opts;

/* Defaults: every pointer NULL, cmp as bg__cmp_opts_default, two stages,
 * stage 2 budget 8 s. */
void bg__gate_opts_default(bg_gate_opts *o);

/* Which stage of the gate decided a benchmark's verdict. */
typedef enum bg_gate_stage {
    BG_GATE_STAGE_FIRST,    /* stage 1 (stored base, drift-aware), or --ab */
    BG_GATE_STAGE_SECOND,   /* stage 2: base and head interleaved; the row is its comparison */
    BG_GATE_STAGE_UNSURE,   /* a suspect stage 2 could not decide (it was unavailable, or the
                             * benchmark is missing from it): stage 1's verdict, failing only
                             * beyond the drift band */
} bg_gate_stage;

/* The gate's view of one benchmark, indexed like the comparison's rows. */
typedef struct bg_gate_row {
    bg_gate_stage stage;
    char why[320]; /* why stage 2 could not decide this suspect when that is
                    * its own (its settings rule's metric cannot be measured
                    * by ab, or that metric's stage-2 run failed); "" otherwise */
} bg_gate_row;

/* What the gate decided. Fill with bg__gate_run; free with
 * bg__gate_result_free (also after a failure). */
typedef struct bg_gate_result {
    bg_exit code;               /* OK, REGRESSION, CRASH, or USAGE when it could not decide */
    const bg_comparison *cmp;   /* the comparison (after trailers and re-measurement), or
                                 * NULL when the gate ended before it could decide (why) */
    bg_gate_row *rows;          /* cmp->n entries, or NULL with cmp */
    size_t nsuspects;           /* benchmarks stage 1 could not clear */
    bool stage2_ran;            /* stage 2 measured them */
    char stage2_note[1024];     /* why stage 2 did not run, or "" */
    char base_desc[4200];       /* what was compared, for a person: "PATH (COMMIT)" or the */
    char head_desc[4200];       /* label of an --ab side */
    char base_label[64];        /* short names for the reports: a commit's first 12 */
    char head_label[64];        /* characters, else the file or side */
    char why[1024];             /* why it could not decide ("" when cmp is set) */
    /* storage, owned by the result */
    bg_side a, b;
    bg_comparison c;
    bg_ab_result abr;           /* stage 2, or --ab */
    bool have_ab;
    struct bg_noise *noise;     /* what stage 1 used (owned) */
} bg_gate_result;

/* An empty result: nothing decided, code BG_EXIT_USAGE, why "". */
void bg__gate_result_init(bg_gate_result *r);

/* Runs the gate end to end (two stages as above):
 *  - base: o->base, else the merge-base of HEAD with the first of main,
 *    master, origin/main, origin/master; on that branch itself (the
 *    merge-base is head's commit) its first parent, except with --ab for a
 *    working tree with uncommitted changes (then HEAD). A base commit
 *    without a stored run falls back to its nearest first-parent ancestor
 *    with one (BG_ANCESTOR_BOUND).
 *  - head: o->head, else the newest stored run of HEAD; with o->bench the
 *    bench binary is run now (--save), after the base is loaded; with o->ab
 *    both sides are checked out, built and run interleaved (bg__ab_run).
 *  - Bench-Accept: <glob> +<N>% trailers in base..head accept a regression
 *    of a matching benchmark by at most N percent.
 *  - stage 1 compares with the noise learned from the store (learned
 *    before head is measured, so head's own run does not teach it);
 *    suspects go to stage 2 (o->stages 2) as described above.
 * Returns r->code: BG_EXIT_CRASH when a benchmark crashed or timed out in
 * head, else BG_EXIT_REGRESSION when one regressed and is not accepted,
 * else BG_EXIT_OK; BG_EXIT_USAGE (or CRASH: the bench binary died) with
 * r->why when it could not decide. After Ctrl-C during --ab it exits by the
 * signal. */
bg_exit bg__gate_run(const bg_gate_opts *o, bg_gate_result *r);

void bg__gate_result_free(bg_gate_result *r);

/* Writes the gate's reports of r as the gate ends with exit status `code`:
 * the JUnit file (junit, may be NULL), the Markdown summary (markdown, may
 * be NULL) and, when set, $GITHUB_STEP_SUMMARY (appended). Without a
 * comparison (r->cmp NULL) the JUnit file has one <error> test case named
 * "gate" whose message is r->why, and the summaries say why the gate could
 * not decide, so CI shows the cause rather than a missing report. Returns 0,
 * or BG_EIO when a file could not be written (said on stderr). */
int bg__gate_write_reports(const bg_gate_result *r, bg_exit code, const char *junit, const char *markdown);

/* 0 when sides a and b come from the same machine, or force (then a warning
 * says how they differ); otherwise prints why, copies it into why (when not
 * NULL) and returns BG_EINVAL. Used by compare too. */
int bg__check_machines(const bg_side *a, const bg_side *b, bool force, char *why, size_t nwhy);

#endif
