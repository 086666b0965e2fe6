/* The HTML report: a static site (index, a page per benchmark, a page per
 * commit) that works from a file:// URL with no server, no network and no
 * JavaScript. CSS is inline in each page; plots are SVG files drawn by
 * gnuplot and shown with <img>. Every name is escaped with bg__html_escape;
 * verdicts carry a symbol and a word besides their colour. Pages are written
 * to a temporary name and renamed, so a reader never sees half a page. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bg_config.h"
#include "bg_nvml.h"
#include "bg_report.h"
#include "bg_reporter.h"

static const char CSS[] =
    "html{background:#fff}"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1b1f24;"
    "background:#fff}"
    "header{background:#f3f5f8;border-bottom:1px solid #d0d7de;padding:10px 24px}"
    "header a{color:#0a58ca;text-decoration:none}"
    "main{padding:8px 24px 32px;max-width:1180px}"
    "h1{font-size:22px;margin:10px 0 4px;overflow-wrap:anywhere}"
    "h2{font-size:17px;margin:26px 0 6px;border-bottom:1px solid #e5e7eb;padding-bottom:3px}"
    "table{border-collapse:collapse;margin:6px 0 14px}"
    "th,td{padding:4px 10px;border-bottom:1px solid #e8eaed;text-align:left;vertical-align:middle}"
    "th{background:#f6f8fa;font-weight:600;font-size:13px}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "td.name{overflow-wrap:anywhere;min-width:9em;max-width:340px}"
    ".cols,.plots{display:flex;flex-wrap:wrap;align-items:flex-start;gap:0 40px}"
    ".plots{gap:4px 24px}"
    ".wide{overflow-x:auto}"
    /* The commit page's estimates: 11 columns fit the page when an
     * interval may break between its bounds (seen overflowing at 1180 px). */
    "table.est th,table.est td{padding:4px 6px}"
    "table.est td.num small{white-space:normal}"
    ".nw{white-space:nowrap}"
    "small,.muted{color:#57606a}"
    "code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:13px}"
    ".v{font-weight:600;white-space:nowrap}"
    ".v-regressed,.v-failed{color:#b3261e}"
    ".v-improved{color:#1a7f37}"
    ".v-unchanged{color:#57606a}"
    ".v-inconclusive{color:#9a6700}"
    ".v-accepted{color:#6639ba}"
    ".v-other{color:#57606a}"
    ".note{background:#fff8e1;border:1px solid #e3b341;padding:8px 12px;margin:10px 0}"
    "img.plot{max-width:100%;height:auto;display:block;margin:6px 0}"
    "img.spark{display:block}"
    "dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:6px 0}"
    "dl.kv dt{color:#57606a}dl.kv dd{margin:0}"
    "footer{color:#57606a;font-size:12px;padding:12px 24px;border-top:1px solid #e5e7eb}";

/* ---- pages ---- */

typedef struct page {
    FILE *f;
    char path[4096];
    char tmp[4120];
} page;

static int page_open(page *p, const char *dir, const char *name, char *err, size_t errlen)
{
    snprintf(p->path, sizeof p->path, "%s/%s", dir, name);
    /* Created exclusively (mkostemps: O_CREAT|O_EXCL), so a symbolic link
     * planted at the temporary name is never followed. */
    snprintf(p->tmp, sizeof p->tmp, "%s/.%s.XXXXXX.tmp", dir, name);
    int fd = mkostemps(p->tmp, 4, O_CLOEXEC);
    mode_t mask = umask(0);
    umask(mask);
    if (fd >= 0 && fchmod(fd, 0666 & ~mask) == 0)
        p->f = fdopen(fd, "w");
    else
        p->f = NULL;
    if (!p->f) {
        snprintf(err, errlen, "cannot write %s: %s", p->path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(p->tmp);
        }
        return BG_EIO;
    }
    return 0;
}

static int page_close(page *p, char *err, size_t errlen)
{
    fprintf(p->f, "<footer>benchgate %s &middot; a static report: no server, no scripts</footer>\n"
                  "</body>\n</html>\n",
            BG_VERSION);
    int bad = ferror(p->f);
    if (fclose(p->f) != 0 || bad) {
        snprintf(err, errlen, "cannot write %s: %s", p->path, strerror(errno));
        unlink(p->tmp);
        return BG_EIO;
    }
    if (rename(p->tmp, p->path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", p->tmp, p->path, strerror(errno));
        unlink(p->tmp);
        return BG_EIO;
    }
    return 0;
}

/* The page head up to the start of <main>; `title` is escaped here. */
static void page_head(FILE *f, const char *title, bool index_link)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self'; "
          "style-src 'unsafe-inline'\">\n<title>",
          f);
    bg__html_escape(f, title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>", CSS);
    if (index_link)
        fputs("<a href=\"index.html\">&larr; all benchmarks</a> &middot; ", f);
    fputs("<strong>benchgate report</strong></header>\n<main>\n", f);
}

static void page_end_main(FILE *f)
{
    fputs("</main>\n", f);
}

/* ---- formatting ---- */

static void put_ns(FILE *f, double ns)
{
    char b[48];
    bg__format_ns(ns, b, sizeof b);
    fputs(b, f);
}

/* A value in a metric's unit as a cell (bg__fmt_metric); "-" for NAN. */
static void put_metric_value(FILE *f, double v, const char *unit)
{
    char b[64];
    bg__fmt_metric(v, unit, b, sizeof b);
    fputs("<td class=\"num\">", f);
    bg__html_escape(f, b);
    fputs("</td>", f);
}

/* "12.3 µs [12.1 µs, 12.6 µs]" as a cell; "-" for an absent estimate. */
static void put_estimate(FILE *f, const bg_estimate *e)
{
    if (!isfinite(e->point)) {
        fputs("<td class=\"num\">-</td>", f);
        return;
    }
    fputs("<td class=\"num\">", f);
    put_ns(f, e->point);
    if (isfinite(e->lo) && isfinite(e->hi)) {
        fputs("<br><small><span class=\"nw\">[", f);
        put_ns(f, e->lo);
        fputs(",</span> <span class=\"nw\">", f);
        put_ns(f, e->hi);
        fputs("]</span></small>", f);
    }
    fputs("</td>", f);
}

static void put_change(FILE *f, const bg_cmp_row *w)
{
    if (!w || w->kind != BG_ROW_COMPARED || !isfinite(w->ch.change)) {
        fputs("<td class=\"num\">-</td>", f);
        return;
    }
    fprintf(f, "<td class=\"num\">%+.2f%%<br><small>[%+.2f%%, %+.2f%%]</small></td>", 100 * w->ch.change,
            100 * w->ch.lo, 100 * w->ch.hi);
}

/* A verdict as symbol + word in a coloured span: the symbol and the word
 * say it without the colour. */
static void put_verdict(FILE *f, const bg_cmp_row *w, bool has_base)
{
    const char *cls = "other", *sym = "&ndash;", *word;
    if (!w) {
        word = has_base ? "not compared" : "no baseline";
    } else {
        word = bg__cmp_row_verdict(w);
        if (w->kind == BG_ROW_ONLY_A) {
            word = "not in this run (only in the baseline)";
            sym = "&minus;";
        } else if (w->kind == BG_ROW_ONLY_B && !w->head_failed) {
            word = "new (not in the baseline)";
            sym = "+";
        } else if (w->head_failed) {
            cls = "failed";
            sym = "&#10007;";
        } else if (w->kind == BG_ROW_COMPARED && w->accepted) {
            cls = "accepted";
            sym = "&#10003;";
            word = "accepted regression";
        } else if (w->kind == BG_ROW_COMPARED) {
            switch (w->verdict) {
            case BG_VERDICT_REGRESSED: cls = "regressed"; sym = "&#9650;"; break;
            case BG_VERDICT_IMPROVED: cls = "improved"; sym = "&#9660;"; break;
            case BG_VERDICT_UNCHANGED: cls = "unchanged"; sym = "="; break;
            case BG_VERDICT_INCONCLUSIVE: cls = "inconclusive"; sym = "?"; break;
            }
        }
    }
    fprintf(f, "<span class=\"v v-%s\">%s %s</span>", cls, sym, word);
}

