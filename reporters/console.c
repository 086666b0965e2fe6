/* The console reporter: an aligned table of estimates with intervals. */
#include <math.h>
#include <string.h>

#include "bg_config.h"
#include "bg_model.h"
#include "bg_report.h"
#include "bg_reporter.h"

#define C_BOLD "\033[1m"
#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_RESET "\033[0m"

void bg__format_ns(double ns, char *buf, size_t len)
{
    static const char *const units[] = {"ns", "µs", "ms", "s"};
    if (!isfinite(ns)) {
        snprintf(buf, len, "-");
        return;
    }
    double v = ns;
    int u = 0;
    while (u < 3 && fabs(v) >= 1000.0) {
        v /= 1000.0;
        u++;
    }
    /* Four significant digits: enough to see a 0.1 % change. */
    int decimals = fabs(v) >= 100 ? 1 : fabs(v) >= 10 ? 2 : 3;
    snprintf(buf, len, "%.*f %s", decimals, v, units[u]);
}

static void format_rate(double per_s, const char *unit, bool binary, char *buf, size_t len)
{
    static const char *const dec[] = {"", "K", "M", "G", "T"};
    static const char *const bin[] = {"", "Ki", "Mi", "Gi", "Ti"};
    double base = binary ? 1024.0 : 1000.0;
    int u = 0;
    while (u < 4 && per_s >= base) {
        per_s /= base;
        u++;
    }
    snprintf(buf, len, "%.3g %s%s/s", per_s, binary ? bin[u] : dec[u], unit);
}

/* Display width of a UTF-8 string: its code points (all ours are narrow). */
static int display_width(const char *s)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}

/* Prints s padded to `width` columns, left- or right-aligned. */
static void field(FILE *f, const char *s, int width, bool left)
{
    int pad = width - display_width(s);
    if (!left)
        for (int i = 0; i < pad; i++)
            fputc(' ', f);
    fputs(s, f);
    if (left)
        for (int i = 0; i < pad; i++)
            fputc(' ', f);
}

/* Prints a name with control characters shown as '?': names come from user
 * code and must not move the cursor or change colours. */
static void print_name(FILE *f, const char *name, int width)
{
    bg__term_escape(f, name);
    for (int i = display_width(name); i < width; i++)
        fputc(' ', f);
}

/* The name column's width, from the benchmarks' names: a scope's row shows
 * its indented leaf name, and the scopes are only known once their
 * benchmark has run (after the header), so they do not widen the column
 * (a longer one overflows its own row). */
static int name_width(const bg_run *run)
{
    int w = 9; /* "benchmark" */
    for (size_t i = 0; i < run->nresults; i++) {
        if (run->results[i].scope_of[0])
            continue;
        const char *s = run->results[i].name;
        int n = s ? display_width(s) : 0;
        if (n > w)
            w = n;
    }
    return w > 48 ? 48 : w;
}

/* ---- counters ---- */

static void format_bytes(double b, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (u < 4 && fabs(b) >= 1024.0) {
        b /= 1024.0;
        u++;
    }
    snprintf(buf, len, u ? "%.3g %s" : "%.4g %s", b, units[u]);
}

/* A count with three significant digits and an SI suffix ("1.23 M"). */
static void format_count(double v, char *buf, size_t len)
{
    static const char *const suffix[] = {"", " k", " M", " G", " T"};
    if (v == 0) {
        snprintf(buf, len, "0");
        return;
    }
    int u = 0;
    while (u < 4 && fabs(v) >= 1000.0) {
        v /= 1000.0;
        u++;
    }
    snprintf(buf, len, "%.3g%s", v, suffix[u]);
}

/* A metric's value in its unit: time, bytes or a plain count. */
static void format_metric(const char *name, double v, char *buf, size_t len)
{
    const char *unit = bg__metric_unit(name);
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else if (!strcmp(unit, "ns"))
        bg__format_ns(v, buf, len);
    else if (!strcmp(unit, "bytes"))
        format_bytes(v, buf, len);
    else
        format_count(v, buf, len);
}

