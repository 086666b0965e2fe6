/* Writing a comparison: console table, Markdown, CSV, JSON and JUnit XML.
 * Reads a finished bg_comparison only; every name is escaped for the format
 * it goes into. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bg_compare.h"
#include "bg_report.h"
#include "bg_reporter.h"

void bg__fmt_metric(double v, const char *unit, char *buf, size_t n)
{
    if (!unit)
        unit = "";
    if (!isfinite(v))
        snprintf(buf, n, "-");
    else if (!strcmp(unit, "ns"))
        bg__format_ns(v, buf, n);
    else if (!strcmp(unit, "bytes") && fabs(v) >= 1024) {
        static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        v /= 1024;
        while (fabs(v) >= 1024 && u < 3) {
            v /= 1024;
            u++;
        }
        snprintf(buf, n, "%.4g %s", v, units[u]);
    }
    else
        snprintf(buf, n, "%.4g%s%s", v, unit[0] ? " " : "", unit);
}

/* A per-iteration value of row w in the unit of the metric it compares
 * (the comparison's, or its settings rule's). */
static void fmt_value(const bg_comparison *c, const bg_cmp_row *w, double v, char *buf, size_t n)
{
    bg__fmt_metric(v, bg__cmp_row_unit(c, w), buf, n);
}

void bg__cmp_fmt_change(const bg_cmp_row *w, char *buf, size_t n)
{
    if (w->kind != BG_ROW_COMPARED)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%+.2f%% [%+.2f%%, %+.2f%%]", 100 * w->ch.change, 100 * w->ch.lo,
                 100 * w->ch.hi);
}

static void fmt_p(const bg_cmp_row *w, char *buf, size_t n)
{
    if (isfinite(w->p_adj))
        snprintf(buf, n, "%.4f", w->p_adj);
    else
        snprintf(buf, n, "-");
}

/* Whether a row's verdict should name the drift band: it was used, and the
 * row could not be decided (inconclusive), so a person sees why. */
static bool drift_matters(const bg_cmp_row *w)
{
    return w->kind == BG_ROW_COMPARED && w->drift_used && w->drift > 0 && !w->accepted &&
           w->verdict == BG_VERDICT_INCONCLUSIVE;
}

/* "time 62.1 µs, budget <= 50 µs" for a budget check. */
static void fmt_budget(const bg_cmp_budget *cb, char *buf, size_t n)
{
    char got[48], lim[48];
    bg__fmt_metric(cb->value, cb->unit, got, sizeof got);
    bg__fmt_metric(cb->rule->limit, cb->unit, lim, sizeof lim);
    snprintf(buf, n, "%s %s, budget %s%s %s", cb->rule->metric, got, cb->rule->upper ? "<" : ">",
             cb->rule->inclusive ? "=" : "", lim);
}

/* The budget a row exceeds, or NULL. */
static const bg_cmp_budget *row_budget(const bg_comparison *c, const bg_cmp_row *w)
{
    return w->budget && w->budget <= c->nbudgets ? &c->budgets[w->budget - 1] : NULL;
}

/* A symbol beside each verdict so it reads without colour. */
static const char *verdict_symbol(const bg_cmp_row *w)
{
    if (w->budget && !w->head_failed && !(w->kind == BG_ROW_COMPARED && w->verdict == BG_VERDICT_REGRESSED))
        return "!>";
    if (w->kind != BG_ROW_COMPARED)
        return w->head_failed ? "!!" : "  ";
    if (w->accepted)
        return "~+";
    switch (w->verdict) {
    case BG_VERDICT_IMPROVED: return "--";
    case BG_VERDICT_REGRESSED: return "++";
    case BG_VERDICT_UNCHANGED: return "==";
    default: return "??";
    }
}

/* Prints s padded to `width` display columns (UTF-8 aware), right-aligned
 * when `right`. */
static void pad(FILE *f, const char *s, size_t width, bool right)
{
    size_t cols = 0;
    for (const char *p = s; *p; p++)
        if (((unsigned char)*p & 0xC0) != 0x80)
            cols++;
    if (!right)
        bg__term_escape(f, s);
    for (; cols < width; cols++)
        fputc(' ', f);
    if (right)
        bg__term_escape(f, s);
}

static const char *padjust_name(bg_padjust m)
{
    switch (m) {
    case BG_PADJ_BH: return "bh";
    case BG_PADJ_HOLM: return "holm";
    default: return "none";
    }
}