static void put_short_id(FILE *f, const char *id)
{
    fprintf(f, "<code>%.12s</code>", id);
}

/* A link to a page whose name is ours (slugs, hex ids): no escaping needed,
 * but it is escaped anyway. */
static void put_link_open(FILE *f, const char *href)
{
    fputs("<a href=\"", f);
    bg__html_escape(f, href);
    fputs("\">", f);
}

static const bg_report_bench *find_bench(const bg_report *rep, const char *name)
{
    for (size_t i = 0; rep && i < rep->nbenches; i++)
        if (!strcmp(rep->benches[i].name, name))
            return &rep->benches[i];
    return NULL;
}

static void put_bench_link(FILE *f, const bg_report *rep, const char *name)
{
    const bg_report_bench *b = find_bench(rep, name);
    if (b) {
        fprintf(f, "<a href=\"bench-%s.html\">", b->slug);
        bg__html_escape(f, name);
        fputs("</a>", f);
    } else {
        bg__html_escape(f, name);
    }
}

static void put_img(FILE *f, const char *slug, const char *kind, const char *alt, int w, int h,
                    const char *cls)
{
    fprintf(f, "<img class=\"%s\" src=\"plots/%s-%s.svg\" width=\"%d\" height=\"%d\" alt=\"", cls, slug, kind,
            w, h);
    bg__html_escape(f, alt);
    fputs("\">\n", f);
}

/* The history plot with an image map over it: each commit's column (the
 * plot's area is at fixed fractions of its width, BG_PLOT_HIST_LEFT and
 * _RIGHT) has a tooltip with the commit's id, subject, author, date and
 * value, and links to the commit's page when it has a run. No script. */
static void put_hist_img(FILE *f, const bg_report *rep, const bg_report_bench *b, const char *alt)
{
    fprintf(f, "<img class=\"plot\" src=\"plots/%s-hist.svg\" width=\"%d\" height=\"%d\" usemap=\"#map-%s\" alt=\"",
            b->slug, BG_PLOT_WIDE_W, BG_PLOT_WIDE_H, b->slug);
    bg__html_escape(f, alt);
    fprintf(f, "\">\n<map name=\"map-%s\">\n", b->slug);
    double left = BG_PLOT_HIST_LEFT * BG_PLOT_WIDE_W, right = BG_PLOT_HIST_RIGHT * BG_PLOT_WIDE_W;
    double col = (right - left) / (double)rep->ncommits;
    for (size_t k = 0; k < rep->ncommits; k++) {
        const bg_report_commit *c = &rep->commits[k];
        fprintf(f, "<area shape=\"rect\" coords=\"%.0f,0,%.0f,%d\"", left + col * (double)k,
                left + col * (double)(k + 1), BG_PLOT_WIDE_H);
        if (c->page[0])
            fprintf(f, " href=\"%s\"", c->page);
        char value[48] = "no value";
        if (isfinite(b->hist_pt[k])) {
            if (b->m.is_time)
                bg__format_ns(b->hist_pt[k], value, sizeof value);
            else
                snprintf(value, sizeof value, "%.4g%s%s", b->hist_pt[k], b->m.unit[0] ? " " : "",
                         b->m.unit);
        }
        char who[120] = "";
        if (c->author[0] && c->date[0])
            snprintf(who, sizeof who, " (%s, %s)", c->author, c->date);
        else if (c->author[0] || c->date[0])
            snprintf(who, sizeof who, " (%s)", c->author[0] ? c->author : c->date);
        char text[400];
        snprintf(text, sizeof text, "%.12s %s%s: %s", c->id, c->subject, who, value);
        fputs(" title=\"", f);
        bg__html_escape(f, text);
        fputs("\" alt=\"", f);
        bg__html_escape(f, text);
        fputs("\">\n", f);
    }
    fputs("</map>\n", f);
}

/* The index's history line; its title (a tooltip, no script needed) gives
 * the range the line spans, which the line alone does not show. */
static void put_spark(FILE *f, const bg_report *rep, const bg_report_bench *b)
{
    double lo = INFINITY, hi = -INFINITY;
    size_t n = 0;
    for (size_t k = 0; k < rep->ncommits; k++)
        if (isfinite(b->hist_pt[k])) {
            lo = fmin(lo, b->hist_pt[k]);
            hi = fmax(hi, b->hist_pt[k]);
            n++;
        }
    char a[64] = "-", z[64] = "-", title[300];
    if (n) {
        bg__fmt_metric(lo, b->m.unit, a, sizeof a);
        bg__fmt_metric(hi, b->m.unit, z, sizeof z);
    }
    if (b->m.is_time)
        snprintf(title, sizeof title, "mean of %zu commits: %s to %s; %zu change point(s)", n, a, z, b->ncp);
    else
        snprintf(title, sizeof title, "%s of %zu commits: %s to %s; %zu change point(s)", b->m.what, n, a, z,
                 b->ncp);
    fprintf(f, "<a href=\"bench-%s.html\"><img class=\"spark\" src=\"plots/%s-spark.svg\" width=\"%d\" "
               "height=\"%d\" alt=\"history\" title=\"",
            b->slug, b->slug, BG_PLOT_SPARK_W, BG_PLOT_SPARK_H);
    bg__html_escape(f, title);
    fputs("\"></a>", f);
}

static void put_plots_note(FILE *f, const bg_report *rep)
{
    if (!rep->plots_note[0])
        return;
    fputs("<p class=\"note\">Plots: ", f);
    bg__html_escape(f, rep->plots_note);
    fputs("</p>\n", f);
}

static const char *machine_field(const bg_run *run, const char *key)
{
    for (size_t i = 0; i < run->nmachine_fields; i++)
        if (!strcmp(run->machine_fields[i].key, key))
            return run->machine_fields[i].value;
    return NULL;
}

/* "commit 1a2b3c (page link)" for the head or base line of the index. */
static void put_run_line(FILE *f, const char *what, const bg_run *run, const char *label, const char *pg)
{
    fprintf(f, "<dt>%s</dt><dd>", what);
    if (pg[0])
        put_link_open(f, pg);
    bg__html_escape(f, label);
    if (pg[0])
        fputs("</a>", f);
    if (run->git_branch[0]) {
        fputs(" on <code>", f);
        bg__html_escape(f, run->git_branch);
        fputs("</code>", f);
    }
    if (run->git_dirty)
        fputs(" <span class=\"muted\">(uncommitted changes)</span>", f);
    fputs(" &middot; run ", f);
    bg__html_escape(f, run->created);
    fputs("</dd>\n", f);
}

/* The change, p and a note for a change point: a level shift smaller
 * than the noise threshold is real in the statistical sense (the test is
 * exact) but too small to act on, and the page says so. */
