/* benchgate ab: two builds of a project measured side by side.
 *
 * Each revision is checked out into its own temporary git worktree, built
 * with the project's build command, and the two bench binaries are run
 * interleaved: per benchmark and block, one run of A and one of B, each run
 * a fresh process with its own layout seed and environment size. By default
 * (lockstep) the two runs start together and take turns sample by sample,
 * and the block's figure is the median ratio of adjacent samples;
 * sequentially they run in random order (A B, B A, ...). A block's two
 * runs see the same machine state, so the comparison pairs them (bg_paired_change: Yuen's trimmed-mean test on
 * the blocks' log-ratios) and drift between blocks cancels. A benchmark
 * stops when the interval of its change is narrow enough or its time budget
 * is spent (the reason and each block's run order are kept in info);
 * p-values are adjusted across the suite and each benchmark gets a verdict
 * as in `benchgate compare`. */
#ifndef BG_AB_H
#define BG_AB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bg_compare.h"
#include "bg_model.h"

#define BG_AB_MAX_ENV 16
#define BG_AB_MAX_ARGS 32

/* The default build command, run with /bin/sh -c in the checkout, and the
 * default bench binary, relative to the checkout (this project's layout;
 * other projects pass --bench-bin or set $BENCHGATE_BENCH_BIN). */
#define BG_AB_DEFAULT_BUILD "meson setup build && ninja -C build"
#define BG_AB_DEFAULT_BENCH_BIN "build/benches/benchgate-benches"

/* One side of the comparison: a revision to check out and build, or a
 * prebuilt bench binary. For B, neither means the working tree as it is
 * (HEAD plus uncommitted changes). */
typedef struct bg_ab_side {
    const char *rev;                 /* commit-ish, or NULL */
    const char *bin;                 /* prebuilt bench binary, or NULL */
    const char *env[BG_AB_MAX_ENV];  /* "KEY=VALUE" set for this side's runs */
    size_t nenv;
} bg_ab_side;

typedef struct bg_ab_opts {
    bg_ab_side a, b;
    const char *repo_dir;    /* the repository (NULL: the current directory) */
    bool allow_dirty;        /* measure commit HEAD although the tree has changes */
    bool gate_wording;       /* messages name gate's flags (--head), not ab's arguments */
    const char *build_cmd;   /* NULL: BG_AB_DEFAULT_BUILD (and the checkout needs meson.build) */
    const char *bench_bin;   /* relative to the checkout; NULL: $BENCHGATE_BENCH_BIN, else
                              * BG_AB_DEFAULT_BENCH_BIN */
    const char *filter;      /* extended regex on benchmark names, NULL: all */
    const char *watch;       /* extended regex on scope names (bench/scope): a benchmark stops
                              * at its target only once these of its scopes reach it too (the
                              * gate's stage 2 for a suspect scope); NULL: none. Every scope of
                              * a measured benchmark is compared, as a row after it */
    const char *bench_args[BG_AB_MAX_ARGS]; /* passed to every run of a bench binary */
    size_t nbench_args;
    bg_statistic statistic;  /* per run: BG_STAT_MIN (default), BG_STAT_MEDIAN or BG_STAT_MEAN
                              * of the per-iteration times of its samples */
    const char *metric;      /* what each run's statistic is taken of: NULL or "time" (default):
                              * wall time; "cpu"; or a counter summed over each sample
                              * (gpu_timer_ns, instructions, ...), per iteration */
    int procs;               /* processes per run of a bench binary (default 2) */
    int min_blocks;          /* blocks before a benchmark may stop (default 6) */
    int max_blocks;          /* most blocks (default 60) */
    double target;           /* stop at this relative CI half-width; 0 (default): half of
                              * cmp.threshold_pct, so that "unchanged" can be shown */
    double budget_s;         /* most seconds per benchmark, both sides (default 15) */
    bg_cmp_opts cmp;         /* threshold, alpha, p adjustment, seed, resamples; settings:
                              * each rule's metric (what its benchmarks' runs are compared
                              * on), threshold and "ignore" (left out) */
    const char *store;       /* where the two runs are saved (NULL: the default store) */
    int save;                /* 1 save, 0 do not, -1 (default): save revisions, not binaries */
    FILE *log;               /* progress and notes (NULL: stderr) */
    bool duet;               /* run a block's A and B at the same time, each pinned to its
                              * own CPU, so both see the same interference (needs 2 CPUs;
                              * otherwise a note and one after the other); only without
                              * lockstep */
    bool lockstep;           /* (default) run a block's A and B at the same time, taking turns
                              * sample by sample (neither runs while the other measures), and
                              * compare them by the median of their adjacent samples' ratios,
                              * so drift slower than a sample cancels (one CPU is enough);
                              * false with duet, or for blocks one run after the other */
    bool stop_when_cleared;  /* the gate's stage 2: a benchmark also stops once its interval
                              * lies below +threshold (it cannot be a regression), since the
                              * gate needs no finer answer; stopping early that way never
                              * adds a false alarm */
} bg_ab_opts;