/* The header line: which counter groups are measured, what each costs per
 * sample, and, once per run, why a requested group is unavailable. */
static void counters_header(FILE *f, const bg_run *run, int wrap)
{
    if (run->ncounter_groups == 0)
        return;
    char line[1024] = "counters:";
    size_t used = strlen(line);
    int shown = 0;
    for (size_t i = 0; i < run->ncounter_groups && used < sizeof line; i++) {
        const bg_counter_status *g = &run->counter_groups[i];
        if (!g->available)
            continue;
        char cost[32];
        bg__format_ns(g->sample_ns, cost, sizeof cost);
        used += (size_t)snprintf(line + used, sizeof line - used, "%s %s (%s per sample)",
                                 shown++ ? "," : "", g->group, cost);
    }
    bg__wrapf(f, wrap, "%s%s, rusage per process", line,
              shown ? "; read outside the timed interval" : " none");
    for (size_t i = 0; i < run->ncounter_groups; i++) {
        const bg_counter_status *g = &run->counter_groups[i];
        if (!g->available)
            bg__wrapf(f, wrap, "  %s unavailable: %s", g->group, g->note);
        else if (g->note[0])
            bg__wrapf(f, wrap, "  %s: %s", g->group, g->note);
    }
}

/* Appends "text" to a line of comma-separated items. */
static void item(FILE *f, int *n, const char *text)
{
    fprintf(f, "%s%s", (*n)++ ? ", " : "    ", text);
}

/* The compact set: instructions, IPC and cache misses (hw), page faults and
 * context switches (sw), allocations (alloc), and the peak resident set. */
static void counters_compact(FILE *f, const bg_result *r)
{
    static const struct { const char *metric, *label; bool per_iter; } set[] = {
        {"instructions", "instr/iter", true},  {"ipc", "IPC", false},
        {"cache_miss_rate", "cache miss", false}, {"page_faults", "faults/iter", true},
        {"context_switches", "ctx switches/iter", true}, {"allocs", "allocs/iter", true},
        {"alloc_bytes", "/iter allocated", true}, {"peak_live_bytes", "peak live", false},
    };
    int n = 0;
    char v[48], text[96];
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
        const char *m = set[i].metric;
        double x = bg__result_figure(r, m); /* NAN when not recorded */
        if (!isfinite(x))
            continue;
        if (!strcmp(m, "cache_miss_rate"))
            snprintf(text, sizeof text, "cache miss %.2f%%", x * 100);
        else if (!strcmp(m, "ipc"))
            snprintf(text, sizeof text, "IPC %.2f", x);
        else {
            format_metric(m, x, v, sizeof v);
            if (set[i].label[0] == '/')
                snprintf(text, sizeof text, "%s%s", v, set[i].label);
            else if (set[i].per_iter)
                snprintf(text, sizeof text, "%s %s", v, set[i].label);
            else
                snprintf(text, sizeof text, "%s %s", set[i].label, v);
        }
        item(f, &n, text);
    }
    if (r->fig.has_rusage && isfinite(r->fig.rusage.max_rss_bytes)) {
        format_bytes(r->fig.rusage.max_rss_bytes, v, sizeof v);
        snprintf(text, sizeof text, "max RSS %s", v);
        item(f, &n, text);
    }
    if (n)
        fputc('\n', f);
}