static void put_cp_cells(FILE *f, const bg_report *rep, const bg_changepoint *cp)
{
    fprintf(f, "<td class=\"num\">%+.2f%%</td><td class=\"num\">%.3f</td><td>", 100 * cp->magnitude, cp->p);
    if (fabs(cp->magnitude) < rep->threshold)
        fprintf(f, "<small class=\"muted\">within the %.3g%% noise threshold</small>", 100 * rep->threshold);
    fputs("</td>", f);
}

/* The rest of a change point's table row: its commit (linked to the
 * commit's page when there is one), change, p and note. */
/* A commit's subject, author and date after its id ("" parts left out). */
static void put_commit_words(FILE *f, const bg_report_commit *c)
{
    if (c->subject[0]) {
        fputs(" ", f);
        bg__html_escape(f, c->subject);
    }
    if (c->author[0] || c->date[0]) {
        fputs(" <small class=\"muted\">", f);
        bg__html_escape(f, c->author);
        fputs(c->author[0] && c->date[0] ? ", " : "", f);
        bg__html_escape(f, c->date);
        fputs("</small>", f);
    }
}

static void put_cp_row_end(FILE *f, const bg_report *rep, const bg_report_commit *c,
                           const bg_changepoint *cp)
{
    if (c->page[0])
        put_link_open(f, c->page);
    put_short_id(f, c->id);
    if (c->page[0])
        fputs("</a>", f);
    put_commit_words(f, c);
    fputs("</td>", f);
    put_cp_cells(f, rep, cp);
    fputs("</tr>\n", f);
}

/* ---- index ---- */

/* The report's metric of a result, per iteration, as the comparison takes
 * it: the mean estimate for wall time, else the figure the model stored. */
static double metric_mean(const bg_result *r, const char *metric)
{
    bool time = !metric || !strcmp(metric, "time") || !strcmp(metric, "wall_ns");
    if (time && r->has_summary && isfinite(r->wall.est[BG_STAT_MEAN].point))
        return r->wall.est[BG_STAT_MEAN].point;
    return bg__result_figure(r, time ? "time" : metric);
}

/* A cell with a benchmark's metric for one side: the comparison row's
 * figure when it has one (mean_b for the head, mean_a for the baseline),
 * else the result's own; no interval (counters have none recorded). */
static void put_metric_cell(FILE *f, const bg_report_metric *m, const bg_result *r, const bg_cmp_row *w, bool head)
{
    double v = NAN;
    if (w && w->kind == BG_ROW_COMPARED)
        v = head ? w->mean_b : w->mean_a;
    if (!isfinite(v) && r && r->status == BG_STATUS_OK)
        v = metric_mean(r, m->name);
    put_metric_value(f, v, m->unit);
}

