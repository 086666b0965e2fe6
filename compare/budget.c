/* Absolute budgets beside relative regressions: parsing "GLOB:METRIC<=VALUE"
 * (`--limit`) and checking a head run's benchmarks against them, so that a
 * budget exceeded fails compare and the gate as a regression does. Pure: no
 * printing (see bg_compare.h). */
#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_compare.h"

/* Names a person may use for a metric, and the metric they mean. */
static const char *const ALIASES[][2] = {
    {"peak_rss", "max_rss_bytes"},
    {"rss", "max_rss_bytes"},
    {"wall", "time"},
    {"wall_ns", "time"},
    {"cpu_ns", "cpu"},
};

/* A unit suffix and its factor, for metrics of one unit ("ns", "bytes",
 * "" for counts and rates). */
typedef struct unit_def {
    const char *suffix;
    const char *unit;
    double factor;
} unit_def;

static const unit_def UNITS[] = {
    {"ns", "ns", 1},          {"us", "ns", 1e3},          {"\xc2\xb5s", "ns", 1e3},
    {"ms", "ns", 1e6},        {"s", "ns", 1e9},           {"B", "bytes", 1},
    {"KiB", "bytes", 1024.0}, {"MiB", "bytes", 1048576.0}, {"GiB", "bytes", 1073741824.0},
    {"kB", "bytes", 1e3},     {"KB", "bytes", 1e3},       {"MB", "bytes", 1e6},
    {"GB", "bytes", 1e9},     {"k", "", 1e3},             {"M", "", 1e6},
    {"G", "", 1e9},
};

/* The unit a budget's value is in: a metric's unit, with the throughputs
 * (per second, unit "") taken as counts. */
static const char *budget_unit(const char *metric)
{
    if (!strcmp(metric, "items_per_s") || !strcmp(metric, "bytes_per_s"))
        return "";
    return bg__metric_unit(metric);
}

static bool metric_name_ok(const char *m)
{
    if (!m[0])
        return false;
    for (const char *p = m; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
            return false;
    return true;
}

int bg__budget_parse(const char *spec, bg_budget *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!spec || !spec[0]) {
        snprintf(err, errlen, "empty budget (expected GLOB:METRIC<=VALUE, e.g. 'parse_*:time<=50us')");
        return BG_EINVAL;
    }
    if (strlen(spec) >= sizeof out->spec) {
        snprintf(err, errlen, "budget '%.60s...' is longer than %zu characters", spec, sizeof out->spec - 1);
        return BG_EINVAL;
    }
    snprintf(out->spec, sizeof out->spec, "%s", spec);
    /* The operator is the last '<' or '>' in the text: a glob may hold
     * ':' (instance names such as sort/n:1024) but not a comparison. */
    const char *op = NULL;
    for (const char *p = spec; *p; p++)
        if (*p == '<' || *p == '>')
            op = p;
    if (op && op > spec && (op[-1] == '<' || op[-1] == '>'))
        op--;
    if (!op) {
        snprintf(err, errlen, "budget '%s' has no comparison (expected GLOB:METRIC<=VALUE, e.g. "
                 "'parse_*:time<=50us' or 'load:peak_rss<=64MiB')", spec);
        return BG_EINVAL;
    }
    out->upper = op[0] == '<';
    out->inclusive = op[1] == '=';
    const char *val = op + 1 + out->inclusive;
    /* GLOB:METRIC, or METRIC alone for every benchmark. */
    const char *colon = NULL;
    for (const char *p = spec; p < op; p++)
        if (*p == ':')
            colon = p;
    const char *m = colon ? colon + 1 : spec;
    size_t gl = colon ? (size_t)(colon - spec) : 0;
    size_t ml = (size_t)(op - m);
    if (colon && gl == 0) {
        snprintf(err, errlen, "budget '%s' has an empty benchmark glob before ':' (use '*' for every benchmark)",
                 spec);
        return BG_EINVAL;
    }
    snprintf(out->glob, sizeof out->glob, "%.*s", colon ? (int)gl : 1, colon ? spec : "*");
    char metric[sizeof out->metric];
    if (ml == 0 || ml >= sizeof metric) {
        snprintf(err, errlen, "budget '%s' names no metric before '%.2s' (e.g. time, cpu, peak_rss, a counter)",
                 spec, op);
        return BG_EINVAL;
    }
    snprintf(metric, sizeof metric, "%.*s", (int)ml, m);
    for (size_t i = 0; i < sizeof ALIASES / sizeof ALIASES[0]; i++)
        if (!strcmp(metric, ALIASES[i][0]))
            snprintf(metric, sizeof metric, "%s", ALIASES[i][1]);
    if (!metric_name_ok(metric)) {
        snprintf(err, errlen, "budget '%s': '%s' is not a metric name (letters, digits, '_')", spec, metric);
        return BG_EINVAL;
    }
    snprintf(out->metric, sizeof out->metric, "%s", metric);
    /* VALUE[UNIT] */
    while (*val == ' ')
        val++;
    char *end = NULL;
    double v = strtod(val, &end);
    if (end == val || !isfinite(v) || v < 0) {
        snprintf(err, errlen, "budget '%s': '%s' is not a limit (expected a number >= 0 with an optional unit)",
                 spec, val);
        return BG_EINVAL;
    }
    while (*end == ' ')
        end++;
    const char *want = budget_unit(out->metric);
    if (*end) {
        const unit_def *u = NULL;
        for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
            if (!strcmp(end, UNITS[i].suffix))
                u = &UNITS[i];
        if (!u) {
            snprintf(err, errlen, "budget '%s': unknown unit '%s' (times: ns, us, ms, s; sizes: B, KiB, MiB, "
                     "GiB, kB, MB, GB; counts: k, M, G)", spec, end);
            return BG_EINVAL;
        }
        if (strcmp(u->unit, want) && !(u->unit[0] == '\0' && strcmp(want, "ns"))) {
            snprintf(err, errlen, "budget '%s': unit '%s' does not fit metric '%s' (%s)", spec, end, out->metric,
                     !strcmp(want, "ns") ? "a time: ns, us, ms, s"
                     : !strcmp(want, "bytes") ? "a size: B, KiB, MiB, GiB, kB, MB, GB"
                                              : "a count: no unit, or k, M, G");
            return BG_EINVAL;
        }
        v *= u->factor;
    }
    out->limit = v;
    return 0;
}