/* Every counter, one line per group, then derived ratios and rusage. */
static void counters_all(FILE *f, const bg_result *r)
{
    /* The counters: every per-sample metric after time and CPU time. */
    const bg_metric_figure *m = r->fig.nmetrics > 2 ? r->fig.metrics + 2 : NULL;
    size_t nn = m ? r->fig.nmetrics - 2 : 0;
    bool done[BG_COUNTERS_MAX] = {false};
    char v[48];
    for (size_t i = 0; i < nn; i++) {
        if (done[i])
            continue;
        const bg_counter_group *g = bg__counter_owner(m[i].name);
        fprintf(f, "    %s:", g ? g->name : "other");
        int n = 0;
        for (size_t j = i; j < nn; j++) {
            if (done[j] || bg__counter_owner(m[j].name) != g)
                continue;
            done[j] = true;
            format_metric(m[j].name, m[j].value, v, sizeof v);
            bool peak = bg__metric_kind(m[j].name) == BG_METRIC_PEAK;
            fprintf(f, "%s %s %s%s", n++ ? "," : "", m[j].name, v, peak ? " (peak)" : "/iter");
        }
        fputc('\n', f);
    }
    int n = 0;
    for (size_t i = 0; bg__derived_metrics[i]; i++) {
        double x = r->fig.derived[i];
        if (!isfinite(x))
            continue;
        fprintf(f, "%s %s %.4g", n++ ? "," : "    derived:", bg__derived_metrics[i], x);
    }
    if (n)
        fputc('\n', f);
    if (r->fig.has_rusage) {
        const bg_rusage ru = r->fig.rusage;
        char rss[32], start[32], user[32], sys[32];
        format_bytes(ru.max_rss_bytes, rss, sizeof rss);
        format_bytes(ru.start_rss_bytes, start, sizeof start);
        bg__format_ns(ru.user_ns, user, sizeof user);
        bg__format_ns(ru.sys_ns, sys, sizeof sys);
        fprintf(f,
                "    rusage (median of %zu processes): user %s, sys %s, max RSS %s (%s before "
                "the benchmark), faults %.4g minor / %.4g major, context switches %.4g "
                "voluntary / %.4g involuntary\n",
                r->nprocs, user, sys, rss, start, ru.minor_faults, ru.major_faults,
                ru.voluntary_cs, ru.involuntary_cs);
    }
}

void bg__gpu_row_label(const bg_gpu_row *row, char *buf, size_t len)
{
    static const char *const what[] = {[BG_ACT_MEMCPY_HTOD] = "memcpy HtoD",
                                       [BG_ACT_MEMCPY_DTOH] = "memcpy DtoH",
                                       [BG_ACT_MEMCPY_DTOD] = "memcpy DtoD",
                                       [BG_ACT_MEMSET] = "memset"};
    if (row->kind == BG_ACT_KERNEL || row->kind < BG_ACT_KERNEL || row->kind > BG_ACT_MEMSET) {
        snprintf(buf, len, "%s", row->name);
        return;
    }
    char size[32];
    format_bytes(row->bytes, size, sizeof size);
    snprintf(buf, len, "%s %s", what[row->kind], row->name[0] ? row->name : size);
}

/* The GPU breakdown's largest rows by GPU time (every row is in the run
 * record and the HTML report), and the samples taken while the GPU was
 * throttled. */
#define GPU_TOP 3

static void bench_gpu(FILE *f, const bg_result *r)
{
    const bg_figures *g = &r->fig;
    size_t top = g->ngpu < GPU_TOP ? g->ngpu : GPU_TOP;
    for (size_t i = 0; i < top; i++) {
        const bg_gpu_row *row = &g->gpu[i];
        char label[BG_ACTIVITY_NAME + 32], t[32], per[32];
        bg__gpu_row_label(row, label, sizeof label);
        if (strlen(label) > 70)
            snprintf(label + 66, sizeof label - 66, "...");
        bg__format_ns(row->ns_per_iter, t, sizeof t);
        bg__format_ns(row->ns_per_call, per, sizeof per);
        fprintf(f, "    gpu %5.1f%%  %s: %.3g/iter, %s/iter (%s each)\n", 100 * row->share, label,
                row->calls_per_iter, t, per);
    }
    if (g->ngpu + g->ngpu_more > top)
        fprintf(f, "    gpu: %zu more kernels and copies in the run record and the HTML report\n",
                g->ngpu + g->ngpu_more - top);
    if (g->throttled)
        fprintf(f, "    gpu: throttled in %zu of %zu samples (NVML clock event reasons); their "
                   "times may be slow\n", g->throttled, g->throttle_read);
}

