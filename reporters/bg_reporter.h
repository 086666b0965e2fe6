/* The reporter interface, as output plugins are in dav1d: each output
 * format is a {name, begin, bench, end} in one NULL-terminated table
 * (reporter.c), chosen by name and by what it reports, a run or a
 * comparison of two runs. A reporter sees only finished results (the model
 * computed every figure before it is called, bg__result_derive) and
 * formats them; it computes no statistics. */
#ifndef BG_REPORTER_H
#define BG_REPORTER_H

#include <stddef.h>
#include <stdio.h>

#include "bg_compare.h"
#include "bg_model.h"

struct bg_report;

/* What a reporter reports. */
typedef enum bg_report_kind {
    BG_REPORT_RUN = 1,        /* the results of one run */
    BG_REPORT_COMPARISON = 2  /* the rows of a comparison of two runs */
} bg_report_kind;

/* What a reporter is handed; everything stays the caller's. */
typedef struct bg_report_src {
    bg_report_kind kind;
    const bg_run *run;           /* BG_REPORT_RUN: bench i is run->results[i] */
    const bg_comparison *cmp;    /* BG_REPORT_COMPARISON: bench i is cmp->rows[i] */
    const char *label_a, *label_b; /* the compared sides' names (NULL: "A", "B") */
    const char *title;           /* a Markdown heading, a JUnit suite name; NULL: none */
    const struct bg_report *site; /* HTML: the report the page links into, or NULL */
    /* The console reporters: colour the verdicts (ANSI), and the terminal's
     * width in columns: a table wider than it takes a compact layout
     * (0: no limit, as for a file or a pipe). bg__console_style fills both. */
    bool color;
    int width;
} bg_report_src;

/* One output format: begin once, bench once per result or row (in order;
 * a run's results may still be measured after begin, so begin reads only
 * their names), end once. Each returns 0 or a BG_E* code (BG_EIO on a write
 * error); a format that writes one document (JSON) builds it at end. */
typedef struct bg_reporter {
    const char *name;     /* what --format calls it */
    bg_report_kind kind;
    int (*begin)(FILE *f, const bg_report_src *s);
    int (*bench)(FILE *f, const bg_report_src *s, size_t i);
    int (*end)(FILE *f, const bg_report_src *s);
} bg_reporter;

/* Every reporter, NULL-terminated: console, Markdown, CSV, JSON, JUnit,
 * HTML, and the exports to Google Benchmark JSON and the Chrome trace. */
extern const bg_reporter *const bg__reporters[];

/* The reporter called `name` for `kind`, or NULL when there is none. */
const bg_reporter *bg__reporter_find(const char *name, bg_report_kind kind);
/* Runs r over everything s holds: begin, bench for each result or row, end.
 * Stops at the first error and returns it. */
int bg__report(FILE *f, const bg_reporter *r, const bg_report_src *s);

/* The reporters (console.c, compare_out.c, export.c, html.c). */
extern const bg_reporter bg__console_reporter;     /* a run as an aligned table */
extern const bg_reporter bg__cmp_console_reporter; /* a comparison as an aligned table */
extern const bg_reporter bg__markdown_reporter;
extern const bg_reporter bg__cmp_csv_reporter;
extern const bg_reporter bg__cmp_json_reporter;
extern const bg_reporter bg__junit_reporter;
extern const bg_reporter bg__csv_reporter;         /* a run's estimates */
extern const bg_reporter bg__gbench_reporter;           /* one mean entry per benchmark */
extern const bg_reporter bg__gbench_processes_reporter; /* an entry per process + aggregates */
extern const bg_reporter bg__trace_reporter;
extern const bg_reporter bg__html_reporter;        /* a run's page */

/* Sets s->color and s->width for output to `fd`: colour when `color_when`
 * is "always", or "auto" (or NULL) on a terminal without NO_COLOR set;
 * the width of that terminal (COLUMNS, else the terminal's own), 0 when fd
 * is not a terminal. */
void bg__console_style(bg_report_src *s, int fd, const char *color_when);
/* The colour setting of the comparison tables printed to stdout or stderr
 * (bg__cmp_print_console): "always", "never" or "auto"/NULL; the string
 * must outlive the printing (an argv entry). */
void bg__console_color_when(const char *when);

/* Formats a duration in ns with an auto-scaled unit ("12.3 µs"). */
void bg__format_ns(double ns, char *buf, size_t len);
/* What a GPU breakdown row is, for a person: the kernel's name, or
 * "memcpy HtoD 4 MiB" for copies of one size (console.c). */
struct bg_gpu_row;
void bg__gpu_row_label(const struct bg_gpu_row *row, char *buf, size_t len);

#endif