/* A head result's figure of a budget's metric: the mean per iteration of a
 * per-sample metric (as comparisons use), the peak of a peak counter, the
 * median over processes of a process figure, or a throughput at the
 * primary estimate. NAN when the result does not record it. */
static double budget_value(const bg_result *r, const char *metric)
{
    if (!strcmp(metric, "items_per_s"))
        return r->items_per_iter ? r->fig.items_per_s : NAN;
    if (!strcmp(metric, "bytes_per_s"))
        return r->bytes_per_iter ? r->fig.bytes_per_s : NAN;
    if (!strcmp(metric, "time") && r->has_summary && isfinite(r->wall.est[BG_STAT_MEAN].point))
        return r->wall.est[BG_STAT_MEAN].point;
    return bg__result_metric(r, metric);
}

static bool budget_ok(const bg_budget *b, double v)
{
    if (b->upper)
        return b->inclusive ? v <= b->limit : v < b->limit;
    return b->inclusive ? v >= b->limit : v > b->limit;
}

static bg_cmp_row *row_named(bg_comparison *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->rows[i].name && !strcmp(c->rows[i].name, name) && c->rows[i].kind != BG_ROW_ONLY_A)
            return &c->rows[i];
    return NULL;
}

int bg__budget_apply(bg_comparison *c, const bg_run *head, const bg_budget *rules, size_t nrules, char *err,
                     size_t errlen)
{
    free(c->budgets);
    c->budgets = NULL;
    c->nbudgets = 0;
    for (size_t i = 0; i < c->n; i++)
        c->rows[i].budget = 0;
    if (!nrules)
        return 0;
    size_t cap = 0;
    for (size_t k = 0; k < nrules; k++)
        for (size_t i = 0; i < head->nresults; i++)
            cap += head->results[i].name && fnmatch(rules[k].glob, head->results[i].name, 0) == 0;
    c->budgets = calloc(cap ? cap : 1, sizeof *c->budgets);
    if (!c->budgets) {
        snprintf(err, errlen, "out of memory checking %zu budgets", nrules);
        return BG_ENOMEM;
    }
    int rc = 0;
    for (size_t k = 0; k < nrules; k++) {
        const bg_budget *b = &rules[k];
        size_t matched = 0;
        for (size_t i = 0; i < head->nresults; i++) {
            const bg_result *r = &head->results[i];
            if (!r->name || fnmatch(b->glob, r->name, 0) != 0)
                continue;
            matched++;
            bg_cmp_row *w = row_named(c, r->name);
            if (r->status != BG_STATUS_OK || (w && w->head_failed))
                continue; /* a failed benchmark is reported as failed, not as over budget */
            bg_cmp_budget *cb = &c->budgets[c->nbudgets++];
            cb->name = w ? w->name : r->name;
            cb->rule = b;
            cb->value = budget_value(r, b->metric);
            snprintf(cb->unit, sizeof cb->unit, "%s", budget_unit(b->metric));
            if (!isfinite(cb->value)) {
                cb->unchecked = true;
                if (!rc)
                    snprintf(err, errlen, "budget '%s' cannot be checked: benchmark '%s' did not record '%s' "
                             "(a counter needs its group measured, e.g. --counters; a throughput needs "
                             "bg_set_items/bg_set_bytes)", b->spec, r->name, b->metric);
                rc = BG_EINVAL;
                continue;
            }
            cb->exceeded = !budget_ok(b, cb->value);
            if (cb->exceeded && w && !w->budget)
                w->budget = c->nbudgets; /* 1 + its index */
        }
        if (!matched && !rc) {
            snprintf(err, errlen, "budget '%s' matches no benchmark of the head run (check the glob; "
                     "names are as 'benchgate ls' and the tables show them)", b->spec);
            rc = BG_ENOTFOUND;
        }
    }
    return rc;
}

size_t bg__budget_exceeded(const bg_comparison *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nbudgets; i++)
        n += c->budgets[i].exceeded;
    return n;
}