void bg__ab_opts_default(bg_ab_opts *o);

/* How one benchmark's measurement ended; indexed like cmp.rows. */
typedef struct bg_ab_row_info {
    size_t blocks;
    double elapsed_s;  /* wall time of its runs, both sides */
    char stop[32];     /* "target reached", "budget", "max blocks", "failed", ... */
    char *order;       /* per block, the side that ran first: "ABBA..." (lockstep: the side
                        * given the first turn; --duet: lower case, the side on the
                        * first CPU) (NULL: no block);
                        * owned by the result */
} bg_ab_row_info;

typedef struct bg_ab_result {
    bg_comparison cmp;       /* one row per benchmark; names owned by this result;
                              * mean_a/mean_b hold the median over blocks of each
                              * side's per-run statistic */
    bg_ab_row_info *info;    /* cmp.n entries */
    bg_run run_a, run_b;     /* every process of every block, merged per side */
    bool have_runs;
    char label_a[512], label_b[512]; /* what each side is, for a person */
    char commit_a[41], commit_b[41]; /* "" for a prebuilt binary */
    char saved_a[4096], saved_b[4096]; /* where the runs were saved, "" if not */
    double wall_s;
    const char *blocks_run;  /* how the blocks ran: "lockstep", "sequential", "duet", or
                              * "sequential after a side did not take turns" (static) */
    bool interrupted;        /* SIGINT/SIGTERM/SIGHUP arrived; see signal */
    int signal;
    char **names;            /* storage of the row names */
    size_t nnames;
} bg_ab_result;

/* Checks out, builds and measures both sides and fills *out. Temporary
 * worktrees are removed before it returns, also when interrupted (SIGINT,
 * SIGTERM and SIGHUP are caught while it runs; out->interrupted is then set
 * and the caller should exit by that signal). Worktrees left by a killed
 * earlier run are removed first. Returns 0 with the comparison, or a BG_E*
 * code with a message in err: BG_EINVAL (bad options, dirty tree),
 * BG_ENOTFOUND (unknown revision, no bench binary, no benchmark in common),
 * BG_EIO (a build or a bench binary failed), BG_EGIT. Free *out with
 * bg__ab_result_free, also after a failure. */
int bg__ab_run(const bg_ab_opts *o, bg_ab_result *out, char *err, size_t errlen);

/* The exit status (bg_exit.h) as for `benchgate gate`: BG_EXIT_CRASH when
 * a benchmark crashed or timed out on either side, else BG_EXIT_REGRESSION
 * when one regressed (and is not accepted), else BG_EXIT_OK. */
int bg__ab_exit_code(const bg_ab_result *r);

void bg__ab_result_free(bg_ab_result *r);
/* bg__ab_run for the command `what` ("ab", "gate --ab"):
 * returns 0 with r filled; otherwise the exit status (BG_EXIT_USAGE), with the error
 * printed, also copied into why (when not NULL; truncated to nwhy) for a
 * report, and r freed; after Ctrl-C it re-raises the signal, so benchgate
 * exits by it. */
int bg__ab_run_cli(const bg_ab_opts *o, bg_ab_result *r, const char *what, char *why, size_t nwhy);

#endif