static const char *metric_title(const bg_comparison *c)
{
    return strcmp(c->metric, "time") ? c->metric : "mean";
}

/* ---- console ---- */

void bg__console_style(bg_report_src *s, int fd, const char *color_when)
{
    bool tty = isatty(fd);
    const char *nc = getenv("NO_COLOR");
    if (color_when && !strcmp(color_when, "always"))
        s->color = true;
    else if (color_when && !strcmp(color_when, "never"))
        s->color = false;
    else
        s->color = tty && !(nc && *nc);
    s->width = 0;
    if (!tty)
        return;
    const char *cols = getenv("COLUMNS");
    int w = cols ? atoi(cols) : 0;
    struct winsize ws;
    if (w <= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0)
        w = ws.ws_col;
    s->width = w > 0 ? w : 80;
}

/* The ANSI colour of a row's verdict: red regressed, green improved,
 * yellow inconclusive, none otherwise. */
static const char *verdict_color(const bg_cmp_row *w)
{
    if (w->head_failed || bg__cmp_row_is_regression(w))
        return "\033[31m";
    if (w->kind != BG_ROW_COMPARED || w->accepted)
        return NULL;
    switch (w->verdict) {
    case BG_VERDICT_IMPROVED: return "\033[32m";
    case BG_VERDICT_INCONCLUSIVE: return "\033[33m";
    default: return NULL;
    }
}

/* Column widths of the console table: names, then the two sides' headers.
 * compact: the layout for a narrow terminal (name, B, change with a short
 * interval, verdict), taken when the full rows would not fit s->width. */
typedef struct cols {
    size_t wn, wa, wb;
    char ha[64], hb[64];
    bool compact;
} cols;

/* Widths of the fixed columns of each layout, verdict ("== unchanged") and
 * the separators included. */
#define FULL_FIXED (2 + 2 + 2 + 34 + 2 + 8 + 2 + 15)
#define COMPACT_FIXED (2 + 2 + 26 + 2 + 15)
#define COMPACT_MIN_NAME 12

static void console_cols(const bg_report_src *s, cols *k)
{
    const bg_comparison *c = s->cmp;
    k->wn = 9;
    for (size_t i = 0; i < c->n; i++)
        if (strlen(c->rows[i].name) > k->wn)
            k->wn = strlen(c->rows[i].name);
    if (k->wn > 60)
        k->wn = 60;
    snprintf(k->ha, sizeof k->ha, "%s (%s)", s->label_a ? s->label_a : "A", metric_title(c));
    snprintf(k->hb, sizeof k->hb, "%s (%s)", s->label_b ? s->label_b : "B", metric_title(c));
    k->wa = strlen(k->ha) > 12 ? strlen(k->ha) : 12;
    k->wb = strlen(k->hb) > 12 ? strlen(k->hb) : 12;
    k->compact = s->width > 0 && k->wn + k->wa + k->wb + FULL_FIXED > (size_t)s->width;
    if (k->compact) {
        /* B's side under its label alone; names cut to what is left. */
        snprintf(k->hb, sizeof k->hb, "%s", s->label_b ? s->label_b : "B");
        k->wb = strlen(k->hb) > 10 ? strlen(k->hb) : 10;
        if (k->wb > 16) {
            k->hb[16] = '\0';
            k->wb = 16;
        }
        size_t room = (size_t)s->width > k->wb + COMPACT_FIXED + COMPACT_MIN_NAME
                          ? (size_t)s->width - k->wb - COMPACT_FIXED
                          : COMPACT_MIN_NAME;
        if (k->wn > room)
            k->wn = room;
    }
}

/* The change with its interval in one decimal, for the compact layout
 * ("+2.3% [+1.1, +3.5]"). */
static void fmt_change_short(const bg_cmp_row *w, char *buf, size_t n)
{
    if (w->kind != BG_ROW_COMPARED)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%+.1f%% [%+.1f, %+.1f]", 100 * w->ch.change, 100 * w->ch.lo, 100 * w->ch.hi);
}

/* A name cut to `width` columns, its end replaced by "~" when cut. */
static void put_name(FILE *f, const char *name, size_t width)
{
    if (strlen(name) <= width) {
        pad(f, name, width, false);
        return;
    }
    fprintf(f, "%.*s~", (int)(width - 1), name);
}

