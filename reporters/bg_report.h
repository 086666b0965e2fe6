/* The report reporters: gnuplot plots (gnuplot.c), the static HTML site
 * (html.c), escaping for the text formats they write (escape.c) and the
 * exports to other tools' formats (export.c). They only read finished runs
 * and the report model that cli/report_model.c builds. */
#ifndef BG_REPORT_H
#define BG_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bg_compare.h"
#include "bg_model.h"
#include "bg_stats.h"

/* ---- escaping (escape.c) ---- */

/* HTML text and attribute values: & < > " ' become entities; control
 * characters and invalid UTF-8 bytes become '?'. NULL prints nothing. */
void bg__html_escape(FILE *f, const char *s);
/* XML text and attribute values (JUnit): the same as HTML. */
void bg__xml_escape(FILE *f, const char *s);
/* A Markdown table cell: '|' and markup characters backslash-escaped;
 * control characters (a newline would end the row) and invalid UTF-8 bytes
 * become '?'. */
void bg__md_escape(FILE *f, const char *s);
/* Text for a terminal: control characters (escape sequences would move the
 * cursor or change colours) and invalid UTF-8 bytes become '?'. */
void bg__term_escape(FILE *f, const char *s);
/* A CSV field (RFC 4180): always quoted, '"' doubled; a field starting
 * with '=', '+', '-', '@', tab or carriage return gets a leading "'" so a
 * spreadsheet shows it as text instead of running it as a formula. */
void bg__csv_escape(FILE *f, const char *s);
/* A gnuplot single-quoted string literal, quotes included: ' is doubled
 * (the only escape gnuplot has in single quotes); control characters
 * (a newline would end the command) and invalid UTF-8 become '?'; "]]>"
 * gets a zero-width space before its '>' (it would end the SVG's XML). */
void bg__gp_quote(FILE *f, const char *s);
/* A file name part made of the name's letters and digits (lowercase, others as '-', at most 40) and
 * 8 hex digits of its hash, so two names never share a page: "a-b-c-1f2e3d4c". */
void bg__name_slug(const char *name, char *out, size_t n);

/* ---- plots (gnuplot.c) ---- */

/* Plot sizes in pixels; the pages give each <img> the same size, so the
 * layout does not move while the images load. */
#define BG_PLOT_W 560       /* distributions, iterations vs time */
#define BG_PLOT_H 300
#define BG_PLOT_WIDE_W 760  /* history */
#define BG_PLOT_WIDE_H 360
#define BG_PLOT_SPARK_W 180 /* the index's history line */
/* The history plot's area between these fractions of its width (gnuplot
 * margins set "at screen"), so the page can place a tooltip and a link
 * over each commit's column (an image map) without reading the SVG: room
 * on the left for the y tics and label, a little on the right for the
 * last tic's label. */
#define BG_PLOT_HIST_LEFT 0.11
#define BG_PLOT_HIST_RIGHT 0.97
#define BG_PLOT_SPARK_H 40

/* A running gnuplot that draws every plot of one report. Opaque. */
typedef struct bg_plotter bg_plotter;

/* Starts gnuplot with its working directory `dir` and the script on its
 * stdin: $BENCHGATE_GNUPLOT, else "gnuplot" from PATH, run with
 * posix_spawn (no shell). BG_EUNAVAIL when it cannot be started, with a
 * message saying how to install it. *out is NULL on failure. */
int bg__plot_open(bg_plotter **out, const char *dir, char *err, size_t errlen);
/* Ends the script, waits for gnuplot and frees p (*p becomes NULL; NULL is
 * fine). 0 when gnuplot drew everything; BG_EIO with gnuplot's own message
 * otherwise (plots drawn before the failure are still there). */
int bg__plot_close(bg_plotter **p, char *err, size_t errlen);
/* The program run (for messages). */
const char *bg__plot_program(void);

/* One series of per-iteration values for a distribution plot. */
typedef struct bg_plot_dist {
    const double *x; /* per-iteration values (ns for times) */
    size_t n;
    const char *label;
    double mean;     /* marked with a line; NAN for none */
} bg_plot_dist;

