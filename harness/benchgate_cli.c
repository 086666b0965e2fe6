/* The benchgate command: ls, compare, gate, push and fetch over the run store.
 *
 * Exit codes (all subcommands): 0 success / gate passed, 1 a regression was
 * found (gate), 2 usage or environment error, 3 a benchmark in the head run
 * crashed or timed out (gate). */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bg_fingerprint.h"
#include "bg_git.h"
#include "bg_harness.h"
#include "bg_stats.h"
#include "bg_store.h"

/* libgit2 1.5 leaks a PCRE2 match block when a config regex does not match
 * (libgit2/libgit2#6382); let LeakSanitizer ignore allocations in libpcre2. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libpcre2-8.so\n";
}

enum { EXIT_PASS = 0, EXIT_REGRESSION = 1, EXIT_USAGE = 2, EXIT_CRASH = 3 };

typedef enum { FMT_CONSOLE, FMT_MARKDOWN, FMT_CSV, FMT_JSON } out_format;

typedef struct opts {
    const char *store;
    out_format format;
    const char *out;
    double threshold_pct;
    double alpha;
    bg_padjust padjust;
    bool force;
    const char *base;
    const char *head;
    const char *junit;
    const char *markdown;
    const char *bench;           /* gate --bench: the bench binary to run */
    const char *bench_args[64];  /* gate --bench-arg, in order */
    size_t nbench_args;
    const char *pos[4];
    size_t npos;
} opts;

/* ---- small helpers ---- */

static void errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void errf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("benchgate: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void xml_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
                fputc('?', f);
            else
                fputc(*s, f);
        }
    }
}