static int console_begin(FILE *f, const bg_report_src *s)
{
    cols k;
    console_cols(s, &k);
    pad(f, "benchmark", k.wn, false);
    fputs("  ", f);
    if (k.compact) {
        pad(f, k.hb, k.wb, true);
        fprintf(f, "  %-26s  %s\n", "change [CI, %]", "verdict");
        return 0;
    }
    pad(f, k.ha, k.wa, true);
    fputs("  ", f);
    pad(f, k.hb, k.wb, true);
    fprintf(f, "  %-34s  %8s  %s\n", "change [CI]", "p (adj)", "verdict");
    return 0;
}

static int console_bench(FILE *f, const bg_report_src *s, size_t i)
{
    const bg_comparison *c = s->cmp;
    cols k;
    console_cols(s, &k);
    const bg_cmp_row *w = &c->rows[i];
    char a[32], b[32], ch[96], p[32];
    fmt_value(c, w, w->mean_a, a, sizeof a);
    fmt_value(c, w, w->mean_b, b, sizeof b);
    fmt_p(w, p, sizeof p);
    const char *col = s->color ? verdict_color(w) : NULL;
    if (k.compact) {
        fmt_change_short(w, ch, sizeof ch);
        put_name(f, w->name, k.wn);
        fputs("  ", f);
        pad(f, b, k.wb, true);
        fprintf(f, "  %-26s  %s%s %s%s\n", ch, col ? col : "", verdict_symbol(w), bg__cmp_row_verdict(w),
                col ? "\033[0m" : "");
        return 0;
    }
    bg__cmp_fmt_change(w, ch, sizeof ch);
    pad(f, w->name, k.wn, false);
    fputs("  ", f);
    pad(f, a, k.wa, true);
    fputs("  ", f);
    pad(f, b, k.wb, true);
    fprintf(f, "  %-34s  %8s  %s%s %s%s", ch, p, col ? col : "", verdict_symbol(w), bg__cmp_row_verdict(w),
            col ? "\033[0m" : "");
    if (w->metric[0]) {
        fputs(" (metric ", f);
        bg__term_escape(f, w->metric);
        fputc(')', f);
    }
    if (drift_matters(w))
        fprintf(f, " (drift +-%.1f %%)", 100 * bg__cmp_row_drift_band(w));
    const bg_cmp_budget *cb = row_budget(c, w);
    if (cb) {
        char bt[160];
        fmt_budget(cb, bt, sizeof bt);
        fprintf(f, " (%s)", bt);
    }
    if (w->note[0]) {
        fputs(" (", f);
        bg__term_escape(f, w->note);
        fputc(')', f);
    }
    fputc('\n', f);
    return 0;
}

/* "budgets: N checked, K exceeded" and a line per budget exceeded; nothing
 * when no budget was given. */
static void console_budgets(FILE *f, const bg_comparison *c, int wrap)
{
    if (!c->nbudgets)
        return;
    size_t k = bg__budget_exceeded(c);
    fprintf(f, "budgets: %zu checked, %zu exceeded\n", c->nbudgets, k);
    for (size_t i = 0; i < c->nbudgets; i++) {
        const bg_cmp_budget *cb = &c->budgets[i];
        if (!cb->exceeded)
            continue;
        char bt[160];
        fmt_budget(cb, bt, sizeof bt);
        bg__wrapf(f, wrap, "  over budget: %s: %s ('%s')", cb->name, bt, cb->rule->spec);
    }
}

/* Growth orders that changed (bg_cmp_class), one line each. */
static void print_classes(FILE *f, const bg_comparison *c, bool md)
{
    for (size_t i = 0; i < c->nclasses; i++) {
        const bg_cmp_class *x = &c->classes[i];
        fputs(md ? "- growth order of " : "growth order of ", f);
        if (md)
            bg__md_escape(f, x->key);
        else
            fputs(x->key, f);
        fprintf(f, " in %s: %s -> %s, %s\n", x->arg, bg__big_o_name(x->a), bg__big_o_name(x->b),
                x->regressed ? "REGRESSED (grows faster)" : "improved (grows slower)");
    }
    if (md && c->nclasses)
        fputc('\n', f);
}

