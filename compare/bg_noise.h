/* Between-run noise learned from the store: per benchmark and machine, how
 * much runs of unchanged code made at different times differ, so that a
 * comparison of a new run with a stored one does not call that drift a
 * change.
 *
 * Two kinds of pairs of stored runs of one machine teach it: repeated runs
 * of one commit (consecutive in time; `benchgate calibrate` makes these),
 * and consecutive commits along the head's first-parent history with the
 * change points of each benchmark's series left out (stats/drift.c). Runs
 * made with uncommitted changes are not used: their code is unknown. The
 * estimate per benchmark is robust: the median-based scale of every pair,
 * raised to the full bg_drift_estimate (which also weighs the tail) of the
 * repeated runs when there are enough of them, since consecutive commits
 * of a short history also hold real changes. It states the number of
 * log-ratios it rests on; a benchmark with fewer than
 * BG_NOISE_MIN_PAIRS uses BG_NOISE_DEFAULT_SIGMA and says so. */
#ifndef BG_NOISE_H
#define BG_NOISE_H

#include <stdbool.h>
#include <stddef.h>

#include "bg_git.h"
#include "bg_model.h"
#include "bg_store.h"

struct bg_cmp_opts; /* bg_compare.h */
struct bg_settings; /* bg_settings.h */

/* The default between-run noise, as the standard deviation of log(run B /
 * run A) for two runs of unchanged code: 5 %, so that a change inside about
 * +-10 % is "inconclusive (drift)" until the store knows better. Measured
 * on the project's 2-core shared VM (tools/measure-gate.sh, 11 runs of 8
 * benchmarks 90 s apart): CPU-bound benchmarks drifted 1-5 % between runs
 * (median |log-ratio| 2-3 %, so sigma 3-4.5 %), memory-bound ones 14-60 %;
 * 5 % covers the CPU-bound ones, and memory-bound ones learn their own
 * figure after BG_NOISE_MIN_PAIRS pairs. */
#define BG_NOISE_DEFAULT_SIGMA 0.05
/* Fewest log-ratios a learned figure rests on (3: with fewer the 90th
 * percentile is the largest value seen and one quiet pair looks like a
 * quiet benchmark). */
#define BG_NOISE_MIN_PAIRS 3
/* Newest runs of the machine read to learn it (each is parsed in full). */
#define BG_NOISE_MAX_RUNS 60
/* First-parent commits searched for consecutive pairs. */
#define BG_NOISE_MAX_COMMITS 50

typedef struct bg_noise_row {
    char *name;        /* owned by the bg_noise */
    char metric[32];   /* what it was learned on: its settings rule's metric
                        * (bg__noise_from_runs), "": the record's metric */
    double sigma;      /* learned figure (NAN when npairs is 0) */
    size_t npairs;     /* log-ratios it rests on */
    size_t nrepeat;    /* of which from repeated runs of one commit */
    size_t nhistory;   /* of which from consecutive first-parent commits */
} bg_noise_row;

typedef struct bg_noise {
    char machine[BG_MACHINE_ID_MAX + 1];
    char metric[32];
    size_t runs_read;     /* runs of the machine read */
    size_t runs_used;     /* of which clean runs at a known commit */
    size_t commits;       /* first-parent commits with a run */
    bg_noise_row *rows;   /* one per benchmark seen, sorted by name */
    size_t nrows;
    double default_sigma; /* BG_NOISE_DEFAULT_SIGMA unless set otherwise */
    size_t min_pairs;     /* BG_NOISE_MIN_PAIRS unless set otherwise */
    bool by_rule;         /* learned with settings: a benchmark with no row would
                           * have been learned on its rule's metric */
} bg_noise;

/* Learns the noise of every benchmark measured on `machine` from the store:
 * the newest BG_NOISE_MAX_RUNS runs of that machine, and, when `g` and
 * `head` (40 hex) are given, the first-parent history of head (at most
 * BG_NOISE_MAX_COMMITS commits). `metric` is what comparisons use ("time",
 * "cpu", a counter); a benchmark whose rule in `settings` (may be NULL)
 * names another metric is learned on that one (its row's `metric`), as
 * bg__compare_runs compares it. `exclude` (a run file path, may be NULL) is left out:
 * the run being compared. Damaged run files are skipped (reported to
 * `skip`, may be NULL). An empty or missing store gives no rows, not an
 * error. On failure *out is an empty record (bg__noise_init): every
 * benchmark gets the default. Free *out with bg__noise_free. */
int bg__noise_learn(bg_store *st, bg_git *g, const char *machine, const char *head, const char *metric,
                    const struct bg_settings *settings, const char *exclude, bg_store_skip_fn skip, void *ud,
                    bg_noise *out, char *err, size_t errlen);

/* The same from runs already in memory (tests, and callers that loaded
 * them): runs[i] with clean[i] true when it was made at its commit without
 * uncommitted changes; `history` (may be NULL, nhist 0) the first-parent
 * commits newest first; `settings` as for bg__noise_learn. */
int bg__noise_from_runs(const bg_run *const *runs, const bool *clean, size_t nruns, const char (*history)[41],
                        size_t nhist, const char *metric, const struct bg_settings *settings, bg_noise *out);

/* What to use for benchmark `name` (compare_runs.c, where rows are widened
 * by it): the learned sigma when it rests on at
 * least n->min_pairs log-ratios (*df = their count), else the default
 * (*df = 0). `source` (may be NULL) gets e.g. "learned from 12 run pairs"
 * or "default: 1 run pair in the store". */
double bg__noise_for(const bg_noise *n, const char *name, size_t *df, char *source, size_t len);
/* The same for a row compared on `metric` (NULL: any): noise learned for
 * another metric (the row's bg_noise_row.metric, else n->metric) is not
 * used; the default is, and `source` says "default: noise learned for
 * time, not gpu_timer_ns". */
double bg__noise_for_metric(const bg_noise *n, const char *name, const char *metric, size_t *df, char *source,
                            size_t len);

/* For a comparison of stored run a with run b made at another time: picks
 * the metric as bg__compare_runs will (o->metric, o->force) and learns the
 * noise of b's machine along b's commit's history (g may be NULL: repeated
 * runs only), each benchmark on its o->settings rule's metric when it has one. `exclude` as for bg__noise_learn. */
int bg__noise_for_compare(bg_store *st, bg_git *g, const bg_run *a, const bg_run *b, const struct bg_cmp_opts *o,
                          const char *exclude, bg_noise *out, char *err, size_t errlen);

/* An empty record of `machine` (may be NULL): no rows, so every benchmark
 * gets the default; for a caller whose learning failed. */
void bg__noise_init(bg_noise *n, const char *machine);

/* The 95 % band of changes between runs of unchanged code for a noise
 * sigma: expm1(1.96 sigma), a fraction (compare_runs.c, beside
 * bg__noise_for). */
double bg__drift_band(double sigma);

void bg__noise_free(bg_noise *n);

#endif