/* Kernel density of one or two distributions (base and candidate overlaid),
 * with the bandwidths and range of `frame` (bg_density_frame over the same
 * series). `file` is relative to the directory given to bg__plot_open;
 * `title` and `xlabel_what` (the quantity: "time per iteration") are any
 * text, escaped here. */
int bg__plot_density(bg_plotter *p, const char *file, const char *title, const char *xlabel_what,
                     const bg_plot_dist *d, size_t nd, const bg_density_frame *frame);

/* Samples of a result as (iterations, time) points, a colour per process,
 * with the fitted line time = slope * iterations and its interval. */
int bg__plot_fit(bg_plotter *p, const char *file, const char *title, const bg_result *r);

/* A history: one point per commit position (x = 0 oldest), NAN where the
 * commit has no run or no value; lo/hi the interval (NAN: none). Change
 * points are drawn at their index with their magnitude; `tics` labels
 * (short commit ids, each with its subject on a second line) are placed at
 * up to 8 evenly spread positions. The
 * y axis says `what` ("instructions per iteration") and is scaled for
 * `unit` (bg__metric_unit: "ns" as time, "bytes" in KiB/MiB/GiB, a count
 * in thousands/millions/billions); NULL for both means time per
 * iteration. */
typedef struct bg_plot_history {
    const double *pt, *lo, *hi;
    size_t n;
    const bg_changepoint *cp;
    size_t ncp;
    const char *const *tics; /* n labels, or NULL; a '\n' starts a second line (the subject) */
    const char *what;        /* the quantity, or NULL for time per iteration */
    const char *unit;        /* its unit (NULL: ns) */
} bg_plot_history;

int bg__plot_history(bg_plotter *p, const char *file, const char *title, const bg_plot_history *h);
/* A growth sweep on log-log axes: time per iteration against the size, and
 * the fitted curve coef * f(n) of its class. */
int bg__plot_growth(bg_plotter *p, const char *file, const char *title, const bg_sweep *w);
/* The same history as a small line without axes for the index. */
int bg__plot_sparkline(bg_plotter *p, const char *file, const bg_plot_history *h);

/* ---- the report model (filled by cli/report_model.c) ---- */

/* One commit of the history, oldest first. */
typedef struct bg_report_commit {
    char id[41];
    char created[32];  /* of the run shown; "" when none */
    bool has_run;      /* a run on the report's machine */
    bool dirty;
    char page[64];     /* "commit-<id>.html", "" when no run */
    char subject[160]; /* the first line of the commit message ("" unknown) */
    char author[64];
    char date[24];     /* the commit's date, "YYYY-MM-DD HH:MM" UTC ("" unknown) */
} bg_report_commit;

/* What a history and a comparison are about: wall time, or a counter or a
 * per-process figure. */
typedef struct bg_report_metric {
    const char *name;      /* "time", "instructions", ... */
    bool is_time;
    char unit[16];         /* bg__metric_unit(name): "ns", "bytes", "" (a count) */
    char what[80];         /* "time per iteration", "allocs per iteration", ... */
} bg_report_metric;

/* One benchmark's row: head/base results (may be NULL), its comparison row
 * (NULL without a base), its history (one value of the report's metric per
 * commit), change points and which plot files were drawn. */
typedef struct bg_report_bench {
    const char *name;
    char slug[64];
    const bg_result *head, *base;
    const bg_cmp_row *row;
    double *hist_pt, *hist_lo, *hist_hi; /* ncommits each; NAN where no value */
    bg_changepoint cp[16];
    size_t ncp;
    /* The newest commit's value stands apart from the level since the last
     * change point (bg_changepoint_last) by more than the noise threshold:
     * a suspected change, one run so far, that the next run confirms. */
    bool suspect;
    double suspect_change;   /* newest / level - 1 */
    bool plot_dist, plot_fit, plot_cmp, plot_hist, plot_spark; /* drawn and present */
    double drift_band;       /* 95 % band of run-to-run changes on the head's machine (a
                              * fraction, from the store's noise record); NAN when unknown */
    char drift_source[64];   /* "learned from 12 run pairs", "default: ..." */
    /* Its metric: the report's, or the one its settings rule names
     * (.benchgate.json, "metric"), which its comparison row, history, change
     * points and pages are then about; own_metric says it differs. */
    bg_report_metric m;
    bool own_metric;
    char rule_where[80];     /* "FILE:LINE" of that rule, "" for the report's metric */
} bg_report_bench;