/* The benchmark's own counters (bg_counter), each with its kind's unit,
 * and the result's note. */
static void user_counters(FILE *f, const bg_result *r, int wrap)
{
    if (r->scope_of[0]) { /* a scope: its share and entries, not its counter */
        double calls = bg__result_metric(r, "calls");
        const char *name = r->name ? r->name : "";
        const char *up = strrchr(name, '/');
        int upn = r->scope_depth > 1 && up ? (int)(up - name) : (int)strlen(r->scope_of);
        bg__wrapf(f, wrap, "    %.1f%% of %.*s, %.4g entr%s/iter", 100 * r->scope_share, upn, name,
                  calls, calls == 1 ? "y" : "ies");
        if (r->note[0])
            bg__wrapf(f, wrap, "    note: %s", r->note);
        return;
    }
    int n = 0;
    for (size_t i = 2; i < r->fig.nmetrics; i++) {
        const bg_metric_figure *m = &r->fig.metrics[i];
        uint8_t kind = 0;
        for (size_t p = 0; p < r->nprocs && !kind; p++)
            for (size_t k = 0; k < r->procs[p].ncounters && k < BG_COUNTERS_MAX; k++)
                if (!strcmp(r->procs[p].counters[k].name, m->name))
                    kind = r->procs[p].counter_kind[k];
        if (!kind)
            continue;
        static const char *const unit[] = {"", "/iter", "/sample", "/s", " (max)"};
        fprintf(f, "%s %s %.4g%s", n++ ? "," : "    user counters:", m->name, m->value,
                kind <= BG_COUNT_MAX ? unit[kind] : "");
    }
    if (n)
        fputc('\n', f);
    if (r->note[0])
        bg__wrapf(f, wrap, "    note: %s", r->note);
}

static void bench_counters(FILE *f, const bg_run *run, const bg_result *r, int wrap)
{
    user_counters(f, r, wrap);
    /* With --counters none, rusage stays in the record only. */
    if (run->config.counters && run->config.counters_all)
        counters_all(f, r);
    else if (run->config.counters)
        counters_compact(f, r);
    if (run->config.counters)
        bench_gpu(f, r);
    if (r->counter_note[0])
        bg__wrapf(f, wrap, "    counters: %s", r->counter_note);
}

/* The width notes, recommendations and messages wrap at: the terminal's
 * (s->width), else COLUMNS when set; unwrapped in a pipe. Table rows are not
 * wrapped: the compact layout is what makes them fit. */
static int wrap_width(const bg_report_src *s, FILE *f)
{
    return s->width > 0 ? s->width : bg__wrap_width(f);
}

/* Whether the time table takes its compact layout (name, estimate,
 * interval, processes x samples): the full rows, about 105 columns beside
 * the names, would not fit the terminal (s->width; 0: no limit). */
static bool compact(const bg_report_src *s)
{
    return s->width > 0 && name_width(s->run) + 105 > s->width;
}