static void index_table(FILE *f, const bg_report *rep)
{
    bool has_base = rep->base != NULL;
    if (rep->metric_is_time) {
        fprintf(f, "<table>\n<tr><th>benchmark</th><th>estimate (mean, %g%% CI)</th><th>median (%g%% CI)</th>",
                100 * rep->head->config.confidence, 100 * rep->head->config.confidence);
    } else {
        fputs("<table>\n<tr><th>benchmark</th><th>", f);
        bg__html_escape(f, rep->metric_what);
        fputs(" (mean)</th>", f);
    }
    fprintf(f, "%s<th>history</th></tr>\n",
            has_base ? "<th>baseline</th><th>change [CI]</th><th>verdict</th>" : "<th>verdict</th>");
    for (size_t i = 0; i < rep->nbenches; i++) {
        const bg_report_bench *b = &rep->benches[i];
        fputs("<tr><td class=\"name\">", f);
        fprintf(f, "<a href=\"bench-%s.html\">", b->slug);
        bg__html_escape(f, b->name);
        fputs("</a>", f);
        if (b->head && b->head->status != BG_STATUS_OK) {
            fprintf(f, "<br><small>%s", bg__status_name(b->head->status));
            if (b->head->message[0]) {
                fputs(": ", f);
                bg__html_escape(f, b->head->message);
            }
            fputs("</small>", f);
        }
        if (b->own_metric) { /* its settings rule's metric, not the table's */
            fputs("<br><small class=\"muted\">metric ", f);
            bg__html_escape(f, b->m.name);
            fputs(" (rule at ", f);
            bg__html_escape(f, b->rule_where);
            fputs(")</small>", f);
        }
        fputs("</td>", f);
        static const bg_estimate none = {NAN, NAN, NAN, NAN};
        bool estimates = rep->metric_is_time && b->m.is_time;
        if (estimates) {
            put_estimate(f, b->head && b->head->has_summary ? &b->head->wall.est[BG_STAT_MEAN] : &none);
            /* the robust figure beside it: outliers move the mean, not the median */
            put_estimate(f, b->head && b->head->has_summary ? &b->head->wall.est[BG_STAT_MEDIAN] : &none);
        } else {
            put_metric_cell(f, &b->m, b->head, b->row, true);
            if (rep->metric_is_time) /* the median column: none for a counter */
                fputs("<td class=\"num\">-</td>", f);
        }
        if (has_base) {
            if (estimates)
                put_estimate(f, b->base && b->base->has_summary ? &b->base->wall.est[BG_STAT_MEAN] : &none);
            else
                put_metric_cell(f, &b->m, b->base, b->row, false);
            put_change(f, b->row);
        }
        fputs("<td>", f);
        put_verdict(f, b->row, has_base);
        fputs("</td><td>", f);
        if (b->plot_spark)
            put_spark(f, rep, b);
        else
            fputs("<small class=\"muted\">-</small>", f);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    fprintf(f, "<p><small>Verdicts: &#9650; regressed (%s), &#9660; improved (%s), = unchanged "
               "(interval inside the noise threshold), ? inconclusive, &#10003; accepted by a commit "
               "trailer, &#10007; crashed or timed out.</small></p>\n",
            rep->metric_is_time ? "slower" : "higher", rep->metric_is_time ? "faster" : "lower");
    if (rep->metric_is_time)
        fputs("<p><small>Verdicts compare the mean time per iteration (the relative change of the mean, with its "
              "bootstrap interval); the median is shown beside it because outliers move the mean and not "
              "the median: a mean far from the median says the run has outliers.</small></p>\n",
              f);
}

/* A suspected change at the newest commit (one run so far), as a
 * paragraph; `name` links the benchmark when given (the index). */
static void put_suspect(FILE *f, const bg_report *rep, const bg_report_bench *b, bool name)
{
    if (!b->suspect || rep->ncommits == 0)
        return;
    const bg_report_commit *c = &rep->commits[rep->ncommits - 1];
    fputs("<p class=\"note\">Suspected change", f);
    if (name) {
        fputs(" in ", f);
        put_bench_link(f, rep, b->name);
    }
    fprintf(f, ": %+.1f %% at the newest commit <code>%.12s</code>", 100 * b->suspect_change, c->id);
    if (c->subject[0]) {
        fputs(" (", f);
        bg__html_escape(f, c->subject);
        fputc(')', f);
    }
    fputs(", against the level since the last change point. One run so far: a change point needs two "
          "runs at the new level at the end of the history, so the next run confirms it or shows it "
          "was an outlier.</p>\n",
          f);
}

static void index_changepoints(FILE *f, const bg_report *rep)
{
    size_t total = 0;
    for (size_t i = 0; i < rep->nbenches; i++)
        total += rep->benches[i].ncp;
    fputs("<h2>Change points</h2>\n", f);
    /* bg_changepoints needs 10 commits with a run: 5 on each side of a
     * change point, 2 at the ends of the history. */
    size_t with_run = 0;
    for (size_t i = 0; i < rep->ncommits; i++)
        with_run += rep->commits[i].has_run;
    if (with_run < 10) {
        fprintf(f, "<p class=\"muted\">%zu of the %zu commit(s) in the history have a run; change points "
                   "need runs of at least 10 commits (%zu more): 5 on each side of a change, 2 at the "
                   "ends of the history.</p>\n",
                with_run, rep->ncommits, 10 - with_run);
        return;
    }
    for (size_t i = 0; i < rep->nbenches; i++)
        put_suspect(f, rep, &rep->benches[i], true);
    if (total == 0) {
        fputs("<p class=\"muted\">None detected (E-divisive means, permutation test, &alpha; = "
              "0.05; a change needs 5 runs on each side, 2 at the ends of the history).</p>\n",
              f);
        return;
    }
    fputs("<table>\n<tr><th>benchmark</th><th>first commit of the new level</th><th>change</th>"
          "<th>p</th><th></th></tr>\n",
          f);
    for (size_t i = 0; i < rep->nbenches; i++) {
        const bg_report_bench *b = &rep->benches[i];
        for (size_t k = 0; k < b->ncp; k++) {
            const bg_report_commit *c = &rep->commits[b->cp[k].index];
            fputs("<tr><td class=\"name\">", f);
            put_bench_link(f, rep, b->name);
            fputs("</td><td>", f);
            put_cp_row_end(f, rep, c, &b->cp[k]);
        }
    }
    fputs("</table>\n", f);
}

static void index_commits(FILE *f, const bg_report *rep)
{
    size_t with_run = 0;
    for (size_t i = 0; i < rep->ncommits; i++)
        with_run += rep->commits[i].has_run;
    fprintf(f, "<h2>History</h2>\n<p>%zu first-parent commit(s), %zu with a run on this machine", rep->ncommits,
            with_run);
    if (rep->other_machine_runs)
        fprintf(f, "; %zu commit(s) have runs only from other machines (not comparable, not shown)",
                rep->other_machine_runs);
    fputs(".</p>\n", f);
    if (!with_run)
        return;
    fputs("<table>\n<tr><th>commit</th><th>subject</th><th>author</th><th>date</th><th>run</th></tr>\n", f);
    for (size_t i = rep->ncommits; i-- > 0;) {
        const bg_report_commit *c = &rep->commits[i];
        if (!c->has_run)
            continue;
        fputs("<tr><td>", f);
        put_link_open(f, c->page);
        put_short_id(f, c->id);
        fputs("</a></td><td>", f);
        bg__html_escape(f, c->subject);
        fputs("</td><td>", f);
        bg__html_escape(f, c->author);
        fputs("</td><td>", f);
        bg__html_escape(f, c->date);
        fputs("</td><td>", f);
        bg__html_escape(f, c->created);
        if (c->dirty)
            fputs(" <small class=\"muted\">(uncommitted changes)</small>", f);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

int bg__html_write_index(const char *dir, const bg_report *rep, char *err, size_t errlen)
{
    page p;
    int rc = page_open(&p, dir, "index.html", err, errlen);
    if (rc)
        return rc;
    FILE *f = p.f;
    const bg_run *h = rep->head;
    char title[200];
    if (rep->metric_is_time)
        snprintf(title, sizeof title, "benchgate report");
    else
        snprintf(title, sizeof title, "benchgate report: %s", rep->metric_what);
    page_head(f, title, false);
    fputs("<h1>Benchmarks", f);
    if (!rep->metric_is_time) {
        fputs(": ", f);
        bg__html_escape(f, rep->metric_what);
    }
    fputs("</h1>\n<dl class=\"kv\">\n<dt>metric</dt><dd>", f);
    bg__html_escape(f, rep->metric_what);
    if (rep->metric_is_time) {
        fputs(" (wall clock)", f);
    } else {
        fputs(" <span class=\"muted\">(<code>--metric ", f);
        bg__html_escape(f, rep->metric);
        fputs("</code>: comparison, history and change points)</span>", f);
    }
    if (rep->metric_note[0]) {
        fputs(" <span class=\"muted\">", f);
        bg__html_escape(f, rep->metric_note);
        fputs("</span>", f);
    }
    fputs("</dd>\n", f);
    put_run_line(f, "head", h, rep->head_label, rep->head_page);
    if (rep->base) {
        put_run_line(f, "baseline", rep->base, rep->base_label, rep->base_page);
    } else if (rep->base_note[0]) {
        fputs("<dt>baseline</dt><dd><span class=\"note\">", f);
        bg__html_escape(f, rep->base_note);
        fputs("</span></dd>\n", f);
    } else {
        fputs("<dt>baseline</dt><dd class=\"muted\">none: no earlier run on this machine", f);
        fputs(" (give one with <code>--base REF</code>)</dd>\n", f);
    }
    fputs("<dt>machine</dt><dd><code>", f);
    bg__html_escape(f, h->machine_id);
    fputs("</code>", f);
    const char *cpu = machine_field(h, "cpu_model"), *cores = machine_field(h, "cores");
    if (cpu) {
        fputs(" &middot; ", f);
        bg__html_escape(f, cpu);
    }
    if (cores) {
        fputs(" &middot; ", f);
        bg__html_escape(f, cores);
        fputs(" cores", f);
    }
    fputs("</dd>\n", f);
    if (rep->cmp)
        fprintf(f, "<dt>verdict rule</dt><dd>noise threshold %.3g%%, &alpha; = %.3g after %s across the "
                   "suite, %zu bootstrap resamples</dd>\n",
                100 * rep->cmp->threshold, rep->cmp->alpha,
                rep->cmp->padjust == BG_PADJ_BH     ? "Benjamini&ndash;Hochberg"
                : rep->cmp->padjust == BG_PADJ_HOLM ? "Holm"
                                                    : "no adjustment",
                rep->cmp->resamples);
    fprintf(f, "<dt>generated</dt><dd>%s</dd>\n</dl>\n", rep->generated);
    put_plots_note(f, rep);
    index_table(f, rep);
    index_changepoints(f, rep);
    index_commits(f, rep);
    page_end_main(f);
    return page_close(&p, err, errlen);
}

/* ---- benchmark page ---- */

/* The per-sample metrics of a result, as the model summarised them (wall
 * and CPU time, then every counter recorded in any of its processes). */
static size_t sample_metrics(const bg_result *r, const bg_metric_figure **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; r && r->nprocs && i < r->fig.nmetrics && n < max; i++)
        out[n++] = &r->fig.metrics[i];
    return n;
}

static void put_change_cell(FILE *f, double head, double base)
{
    if (isfinite(head) && isfinite(base) && base != 0)
        fprintf(f, "<td class=\"num\">%+.2f%%</td>", 100 * (head / base - 1));
    else
        fputs("<td class=\"num\">-</td>", f);
}

static void put_metric_name(FILE *f, const char *m)
{
    fputs("<tr><td>", f);
    bg__html_escape(f, !strcmp(m, "time") ? "wall time" : !strcmp(m, "cpu") ? "CPU time" : m);
    fputs("</td>", f);
}

/* Per-sample metrics: per iteration for totals, as recorded for peaks. */
static void counters_per_sample(FILE *f, const bg_report_bench *b)
{
    const bg_metric_figure *m[BG_COUNTERS_MAX + 2];
    size_t n = sample_metrics(b->head, m, sizeof m / sizeof m[0]);
    fputs("<div class=\"wide\"><table>\n<tr><th>per sample</th><th>mean</th><th>median</th><th>min</th>"
          "<th>max</th><th>sd</th>",
          f);
    if (b->base)
        fputs("<th>baseline mean</th><th>change</th>", f);
    fputs("</tr>\n", f);
    for (size_t i = 0; i < n; i++) {
        const bg_metric_figure *s = m[i];
        if (s->n == 0)
            continue;
        const char *unit = bg__metric_unit(s->name);
        put_metric_name(f, s->name);
        put_metric_value(f, s->mean, unit);
        put_metric_value(f, s->median, unit);
        put_metric_value(f, s->min, unit);
        put_metric_value(f, s->max, unit);
        put_metric_value(f, s->sd, unit);
        if (b->base) {
            const bg_metric_figure *bs = bg__result_metric_figure(b->base, s->name);
            bool ok = bs && bs->n > 0;
            put_metric_value(f, ok ? bs->mean : NAN, unit);
            put_change_cell(f, s->mean, ok ? bs->mean : NAN);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table></div>\n<p><small>Totals per iteration (a sample's total divided by its iterations) "
          "over every sample of every process; peaks (peak_*) as measured per sample.</small></p>\n",
          f);
}

/* Ratios derived from counters, and what the kernel reported per process
 * (medians over processes). Only the figures the result has are shown. */
static void counters_derived(FILE *f, const bg_report_bench *b)
{
    const char *const *lists[] = {bg__derived_metrics, bg__process_metrics};
    bool any = false;
    for (size_t l = 0; l < 2; l++)
        for (const char *const *m = lists[l]; *m; m++) {
            double v = bg__result_figure(b->head, *m);
            if (!isfinite(v))
                continue;
            if (!any)
                fprintf(f, "<table>\n<tr><th>derived / per process</th><th>value</th>%s</tr>\n",
                        b->base ? "<th>baseline</th><th>change</th>" : "");
            any = true;
            const char *unit = bg__metric_unit(*m);
            put_metric_name(f, *m);
            put_metric_value(f, v, unit);
            if (b->base) {
                double bv = bg__result_figure(b->base, *m);
                put_metric_value(f, bv, unit);
                put_change_cell(f, v, bv);
            }
            fputs("</tr>\n", f);
        }
    if (any)
        fputs("</table>\n<p><small>Ratios from the counters (ipc, cache_miss_rate, branch_mpki, "
              "bytes_per_alloc); per-process figures from the kernel (wait4) are medians over "
              "processes.</small></p>\n",
              f);
}

/* The GPU breakdown (every kernel and copy size, per iteration, largest
 * GPU time first), throttled samples, and the GPU's state at the start and
 * end of each process. Nothing when the result has none of these. */
static void counters_gpu(FILE *f, const bg_report_bench *b)
{
    const bg_result *r = b->head;
    const bg_figures *g = &r->fig;
    if (g->ngpu) {
        fputs("<h3>GPU kernels and copies</h3>\n<div class=\"wide\"><table>\n<tr><th>kernel or "
              "copy</th><th>calls / iter</th><th>GPU time / iter</th><th>per call</th>"
              "<th>share</th></tr>\n",
              f);
        for (size_t i = 0; i < g->ngpu; i++) {
            const bg_gpu_row *row = &g->gpu[i];
            char label[BG_ACTIVITY_NAME + 32];
            bg__gpu_row_label(row, label, sizeof label);
            fputs("<tr><td class=\"name\">", f);
            bg__html_escape(f, label);
            fprintf(f, "</td><td class=\"num\">%.4g</td>", row->calls_per_iter);
            put_metric_value(f, row->ns_per_iter, "ns");
            put_metric_value(f, row->ns_per_call, "ns");
            fprintf(f, "<td class=\"num\">%.1f %%</td></tr>\n", 100 * row->share);
        }
        fputs("</table></div>\n", f);
        if (g->ngpu_more)
            fprintf(f, "<p><small>%zu more rows are in the run record.</small></p>\n", g->ngpu_more);
        fputs("<p><small>From CUPTI's activity records of the measured samples, over every "
              "process; kernel names demangled where the C++ runtime's demangler was found. "
              "Copies by direction and size.</small></p>\n",
              f);
    }
    if (g->throttle_read)
        fprintf(f, "<p%s>GPU throttled (NVML clock event reasons) in %zu of %zu samples.</p>\n",
                g->throttled ? " class=\"note\"" : "", g->throttled, g->throttle_read);
    bool any = false;
    for (size_t i = 0; i < r->nprocs; i++) {
        const bg_proc *p = &r->procs[i];
        for (size_t k = 0; k < p->nactivity; k++) {
            const bg_activity *a = &p->activity[k];
            if (a->kind != BG_ACT_GPU_START && a->kind != BG_ACT_GPU_END)
                continue;
            if (!any)
                fputs("<h3>GPU state</h3>\n<div class=\"wide\"><table>\n<tr><th>process</th>"
                      "<th>when</th><th>GPU</th><th>SM clock</th><th>memory clock</th>"
                      "<th>temperature</th><th>clock event reasons</th></tr>\n",
                      f);
            any = true;
            char why[160];
            bg__nvml_reasons_text((unsigned long long)a->v[BG_ACT_REASONS], why, sizeof why);
            fprintf(f, "<tr><td class=\"num\">%zu</td><td>%s</td><td>", i + 1,
                    a->kind == BG_ACT_GPU_START ? "start" : "end");
            bg__html_escape(f, a->name);
            fprintf(f, "</td><td class=\"num\">%.0f MHz</td><td class=\"num\">%.0f MHz</td>"
                       "<td class=\"num\">%.0f °C</td><td>",
                    a->v[BG_ACT_SM_MHZ], a->v[BG_ACT_MEM_MHZ], a->v[BG_ACT_TEMP_C]);
            bg__html_escape(f, why);
            fputs("</td></tr>\n", f);
        }
    }
    if (any)
        fputs("</table></div>\n", f);
}

static void bench_counters(FILE *f, const bg_report_bench *b)
{
    fputs("<h2>Counters</h2>\n", f);
    if (!b->head || !b->head->nprocs) {
        fputs("<p class=\"muted\">No samples.</p>\n", f);
        return;
    }
    if (b->head->counter_note[0]) {
        fputs("<p class=\"note\">", f);
        bg__html_escape(f, b->head->counter_note);
        fputs("</p>\n", f);
    }
    counters_per_sample(f, b);
    counters_derived(f, b);
    counters_gpu(f, b);
}

/* The recommendations recorded with the head result (harness/advice.c):
 * rule, evidence, action. */
static void bench_advice(FILE *f, const bg_report_bench *b)
{
    const bg_result *r = b->head;
    if (!r || !r->nadvice)
        return;
    fputs("<h2>Recommendations</h2>\n<table>\n<tr><th>rule</th><th>evidence</th><th>action</th></tr>\n", f);
    for (size_t i = 0; i < r->nadvice; i++) {
        fputs("<tr><td><code>", f);
        bg__html_escape(f, r->advice[i].rule);
        fputs("</code></td><td>", f);
        bg__html_escape(f, r->advice[i].evidence);
        fputs("</td><td>", f);
        bg__html_escape(f, r->advice[i].action);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* --profile's flamegraph, copied beside the page so the report stays whole
 * when moved, and the top functions by self time. */
static void bench_profile(FILE *f, const char *dir, const bg_report_bench *b)
{
    const bg_profile *p = b->head ? b->head->profile : NULL;
    if (!p)
        return;
    fputs("<h2>Profile</h2>\n", f);
    char copy[160], path[4200], err[256] = "";
    snprintf(copy, sizeof copy, "profile-%s.svg", b->slug);
    snprintf(path, sizeof path, "%s/%s", dir, copy);
    char *svg = bg__read_file(p->svg, err, sizeof err);
    bool copied = svg && bg__write_file_atomic(path, svg, strlen(svg), err, sizeof err) == 0;
    free(svg);
    fprintf(f, "<p>%zu samples of one extra process under perf (cpu-clock), not part of the estimates. ",
            p->samples);
    if (copied) {
        put_link_open(f, copy);
        fputs("Flamegraph</a>", f);
    } else {
        fputs("Flamegraph not copied (", f);
        bg__html_escape(f, err);
        fputs(")", f);
    }
    fputs("; folded stacks: <code>", f);
    bg__html_escape(f, p->folded);
    fputs("</code>.</p>\n", f);
    if (copied) {
        put_link_open(f, copy);
        fprintf(f, "<img class=\"plot\" src=\"%s\" width=\"900\" alt=\"flamegraph\"></a>\n", copy);
    }
    fputs("<table>\n<tr><th>self</th><th>samples</th><th>function</th></tr>\n", f);
    for (size_t i = 0; i < p->ntop; i++) {
        fprintf(f, "<tr><td>%.1f %%</td><td>%zu</td><td><code>", 100 * p->top[i].self, p->top[i].samples);
        bg__html_escape(f, p->top[i].name);
        fputs("</code></td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void bench_estimates(FILE *f, const bg_report *rep, const bg_report_bench *b)
{
    const bg_result *r = b->head;
    fprintf(f, "<h2>Estimates%s</h2>\n", b->m.is_time ? "" : " of wall time");
    if (!r) {
        fputs("<p class=\"muted\">Not in the head run (only in the baseline).</p>\n", f);
        return;
    }
    if (r->status != BG_STATUS_OK) {
        fprintf(f, "<p class=\"note\">Status: %s", bg__status_name(r->status));
        if (r->message[0]) {
            fputs(" &mdash; ", f);
            bg__html_escape(f, r->message);
        }
        fputs("</p>\n", f);
    }
    if (!r->has_summary)
        return;
    fprintf(f, "<table>\n<tr><th>statistic (per iteration)</th><th>head [%g%% CI]</th>%s</tr>\n",
            100 * rep->head->config.confidence, b->base && b->base->has_summary ? "<th>baseline</th>" : "");
    for (int s = 0; s < BG_STAT_COUNT; s++) {
        fprintf(f, "<tr><td>%s</td>", bg_statistic_name((bg_statistic)s));
        put_estimate(f, &r->wall.est[s]);
        if (b->base && b->base->has_summary)
            put_estimate(f, &b->base->wall.est[s]);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    const bg_outliers *o = &r->wall.outliers;
    fprintf(f, "<p>%zu processes, %zu samples. Tukey outliers (reported, kept): %zu low severe, %zu low "
               "mild, %zu high mild, %zu high severe.",
            r->nprocs, r->wall.nsamples, o->low_severe, o->low_mild, o->high_mild, o->high_severe);
    if (r->fig.mean_items_per_s > 0)
        fprintf(f, " Throughput: %.4g items/s.", r->fig.mean_items_per_s);
    if (r->fig.mean_bytes_per_s > 0) {
        static const char *const units[] = {"B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"};
        double v = r->fig.mean_bytes_per_s;
        int u = 0;
        while (u < 4 && v >= 1024) {
            v /= 1024;
            u++;
        }
        fprintf(f, " Throughput: %.4g %s.", v, units[u]);
    }
    fputs("</p>\n", f);
}

/* The between-run noise of the benchmark on the head's machine: how far two
 * runs of unchanged code made at different times differ, which every
 * comparison with a stored run allows for. */
static void bench_noise(FILE *f, const bg_report *rep, const bg_report_bench *b)
{
    if (!isfinite(b->drift_band))
        return;
    fprintf(f, "<p>Between-run noise on this machine: &plusmn;%.1f%% (95%% of runs of unchanged code made at "
               "different times differ by less; ", 100 * b->drift_band);
    bg__html_escape(f, b->drift_source);
    fputs("; ", f);
    bg__html_escape(f, rep->drift_note);
    fputs("). A change inside it is inconclusive.</p>\n", f);
}

static void bench_comparison(FILE *f, const bg_report *rep, const bg_report_bench *b)
{
    bench_noise(f, rep, b);
    if (!rep->base)
        return;
    fputs("<h2>Against the baseline", f);
    if (!b->m.is_time) {
        fputs(": ", f);
        bg__html_escape(f, b->m.what);
    }
    fputs("</h2>\n", f);
    const bg_cmp_row *w = b->row;
    fputs("<p>", f);
    put_verdict(f, w, true);
    if (w && w->kind == BG_ROW_COMPARED) {
        fprintf(f, " &middot; change %+.2f%% [%+.2f%%, %+.2f%%] &middot; p = %.4g, adjusted %.4g", 100 * w->ch.change,
                100 * w->ch.lo, 100 * w->ch.hi, w->ch.p, w->p_adj);
    }
    if (w && w->note[0]) {
        fputs(" &middot; ", f);
        bg__html_escape(f, w->note);
    }
    fputs("</p>\n", f);
    if (!b->m.is_time) {
        char hv[64], bv[64];
        bool cmp = w && w->kind == BG_ROW_COMPARED;
        bg__fmt_metric(cmp ? w->mean_b : b->head ? metric_mean(b->head, b->m.name) : NAN,
                       b->m.unit, hv, sizeof hv);
        bg__fmt_metric(cmp ? w->mean_a : b->base ? metric_mean(b->base, b->m.name) : NAN,
                       b->m.unit, bv, sizeof bv);
        fputs("<p>", f);
        bg__html_escape(f, b->m.what);
        fputs(": head ", f);
        bg__html_escape(f, hv);
        fputs(", baseline ", f);
        bg__html_escape(f, bv);
        fputs("</p>\n", f);
    }
    if (b->plot_cmp)
        put_img(f, b->slug, "cmp", "per-iteration time distributions, baseline and head overlaid", BG_PLOT_W, BG_PLOT_H,
                "plot");
}

static void bench_history(FILE *f, const bg_report *rep, const bg_report_bench *b)
{
    fputs("<h2>History", f);
    if (!b->m.is_time) {
        fputs(": ", f);
        bg__html_escape(f, b->m.what);
    }
    fputs("</h2>\n", f);
    if (!b->plot_hist) {
        size_t points = 0;
        for (size_t k = 0; k < rep->ncommits; k++)
            points += isfinite(b->hist_pt[k]) != 0;
        fprintf(f, "<p class=\"muted\">%s</p>\n",
                rep->ncommits < 2 ? "One commit so far: the history starts with the next one."
                : points == 1     ? "Measured at one commit only: the history starts with the next commit "
                                    "that measures it."
                : points == 0     ? "Not measured at any commit of the history."
                                  : "No history plot: see the note on plots above.");
        return;
    }
    char alt[200];
    if (b->m.is_time)
        snprintf(alt, sizeof alt, "mean per commit with its confidence interval and change points");
    else
        snprintf(alt, sizeof alt, "%s per commit with change points; commits whose run lacks it are left out",
                 b->m.what);
    put_hist_img(f, rep, b, alt);
    put_suspect(f, rep, b, false);
    if (b->ncp == 0) {
        fputs("<p><small>No change point detected.</small></p>\n", f);
        return;
    }
    fputs("<table>\n<tr><th>change point: first commit of the new level</th><th>change</th><th>p</th><th></th></tr>\n",
          f);
    for (size_t k = 0; k < b->ncp; k++) {
        const bg_report_commit *c = &rep->commits[b->cp[k].index];
        fputs("<tr><td>", f);
        put_cp_row_end(f, rep, c, &b->cp[k]);
    }
    fputs("</table>\n", f);
}

int bg__html_write_bench(const char *dir, const bg_report *rep, size_t i, char *err, size_t errlen)
{
    const bg_report_bench *b = &rep->benches[i];
    char name[96];
    snprintf(name, sizeof name, "bench-%s.html", b->slug);
    page p;
    int rc = page_open(&p, dir, name, err, errlen);
    if (rc)
        return rc;
    FILE *f = p.f;
    char title[300];
    if (b->m.is_time)
        snprintf(title, sizeof title, "%s", b->name);
    else
        snprintf(title, sizeof title, "%s: %s", b->name, b->m.what);
    page_head(f, title, true);
    fputs("<h1>", f);
    bg__html_escape(f, b->name);
    fputs("</h1>\n<p class=\"muted\">", f);
    bg__html_escape(f, rep->head_label);
    if (rep->base) {
        fputs(" against ", f);
        bg__html_escape(f, rep->base_label);
    }
    fputs("</p>\n", f);
    if (!b->m.is_time || b->own_metric) {
        fputs("<p>Metric: <strong>", f);
        bg__html_escape(f, b->m.what);
        fputs("</strong> (comparison, history and change points)", f);
        if (b->own_metric) {
            fputs(", as its rule at <code>", f);
            bg__html_escape(f, b->rule_where);
            fputs("</code> says", f);
        }
        fputs(".</p>\n", f);
    }
    if (!b->m.is_time)
        fputs("<p class=\"note\">The estimates, the distribution plots and the fit are about the samples' wall "
              "time, whatever the metric; the counters table below has the metric per sample.</p>\n",
              f);
    put_plots_note(f, rep);
    bench_estimates(f, rep, b);
    bench_advice(f, b);
    bench_comparison(f, rep, b);
    if (b->plot_dist || b->plot_fit)
        fputs("<h2>Samples</h2>\n<div class=\"plots\">\n", f);
    if (b->plot_dist)
        put_img(f, b->slug, "dist", "kernel density of per-iteration times", BG_PLOT_W, BG_PLOT_H, "plot");
    if (b->plot_fit)
        put_img(f, b->slug, "fit", "sample time against iterations with the fitted slope", BG_PLOT_W, BG_PLOT_H, "plot");
    if (b->plot_dist || b->plot_fit)
        fputs("</div>\n", f);
    bench_history(f, rep, b);
    bench_counters(f, b);
    bench_profile(f, dir, b);
    page_end_main(f);
    return page_close(&p, err, errlen);
}

/* ---- commit page ---- */

static void kv_num(FILE *f, const char *k, double v, const char *unit)
{
    fprintf(f, "<tr><td>%s</td><td class=\"num\">", k);
    if (isfinite(v))
        fprintf(f, "%.6g%s%s", v, unit[0] ? " " : "", unit);
    else
        fputs("-", f);
    fputs("</td></tr>\n", f);
}

/* A row of a duration, formatted as everywhere else (bg__format_ns). */
static void kv_ns(FILE *f, const char *k, double ns)
{
    fprintf(f, "<tr><td>%s</td><td class=\"num\">", k);
    if (isfinite(ns))
        put_ns(f, ns);
    else
        fputs("-", f);
    fputs("</td></tr>\n", f);
}

static void commit_config(FILE *f, const bg_run *run)
{
    const bg_config *c = &run->config;
    fputs("<h2>Configuration</h2>\n<table>\n", f);
    kv_num(f, "warm-up per process", c->warmup_s, "s");
    kv_num(f, "measurement per process", c->measure_s, "s");
    kv_num(f, "budget per benchmark", c->budget_s, "s");
    kv_num(f, "target CI half-width", 100 * c->target, "%");
    kv_num(f, "timeout", c->timeout_s, "s");
    kv_num(f, "samples per process", (double)c->samples, "");
    kv_num(f, "processes (min)", c->min_procs, "");
    kv_num(f, "processes (max)", c->max_procs, "");
    fprintf(f, "<tr><td>seed</td><td class=\"num\">%llu</td></tr>\n", (unsigned long long)c->seed);
    kv_num(f, "bootstrap resamples", (double)c->resamples, "");
    kv_num(f, "confidence", c->confidence, "");
    fprintf(f, "<tr><td>primary statistic</td><td class=\"num\">%s</td></tr>\n", bg_statistic_name(c->primary));
    fprintf(f, "<tr><td>quick mode</td><td class=\"num\">%s</td></tr>\n</table>\n", c->quick ? "yes" : "no");
}

static void commit_machine(FILE *f, const bg_run *run)
{
    fputs("<h2>Machine</h2>\n<table>\n<tr><td>id</td><td><code>", f);
    bg__html_escape(f, run->machine_id);
    fputs("</code></td></tr>\n", f);
    if (run->host[0]) {
        fputs("<tr><td>host</td><td>", f);
        bg__html_escape(f, run->host);
        fputs("</td></tr>\n", f);
    }
    for (size_t i = 0; i < run->nmachine_fields; i++) {
        fputs("<tr><td>", f);
        bg__html_escape(f, run->machine_fields[i].key);
        fputs("</td><td>", f);
        bg__html_escape(f, run->machine_fields[i].value);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void commit_overhead(FILE *f, const bg_run *run)
{
    const bg_overhead *o = &run->overhead;
    fputs("<h2>Harness overhead</h2>\n<table>\n", f);
    kv_ns(f, "wall-clock read", o->wall_read_ns);
    kv_ns(f, "CPU-clock read", o->cpu_read_ns);
    kv_ns(f, "clock resolution", o->resolution_ns);
    kv_ns(f, "empty loop, per iteration", o->empty_loop_ns);
    kv_ns(f, "fixed cost of a sample", o->sample_overhead_ns);
    kv_ns(f, "counter reads per sample", o->counters_sample_ns);
    fputs("</table>\n", f);
}

/* The counter groups the run asked for: measured, or why not. */
static void commit_counter_groups(FILE *f, const bg_run *run)
{
    if (!run->ncounter_groups)
        return;
    fputs("<h2>Counter groups</h2>\n<table>\n<tr><th>group</th><th>measured</th><th>cost per sample</th>"
          "<th>note</th></tr>\n",
          f);
    for (size_t i = 0; i < run->ncounter_groups; i++) {
        const bg_counter_status *g = &run->counter_groups[i];
        fputs("<tr><td>", f);
        bg__html_escape(f, g->group);
        fprintf(f, "</td><td>%s</td><td class=\"num\">", g->available ? "yes" : "no: unavailable");
        if (g->available && isfinite(g->sample_ns))
            put_ns(f, g->sample_ns);
        else
            fputs("-", f);
        fputs("</td><td>", f);
        bg__html_escape(f, g->note);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* ---- a run's page, as a reporter (bg__html_reporter) ---- */

/* The page up to the estimates table's header: the run's commit, its
 * configuration, machine, harness overhead and counter groups. */
static int run_page_begin(FILE *f, const bg_report_src *s)
{
    const bg_run *run = s->run;
    char title[96];
    snprintf(title, sizeof title, "run of %.12s", run->git_commit[0] ? run->git_commit : "no commit");
    page_head(f, title, true);
    fputs("<h1>Run of ", f);
    if (run->git_commit[0]) {
        fputs("commit <code>", f);
        bg__html_escape(f, run->git_commit);
        fputs("</code>", f);
    } else {
        fputs("a working tree outside any commit", f);
    }
    fputs("</h1>\n<dl class=\"kv\">\n<dt>branch</dt><dd>", f);
    bg__html_escape(f, run->git_branch[0] ? run->git_branch : "(none)");
    fprintf(f, "</dd>\n<dt>working tree</dt><dd>%s</dd>\n<dt>git status</dt><dd>",
            run->git_dirty ? "uncommitted changes" : "clean");
    bg__html_escape(f, run->git_status[0] ? run->git_status : "unknown");
    fputs("</dd>\n<dt>run at</dt><dd>", f);
    bg__html_escape(f, run->created);
    fputs("</dd>\n</dl>\n", f);
    fputs("<div class=\"cols\">\n<section>\n", f);
    commit_config(f, run);
    fputs("</section>\n<section>\n", f);
    commit_machine(f, run);
    commit_overhead(f, run);
    commit_counter_groups(f, run);
    fputs("</section>\n</div>\n", f);
    fprintf(f, "<h2>Estimates</h2>\n<p><small>Per iteration of wall time, %g%% bootstrap intervals in "
               "brackets.</small></p>\n<div class=\"wide\"><table class=\"est\">\n<tr><th>benchmark</th><th>status</th><th>processes / "
               "samples</th>",
            100 * run->config.confidence);
    for (int st = 0; st < BG_STAT_COUNT; st++)
        fprintf(f, "<th>%s</th>", bg_statistic_name((bg_statistic)st));
    fputs("<th>CPU / iteration</th><th>outliers (low / high)</th></tr>\n", f);
    return 0;
}

/* One benchmark's row of estimates. */
static int run_page_bench(FILE *f, const bg_report_src *s, size_t i)
{
    const bg_result *r = &s->run->results[i];
    if (r->scope_of[0]) /* a scope: indented under what encloses it */
        fprintf(f, "<tr class=\"scope\"><td class=\"name\" style=\"padding-left:%.1fem\">&middot; ",
                0.4 + 1.2 * r->scope_depth);
    else
        fputs("<tr><td class=\"name\">", f);
    put_bench_link(f, s->site, r->name);
    if (r->scope_of[0] && r->has_summary)
        fprintf(f, "<br><small>scope: %.1f%% of what encloses it, %.4g entries / iteration</small>",
                100 * r->scope_share, bg__result_metric(r, "calls"));
    fprintf(f, "</td><td>%s", bg__status_name(r->status));
    if (r->message[0]) {
        fputs("<br><small>", f);
        bg__html_escape(f, r->message);
        fputs("</small>", f);
    }
    fprintf(f, "</td><td class=\"num\">%zu / %zu</td>", r->nprocs, r->has_summary ? r->wall.nsamples : 0);
    for (int st = 0; st < BG_STAT_COUNT; st++) {
        static const bg_estimate none = {NAN, NAN, NAN, NAN};
        put_estimate(f, r->has_summary ? &r->wall.est[st] : &none);
    }
    if (r->has_summary) {
        fputs("<td class=\"num\">", f);
        put_ns(f, r->cpu_per_iter_ns);
        const bg_outliers *o = &r->wall.outliers;
        fprintf(f, "</td><td class=\"num\">%zu / %zu</td>", o->low_mild + o->low_severe,
                o->high_mild + o->high_severe);
    } else {
        fputs("<td class=\"num\">-</td><td class=\"num\">-</td>", f);
    }
    fputs("</tr>\n", f);
    return 0;
}

/* The run's growth orders (with the log-log plot on the head's page) and
 * thread scaling: each sweep's points and figures. */
static void run_sweeps(FILE *f, const bg_report_src *s)
{
    const bg_run *run = s->run;
    if (!run->nsweeps)
        return;
    fputs("<h2>Growth orders and thread scaling</h2>\n", f);
    for (size_t i = 0; i < run->nsweeps; i++) {
        const bg_sweep *w = &run->sweeps[i];
        fputs("<h3>", f);
        bg__html_escape(f, w->key);
        if (w->kind == BG_SWEEP_GROWTH) {
            fputs(" over <code>", f);
            bg__html_escape(f, w->arg);
            fprintf(f, "</code>: %s%s</h3>\n<p>time per iteration ~ %.4g ns &times; f(", 
                    w->big_o ? bg__big_o_name(w->big_o) : "no fit", w->declared ? " (declared)" : "",
                    w->coef);
            bg__html_escape(f, w->arg);
            fprintf(f, "), normalised RMS %.1f%%</p>\n", w->rms * 100);
            bool plotted = s->site && s->run == s->site->head && i < BG_REPORT_SWEEPS &&
                           s->site->sweep_plot[i];
            if (plotted) {
                char slug[32];
                snprintf(slug, sizeof slug, "sweep-%zu", i);
                put_img(f, slug, "growth", "time per iteration against the size, log-log, with the fitted curve",
                        BG_PLOT_W, BG_PLOT_H, "plot");
            }
            fputs("<table><tr><th>benchmark</th><th>size</th><th>time / iteration</th></tr>\n", f);
        } else {
            fprintf(f, "</h3>\n<p>best: <b>%d thread%s</b> (highest throughput); ", w->best_threads,
                    w->best_threads == 1 ? "" : "s");
            if (w->knee_threads)
                fprintf(f, "knee at <b>%d</b> (efficiency below %.0f%%)</p>\n", w->knee_threads,
                        BG_KNEE_EFFICIENCY * 100);
            else
                fprintf(f, "no knee (efficiency at least %.0f%% throughout)</p>\n", BG_KNEE_EFFICIENCY * 100);
            fputs("<table><tr><th>benchmark</th><th>threads</th><th>time / iteration</th>"
                  "<th>throughput / s</th><th>efficiency</th></tr>\n", f);
        }
        for (size_t j = 0; j < w->n; j++) {
            fputs("<tr><td class=\"name\">", f);
            bg__html_escape(f, w->names[j] ? w->names[j] : "");
            fprintf(f, "</td><td class=\"num\">%.0f</td><td class=\"num\">", w->x[j]);
            put_ns(f, w->t_ns[j]);
            fputs("</td>", f);
            if (w->kind == BG_SWEEP_THREADS)
                fprintf(f, "<td class=\"num\">%.4g</td><td class=\"num\">%.0f%%</td>", w->throughput[j],
                        w->efficiency[j] * 100);
            fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
    }
}

static int run_page_end(FILE *f, const bg_report_src *s)
{
    fputs("</table></div>\n", f);
    run_sweeps(f, s);
    page_end_main(f);
    return ferror(f) ? BG_EIO : 0;
}

const bg_reporter bg__html_reporter = {"html", BG_REPORT_RUN, run_page_begin, run_page_bench,
                                       run_page_end};

int bg__html_write_commit(const char *dir, const char *pg, const bg_run *run, const bg_report *rep,
                          char *err, size_t errlen)
{
    page p;
    int rc = page_open(&p, dir, pg, err, errlen);
    if (rc)
        return rc;
    const bg_report_src src = {.kind = BG_REPORT_RUN, .run = run, .site = rep};
    const bg_reporter *r = &bg__html_reporter;
    int wrc = r->begin(p.f, &src);
    for (size_t i = 0; wrc == 0 && i < run->nresults; i++)
        wrc = r->bench(p.f, &src, i);
    if (wrc == 0)
        r->end(p.f, &src);
    return page_close(&p, err, errlen);
}
