/* Comparing two run records benchmark by benchmark, and writing the result.
 *
 * compare_runs.c turns two bg_run into a bg_comparison (pure: statistics over
 * the recorded samples, suite-wide p-value adjustment, one verdict per
 * benchmark); reporters/compare_out.c prints it as a console table,
 * Markdown, CSV, JSON or JUnit XML. The bench binary (--baseline), the
 * `benchgate compare` / `gate` / `ab` commands and the HTML report all use
 * these, so a verdict reads the same everywhere. */
#ifndef BG_COMPARE_H
#define BG_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bg_model.h"
#include "bg_stats.h"

typedef enum bg_row_kind {
    BG_ROW_COMPARED, /* both sides measured: change, interval, p, verdict */
    BG_ROW_ONLY_A,   /* the benchmark exists only in the base run */
    BG_ROW_ONLY_B,   /* only in the candidate run (new benchmark) */
    BG_ROW_NOT_OK    /* a side skipped, crashed, timed out or has no samples */
} bg_row_kind;

typedef struct bg_cmp_row {
    const char *name;      /* borrowed from the runs compared */
    bg_row_kind kind;
    double mean_a, mean_b; /* per-iteration means of the metric (NAN when absent) */
    bg_change ch;          /* relative change B vs A with its interval and p */
    double p_adj;          /* p after suite-wide adjustment (NAN when not compared) */
    bg_verdict verdict;
    bool accepted;         /* a regression accepted by a Bench-Accept trailer */
    bool head_failed;      /* crashed or timed out in B */
    /* Between-run noise added because the runs were made at different
     * times (bg_cmp_opts.noise); drift_used false otherwise. ch is then the
     * widened change and ch_within the one inside the two runs alone. */
    bool drift_used;
    double drift;          /* sigma on the log scale */
    size_t drift_df;       /* log-ratios it rests on, 0 for the default */
    char drift_source[64]; /* "learned from 12 run pairs", "default: ..." */
    bg_change ch_within;
    char note[320];        /* why not compared / which rule accepted it */
    size_t budget;         /* 1 + the index in bg_comparison.budgets of the first budget
                            * this benchmark exceeds; 0 when within every budget */
    double elapsed_s;      /* seconds B took to measure it (NAN or 0: not known) */
    double threshold;      /* the noise threshold its verdict used, a fraction: the
                            * comparison's, or a settings rule's (bg__decide_all) */
    char metric[32];       /* what this row compares when a settings rule names a
                            * metric other than the comparison's; "": c->metric.
                            * mean_a, mean_b are in its unit (bg__cmp_row_unit) */
} bg_cmp_row;

/* An absolute budget (--limit 'GLOB:METRIC<=VALUE'): a benchmark matching
 * GLOB must keep METRIC at or under (or over, with >=) VALUE, whatever the
 * base did. Parsed by bg__budget_parse (compare/budget.c). */
#define BG_BUDGET_MAX 64
typedef struct bg_budget {
    char spec[256];   /* as given, for messages */
    char glob[160];   /* fnmatch pattern on benchmark names ("*" when none given) */
    char metric[32];  /* time, cpu, a counter, a process figure (max_rss_bytes),
                       * items_per_s or bytes_per_s; aliases resolved (peak_rss) */
    double limit;     /* in the metric's unit: ns, bytes, or a count / rate */
    bool upper;       /* '<' or '<=' (false: '>' or '>=') */
    bool inclusive;   /* '<=' or '>=' */
} bg_budget;

/* One budget checked on one benchmark of the head run. */
typedef struct bg_cmp_budget {
    const char *name;      /* the benchmark (borrowed, as rows' names) */
    const bg_budget *rule; /* borrowed from the caller's rules */
    double value;          /* the head's figure (NAN: not recorded) */
    char unit[16];         /* of value and rule->limit */
    bool exceeded;
    bool unchecked;        /* the head does not record the metric */
} bg_cmp_budget;
/* A growth order that changed between the runs (a sweep of both with the
 * same key, bg_sweep): a class that grows faster in B is a regression, one
 * that grows slower an improvement. */
typedef struct bg_cmp_class {
    char key[192];  /* the sweep: family and fixed arguments */
    char arg[32];   /* its size argument */
    bg_big_o a, b;  /* fitted (or declared) classes */
    bool regressed; /* b grows faster than a */
} bg_cmp_class;