#define BG_REPORT_SWEEPS 16 /* growth plots drawn per report */

typedef struct bg_report {
    const bg_run *head;       /* the run reported (never NULL) */
    const bg_run *base;       /* the baseline, NULL when none */
    char head_label[96];      /* "commit 1a2b3c4d5e6f" / "run file x.json" */
    char base_label[96];
    char head_page[64], base_page[64]; /* commit pages, "" when none */
    const bg_comparison *cmp; /* head vs base, NULL without base */
    bg_report_commit *commits;
    size_t ncommits;
    bg_report_bench *benches;
    size_t nbenches;
    size_t other_machine_runs; /* history runs left out: other machines */
    double threshold;          /* noise threshold (fraction) for notes on change points */
    /* The metric of the comparison, the histories and the change points
     * (--metric): wall time, or a counter or per-process figure. The
     * estimates, distributions and fits stay about time. */
    const char *metric;        /* "time", "instructions", ... */
    bool metric_is_time;
    char metric_unit[16];      /* bg__metric_unit(metric): "ns", "bytes", "" (a count) */
    char metric_what[80];      /* "time per iteration", "allocs per iteration", ... */
    char metric_note[192];     /* how the metric was chosen when not asked for, "" otherwise */
    char base_note[512];       /* why a baseline found was not compared, "" otherwise */
    char drift_note[192];      /* where the between-run noise came from, "" when unknown */
    char plots_note[1024];     /* why plots are missing or incomplete, "" when fine */
    /* The head run's growth sweeps with a log-log plot drawn and present
     * (plots/sweep-<i>-growth.svg, i its index in head->sweeps). */
    bool sweep_plot[BG_REPORT_SWEEPS];
    char generated[32];        /* ISO 8601 UTC */
} bg_report;

/* ---- the HTML site (html.c) ---- */

/* Writes index.html into dir. Errors name the file. */
int bg__html_write_index(const char *dir, const bg_report *rep, char *err, size_t errlen);
/* Writes the page of benchmark i ("bench-<slug>.html"). */
int bg__html_write_bench(const char *dir, const bg_report *rep, size_t i, char *err, size_t errlen);
/* Writes a commit's page `page`: the run's configuration, machine,
 * harness overhead, counter groups and every estimate. Benchmark names link
 * to their pages when they are among rep's benchmarks (rep may be NULL). */
int bg__html_write_commit(const char *dir, const char *page, const bg_run *run, const bg_report *rep,
                          char *err, size_t errlen);

/* ---- exports (export.c; these entry points: reporter.c, through the table) ---- */

/* CSV of estimates: one row per benchmark and statistic. */
int bg__export_csv(FILE *f, const bg_run *run);
/* Google Benchmark JSON (the shape of --benchmark_repetitions output): one
 * "iteration" entry per process (a repetition), then mean, median, stddev
 * and cv aggregates over them. */
int bg__export_gbench(FILE *f, const bg_run *run);
/* Google Benchmark JSON as its consumers read it (export's default): one
 * "aggregate" entry per benchmark, aggregate_name "mean", name
 * "<benchmark>_mean", with the processes' raw samples in
 * "benchgate_processes" so that the import rebuilds the run. */
int bg__export_gbench_mean(FILE *f, const bg_run *run);
/* Chrome trace event format (Perfetto reads it): an "X" event per sample,
 * one track (pid = benchmark, tid = process) per benchmark process. At most
 * bg__trace_max_samples sample events (default BG_TRACE_MAX_SAMPLES, about
 * 30 MB): past it every k-th sample of each process is kept, and
 * otherData.capped says how many of how many. */
#define BG_TRACE_MAX_SAMPLES 100000
extern size_t bg__trace_max_samples;
int bg__export_trace(FILE *f, const bg_run *run);

#endif