static int begin(FILE *f, const bg_report_src *s)
{
    const bg_run *run = s->run;
    const bg_config *c = &run->config;
    const bg_overhead *o = &run->overhead;
    bool color = c->color;
    fprintf(f, "%sbenchgate %s%s  seed %llu, %.0f%% intervals, %zu resamples\n",
            color ? C_BOLD : "", BG_VERSION, color ? C_RESET : "",
            (unsigned long long)c->seed, c->confidence * 100, c->resamples);
    fprintf(f,
            "harness: clock read %.1f ns (resolution %.0f ns), cpu clock read %.1f ns,%s"
            "empty loop %.3f ns/iter, sample overhead %.0f ns\n",
            o->wall_read_ns, o->resolution_ns, o->cpu_read_ns, compact(s) ? "\n         " : " ",
            o->empty_loop_ns, o->sample_overhead_ns);
    counters_header(f, run, wrap_width(s, f));
    fputc('\n', f);
    int w = name_width(run);
    if (color)
        fputs(C_BOLD, f);
    if (c->mode != BG_MODE_TIME)
        fprintf(f, "%-*s  %14s  %16s  %13s  %s\n", w, "benchmark", "instr/iter",
                "est. cycles/iter", c->mode == BG_MODE_INSTR_HW ? "time" : "valgrind time",
                "procs x samples");
    else if (compact(s))
        fprintf(f, "%-*s  %11s  %-27s %s\n", w, "benchmark", bg_statistic_name(c->primary), "interval",
                "procs x samples");
    else
        fprintf(f, "%-*s  %11s  %-27s %11s %10s  %-10s %s\n", w, "benchmark",
                bg_statistic_name(c->primary), "interval", "median", "MAD", "outliers",
                "procs x samples, throughput");
    if (color)
        fputs(C_RESET, f);
    return ferror(f) ? BG_EIO : 0;
}

/* Instruction mode's row: the counts are the measurement. Time (under
 * valgrind, or with the counter on) comes last, without an interval or a
 * throughput, as a note of what the run took. */
static void bench_instr(FILE *f, const bg_run *run, const bg_result *r, int w, int wrap)
{
    double ins = bg__result_figure(r, "instructions"), cyc = bg__result_figure(r, "est_cycles");
    char a[32] = "-", b[32] = "-", t[32];
    if (isfinite(ins))
        snprintf(a, sizeof a, "%.1f", ins); /* exact: the point of this mode */
    if (isfinite(cyc))
        snprintf(b, sizeof b, "%.1f", cyc);
    bg__format_ns(r->wall.est[BG_STAT_MEAN].point, t, sizeof t);
    print_name(f, r->name, w);
    fputs("  ", f);
    field(f, a, 14, false);
    fputs("  ", f);
    field(f, b, 16, false);
    fputs("  ", f);
    field(f, t, 13, false);
    fprintf(f, "  %zu x %zu\n", r->nprocs, r->nprocs ? r->wall.nsamples / r->nprocs : 0);
    bench_counters(f, run, r, wrap);
}

/* A scope's row shows its own name indented under what encloses it
 * ("  · tokenize"); a benchmark's, its name. */
static const char *display_name(const bg_result *r, char *buf, size_t n)
{
    if (!r->scope_of[0] || !r->name)
        return r->name;
    const char *leaf = strrchr(r->name, '/');
    snprintf(buf, n, "%*s· %s", 2 * (r->scope_depth > 0 ? r->scope_depth - 1 : 0), "",
             leaf ? leaf + 1 : r->name);
    return buf;
}