static int console_end(FILE *f, const bg_report_src *s)
{
    const bg_comparison *c = s->cmp;
    /* Everything after the table is a message: wrapped at the terminal's
     * width, else at COLUMNS when set; unwrapped in a pipe. */
    int wrap = s->width > 0 ? s->width : bg__wrap_width(f);
    console_budgets(f, c, wrap);
    bg_msgbuf mb;
    FILE *m = bg__msg_begin(&mb, f);
    print_classes(m, c, false);
    bg__msg_end(&mb, f, wrap);
    cols k;
    console_cols(s, &k);
    if (k.compact) {
        /* What the compact rows leave out, one message each: notes and drift bands of the rows that have
         * them, and the p-values. */
        for (size_t i = 0; i < c->n; i++) {
            const bg_cmp_row *w = &c->rows[i];
            const bg_cmp_budget *cb = row_budget(c, w);
            if (drift_matters(w) || w->note[0] || cb || w->metric[0]) {
                m = bg__msg_begin(&mb, f);
                fputs("  ", m);
                bg__term_escape(m, w->name);
                fputc(':', m);
                if (w->metric[0]) {
                    fputs(" metric ", m);
                    bg__term_escape(m, w->metric);
                }
                if (drift_matters(w))
                    fprintf(m, " drift +-%.1f %%", 100 * bg__cmp_row_drift_band(w));
                if (cb) {
                    char bt[160];
                    fmt_budget(cb, bt, sizeof bt);
                    fprintf(m, " %s", bt);
                }
                if (w->note[0]) {
                    fputc(' ', m);
                    bg__term_escape(m, w->note);
                }
                fputc('\n', m);
                bg__msg_end(&mb, f, wrap);
            }
        }
        bg__wrapf(f, wrap, "%s (A) vs %s; p adjusted (%s) in the full table (a wider terminal, or a pipe)",
                  s->label_a ? s->label_a : "A", s->label_b ? s->label_b : "B", padjust_name(c->padjust));
    }
    if (c->drift_used)
        bg__wrapf(f, wrap, "%s", c->drift_note);
    bg__wrapf(f, wrap,
            "metric %s%s%s, threshold %.2f%%, alpha %.3g, p adjusted: %s, %zu resamples, seed %llu",
            c->metric, c->metric_note[0] ? " " : "", c->metric_note, 100 * c->threshold, c->alpha,
            padjust_name(c->padjust), c->resamples,
            (unsigned long long)c->seed);
    return ferror(f) ? BG_EIO : 0;
}

const bg_reporter bg__cmp_console_reporter = {"console", BG_REPORT_COMPARISON, console_begin,
                                              console_bench, console_end};

/* ---- Markdown ---- */

static int md_begin(FILE *f, const bg_report_src *s)
{
    const bg_comparison *c = s->cmp;
    if (s->title)
        fprintf(f, "### %s\n\n", s->title);
    fprintf(f, "| benchmark | A (%s) | B (%s) | change [CI] | p (adj) | verdict |\n", metric_title(c),
            metric_title(c));
    fprintf(f, "|---|---:|---:|---|---:|---|\n");
    return 0;
}

static int md_bench(FILE *f, const bg_report_src *s, size_t i)
{
    const bg_comparison *c = s->cmp;
    const bg_cmp_row *w = &c->rows[i];
    char a[32], b[32], ch[96], p[32];
    fmt_value(c, w, w->mean_a, a, sizeof a);
    fmt_value(c, w, w->mean_b, b, sizeof b);
    bg__cmp_fmt_change(w, ch, sizeof ch);
    fmt_p(w, p, sizeof p);
    fputs("| ", f);
    bg__md_escape(f, w->name);
    fprintf(f, " | %s | %s | %s | %s | %s", a, b, ch, p, bg__cmp_row_verdict(w));
    if (w->metric[0]) {
        fputs(" (metric ", f);
        bg__md_escape(f, w->metric);
        fputc(')', f);
    }
    if (drift_matters(w))
        fprintf(f, " (drift +-%.1f %%)", 100 * bg__cmp_row_drift_band(w));
    const bg_cmp_budget *cb = row_budget(c, w);
    if (cb) {
        char bt[160];
        fmt_budget(cb, bt, sizeof bt);
        fputs(" (", f);
        bg__md_escape(f, bt);
        fputc(')', f);
    }
    if (w->note[0]) {
        fputs(" (", f);
        bg__md_escape(f, w->note);
        fputc(')', f);
    }
    fputs(" |\n", f);
    return 0;
}

