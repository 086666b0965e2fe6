/* Settings kept in the user's repository: .benchgate.json at the top of
 * the work tree, read by the gate, compare and the bench binary's
 * --baseline comparison. Per-benchmark rules (a glob, a noise threshold,
 * a metric, or "ignore") and defaults for the whole suite:
 *
 *   {
 *     "threshold": 2,                      noise threshold in percent
 *     "metric": "time",                    what to compare by default
 *     "benchmarks": [
 *       {"match": "sort_*", "threshold": 5},
 *       {"match": "gpu_*", "metric": "gpu_timer_ns"},
 *       {"match": "flaky_io", "ignore": true}
 *     ],
 *     "limits": ["sort_*:time<=50us"]      absolute budgets (as --limit)
 *   }
 *
 * The first rule whose glob (fnmatch) matches a benchmark's name applies.
 * A rule's "metric" is what that benchmark is compared on instead of the
 * suite's (compare_runs.c; a --metric flag sets the suite's metric, and the
 * rules still apply to the benchmarks they match). Other command-line flags
 * win over the file. A bad entry is an error naming the
 * file and the line it is on. */
#ifndef BG_SETTINGS_H
#define BG_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#define BG_SETTINGS_FILE ".benchgate.json"

typedef struct bg_rule {
    char *match;          /* the glob (owned) */
    double threshold_pct; /* noise threshold in percent, NAN: the suite's */
    char metric[32];      /* what to compare it on, "": the suite's */
    bool ignore;          /* left out of comparisons and the gate */
    int line;             /* where the rule starts in the file */
} bg_rule;

typedef struct bg_settings {
    char path[4096];      /* the file read ("" when there was none) */
    double threshold_pct; /* NAN: not set */
    char metric[32];      /* "" : not set */
    bg_rule *rules;       /* owned */
    size_t nrules;
    /* "GLOB:METRIC<=VALUE" strings, as the gate's --limit takes them; kept
     * as written (checked to be strings with a comparison) for the budgets
     * (compare/budget.c) to parse, with the line each is on. */
    char **limits;        /* owned */
    int *limit_lines;     /* owned, nlimits entries */
    size_t nlimits;
} bg_settings;

/* Empty settings: nothing set, no rules. */
void bg__settings_init(bg_settings *s);
/* Parses `text` (the contents of `path`, named in messages) into *s.
 * Returns 0, or BG_EPARSE with "PATH:LINE: what is wrong" in err (s is
 * then empty), or BG_ENOMEM. */
int bg__settings_parse(const char *text, const char *path, bg_settings *s, char *err, size_t errlen);
/* Finds and reads the settings file: `path` when not NULL, else
 * .benchgate.json in the current directory or the nearest parent that has
 * it, stopping at the top of the git work tree (a directory holding .git).
 * No file: 0 with s empty. Errors as bg__settings_parse, or BG_EIO naming
 * the file. */
int bg__settings_load(const char *path, bg_settings *s, char *err, size_t errlen);
/* The first rule matching `bench`, or NULL (s may be NULL). */
const bg_rule *bg__settings_rule(const bg_settings *s, const char *bench);
/* The metric benchmark `bench` is compared on: its first matching rule's
 * "metric" when that rule names one, else `suite` (s may be NULL). Points
 * into s or is `suite`. */
const char *bg__settings_metric(const bg_settings *s, const char *bench, const char *suite);
/* Frees what s owns and empties it. */
void bg__settings_free(bg_settings *s);

#endif