/* Markdown table cell: escape '|', backslash-escape markup, drop newlines. */
static void md_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|' || *s == '\\' || *s == '`' || *s == '*' || *s == '_' || *s == '<' ||
            *s == '>' || *s == '[' || *s == ']')
            fputc('\\', f);
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
}

static void csv_escape(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Copies src into dst (size n), truncating; always terminated. */
static void copy_str(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* ---- loading runs ---- */

typedef struct side {
    bg_run run;
    bool loaded;
    char path[4096];
    char commit[BG_GIT_OID_BUF]; /* resolved commit, "" for a file */
    const char *spec;
} side;

static int load_record_file(const char *path, side *s)
{
    char err[512] = "";
    char *text = NULL;
    int rc = bg_store_load(path, &text, NULL, NULL, err, sizeof err);
    if (rc) {
        errf("%s", err[0] ? err : path);
        return rc;
    }
    rc = bg__record_parse(text, &s->run, err, sizeof err);
    free(text);
    if (rc) {
        errf("%s: %s", path, err);
        return rc;
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    s->loaded = true;
    return 0;
}

static void skip_report(const char *name, int code, const char *msg, void *ud)
{
    (void)code;
    (void)ud;
    if (msg && name && strstr(msg, name))
        fprintf(stderr, "benchgate: skipped: %s\n", msg);
    else
        fprintf(stderr, "benchgate: skipped %s: %s\n", name ? name : "?", msg ? msg : "");
}

/* Lists the runs stored for `commit`. */
static int list_commit(bg_store *st, const char *commit, bg_run_list *l)
{
    char err[512] = "";
    memset(l, 0, sizeof *l);
    int rc = bg_store_list(st, commit, NULL, l, skip_report, NULL, err, sizeof err);
    if (rc)
        errf("cannot list the store %s: %s", bg_store_dir(st), err);
    return rc;
}

/* The newest run in l, preferring machine `pref` (may be NULL/""). */
static const bg_run_entry *pick_newest(const bg_run_list *l, const char *pref)
{
    const bg_run_entry *best = NULL;
    if (pref && pref[0])
        for (size_t i = l->n; i-- > 0;)
            if (!strcmp(l->runs[i].meta.machine, pref)) {
                best = &l->runs[i];
                break;
            }
    if (!best && l->n)
        best = &l->runs[l->n - 1];
    return best;
}

static void no_data_message(const char *what, const char *spec, const char *commit, bg_store *st)
{
    errf("no stored run for %s '%s' (commit %.12s) in %s.\n"
         "  To make one: git checkout %.12s, build and run the benchmarks (the bench binary "
         "saves the run), or 'benchgate fetch' runs shared by others.",
         what, spec, commit, bg_store_dir(st), commit);
}

/* Resolves `spec` (a file or a commit-ish) into s->commit, or loads the file. */
static int resolve_side(bg_git **g, side *s, const char *spec)
{
    char err[512] = "";
    s->spec = spec;
    if (is_file(spec))
        return load_record_file(spec, s);
    if (!*g) {
        int rc = bg_git_open(g, NULL, err, sizeof err);
        if (rc) {
            errf("'%s' is not a file and no git repository to resolve it: %s", spec, err);
            return rc;
        }
    }
    int rc = bg_git_resolve(*g, spec, s->commit, err, sizeof err);
    if (rc) {
        errf("cannot resolve '%s' (not a file nor a known revision): %s", spec, err);
        return rc;
    }
    return 0;
}

/* How far back (first-parent commits) a side without a stored run looks for
 * the nearest ancestor that has one. */
#define ANCESTOR_BOUND 50

/* Looks for the nearest first-parent ancestor of s->commit (within
 * ANCESTOR_BOUND commits) with a stored run; on success fills *l with its
 * runs, copies its id into s->commit and prints a note. BG_ENOTFOUND when
 * none (or no repository). */
static int nearest_ancestor(bg_store *st, bg_git *g, side *s, const char *label, bg_run_list *l)
{
    char err[512] = "";
    char(*ids)[BG_GIT_OID_BUF] = NULL;
    size_t n = 0;
    if (!g || bg_git_ancestors(g, s->commit, ANCESTOR_BOUND + 1, &ids, &n, err, sizeof err) != 0)
        return BG_ENOTFOUND;
    int rc = BG_ENOTFOUND;
    for (size_t i = 1; i < n; i++) {
        if (list_commit(st, ids[i], l) != 0) {
            rc = BG_EIO;
            break;
        }
        if (l->n) {
            fprintf(stderr, "benchgate: note: %s %.12s has no run; using nearest ancestor %.12s (%zu "
                            "commit%s back)\n",
                    label, s->commit, ids[i], i, i == 1 ? "" : "s");
            copy_str(s->commit, sizeof s->commit, ids[i]);
            rc = 0;
            break;
        }
        bg_run_list_free(l);
    }
    free(ids);
    return rc;
}

/* Loads the newest stored run of s->commit (preferring machine `pref`). When
 * `g` is given and the commit has no run, falls back to the nearest
 * first-parent ancestor with one (`label` names the side in the note). */
static int load_from_store(bg_store *st, bg_git *g, side *s, const char *what, const char *label,
                           const char *pref)
{
    bg_run_list l;
    int rc = list_commit(st, s->commit, &l);
    if (rc)
        return rc;
    if (!l.n && g) {
        bg_run_list_free(&l);
        memset(&l, 0, sizeof l);
        rc = nearest_ancestor(st, g, s, label, &l);
        if (rc == BG_EIO)
            return rc;
        if (rc) {
            no_data_message(what, s->spec, s->commit, st);
            fprintf(stderr, "  (nor any of its %d nearest first-parent ancestors)\n", ANCESTOR_BOUND);
            return BG_ENOTFOUND;
        }
    }
    const bg_run_entry *e = pick_newest(&l, pref);
    if (!e) {
        no_data_message(what, s->spec, s->commit, st);
        bg_run_list_free(&l);
        return BG_ENOTFOUND;
    }
    rc = load_record_file(e->path, s);
    bg_run_list_free(&l);
    return rc;
}

/* Loads both sides. Machine preference: B (head) picks the newest; A takes
 * the newest on B's machine when there is one. A side whose commit has no
 * run falls back to its nearest ancestor with one when its label (la, lb) is
 * not NULL. b may already be loaded (sb NULL). */
static int load_pair(bg_store *st, bg_git **g, side *a, const char *sa, const char *wa, const char *la,
                     side *b, const char *sb, const char *wb, const char *lb)
{
    int rc = resolve_side(g, a, sa);
    if (rc)
        return rc;
    if (sb) {
        rc = resolve_side(g, b, sb);
        if (rc)
            return rc;
    }
    if (!b->loaded) {
        rc = load_from_store(st, lb ? *g : NULL, b, wb, lb, a->loaded ? a->run.machine_id : NULL);
        if (rc)
            return rc;
    }
    if (!a->loaded) {
        rc = load_from_store(st, la ? *g : NULL, a, wa, la, b->run.machine_id);
        if (rc)
            return rc;
    }
    return 0;
}


static void fp_from_run(const bg_run *r, bg_fingerprint *fp)
{
    memset(fp, 0, sizeof *fp);
    for (size_t i = 0; i < r->nmachine_fields; i++) {
        const bg_kv *kv = &r->machine_fields[i];
        if (!strcmp(kv->key, "cpu_model"))
            copy_str(fp->cpu_model, sizeof fp->cpu_model, kv->value);
        else if (!strcmp(kv->key, "cores"))
            fp->cores = atoi(kv->value);
        else if (!strcmp(kv->key, "kernel"))
            copy_str(fp->kernel, sizeof fp->kernel, kv->value);
        else if (!strcmp(kv->key, "compiler"))
            copy_str(fp->compiler, sizeof fp->compiler, kv->value);
        else if (!strcmp(kv->key, "flags"))
            copy_str(fp->flags, sizeof fp->flags, kv->value);
        else if (!strcmp(kv->key, "os"))
            copy_str(fp->os, sizeof fp->os, kv->value);
        else if (!strcmp(kv->key, "arch"))
            copy_str(fp->arch, sizeof fp->arch, kv->value);
    }
    copy_str(fp->id, sizeof fp->id, r->machine_id);
}

/* 0 when comparable (or forced), else prints why and returns EXIT_USAGE. */
static int check_machines(const side *a, const side *b, bool force)
{
    bg_fingerprint fa, fb;
    fp_from_run(&a->run, &fa);
    fp_from_run(&b->run, &fb);
    char msg[1024] = "";
    if (bg_fingerprint_compare(&fa, &fb, msg, sizeof msg) == 0) {
        if (!strcmp(a->run.machine_id, b->run.machine_id))
            return 0;
        snprintf(msg, sizeof msg, "machine differs: id '%s' vs '%s'", a->run.machine_id,
                 b->run.machine_id);
    }
    if (force) {
        fprintf(stderr, "benchgate: warning (--force): %s\n", msg);
        return 0;
    }
    errf("refusing to compare runs from different machines: %s (A: %s, B: %s); use --force to "
         "compare anyway",
         msg, a->path, b->path);
    return EXIT_USAGE;
}

/* ---- comparing ---- */

typedef enum { ROW_COMPARED, ROW_ONLY_A, ROW_ONLY_B, ROW_NOT_OK } row_kind;

typedef struct row {
    const char *name;
    row_kind kind;
    double mean_a, mean_b;
    bg_change ch;
    double p_adj;
    bg_verdict verdict;
    bool accepted;
    bool head_failed;   /* crashed or timed out in B */
    char note[320];     /* for ROW_NOT_OK / accepted */
} row;

typedef struct comparison {
    row *rows;
    size_t n;
    double threshold; /* fraction */
    double alpha;
} comparison;

static double per_iter_mean(const bg_result *r)
{
    if (r->has_summary && isfinite(r->wall.est[BG_STAT_MEAN].point))
        return r->wall.est[BG_STAT_MEAN].point;
    double s = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->nprocs; i++)
        for (size_t j = 0; j < r->procs[i].n; j++) {
            s += r->procs[i].wall_ns[j] / r->procs[i].iters[j];
            n++;
        }
    return n ? s / (double)n : NAN;
}

static const bg_result *find_result(const bg_run *run, const char *name)
{
    for (size_t i = 0; i < run->nresults; i++)
        if (run->results[i].name && !strcmp(run->results[i].name, name))
            return &run->results[i];
    return NULL;
}

static bg_group *groups_of(const bg_result *r)
{
    bg_group *g = calloc(r->nprocs ? r->nprocs : 1, sizeof *g);
    if (!g)
        return NULL;
    for (size_t i = 0; i < r->nprocs; i++) {
        g[i].iters = r->procs[i].iters;
        g[i].ns = r->procs[i].wall_ns;
        g[i].n = r->procs[i].n;
    }
    return g;
}

static bool has_samples(const bg_result *r)
{
    for (size_t i = 0; i < r->nprocs; i++)
        if (r->procs[i].n > 0)
            return true;
    return false;
}

static int compare_runs(const bg_run *a, const bg_run *b, const opts *o, comparison *c)
{
    memset(c, 0, sizeof *c);
    c->threshold = o->threshold_pct / 100.0;
    c->alpha = o->alpha;
    c->rows = calloc(a->nresults + b->nresults + 1, sizeof *c->rows);
    if (!c->rows)
        return BG_ENOMEM;
    bg_boot_opts bo;
    bg_boot_opts_default(&bo);
    for (size_t i = 0; i < a->nresults; i++) {
        const bg_result *ra = &a->results[i];
        const bg_result *rb = find_result(b, ra->name);
        row *w = &c->rows[c->n++];
        w->name = ra->name;
        w->mean_a = NAN;
        w->mean_b = NAN;
        w->p_adj = NAN;
        if (!rb) {
            w->kind = ROW_ONLY_A;
            continue;
        }
        if (rb->status == BG_STATUS_CRASHED || rb->status == BG_STATUS_TIMEOUT)
            w->head_failed = true;
        if (ra->status != BG_STATUS_OK || rb->status != BG_STATUS_OK || !has_samples(ra) ||
            !has_samples(rb)) {
            w->kind = ROW_NOT_OK;
            snprintf(w->note, sizeof w->note, "A: %s, B: %s%s%s", bg__status_name(ra->status),
                     bg__status_name(rb->status), rb->message[0] ? " - " : "", rb->message);
            continue;
        }
        w->kind = ROW_COMPARED;
        w->mean_a = per_iter_mean(ra);
        w->mean_b = per_iter_mean(rb);
        bg_group *ga = groups_of(ra), *gb = groups_of(rb);
        int rc = ga && gb ? bg_compare_change(ga, ra->nprocs, gb, rb->nprocs, BG_STAT_MEAN, &bo, &w->ch)
                          : BG_ENOMEM;
        free(ga);
        free(gb);
        if (rc) {
            w->kind = ROW_NOT_OK;
            snprintf(w->note, sizeof w->note, "comparison failed (error %d)", rc);
        }
    }
    for (size_t i = 0; i < b->nresults; i++) {
        const bg_result *rb = &b->results[i];
        if (find_result(a, rb->name))
            continue;
        row *w = &c->rows[c->n++];
        w->name = rb->name;
        w->kind = ROW_ONLY_B;
        w->mean_a = w->mean_b = w->p_adj = NAN;
        if (rb->status == BG_STATUS_CRASHED || rb->status == BG_STATUS_TIMEOUT)
            w->head_failed = true;
    }
    /* Suite-wide p-value adjustment over the compared benchmarks. */
    size_t m = 0;
    double *p = calloc(c->n + 1, sizeof *p);
    if (!p)
        return BG_ENOMEM;
    for (size_t i = 0; i < c->n; i++)
        if (c->rows[i].kind == ROW_COMPARED)
            p[m++] = c->rows[i].ch.p;
    if (m && bg_p_adjust(p, m, o->padjust, p) != 0) {
        free(p);
        return BG_ENUMERIC;
    }
    m = 0;
    for (size_t i = 0; i < c->n; i++) {
        row *w = &c->rows[i];
        if (w->kind != ROW_COMPARED)
            continue;
        w->p_adj = p[m++];
        w->verdict = bg_decide(&w->ch, w->p_adj, c->threshold, c->alpha);
    }
    free(p);
    return 0;
}

static const char *row_verdict(const row *w)
{
    switch (w->kind) {
    case ROW_ONLY_A: return "only in A";
    case ROW_ONLY_B: return "only in B";
    case ROW_NOT_OK: return w->head_failed ? "failed" : "not compared";
    case ROW_COMPARED: break;
    }
    if (w->accepted)
        return "accepted";
    return bg_verdict_name(w->verdict);
}

static void fmt_ns(double ns, char *buf, size_t n)
{
    if (isfinite(ns))
        bg__format_ns(ns, buf, n);
    else
        snprintf(buf, n, "-");
}

static void fmt_change(const row *w, char *buf, size_t n)
{
    if (w->kind != ROW_COMPARED)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%+.2f%% [%+.2f%%, %+.2f%%]", 100 * w->ch.change, 100 * w->ch.lo,
                 100 * w->ch.hi);
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
        fputs(s, f);
    for (; cols < width; cols++)
        fputc(' ', f);
    if (right)
        fputs(s, f);
}

static void print_console(FILE *f, const comparison *c)
{
    size_t wn = 9;
    for (size_t i = 0; i < c->n; i++)
        if (strlen(c->rows[i].name) > wn)
            wn = strlen(c->rows[i].name);
    if (wn > 60)
        wn = 60;
    fprintf(f, "%-*s  %12s  %12s  %-34s  %8s  %s\n", (int)wn, "benchmark", "A (mean)", "B (mean)",
            "change [CI]", "p (adj)", "verdict");
    for (size_t i = 0; i < c->n; i++) {
        const row *w = &c->rows[i];
        char a[32], b[32], ch[96], p[32];
        fmt_ns(w->mean_a, a, sizeof a);
        fmt_ns(w->mean_b, b, sizeof b);
        fmt_change(w, ch, sizeof ch);
        if (isfinite(w->p_adj))
            snprintf(p, sizeof p, "%.4f", w->p_adj);
        else
            snprintf(p, sizeof p, "-");
        pad(f, w->name, wn, false);
        fputs("  ", f);
        pad(f, a, 12, true);
        fputs("  ", f);
        pad(f, b, 12, true);
        fprintf(f, "  %-34s  %8s  %s", ch, p, row_verdict(w));
        if (w->note[0])
            fprintf(f, " (%s)", w->note);
        fputc('\n', f);
    }
    fprintf(f, "threshold %.2f%%, alpha %.3g\n", 100 * c->threshold, c->alpha);
}

static void print_markdown(FILE *f, const comparison *c, const char *title)
{
    if (title)
        fprintf(f, "### %s\n\n", title);
    fprintf(f, "| benchmark | A (mean) | B (mean) | change [CI] | p (adj) | verdict |\n");
    fprintf(f, "|---|---:|---:|---|---:|---|\n");
    for (size_t i = 0; i < c->n; i++) {
        const row *w = &c->rows[i];
        char a[32], b[32], ch[96], p[32];
        fmt_ns(w->mean_a, a, sizeof a);
        fmt_ns(w->mean_b, b, sizeof b);
        fmt_change(w, ch, sizeof ch);
        if (isfinite(w->p_adj))
            snprintf(p, sizeof p, "%.4f", w->p_adj);
        else
            snprintf(p, sizeof p, "-");
        fputs("| ", f);
        md_escape(f, w->name);
        fprintf(f, " | %s | %s | %s | %s | %s", a, b, ch, p, row_verdict(w));
        if (w->note[0]) {
            fputs(" (", f);
            md_escape(f, w->note);
            fputc(')', f);
        }
        fputs(" |\n", f);
    }
    fprintf(f, "\nNoise threshold %.2f%%, alpha %.3g.\n\n", 100 * c->threshold, c->alpha);
}

static void print_csv(FILE *f, const comparison *c)
{
    fprintf(f, "benchmark,a_mean_ns,b_mean_ns,change,change_lo,change_hi,p_adj,verdict\n");
    for (size_t i = 0; i < c->n; i++) {
        const row *w = &c->rows[i];
        csv_escape(f, w->name);
        if (w->kind == ROW_COMPARED)
            fprintf(f, ",%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,", w->mean_a, w->mean_b, w->ch.change, w->ch.lo,
                    w->ch.hi, w->p_adj);
        else
            fprintf(f, ",,,,,,,");
        csv_escape(f, row_verdict(w));
        fputc('\n', f);
    }
}

static void add_num_or_null(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static int print_json(FILE *f, const comparison *c)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return BG_ENOMEM;
    cJSON_AddNumberToObject(root, "threshold", c->threshold);
    cJSON_AddNumberToObject(root, "alpha", c->alpha);
    cJSON *arr = cJSON_AddArrayToObject(root, "benchmarks");
    for (size_t i = 0; arr && i < c->n; i++) {
        const row *w = &c->rows[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            break;
        }
        cJSON_AddStringToObject(o, "name", w->name);
        cJSON_AddStringToObject(o, "verdict", row_verdict(w));
        add_num_or_null(o, "a_mean_ns", w->mean_a);
        add_num_or_null(o, "b_mean_ns", w->mean_b);
        if (w->kind == ROW_COMPARED) {
            add_num_or_null(o, "change", w->ch.change);
            add_num_or_null(o, "change_lo", w->ch.lo);
            add_num_or_null(o, "change_hi", w->ch.hi);
            add_num_or_null(o, "p", w->ch.p);
            add_num_or_null(o, "p_adj", w->p_adj);
        }
        if (w->note[0])
            cJSON_AddStringToObject(o, "note", w->note);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (!s)
        return BG_ENOMEM;
    fprintf(f, "%s\n", s);
    free(s);
    return 0;
}

static int emit(const comparison *c, const opts *o)
{
    FILE *f = stdout;
    if (o->out) {
        f = fopen(o->out, "w");
        if (!f) {
            errf("cannot write %s: %s", o->out, strerror(errno));
            return EXIT_USAGE;
        }
    }
    switch (o->format) {
    case FMT_CONSOLE: print_console(f, c); break;
    case FMT_MARKDOWN: print_markdown(f, c, NULL); break;
    case FMT_CSV: print_csv(f, c); break;
    case FMT_JSON: print_json(f, c); break;
    }
    if (f != stdout && fclose(f) != 0) {
        errf("cannot write %s: %s", o->out, strerror(errno));
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- option parsing ---- */

enum {
    OPT_STORE = 1 << 0,
    OPT_STATS = 1 << 1,  /* --format --out --threshold --alpha --padjust --force */
    OPT_GATE = 1 << 2,   /* --base --head --junit --markdown */
};

static int parse_double(const char *flag, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= lo && d <= hi)) {
        errf("invalid value '%s' for %s (expected a number in [%g, %g])", v, flag, lo, hi);
        return EXIT_USAGE;
    }
    *out = d;
    return 0;
}

/* Returns 0, 1 for --help (help printed by caller), or EXIT_USAGE + 100. */
static int parse_opts(int argc, char **argv, unsigned allowed, size_t maxpos, opts *o, bool *help)
{
    memset(o, 0, sizeof *o);
    o->threshold_pct = 1.0;
    o->alpha = 0.05;
    o->padjust = BG_PADJ_BH;
    o->format = FMT_CONSOLE;
    *help = false;
    bool no_more_flags = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (no_more_flags || a[0] != '-' || !strcmp(a, "-")) {
            if (o->npos >= maxpos || o->npos >= 4) {
                errf("unexpected argument '%s'", a);
                return EXIT_USAGE;
            }
            o->pos[o->npos++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            no_more_flags = true;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = true;
            return 0;
        }
        if (!strcmp(a, "--force") && (allowed & OPT_STATS)) {
            o->force = true;
            continue;
        }
        /* Flags with a value: --flag VALUE or --flag=VALUE. */
        static const struct {
            const char *name;
            unsigned group;
        } vf[] = {{"--store", OPT_STORE},    {"--format", OPT_STATS}, {"--out", OPT_STATS},
                  {"--threshold", OPT_STATS}, {"--alpha", OPT_STATS},  {"--padjust", OPT_STATS},
                  {"--base", OPT_GATE},       {"--head", OPT_GATE},    {"--junit", OPT_GATE},
                  {"--markdown", OPT_GATE},   {"--bench", OPT_GATE},   {"--bench-arg", OPT_GATE}};
        const char *val = NULL;
        const char *name = NULL;
        for (size_t k = 0; k < sizeof vf / sizeof vf[0]; k++) {
            size_t len = strlen(vf[k].name);
            if (!(allowed & vf[k].group) || strncmp(a, vf[k].name, len) != 0)
                continue;
            if (a[len] == '=') {
                val = a + len + 1;
            } else if (a[len] == '\0') {
                if (i + 1 >= argc) {
                    errf("option %s needs a value", vf[k].name);
                    return EXIT_USAGE;
                }
                val = argv[++i];
            } else {
                continue;
            }
            name = vf[k].name;
            break;
        }
        if (!name) {
            errf("unknown option '%s' (see --help)", a);
            return EXIT_USAGE;
        }
        if (!strcmp(name, "--store")) {
            o->store = val;
        } else if (!strcmp(name, "--format")) {
            if (!strcmp(val, "console"))
                o->format = FMT_CONSOLE;
            else if (!strcmp(val, "markdown"))
                o->format = FMT_MARKDOWN;
            else if (!strcmp(val, "csv"))
                o->format = FMT_CSV;
            else if (!strcmp(val, "json"))
                o->format = FMT_JSON;
            else {
                errf("unknown --format '%s' (console, markdown, csv or json)", val);
                return EXIT_USAGE;
            }
        } else if (!strcmp(name, "--out")) {
            o->out = val;
        } else if (!strcmp(name, "--threshold")) {
            if (parse_double(name, val, 0, 1000, &o->threshold_pct))
                return EXIT_USAGE;
        } else if (!strcmp(name, "--alpha")) {
            if (parse_double(name, val, 1e-12, 1, &o->alpha))
                return EXIT_USAGE;
        } else if (!strcmp(name, "--padjust")) {
            if (!strcmp(val, "bh"))
                o->padjust = BG_PADJ_BH;
            else if (!strcmp(val, "holm"))
                o->padjust = BG_PADJ_HOLM;
            else if (!strcmp(val, "none"))
                o->padjust = BG_PADJ_NONE;
            else {
                errf("unknown --padjust '%s' (bh, holm or none)", val);
                return EXIT_USAGE;
            }
        } else if (!strcmp(name, "--base")) {
            o->base = val;
        } else if (!strcmp(name, "--head")) {
            o->head = val;
        } else if (!strcmp(name, "--junit")) {
            o->junit = val;
        } else if (!strcmp(name, "--markdown")) {
            o->markdown = val;
        } else if (!strcmp(name, "--bench")) {
            o->bench = val;
        } else if (!strcmp(name, "--bench-arg")) {
            if (o->nbench_args >= sizeof o->bench_args / sizeof o->bench_args[0]) {
                errf("too many --bench-arg (at most %zu)", sizeof o->bench_args / sizeof o->bench_args[0]);
                return EXIT_USAGE;
            }
            o->bench_args[o->nbench_args++] = val;
        }
    }
    return 0;
}

static const char STATS_HELP[] =
    "  --store DIR          the run store (default: $BENCHGATE_DIR, else <repo>/.benchgate)\n"
    "  --format FMT         console (default), markdown, csv or json\n"
    "  --out FILE           write the table to FILE instead of stdout\n"
    "  --threshold PCT      noise threshold in percent (default 1)\n"
    "  --alpha X            significance level (default 0.05)\n"
    "  --padjust M          suite-wide p-value adjustment: bh (default), holm or none\n"
    "  --force              compare runs from different machines anyway\n";

static const char EXIT_HELP[] =
    "Exit codes:\n"
    "  0  no regression (accepted regressions do not fail)\n"
    "  1  at least one benchmark regressed\n"
    "  2  usage or environment error (bad flag, unknown ref, no stored data, different machines)\n"
    "  3  a benchmark in the head run crashed or timed out\n";

static void help_main(FILE *f)
{
    fprintf(f,
            "usage: benchgate <command> [options]\n\n"
            "Commands:\n"
            "  ls        list stored runs\n"
            "  compare   compare two runs (commit-ishes or run record files)\n"
            "  gate      CI gate: compare head against base and fail on a regression\n"
            "  push      share stored runs as git notes with a remote\n"
            "  fetch     import runs shared as git notes from a remote\n\n"
            "Run 'benchgate <command> --help' for its options.\n\n%s",
            EXIT_HELP);
}

static void help_cmd(const char *cmd)
{
    if (!strcmp(cmd, "ls"))
        printf("usage: benchgate ls [--store DIR]\n\n"
               "Lists stored runs, oldest first: commit, machine, time (UTC), benchmarks, path.\n"
               "Files that cannot be read are skipped and named on stderr.\n");
    else if (!strcmp(cmd, "compare"))
        printf("usage: benchgate compare A B [options]\n\n"
               "A and B are commit-ishes (the newest stored run of that commit, on the same\n"
               "machine as the other side when possible) or paths to run record files.\n"
               "Compares the mean per-iteration time of every benchmark present in both\n"
               "with a hierarchical bootstrap; p-values are adjusted across the suite.\n\n"
               "Options:\n%s\n%s",
               STATS_HELP, EXIT_HELP);
    else if (!strcmp(cmd, "gate"))
        printf("usage: benchgate gate [--base REF] [--head FILE-or-REF] [--bench PATH] [options]\n\n"
               "  --base REF           baseline commit-ish or run file (default: merge-base of\n"
               "                       HEAD with main, else master)\n"
               "  --head FILE-or-REF   candidate (default: the newest stored run of HEAD)\n"
               "  --junit FILE         write JUnit XML (a regression is a <failure>)\n"
               "  --markdown FILE      write a Markdown summary (also appended to\n"
               "                       $GITHUB_STEP_SUMMARY when set)\n"
               "  --bench PATH         measure head now: run the bench binary PATH with --save\n"
               "                       (in the current directory); regressed benchmarks are\n"
               "                       re-run once and fail only when the re-run confirms them\n"
               "  --bench-arg ARG      pass ARG to the bench binary (repeatable)\n"
               "%s\n"
               "A base commit without a stored run falls back to its nearest first-parent\n"
               "ancestor with one (at most %d commits back), with a note.\n\n"
               "A commit trailer between base and head of the form\n"
               "    Bench-Accept: <glob> +<N>%%\n"
               "accepts a regression of a benchmark matching <glob> by at most N percent.\n\n%s",
               STATS_HELP, ANCESTOR_BOUND, EXIT_HELP);
    else if (!strcmp(cmd, "push"))
        printf("usage: benchgate push [remote] [--store DIR]\n\n"
               "Exports stored runs into git notes (%s) and pushes them to remote\n"
               "(default origin).\n",
               BG_STORE_NOTES_REF);
    else if (!strcmp(cmd, "fetch"))
        printf("usage: benchgate fetch [remote] [--store DIR]\n\n"
               "Fetches git notes (%s) from remote (default origin) and imports the runs\n"
               "into the store.\n",
               BG_STORE_NOTES_REF);
}

static int open_store(const opts *o, bg_store **st)
{
    char err[512] = "";
    int rc = bg_store_open(st, o->store, NULL, err, sizeof err);
    if (rc) {
        errf("cannot open the run store: %s", err);
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- ls ---- */

static int cmd_ls(int argc, char **argv)
{
    opts o;
    bool help;
    if (parse_opts(argc, argv, OPT_STORE, 0, &o, &help))
        return EXIT_USAGE;
    if (help) {
        help_cmd("ls");
        return 0;
    }
    bg_store *st = NULL;
    if (open_store(&o, &st))
        return EXIT_USAGE;
    bg_run_list l;
    char err[512] = "";
    memset(&l, 0, sizeof l);
    int rc = bg_store_list(st, NULL, NULL, &l, skip_report, NULL, err, sizeof err);
    if (rc) {
        errf("cannot list the store %s: %s", bg_store_dir(st), err);
        bg_store_close(&st);
        return EXIT_USAGE;
    }
    printf("%-12s  %-12s  %-20s  %7s  %s\n", "commit", "machine", "time (UTC)", "benches", "path");
    for (size_t i = 0; i < l.n; i++) {
        const bg_run_entry *e = &l.runs[i];
        char when[32] = "?";
        time_t t = (time_t)e->meta.created_unix;
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        char nb[32] = "?";
        char *text = NULL;
        if (bg_store_load(e->path, &text, NULL, NULL, err, sizeof err) == 0) {
            bg_run run;
            if (bg__record_parse(text, &run, err, sizeof err) == 0) {
                snprintf(nb, sizeof nb, "%zu", run.nresults);
                bg__run_free(&run);
            } else {
                fprintf(stderr, "benchgate: %s: %s\n", e->path, err);
            }
        }
        free(text);
        printf("%-12.12s  %-12s  %-20s  %7s  %s\n", e->meta.commit[0] ? e->meta.commit : "no-commit",
               e->meta.machine, when, nb, e->path);
    }
    if (l.skipped)
        fprintf(stderr, "benchgate: %zu file(s) skipped\n", l.skipped);
    if (!l.n)
        printf("(no runs stored in %s)\n", bg_store_dir(st));
    bg_run_list_free(&l);
    bg_store_close(&st);
    return 0;
}

/* ---- compare ---- */

static void free_side(side *s)
{
    if (s->loaded)
        bg__run_free(&s->run);
    s->loaded = false;
}

static int cmd_compare(int argc, char **argv)
{
    opts o;
    bool help;
    if (parse_opts(argc, argv, OPT_STORE | OPT_STATS, 2, &o, &help))
        return EXIT_USAGE;
    if (help) {
        help_cmd("compare");
        return 0;
    }
    if (o.npos != 2) {
        errf("compare needs two runs: benchgate compare A B (see --help)");
        return EXIT_USAGE;
    }
    bg_store *st = NULL;
    if (open_store(&o, &st))
        return EXIT_USAGE;
    bg_git *g = NULL;
    side a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int ret = EXIT_USAGE;
    if (load_pair(st, &g, &a, o.pos[0], "A", "A", &b, o.pos[1], "B", "B") != 0)
        goto done;
    if (check_machines(&a, &b, o.force))
        goto done;
    comparison c;
    if (compare_runs(&a.run, &b.run, &o, &c) != 0) {
        errf("out of memory or numerical failure while comparing");
        free(c.rows);
        goto done;
    }
    ret = emit(&c, &o);
    free(c.rows);
done:
    free_side(&a);
    free_side(&b);
    bg_git_close(&g);
    bg_store_close(&st);
    return ret;
}

/* ---- gate ---- */

typedef struct accept_rule {
    char glob[256];
    double pct;
    char commit[BG_GIT_OID_BUF];
} accept_rule;

/* Parses "Bench-Accept: <glob> +<N>%" lines of every message. */
static size_t parse_trailers(const bg_git_commit_msg *msgs, size_t n, accept_rule **out)
{
    size_t cap = 0, cnt = 0;
    accept_rule *r = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *p = msgs[i].message;
        while (p && *p) {
            const char *eol = strchr(p, '\n');
            size_t len = eol ? (size_t)(eol - p) : strlen(p);
            static const char key[] = "Bench-Accept:";
            if (len > sizeof key - 1 && strncasecmp(p, key, sizeof key - 1) == 0) {
                char line[512];
                snprintf(line, sizeof line, "%.*s", (int)(len - (sizeof key - 1)), p + sizeof key - 1);
                char glob[256];
                double pct;
                char pc = 0;
                if (sscanf(line, " %255s +%lf%c", glob, &pct, &pc) == 3 && pc == '%' && pct >= 0) {
                    if (cnt == cap) {
                        cap = cap ? 2 * cap : 4;
                        accept_rule *nr = realloc(r, cap * sizeof *r);
                        if (!nr)
                            break;
                        r = nr;
                    }
                    snprintf(r[cnt].glob, sizeof r[cnt].glob, "%s", glob);
                    r[cnt].pct = pct;
                    snprintf(r[cnt].commit, sizeof r[cnt].commit, "%s", msgs[i].id);
                    cnt++;
                } else {
                    fprintf(stderr,
                            "benchgate: warning: ignoring malformed trailer in commit %.12s: '%.*s' "
                            "(expected 'Bench-Accept: <glob> +<N>%%')\n",
                            msgs[i].id, (int)len, p);
                }
            }
            p = eol ? eol + 1 : NULL;
        }
    }
    *out = r;
    return cnt;
}

static int write_junit(const char *path, const comparison *c)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        errf("cannot write %s: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    size_t fails = 0, errors = 0, skipped = 0;
    for (size_t i = 0; i < c->n; i++) {
        const row *w = &c->rows[i];
        if (w->kind == ROW_COMPARED && w->verdict == BG_VERDICT_REGRESSED && !w->accepted)
            fails++;
        else if (w->head_failed)
            errors++;
        else if (w->kind != ROW_COMPARED)
            skipped++;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites>\n<testsuite name=\"benchgate\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
               "skipped=\"%zu\">\n",
            c->n, fails, errors, skipped);
    for (size_t i = 0; i < c->n; i++) {
        const row *w = &c->rows[i];
        char ch[96];
        fmt_change(w, ch, sizeof ch);
        fputs("  <testcase classname=\"benchgate\" name=\"", f);
        xml_escape(f, w->name);
        fputs("\">\n", f);
        if (w->kind == ROW_COMPARED && w->verdict == BG_VERDICT_REGRESSED && !w->accepted) {
            fprintf(f, "    <failure message=\"regressed %s, p(adj) %.4g\">", ch, w->p_adj);
            xml_escape(f, w->name);
            fprintf(f, " regressed by %s (adjusted p %.4g, threshold %.2f%%)</failure>\n", ch,
                    w->p_adj, 100 * c->threshold);
        } else if (w->head_failed) {
            fputs("    <error message=\"", f);
            xml_escape(f, w->note[0] ? w->note : "crashed or timed out");
            fputs("\"/>\n", f);
        } else if (w->kind != ROW_COMPARED) {
            fputs("    <skipped message=\"", f);
            xml_escape(f, row_verdict(w));
            fputs("\"/>\n", f);
        } else {
            fputs("    <system-out>", f);
            xml_escape(f, row_verdict(w));
            fprintf(f, " %s</system-out>\n", ch);
        }
        fputs("  </testcase>\n", f);
    }
    fputs("</testsuite>\n</testsuites>\n", f);
    if (fclose(f) != 0) {
        errf("cannot write %s: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    return 0;
}

static int write_markdown_file(const char *path, const char *mode, const comparison *c, const side *a,
                               const side *b, int code)
{
    FILE *f = fopen(path, mode);
    if (!f) {
        errf("cannot write %s: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    static const char *const res[] = {"passed", "failed: regression", "error", "failed: crash or timeout"};
    fprintf(f, "## benchgate gate: %s\n\nbase `%.12s` vs head `%.12s`\n\n", res[code & 3],
            a->run.git_commit[0] ? a->run.git_commit : a->path,
            b->run.git_commit[0] ? b->run.git_commit : b->path);
    print_markdown(f, c, NULL);
    if (fclose(f) != 0) {
        errf("cannot write %s: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    return 0;
}

static int default_base(bg_git *g, char out[BG_GIT_OID_BUF], char *name, size_t nlen)
{
    char err[512] = "";
    static const char *const mains[] = {"main", "master", "origin/main", "origin/master"};
    for (size_t i = 0; i < sizeof mains / sizeof mains[0]; i++) {
        if (bg_git_merge_base(g, "HEAD", mains[i], out, err, sizeof err) == 0) {
            snprintf(name, nlen, "merge-base of HEAD and %s", mains[i]);
            return 0;
        }
    }
    errf("no --base given and no merge-base of HEAD with main or master: %s", err);
    return EXIT_USAGE;
}

/* Runs the bench binary o->bench (fork + execv, no shell, cwd unchanged)
 * with the --bench-args, then `--filter FILTER` when given, `--save`,
 * `--store DIR` when gate has one and `--json TMP`, and loads the run it
 * wrote into *out. The child's stdout goes to our stderr so that gate's own
 * output stays clean. Returns 0, EXIT_USAGE or EXIT_CRASH. */
static int run_bench(const opts *o, const char *filter, side *out)
{
    const char *tmpdir = getenv("TMPDIR");
    char json[4096];
    snprintf(json, sizeof json, "%s/benchgate-run-XXXXXX.json", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    int fd = mkstemps(json, 5);
    if (fd < 0) {
        errf("cannot create a temporary file %s: %s", json, strerror(errno));
        return EXIT_USAGE;
    }
    close(fd);
    const char *av[sizeof o->bench_args / sizeof o->bench_args[0] + 10];
    size_t n = 0;
    av[n++] = o->bench;
    for (size_t i = 0; i < o->nbench_args; i++)
        av[n++] = o->bench_args[i];
    if (filter) {
        av[n++] = "--filter";
        av[n++] = filter;
    }
    av[n++] = "--save";
    if (o->store) {
        av[n++] = "--store";
        av[n++] = o->store;
    }
    av[n++] = "--json";
    av[n++] = json;
    av[n] = NULL;
    fprintf(stderr, "benchgate: running:");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", av[i]);
    fputc('\n', stderr);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        errf("cannot fork to run %s: %s", o->bench, strerror(errno));
        unlink(json);
        return EXIT_USAGE;
    }
    if (pid == 0) {
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execv(o->bench, (char *const *)av);
        fprintf(stderr, "benchgate: cannot run %s: %s\n", o->bench, strerror(errno));
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            errf("waiting for %s: %s", o->bench, strerror(errno));
            unlink(json);
            return EXIT_USAGE;
        }
    }
    int ret = 0;
    if (WIFSIGNALED(st)) {
        errf("the bench binary %s was killed by signal %d", o->bench, WTERMSIG(st));
        ret = EXIT_CRASH;
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
        ret = EXIT_USAGE;
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 2) {
        errf("the bench binary %s failed with a usage or environment error (exit 2)", o->bench);
        ret = EXIT_USAGE;
    }
    if (ret == 0) {
        /* Exit 0, or 3 with crashed benchmarks in the record (reported by the comparison). */
        if (load_record_file(json, out) != 0) {
            errf("the bench binary %s wrote no readable run (exit %d)", o->bench,
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            ret = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? EXIT_USAGE : EXIT_CRASH;
        } else {
            snprintf(out->path, sizeof out->path, "measured now by %s", o->bench);
        }
    }
    unlink(json);
    return ret;
}

/* Appends s to the regex in buf, escaping ERE metacharacters. */
static void regex_append(char *buf, size_t n, const char *s)
{
    size_t len = strlen(buf);
    for (; *s && len + 3 < n; s++) {
        if (strchr(".[](){}*+?|^$\\", *s))
            buf[len++] = '\\';
        buf[len++] = *s;
    }
    buf[len] = '\0';
}

/* Marks w accepted when a Bench-Accept rule covers its regression. */
static void apply_accept(row *w, const accept_rule *rules, size_t nrules)
{
    if (w->kind != ROW_COMPARED || w->verdict != BG_VERDICT_REGRESSED)
        return;
    for (size_t k = 0; k < nrules; k++)
        if (fnmatch(rules[k].glob, w->name, 0) == 0 && 100 * w->ch.change <= rules[k].pct) {
            w->accepted = true;
            snprintf(w->note, sizeof w->note, "Bench-Accept: %s +%g%% in %.12s", rules[k].glob,
                     rules[k].pct, rules[k].commit);
            return;
        }
}

static bool is_regression(const row *w)
{
    return w->kind == ROW_COMPARED && w->verdict == BG_VERDICT_REGRESSED && !w->accepted;
}

/* Re-runs the regressed benchmarks of c once and re-compares them against
 * base with the new samples; a regression stands only when confirmed.
 * Sets *regression and *crashed; returns 0 or an exit code. */
static int remeasure(const opts *o, const side *a, comparison *c, const accept_rule *rules,
                     size_t nrules, bool *regression, bool *crashed)
{
    char filter[8192] = "^(";
    size_t nreg = 0;
    for (size_t i = 0; i < c->n; i++)
        if (is_regression(&c->rows[i])) {
            if (nreg++ && strlen(filter) + 1 < sizeof filter)
                strcat(filter, "|");
            regex_append(filter, sizeof filter, c->rows[i].name);
        }
    if (strlen(filter) + 3 >= sizeof filter) {
        errf("too many regressed benchmarks to re-measure");
        return EXIT_USAGE;
    }
    strcat(filter, ")$");
    side r;
    memset(&r, 0, sizeof r);
    int rc = run_bench(o, filter, &r);
    if (rc)
        return rc;
    comparison c2;
    if (compare_runs(&a->run, &r.run, o, &c2) != 0) {
        errf("out of memory or numerical failure while comparing");
        free(c2.rows);
        free_side(&r);
        return EXIT_USAGE;
    }
    *regression = false;
    for (size_t i = 0; i < c->n; i++) {
        row *w = &c->rows[i];
        if (!is_regression(w))
            continue;
        const row *w2 = NULL;
        for (size_t k = 0; k < c2.n && !w2; k++)
            if (!strcmp(c2.rows[k].name, w->name))
                w2 = &c2.rows[k];
        if (!w2 || w2->kind == ROW_ONLY_A) {
            printf("re-measured: confirmed %s (missing from the re-run; the regression stands)\n",
                   w->name);
            *regression = true;
            continue;
        }
        const char *name = w->name;
        *w = *w2;
        w->name = name;
        if (w->head_failed)
            *crashed = true;
        apply_accept(w, rules, nrules);
        char ch[96];
        fmt_change(w, ch, sizeof ch);
        if (is_regression(w)) {
            *regression = true;
            printf("re-measured: confirmed %s (%s)\n", w->name, ch);
        } else {
            printf("re-measured: not confirmed %s (now %s %s)\n", w->name, row_verdict(w), ch);
        }
    }
    free(c2.rows);
    free_side(&r);
    return 0;
}

static int cmd_gate(int argc, char **argv)
{
    opts o;
    bool help;
    if (parse_opts(argc, argv, OPT_STORE | OPT_STATS | OPT_GATE, 0, &o, &help))
        return EXIT_USAGE;
    if (help) {
        help_cmd("gate");
        return 0;
    }
    bg_store *st = NULL;
    if (open_store(&o, &st))
        return EXIT_USAGE;
    bg_git *g = NULL;
    side a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int ret = EXIT_USAGE;
    char err[512] = "";
    char base_id[BG_GIT_OID_BUF], base_name[128];
    const char *base_spec = o.base, *head_spec = o.head ? o.head : "HEAD";
    comparison c;
    memset(&c, 0, sizeof c);
    bg_git_commit_msg *msgs = NULL;
    size_t nmsgs = 0;
    accept_rule *rules = NULL;
    size_t nrules = 0;

    if (!base_spec) {
        if (bg_git_open(&g, NULL, err, sizeof err) != 0) {
            errf("no --base given and no git repository: %s", err);
            goto done;
        }
        if (default_base(g, base_id, base_name, sizeof base_name))
            goto done;
        base_spec = base_id;
    }
    if (o.bench) {
        if (o.head) {
            errf("--bench and --head cannot be combined (--bench measures the head run)");
            goto done;
        }
        int rc = run_bench(&o, NULL, &b);
        if (rc) {
            ret = rc;
            goto done;
        }
        if (load_pair(st, &g, &a, base_spec, o.base ? "base" : base_name, "base", &b, NULL, "head",
                      NULL) != 0)
            goto done;
    } else if (load_pair(st, &g, &a, base_spec, o.base ? "base" : base_name, "base", &b, head_spec,
                         "head", NULL) != 0) {
        goto done;
    }
    if (check_machines(&a, &b, o.force))
        goto done;
    if (compare_runs(&a.run, &b.run, &o, &c) != 0) {
        errf("out of memory or numerical failure while comparing");
        goto done;
    }

    /* Accepted regressions: trailers in base..head. */
    const char *bc = a.commit[0] ? a.commit : a.run.git_commit;
    const char *hc = b.commit[0] ? b.commit : b.run.git_commit;
    if (bc[0] && hc[0]) {
        if (!g && bg_git_open(&g, NULL, err, sizeof err) != 0)
            g = NULL;
        if (g && bg_git_log(g, bc, hc, 0, &msgs, &nmsgs, err, sizeof err) == 0)
            nrules = parse_trailers(msgs, nmsgs, &rules);
        else if (g)
            fprintf(stderr, "benchgate: warning: cannot read commits %.12s..%.12s for Bench-Accept "
                            "trailers: %s\n", bc, hc, err);
    }
    bool regression = false, crashed = false;
    for (size_t i = 0; i < c.n; i++) {
        row *w = &c.rows[i];
        if (w->head_failed)
            crashed = true;
        apply_accept(w, rules, nrules);
        if (is_regression(w))
            regression = true;
    }
    if (regression && o.bench) {
        int rc = remeasure(&o, &a, &c, rules, nrules, &regression, &crashed);
        if (rc) {
            ret = rc;
            goto done;
        }
    }
    ret = crashed ? EXIT_CRASH : regression ? EXIT_REGRESSION : EXIT_PASS;

    printf("base: %s (%s)\nhead: %s (%s)\n", a.path, a.run.git_commit[0] ? a.run.git_commit : "?",
           b.path, b.run.git_commit[0] ? b.run.git_commit : "?");
    if (emit(&c, &o) != 0)
        ret = EXIT_USAGE;
    if (o.junit && write_junit(o.junit, &c) != 0)
        ret = EXIT_USAGE;
    if (o.markdown && write_markdown_file(o.markdown, "w", &c, &a, &b, ret) != 0)
        ret = EXIT_USAGE;
    const char *gss = getenv("GITHUB_STEP_SUMMARY");
    if (gss && gss[0] && write_markdown_file(gss, "a", &c, &a, &b, ret) != 0)
        ret = EXIT_USAGE;
    switch (ret) {
    case EXIT_PASS: printf("gate: passed\n"); break;
    case EXIT_REGRESSION: printf("gate: FAILED: regression\n"); break;
    case EXIT_CRASH: printf("gate: FAILED: a benchmark crashed or timed out in head\n"); break;
    default: break;
    }
done:
    free(rules);
    bg_git_log_free(msgs, nmsgs);
    free(c.rows);
    free_side(&a);
    free_side(&b);
    bg_git_close(&g);
    bg_store_close(&st);
    return ret;
}

/* ---- push / fetch ---- */

static int cmd_sync(int argc, char **argv, bool push)
{
    opts o;
    bool help;
    if (parse_opts(argc, argv, OPT_STORE, 1, &o, &help))
        return EXIT_USAGE;
    if (help) {
        help_cmd(push ? "push" : "fetch");
        return 0;
    }
    const char *remote = o.npos ? o.pos[0] : NULL;
    bg_store *st = NULL;
    if (open_store(&o, &st))
        return EXIT_USAGE;
    bg_git *g = NULL;
    char err[512] = "";
    int ret = EXIT_USAGE;
    if (bg_git_open(&g, NULL, err, sizeof err) != 0) {
        errf("%s needs a git repository: %s", push ? "push" : "fetch", err);
        goto done;
    }
    bg_sync_stats s;
    memset(&s, 0, sizeof s);
    int rc = push ? bg_store_push(st, g, remote, &s, skip_report, NULL, err, sizeof err)
                  : bg_store_fetch(st, g, remote, &s, skip_report, NULL, err, sizeof err);
    if (rc) {
        errf("%s %s failed: %s", push ? "push to" : "fetch from", remote ? remote : "origin", err);
        goto done;
    }
    if (push)
        printf("pushed to %s: %zu run(s) exported, %zu note(s) written, %zu run(s) imported, %zu "
               "skipped\n",
               remote ? remote : "origin", s.runs_exported, s.notes_written, s.runs_imported, s.skipped);
    else
        printf("fetched from %s: %zu run(s) imported, %zu already present, %zu skipped%s\n",
               remote ? remote : "origin", s.runs_imported, s.runs_present, s.skipped,
               s.remote_had_notes ? "" : " (the remote has no benchgate notes)");
    ret = 0;
done:
    bg_git_close(&g);
    bg_store_close(&st);
    return ret;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        help_main(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        help_main(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("benchgate %s\n", BG_VERSION_STRING);
        return 0;
    }
    if (!strcmp(cmd, "ls"))
        return cmd_ls(argc - 2, argv + 2);
    if (!strcmp(cmd, "compare"))
        return cmd_compare(argc - 2, argv + 2);
    if (!strcmp(cmd, "gate"))
        return cmd_gate(argc - 2, argv + 2);
    if (!strcmp(cmd, "push"))
        return cmd_sync(argc - 2, argv + 2, true);
    if (!strcmp(cmd, "fetch"))
        return cmd_sync(argc - 2, argv + 2, false);
    errf("unknown command '%s' (ls, compare, gate, push, fetch; see --help)", cmd);
    return EXIT_USAGE;
}