static int md_end(FILE *f, const bg_report_src *s)
{
    const bg_comparison *c = s->cmp;
    fprintf(f, "\nMetric %s%s%s, noise threshold %.2f%%, alpha %.3g.\n\n", c->metric,
            c->metric_note[0] ? " " : "", c->metric_note, 100 * c->threshold, c->alpha);
    print_classes(f, c, true);
    if (c->drift_used) {
        bg__md_escape(f, c->drift_note);
        fputs(".\n\n", f);
    }
    if (c->nbudgets) {
        fprintf(f, "Budgets: %zu checked, %zu exceeded.\n\n| benchmark | budget | head | |\n|---|---|---:|---|\n",
                c->nbudgets, bg__budget_exceeded(c));
        for (size_t i = 0; i < c->nbudgets; i++) {
            const bg_cmp_budget *cb = &c->budgets[i];
            char got[48];
            bg__fmt_metric(cb->value, cb->unit, got, sizeof got);
            fputs("| ", f);
            bg__md_escape(f, cb->name);
            fputs(" | ", f);
            bg__md_escape(f, cb->rule->spec);
            fprintf(f, " | %s | %s |\n", got, cb->exceeded ? "over budget" : "within");
        }
        fputc('\n', f);
    }
    return ferror(f) ? BG_EIO : 0;
}

const bg_reporter bg__markdown_reporter = {"markdown", BG_REPORT_COMPARISON, md_begin, md_bench,
                                           md_end};

/* ---- CSV ---- */

static int csv_begin(FILE *f, const bg_report_src *s)
{
    fprintf(f, "benchmark,metric,a_mean,b_mean,unit,change,change_lo,change_hi,p,p_adj,verdict\n");
    return 0;
}

static int csv_bench(FILE *f, const bg_report_src *s, size_t i)
{
    const bg_comparison *c = s->cmp;
    const bg_cmp_row *w = &c->rows[i];
    bg__csv_escape(f, w->name);
    fputc(',', f);
    bg__csv_escape(f, bg__cmp_row_metric(c, w));
    fputc(',', f);
    if (isfinite(w->mean_a))
        fprintf(f, "%.9g", w->mean_a);
    fputc(',', f);
    if (isfinite(w->mean_b))
        fprintf(f, "%.9g", w->mean_b);
    fputc(',', f);
    bg__csv_escape(f, bg__cmp_row_unit(c, w));
    if (w->kind == BG_ROW_COMPARED)
        fprintf(f, ",%.9g,%.9g,%.9g,%.9g,%.9g,", w->ch.change, w->ch.lo, w->ch.hi, w->ch.p,
                w->p_adj);
    else
        fputs(",,,,,,", f);
    bg__csv_escape(f, bg__cmp_row_verdict(w));
    fputc('\n', f);
    return 0;
}

static int csv_end(FILE *f, const bg_report_src *s)
{
    return 0;
}

const bg_reporter bg__cmp_csv_reporter = {"csv", BG_REPORT_COMPARISON, csv_begin, csv_bench, csv_end};

/* ---- JSON ---- */