typedef struct bg_comparison {
    bg_cmp_row *rows;
    size_t n;
    bg_cmp_class *classes; /* growth orders that changed; owned */
    size_t nclasses;
    double threshold;   /* noise threshold, a fraction */
    double alpha;
    bg_padjust padjust;
    uint64_t seed;
    size_t resamples;
    char metric[32];    /* what was compared: "time" or a counter name; a row
                         * whose settings rule names another metric says so in
                         * its own metric (bg__cmp_row_metric) */
    char unit[16];      /* "ns" for time, else the counter's unit ("" = count) */
    char metric_note[96]; /* why this metric when none was asked for, or that
                           * runs of different modes were forced ("" otherwise) */
    bool drift_used;      /* rows carry the between-run noise (opts.noise) */
    char drift_note[160]; /* where the noise came from, for a person */
    bg_cmp_budget *budgets; /* every budget checked (bg__budget_apply), owned */
    size_t nbudgets;
    /* The repository's per-benchmark rules (bg_settings.h), borrowed from
     * the options; NULL: none. bg__decide_all gives each row its threshold. */
    const struct bg_settings *settings;
} bg_comparison;

typedef struct bg_cmp_opts {
    double threshold_pct; /* noise threshold in percent (default 1) */
    double alpha;         /* significance level after adjustment (default 0.05) */
    bg_padjust padjust;   /* default Benjamini-Hochberg */
    uint64_t seed;        /* bootstrap seed (default 1) */
    size_t resamples;     /* bootstrap resamples (default 10000) */
    const char *metric;   /* "time", "cpu", a counter, or NULL (default): instructions
                           * when both runs are instruction mode, else time */
    bool force;           /* compare runs of different --mode anyway (--force) */
    /* The between-run noise learned from the store (bg_noise.h), for runs
     * made at different times: each compared row's interval and p then
     * include it, and a change inside the drift band is inconclusive. NULL:
     * within-run noise only (runs interleaved or made together). Borrowed. */
    const struct bg_noise *noise;
    /* Absolute budgets checked on b (bg__budget_apply) once the rows are
     * decided; borrowed. */
    const bg_budget *budgets;
    size_t nbudgets;
    /* The repository's settings file (bg_settings.h): a matching rule's
     * threshold replaces threshold_pct for that benchmark, its metric
     * replaces `metric` for that benchmark (whether `metric` came from the
     * command line or not), and benchmarks it ignores get no row. NULL:
     * none. Borrowed. */
    const struct bg_settings *settings;
} bg_cmp_opts;

void bg__cmp_opts_default(bg_cmp_opts *o);

/* Compares every benchmark of a with the one of the same name in b. Rows
 * come in a's order, then b's new benchmarks. Returns 0, BG_ENOMEM,
 * BG_ENUMERIC, or BG_EINVAL for an unknown metric (message in err, naming
 * the metrics the runs have) or for runs of different --mode (see
 * bg__compare_pick_metric). Free with bg__comparison_free. */
int bg__compare_runs(const bg_run *a, const bg_run *b, const bg_cmp_opts *o, bg_comparison *c,
                     char *err, size_t errlen);
void bg__comparison_free(bg_comparison *c);
/* 0 when runs a and b (either may be NULL) can be compared on `metric`:
 * time, cpu, or a counter or per-process figure that some result of either
 * records. BG_EINVAL otherwise, with a message in err naming the metric and
 * the metrics the runs have, or, for a ratio derived for display (ipc, ...),
 * the counters to use instead. bg__compare_runs checks this first. */
int bg__compare_check_metric(const bg_run *a, const bg_run *b, const char *metric, char *err, size_t errlen);
/* The metric to compare runs a and b on, given the one asked for
 * (`requested`, NULL when none): when none is asked for, "instructions" if
 * both runs are instruction mode (then `note` says so), else "time". Runs of
 * different --mode (time vs instructions, or the hardware counter vs
 * valgrind) measure different things: BG_EINVAL with a message naming both
 * modes, unless `requested` is a counter both runs recorded, or `force`
 * (then `note` names both modes). *metric points to a static string or to
 * `requested`. */
int bg__compare_pick_metric(const bg_run *a, const bg_run *b, const char *requested, bool force,
                            const char **metric, char *note, size_t notelen, char *err,
                            size_t errlen);