static void bench_row(FILE *f, const bg_run *run, const bg_result *r, bool narrow, int wrap)
{
    const bg_config *c = &run->config;
    char disp[300];
    bool color = c->color;
    int w = name_width(run);
    if (r->status != BG_STATUS_OK || !r->has_summary) {
        /* No figures, only why: a message, wrapped like the notes. */
        const char *col = r->status == BG_STATUS_SKIPPED ? C_YELLOW : C_RED;
        bg_msgbuf mb;
        FILE *m = bg__msg_begin(&mb, f);
        if (color)
            fputs(col, m);
        print_name(m, r->name, w);
        fprintf(m, "  %s: ", bg__status_name(r->status));
        bg__term_escape(m, r->message);
        if (r->status == BG_STATUS_CRASHED || r->status == BG_STATUS_TIMEOUT)
            fprintf(m, " (after %zu good process%s)", r->nprocs, r->nprocs == 1 ? "" : "es");
        if (color)
            fputs(C_RESET, m);
        fputc('\n', m);
        bg__msg_end(&mb, f, wrap);
        return;
    }
    if (c->mode != BG_MODE_TIME) {
        bench_instr(f, run, r, w, wrap);
        return;
    }
    const bg_estimate *e = &r->wall.est[c->primary];
    char pt[32], lo[32], hi[32], med[32], mad[32], iv[80];
    bg__format_ns(e->point, pt, sizeof pt);
    bg__format_ns(e->lo, lo, sizeof lo);
    bg__format_ns(e->hi, hi, sizeof hi);
    bg__format_ns(r->wall.est[BG_STAT_MEDIAN].point, med, sizeof med);
    bg__format_ns(r->wall.est[BG_STAT_MAD].point, mad, sizeof mad);
    double half = r->fig.primary_half_width * 100;
    snprintf(iv, sizeof iv, "[%s, %s] ±%.1f%%", lo, hi, half);

    const bg_outliers *ol = &r->wall.outliers;
    size_t mild = ol->low_mild + ol->high_mild, severe = ol->low_severe + ol->high_severe;
    char outl[32];
    snprintf(outl, sizeof outl, "%zu/%zu", mild, severe);

    char thr[48] = "";
    if (r->fig.bytes_per_s > 0)
        format_rate(r->fig.bytes_per_s, "B", true, thr, sizeof thr);
    else if (r->fig.items_per_s > 0)
        format_rate(r->fig.items_per_s, "item", false, thr, sizeof thr);

    size_t nsamp = r->wall.nsamples;
    print_name(f, display_name(r, disp, sizeof disp), w);
    fputs("  ", f);
    field(f, pt, 11, false);
    fputs("  ", f);
    field(f, iv, 27, true);
    if (narrow) {
        fprintf(f, " %zu x %zu\n", r->nprocs, r->nprocs ? nsamp / r->nprocs : 0);
        bench_counters(f, run, r, wrap);
        return;
    }
    fputc(' ', f);
    field(f, med, 11, false);
    fputc(' ', f);
    field(f, mad, 10, false);
    fputs("  ", f);
    field(f, outl, 10, true);
    fprintf(f, " %zu x %zu%s%s\n", r->nprocs, r->nprocs ? nsamp / r->nprocs : 0,
            thr[0] ? ", " : "", thr);
    bench_counters(f, run, r, wrap);
}

static int bench(FILE *f, const bg_report_src *s, size_t i)
{
    bench_row(f, s->run, &s->run->results[i], compact(s), wrap_width(s, f));
    return ferror(f) ? BG_EIO : 0;
}

/* The recommendations, one line each (rule and evidence; the action is in
 * the JSON record and the HTML report), at most 10; the noisy rule is the
 * line above. */
static void recommendations(FILE *f, const bg_run *run, int wrap)
{
    size_t shown = 0, total = 0;
    for (size_t i = 0; i < run->nresults; i++)
        for (size_t k = 0; k < run->results[i].nadvice; k++)
            total += strcmp(run->results[i].advice[k].rule, "noisy") != 0;
    if (!total)
        return;
    fprintf(f, "recommendations (each with its action in the run record and the HTML report):\n");
    for (size_t i = 0; i < run->nresults && shown < 10; i++) {
        const bg_result *r = &run->results[i];
        for (size_t k = 0; k < r->nadvice && shown < 10; k++) {
            if (!strcmp(r->advice[k].rule, "noisy"))
                continue;
            bg__wrapf(f, wrap, "  %s: %s: %s", r->name, r->advice[k].rule, r->advice[k].evidence);
            shown++;
        }
    }
    if (total > shown)
        fprintf(f, "  ... and %zu more\n", total - shown);
}