static void add_num_or_null(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

cJSON *bg__cmp_to_json(const bg_comparison *c)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "metric", c->metric);
    cJSON_AddStringToObject(root, "unit", c->unit);
    cJSON_AddNumberToObject(root, "threshold", c->threshold);
    cJSON_AddNumberToObject(root, "alpha", c->alpha);
    cJSON_AddStringToObject(root, "padjust", padjust_name(c->padjust));
    cJSON_AddNumberToObject(root, "seed", (double)c->seed);
    cJSON_AddNumberToObject(root, "resamples", (double)c->resamples);
    cJSON *arr = cJSON_AddArrayToObject(root, "benchmarks");
    for (size_t i = 0; arr && i < c->n; i++) {
        const bg_cmp_row *w = &c->rows[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            cJSON_Delete(root);
            return NULL;
        }
        cJSON_AddStringToObject(o, "name", w->name);
        cJSON_AddStringToObject(o, "verdict", bg__cmp_row_verdict(w));
        /* Each row's metric and unit: a settings rule may give a row
         * another metric than the comparison's. */
        cJSON_AddStringToObject(o, "metric", bg__cmp_row_metric(c, w));
        cJSON_AddStringToObject(o, "unit", bg__cmp_row_unit(c, w));
        add_num_or_null(o, "a_mean", w->mean_a);
        add_num_or_null(o, "b_mean", w->mean_b);
        if (w->kind == BG_ROW_COMPARED) {
            add_num_or_null(o, "change", w->ch.change);
            add_num_or_null(o, "change_lo", w->ch.lo);
            add_num_or_null(o, "change_hi", w->ch.hi);
            add_num_or_null(o, "p", w->ch.p);
            add_num_or_null(o, "p_adj", w->p_adj);
        }
        if (w->note[0])
            cJSON_AddStringToObject(o, "note", w->note);
        const bg_cmp_budget *cb = row_budget(c, w);
        if (cb)
            cJSON_AddStringToObject(o, "over_budget", cb->rule->spec);
        if (w->kind == BG_ROW_COMPARED && w->drift_used) {
            cJSON *d = cJSON_AddObjectToObject(o, "drift");
            if (d) {
                add_num_or_null(d, "sigma", w->drift);
                add_num_or_null(d, "band", bg__cmp_row_drift_band(w));
                cJSON_AddNumberToObject(d, "pairs", (double)w->drift_df);
                cJSON_AddStringToObject(d, "source", w->drift_source);
                add_num_or_null(d, "within_change_lo", w->ch_within.lo);
                add_num_or_null(d, "within_change_hi", w->ch_within.hi);
                add_num_or_null(d, "within_p", w->ch_within.p);
            }
        }
    }
    if (c->drift_used)
        cJSON_AddStringToObject(root, "drift_note", c->drift_note);
    cJSON *bud = c->nbudgets ? cJSON_AddArrayToObject(root, "budgets") : NULL;
    for (size_t i = 0; bud && i < c->nbudgets; i++) {
        const bg_cmp_budget *cb = &c->budgets[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(bud, o)) {
            cJSON_Delete(o);
            cJSON_Delete(root);
            return NULL;
        }
        cJSON_AddStringToObject(o, "name", cb->name);
        cJSON_AddStringToObject(o, "budget", cb->rule->spec);
        cJSON_AddStringToObject(o, "metric", cb->rule->metric);
        cJSON_AddStringToObject(o, "op", cb->rule->upper ? (cb->rule->inclusive ? "<=" : "<")
                                                          : (cb->rule->inclusive ? ">=" : ">"));
        add_num_or_null(o, "limit", cb->rule->limit);
        add_num_or_null(o, "value", cb->value);
        cJSON_AddStringToObject(o, "unit", cb->unit);
        cJSON_AddBoolToObject(o, "exceeded", cb->exceeded);
    }
    cJSON *cls = c->nclasses ? cJSON_AddArrayToObject(root, "growth_changes") : NULL;
    for (size_t i = 0; cls && i < c->nclasses; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(cls, o)) {
            cJSON_Delete(o);
            break;
        }
        cJSON_AddStringToObject(o, "key", c->classes[i].key);
        cJSON_AddStringToObject(o, "arg", c->classes[i].arg);
        cJSON_AddStringToObject(o, "a", bg__big_o_name(c->classes[i].a));
        cJSON_AddStringToObject(o, "b", bg__big_o_name(c->classes[i].b));
        cJSON_AddBoolToObject(o, "regressed", c->classes[i].regressed);
    }
    return root;
}

static int nothing(FILE *f, const bg_report_src *s)
{
    return 0;
}

static int nothing_per_bench(FILE *f, const bg_report_src *s, size_t i)
{
    return 0;
}

/* One document: built and printed whole at the end. */
static int json_end(FILE *f, const bg_report_src *s)
{
    return bg__json_fprint(f, bg__cmp_to_json(s->cmp));
}

const bg_reporter bg__cmp_json_reporter = {"json", BG_REPORT_COMPARISON, nothing, nothing_per_bench,
                                           json_end};

/* ---- JUnit XML ---- */