/* Adjusts the p-values of c's compared rows across the suite (c->padjust)
 * and sets each one's p_adj, threshold (c->threshold, or the matching rule
 * of c->settings) and verdict (that threshold, c->alpha). */
int bg__decide_all(bg_comparison *c);
/* The metric row w of c was compared on (its settings rule's, else c's),
 * and that metric's unit (bg__metric_unit). Neither is NULL. */
const char *bg__cmp_row_metric(const bg_comparison *c, const bg_cmp_row *w);
const char *bg__cmp_row_unit(const bg_comparison *c, const bg_cmp_row *w);
/* Whether a growth order grew between the runs (c->classes). */
bool bg__cmp_class_regressed(const bg_comparison *c);

/* Parses a budget "GLOB:METRIC<=VALUE[UNIT]" (also <, >=, >; GLOB may be
 * left out with its ':' for every benchmark; units: ns us µs ms s, B KiB MiB
 * GiB kB MB GB, k M G). BG_EINVAL with a message naming the budget. */
int bg__budget_parse(const char *spec, bg_budget *out, char *err, size_t errlen);
/* Checks every benchmark of `head` matching a rule against it, filling
 * c->budgets and each row's `budget` (a budget exceeded makes the row a
 * regression: bg__cmp_row_is_regression). Benchmarks that failed are not
 * checked (they are reported as failed). Calling it again replaces what an
 * earlier call found. Returns 0; BG_EINVAL when a matching benchmark does
 * not record a rule's metric and BG_ENOTFOUND when a rule matches no
 * benchmark (the checks made stay in c; message in err); BG_ENOMEM. */
int bg__budget_apply(bg_comparison *c, const bg_run *head, const bg_budget *rules, size_t nrules, char *err,
                     size_t errlen);
/* How many of c's budget checks were exceeded. */
size_t bg__budget_exceeded(const bg_comparison *c);

/* Per-iteration mean of `metric` over all samples of r (NAN when absent). */
double bg__result_metric_mean(const bg_result *r, const char *metric);

/* The 95 % band of changes between runs of unchanged code for a row's
 * drift (expm1(1.96 sigma)), as a fraction; NAN when no drift was used. */
double bg__cmp_row_drift_band(const bg_cmp_row *w);

/* "improved", "regressed", ..., "accepted", "over budget", "only in A", "failed", ... */
const char *bg__cmp_row_verdict(const bg_cmp_row *w);
/* True when the row is a regression that is not accepted, or exceeds a budget. */
bool bg__cmp_row_is_regression(const bg_cmp_row *w);

/* ---- output (reporters/compare_out.c; these entry points: reporters/reporter.c) ---- */

typedef enum bg_cmp_format { BG_CMP_CONSOLE, BG_CMP_MARKDOWN, BG_CMP_CSV, BG_CMP_JSON } bg_cmp_format;

/* A value in `unit` (a bg_comparison's unit, bg__metric_unit): "ns" as a
 * time ("1.23 µs"), "bytes" in binary multiples from 1 KiB on ("4 KiB"),
 * others as "%.4g UNIT", counts plain; "-" for NAN. */
void bg__fmt_metric(double v, const char *unit, char *buf, size_t n);
/* Labels name the sides in headers ("A"/"B" when NULL). */
/* "+1.23% [+0.50%, +2.00%]" for a compared row, "-" otherwise. */
void bg__cmp_fmt_change(const bg_cmp_row *w, char *buf, size_t n);
/* The comparison through the reporter table (bg_reporter.h): the console
 * table, Markdown under an optional "### title", and `fmt` chosen by name. */
void bg__cmp_print_console(FILE *f, const bg_comparison *c, const char *label_a, const char *label_b);
void bg__cmp_print_markdown(FILE *f, const bg_comparison *c, const char *title);
/* The comparison as `compare --format json` prints it (its settings and a
 * "benchmarks" array, one object per row), for a caller that adds to it.
 * Returns a new object owned by the caller (cJSON_Delete), or NULL when out
 * of memory. */
struct cJSON *bg__cmp_to_json(const bg_comparison *c);
int bg__cmp_print(FILE *f, const bg_comparison *c, bg_cmp_format fmt);
/* JUnit XML: each benchmark a test case, a regression a failure, a crash an
 * error. `suite` names the test suite. Written atomically. */
int bg__cmp_write_junit(const char *path, const bg_comparison *c, const char *suite, char *err,
                        size_t errlen);

#endif