/* Growth orders and thread scaling (bg_sweep), after the table. */
static void print_sweeps(FILE *f, const bg_run *run, int wrap)
{
    for (size_t i = 0; i < run->nsweeps; i++) {
        const bg_sweep *w = &run->sweeps[i];
        char t[32];
        if (w->kind == BG_SWEEP_GROWTH) {
            bg__wrapf(f, wrap, "growth %s over %s (%zu sizes %.0f..%.0f): %s%s, time ~ %.4g ns x f(%s), "
                       "RMS %.1f%%",
                    w->key, w->arg, w->n, w->x[0], w->x[w->n - 1],
                    w->big_o ? bg__big_o_name(w->big_o) : "no fit", w->declared ? " (declared)" : "",
                    w->coef, w->arg, w->rms * 100);
            continue;
        }
        bg_msgbuf mb;
        FILE *m = bg__msg_begin(&mb, f);
        fprintf(m, "threads %s: best %d thread%s (highest throughput)", w->key, w->best_threads,
                w->best_threads == 1 ? "" : "s");
        if (w->knee_threads)
            fprintf(m, ", knee at %d (efficiency below %.0f%%)\n", w->knee_threads,
                    BG_KNEE_EFFICIENCY * 100);
        else
            fprintf(m, ", no knee (efficiency >= %.0f%% throughout)\n", BG_KNEE_EFFICIENCY * 100);
        bg__msg_end(&mb, f, wrap);
        for (size_t j = 0; j < w->n; j++) {
            bg__format_ns(w->t_ns[j], t, sizeof t);
            fprintf(f, "    T=%-3.0f %s/iter, %.4g /s, efficiency %.0f%%\n", w->x[j], t,
                    w->throughput[j], w->efficiency[j] * 100);
        }
    }
}

static int end(FILE *f, const bg_report_src *s)
{
    const bg_run *run = s->run;
    size_t bad = 0, skipped = 0;
    double total = 0;
    for (size_t i = 0; i < run->nresults; i++) {
        const bg_result *r = &run->results[i];
        total += r->elapsed_s;
        if (r->status == BG_STATUS_SKIPPED)
            skipped++;
        else if (r->status != BG_STATUS_OK)
            bad++;
    }
    size_t scopes = 0;
    for (size_t i = 0; i < run->nresults; i++)
        scopes += run->results[i].scope_of[0] != '\0';
    size_t benches = run->nresults - scopes;
    int wrap = wrap_width(s, f);
    bg_msgbuf mb;
    FILE *m = bg__msg_begin(&mb, f);
    fprintf(m, "\n%zu benchmark%s", benches, benches == 1 ? "" : "s");
    if (scopes)
        fprintf(m, " (and %zu scope%s, each a benchmark named bench/scope)", scopes,
                scopes == 1 ? "" : "s");
    fprintf(m, " in %.1f s", total);
    if (skipped)
        fprintf(m, ", %zu skipped", skipped);
    if (bad)
        fprintf(m, ", %zu failed (crashed, timed out or errored)", bad);
    fprintf(m, "; outliers are mild/severe (Tukey), kept in every estimate\n");
    bg__msg_end(&mb, f, wrap);
    if (scopes)
        bg__wrapf(f, wrap, "scopes: %.1f ns per entry (%s), %.1f ns of it in each figure taken out; "
                           "--no-scopes: %.1f ns", run->overhead.scope_entry_ns,
                  run->overhead.scope_tsc ? "TSC" : "clock_gettime", run->overhead.scope_read_ns,
                  run->overhead.scope_off_ns);
    print_sweeps(f, run, wrap);
    if (run->noisy[0])
        bg__wrapf(f, wrap, "benchgate: measurements look noisy (%s); run `benchgate doctor` for what to fix",
                  run->noisy);
    recommendations(f, run, wrap);
    return ferror(f) ? BG_EIO : 0;
}

const bg_reporter bg__console_reporter = {"console", BG_REPORT_RUN, begin, bench, end};