static void junit_case(FILE *f, const bg_comparison *c, const bg_cmp_row *w)
{
    char ch[96];
    bg__cmp_fmt_change(w, ch, sizeof ch);
    fputs("  <testcase classname=\"benchgate\" name=\"", f);
    bg__xml_escape(f, w->name);
    fprintf(f, "\" time=\"%.3f\">\n", isfinite(w->elapsed_s) && w->elapsed_s > 0 ? w->elapsed_s : 0.0);
    const bg_cmp_budget *cb = row_budget(c, w);
    if (cb && !w->head_failed && !(w->kind == BG_ROW_COMPARED && w->verdict == BG_VERDICT_REGRESSED && !w->accepted)) {
        char bt[160];
        fmt_budget(cb, bt, sizeof bt);
        fputs("    <failure message=\"over budget: ", f);
        bg__xml_escape(f, bt);
        fputs("\">", f);
        bg__xml_escape(f, w->name);
        fputs(" is over its budget '", f);
        bg__xml_escape(f, cb->rule->spec);
        fputs("': ", f);
        bg__xml_escape(f, bt);
        fputs("</failure>\n", f);
    } else if (bg__cmp_row_is_regression(w)) {
        fprintf(f, "    <failure message=\"regressed %s, p(adj) %.4g\">", ch, w->p_adj);
        bg__xml_escape(f, w->name);
        fprintf(f, " regressed by %s in %s (adjusted p %.4g, threshold %.2f%%)</failure>\n", ch,
                bg__cmp_row_metric(c, w), w->p_adj, 100 * c->threshold);
    } else if (w->head_failed) {
        fputs("    <error message=\"", f);
        bg__xml_escape(f, w->note[0] ? w->note : "crashed or timed out");
        fputs("\"/>\n", f);
    } else if (w->kind != BG_ROW_COMPARED) {
        fputs("    <skipped message=\"", f);
        bg__xml_escape(f, bg__cmp_row_verdict(w));
        fputs("\"/>\n", f);
    } else {
        fputs("    <system-out>", f);
        bg__xml_escape(f, bg__cmp_row_verdict(w));
        fprintf(f, " %s", ch);
        if (w->note[0]) {
            fputs(" (", f);
            bg__xml_escape(f, w->note);
            fputc(')', f);
        }
        fputs("</system-out>\n", f);
    }
    fputs("  </testcase>\n", f);
}

static int junit_begin(FILE *f, const bg_report_src *s)
{
    const bg_comparison *c = s->cmp;
    size_t fails = 0, errors = 0, skipped = 0;
    for (size_t i = 0; i < c->n; i++) {
        const bg_cmp_row *w = &c->rows[i];
        if (bg__cmp_row_is_regression(w))
            fails++;
        else if (w->head_failed)
            errors++;
        else if (w->kind != BG_ROW_COMPARED)
            skipped++;
    }
    for (size_t i = 0; i < c->nclasses; i++) /* a growth order: a case of its own */
        fails += c->classes[i].regressed;
    /* time, timestamp and hostname: strict JUnit schemas (Jenkins', the
     * Ant one) require them. time is what the benchmarks of B took. */
    double total = 0;
    for (size_t i = 0; i < c->n; i++)
        if (isfinite(c->rows[i].elapsed_s) && c->rows[i].elapsed_s > 0)
            total += c->rows[i].elapsed_s;
    char stamp[32] = "1970-01-01T00:00:00", host[256] = "localhost";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"", f);
    fprintf(f, "%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n<testsuite name=\"", c->n + c->nclasses, fails,
            errors, total);
    bg__xml_escape(f, s->title ? s->title : "benchgate");
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\" timestamp=\"%s\" hostname=\"",
            c->n + c->nclasses, fails, errors, skipped, total, stamp);
    bg__xml_escape(f, host);
    fputs("\">\n", f);
    return 0;
}

static int junit_bench(FILE *f, const bg_report_src *s, size_t i)
{
    junit_case(f, s->cmp, &s->cmp->rows[i]);
    return 0;
}

static int junit_end(FILE *f, const bg_report_src *s)
{
    const bg_comparison *c = s->cmp;
    for (size_t i = 0; i < c->nclasses; i++) {
        const bg_cmp_class *x = &c->classes[i];
        fputs("  <testcase classname=\"benchgate.growth\" name=\"", f);
        bg__xml_escape(f, x->key);
        fputs("\">\n", f);
        fprintf(f, "    <%s>growth order in ", x->regressed ? "failure message=\"growth order grew\"" : "system-out");
        bg__xml_escape(f, x->arg);
        fprintf(f, ": %s -> %s</%s>\n  </testcase>\n", bg__big_o_name(x->a), bg__big_o_name(x->b),
                x->regressed ? "failure" : "system-out");
    }
    fputs("</testsuite>\n</testsuites>\n", f);
    return ferror(f) ? BG_EIO : 0;
}

const bg_reporter bg__junit_reporter = {"junit", BG_REPORT_COMPARISON, junit_begin, junit_bench,
                                        junit_end};
