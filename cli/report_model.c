/* Builds the HTML report: picks the head and baseline runs from the store,
 * walks the head's first-parent history on the head's machine, finds change
 * points, has gnuplot draw the plots (reporters/gnuplot.c) and writes the
 * pages (reporters/html.c). Runs of the history are loaded one at a time
 * and freed after their values and page are taken, so a long history needs
 * no more memory than a few runs. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bg_baseline.h"
#include "bg_cmds.h"
#include "bg_git.h"
#include "bg_instr.h"
#include "bg_noise.h"
#include "bg_report_cache.h"
#include "bg_report.h"
#include "bg_store.h"

/* Change points: at most this many per benchmark, found at this level. */
#define CP_MAX 16
#define CP_ALPHA 0.05
#define CP_SEED 1

/* ---- loading runs ---- */

bool bg__is_file(const char *spec)
{
    struct stat st;
    return spec && stat(spec, &st) == 0 && S_ISREG(st.st_mode);
}

/* The record module checks the schema and its version and names what is
 * wrong; the store's own envelope check would parse the file once more. */
int bg__load_run_file(const char *path, bg_run *run, char *err, size_t errlen)
{
    char e[512] = "";
    memset(run, 0, sizeof *run);
    char *text = bg__read_file(path, err, errlen);
    if (!text)
        return BG_EIO;
    int rc = bg__record_parse(text, run, e, sizeof e);
    free(text);
    if (rc)
        snprintf(err, errlen, "%s: %s", path, e);
    return rc;
}

static void skip_note(const char *name, int code, const char *msg, void *ud)
{
    (void)code;
    (void)ud;
    if (msg && name && strstr(msg, name)) /* the store's messages usually name the file */
        bg__errf("skipped: %s", msg);
    else
        bg__errf("skipped %s: %s", name ? name : "?", msg ? msg : "");
}

/* The newest entry of l on `machine` (NULL: any); `only` refuses others. */
static const bg_run_entry *newest_on(const bg_run_list *l, const char *machine, bool only)
{
    for (size_t i = l->n; machine && i-- > 0;)
        if (!strcmp(l->runs[i].meta.machine, machine))
            return &l->runs[i];
    return !only && l->n ? &l->runs[l->n - 1] : NULL;
}

int bg__load_commit_run(bg_store *st, const char *commit, const char *machine, bool only_machine, bg_run *run,
                        char *path, size_t pathlen, char *err, size_t errlen)
{
    bg_run_list l;
    memset(&l, 0, sizeof l);
    memset(run, 0, sizeof *run);
    int rc = bg_store_list(st, commit, NULL, &l, skip_note, NULL, err, errlen);
    if (rc)
        return rc;
    const bg_run_entry *e = newest_on(&l, machine, only_machine);
    if (!e) {
        snprintf(err, errlen, "no stored run for commit %.12s%s%s in %s", commit, only_machine ? " on machine " : "",
                 only_machine ? machine : "", bg_store_dir(st));
        bg_run_list_free(&l);
        return BG_ENOTFOUND;
    }
    /* A run whose body is damaged is skipped, named, for the next newest
     * (on the same machine when one was asked for), as compare and gate do. */
    char want[sizeof e->meta.machine];
    snprintf(want, sizeof want, "%s", e->meta.machine);
    for (size_t i = (size_t)(e - l.runs) + 1; i-- > 0;) {
        e = &l.runs[i];
        if (machine && strcmp(e->meta.machine, want) != 0)
            continue;
        if (path)
            snprintf(path, pathlen, "%s", e->path);
        rc = bg__load_run_file(e->path, run, err, errlen);
        if (rc == 0 || rc == BG_ENOMEM)
            break;
        bool older = false;
        for (size_t j = i; !older && j-- > 0;)
            older = !machine || !strcmp(l.runs[j].meta.machine, want);
        if (older)
            bg__errf("skipped: %s; using the next newest run of %.12s", err, commit);
    }
    bg_run_list_free(&l);
    return rc;
}

/* ---- the generator ---- */

typedef struct gen {
    const bg_report_opts *o;
    bg_store *st;
    bg_git *g;
    bg_run head, base;
    bool have_head, have_base;
    char head_commit[BG_GIT_OID_BUF]; /* "" when unknown */
    char range_from[BG_GIT_OID_BUF];  /* A of A..B, "" without a range */
    size_t head_pos;                  /* head's position in commits, SIZE_MAX if none */
    size_t base_pos;                  /* base's position when it is that commit's run */
    char **paths;                     /* per commit: newest run on the machine, or NULL */
    char (*tics)[64];
    const char **ticp;
    bg_cmp_opts cmpo; /* the comparison options with the metric set_metric chose */
    bg_noise noise;   /* between-run noise of the head's machine (the comparison adds it) */
    bool have_noise;
    bg_comparison cmp;
    bool have_cmp;
    bg_report rep;
    bg_plotter *pl;
    bg_rcache *cache; /* commit pages the last report into out_dir left, and this one's */
    double *vals;     /* one commit's history values, 3 per benchmark (point, lo, hi) */
    char *err;
    size_t errlen;
} gen;

static bool open_git(gen *G, bool required)
{
    if (G->g)
        return true;
    char e[512] = "";
    if (bg_git_open(&G->g, NULL, e, sizeof e) == 0)
        return true;
    if (required)
        snprintf(G->err, G->errlen, "%s", e);
    return false;
}

static int resolve(gen *G, const char *spec, char out[BG_GIT_OID_BUF])
{
    if (!open_git(G, true)) {
        char e[600];
        snprintf(e, sizeof e, "'%s' is not a file and there is no git repository to resolve it: %s", spec, G->err);
        snprintf(G->err, G->errlen, "%s", e);
        return BG_ENOTFOUND;
    }
    char e[512] = "";
    int rc = bg_git_resolve(G->g, spec, out, e, sizeof e);
    if (rc)
        snprintf(G->err, G->errlen, "cannot resolve '%s' (not a file nor a known revision): %s", spec, e);
    return rc;
}

/* Loads the newest run of commit on machine (NULL: any machine), or of its
 * nearest first-parent ancestor with one; *commit becomes that ancestor
 * with a note on stderr. */
static int load_nearest(gen *G, char commit[BG_GIT_OID_BUF], const char *machine, const char *what, bg_run *run)
{
    char e[1024] = "";
    int rc = bg__load_commit_run(G->st, commit, machine, machine != NULL, run, NULL, 0, e, sizeof e);
    if (rc != BG_ENOTFOUND) {
        if (rc)
            snprintf(G->err, G->errlen, "%s", e);
        return rc;
    }
    char(*ids)[BG_GIT_OID_BUF] = NULL;
    size_t n = 0;
    char e2[512];
    if (open_git(G, false) && bg_git_ancestors(G->g, commit, BG_ANCESTOR_BOUND + 1, &ids, &n, e2, sizeof e2) == 0) {
        for (size_t i = 1; i < n; i++) {
            rc = bg__load_commit_run(G->st, ids[i], machine, machine != NULL, run, NULL, 0, e2, sizeof e2);
            if (rc == BG_ENOTFOUND)
                continue;
            if (rc == 0)
                bg__errf("note: %s %.12s has no run; using nearest ancestor %.12s (%zu commit%s back)",
                        what, commit, ids[i], i, i == 1 ? "" : "s");
            else
                snprintf(G->err, G->errlen, "%s", e2);
            if (rc == 0)
                memcpy(commit, ids[i], BG_GIT_OID_BUF);
            free(ids);
            return rc;
        }
    }
    free(ids);
    snprintf(G->err, G->errlen,
             "%s (nor in its %d nearest first-parent ancestors).\n  To make one: build and run the benchmarks "
             "with --save at that commit, or 'benchgate fetch' runs shared by others",
             e, BG_ANCESTOR_BOUND);
    return BG_ENOTFOUND;
}

static void label_of(char *buf, size_t n, const char *file, const bg_run *run)
{
    if (file) {
        const char *slash = strrchr(file, '/');
        snprintf(buf, n, "run file %.40s%s%.12s", slash ? slash + 1 : file, run->git_commit[0] ? " of commit " : "",
                 run->git_commit);
    } else {
        snprintf(buf, n, "commit %.12s", run->git_commit);
    }
}

static int load_head(gen *G)
{
    const char *spec = G->o->spec ? G->o->spec : "HEAD";
    int rc;
    if (bg__is_file(spec)) {
        rc = bg__load_run_file(spec, &G->head, G->err, G->errlen);
        if (rc)
            return rc;
        G->have_head = true;
        snprintf(G->head_commit, sizeof G->head_commit, "%s", G->head.git_commit);
        label_of(G->rep.head_label, sizeof G->rep.head_label, spec, &G->head);
        return 0;
    }
    const char *dots = strstr(spec, "..");
    if (dots) {
        if (dots[2] == '.' || dots == spec) {
            snprintf(G->err, G->errlen, "range '%s' not understood: give A..B (first-parent commits after A up to B)",
                     spec);
            return BG_EINVAL;
        }
        char a[256];
        snprintf(a, sizeof a, "%.*s", (int)(dots - spec), spec);
        if ((rc = resolve(G, a, G->range_from)) != 0)
            return rc;
        spec = dots[2] ? dots + 2 : "HEAD";
    }
    if ((rc = resolve(G, spec, G->head_commit)) != 0)
        return rc;
    if ((rc = load_nearest(G, G->head_commit, NULL, "head", &G->head)) != 0)
        return rc;
    G->have_head = true;
    label_of(G->rep.head_label, sizeof G->rep.head_label, NULL, &G->head);
    return 0;
}

/* Drops the commits older than the oldest one with a run: a history whose
 * runs began recently would otherwise squeeze them into the plots' right
 * edge (seen with 50 commits and one run). */
static void trim_history(gen *G)
{
    size_t first = 0, n = G->rep.ncommits;
    while (first < n && !G->rep.commits[first].has_run)
        first++;
    if (first == 0 || first == n)
        return;
    memmove(G->rep.commits, G->rep.commits + first, (n - first) * sizeof *G->rep.commits);
    memmove(G->paths, G->paths + first, (n - first) * sizeof *G->paths); /* those dropped are NULL */
    G->rep.ncommits = n - first;
    if (G->head_pos != SIZE_MAX)
        G->head_pos -= first;
}

/* Each commit's subject, author and date, for the history tables: from one
 * first-parent log of the head, matched in order (the history is that walk,
 * oldest first). Without them (a failed walk) the tables show ids only. */
static void describe_commits(gen *G)
{
    bg_git_commit_msg *msgs = NULL;
    size_t nm = 0;
    char e[512];
    if (!G->g || !G->head_commit[0] || bg_git_log(G->g, NULL, G->head_commit, 1, &msgs, &nm, e, sizeof e) != 0)
        return;
    size_t k = 0;
    for (size_t pos = G->rep.ncommits; pos-- > 0 && k < nm;) {
        bg_report_commit *c = &G->rep.commits[pos];
        while (k < nm && strcmp(msgs[k].id, c->id) != 0)
            k++;
        if (k == nm)
            break;
        const char *m = msgs[k].message ? msgs[k].message : "";
        int len = (int)strcspn(m, "\r\n");
        snprintf(c->subject, sizeof c->subject, "%.*s", len, m);
        snprintf(c->author, sizeof c->author, "%.63s", msgs[k].author);
        time_t t = (time_t)msgs[k].time;
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(c->date, sizeof c->date, "%Y-%m-%d %H:%M", &tm);
        k++;
    }
    bg_git_log_free(msgs, nm);
}

/* The first-parent history, oldest first, and for each commit the newest
 * run on the head's machine. */
static int collect_history(gen *G)
{
    G->head_pos = G->base_pos = SIZE_MAX;
    if (!G->head_commit[0])
        return 0;
    char e[512] = "";
    char(*ids)[BG_GIT_OID_BUF] = NULL;
    size_t n = 0;
    if (!open_git(G, false)) {
        bg__errf("note: no git repository: the report has no history");
        return 0;
    }
    if (G->range_from[0]) {
        bg_git_commit_msg *msgs = NULL;
        size_t nm = 0;
        if (bg_git_log(G->g, G->range_from, G->head_commit, 1, &msgs, &nm, e, sizeof e) != 0) {
            snprintf(G->err, G->errlen, "cannot list the commits of the range: %s", e);
            return BG_EGIT;
        }
        /* The range's commits, newest first, then A itself. */
        ids = calloc(nm + 1, sizeof *ids);
        for (size_t i = 0; ids && i < nm; i++)
            memcpy(ids[i], msgs[i].id, BG_GIT_OID_BUF);
        bg_git_log_free(msgs, nm);
        if (!ids)
            return BG_ENOMEM;
        memcpy(ids[nm], G->range_from, BG_GIT_OID_BUF);
        n = nm + 1;
    } else if (bg_git_ancestors(G->g, G->head_commit, G->o->history_max, &ids, &n, e, sizeof e) != 0) {
        bg__errf("note: no history for %.12s: %s", G->head_commit, e);
        return 0;
    }
    if (n > G->o->history_max)
        n = G->o->history_max;
    G->rep.commits = calloc(n ? n : 1, sizeof *G->rep.commits);
    G->paths = calloc(n ? n : 1, sizeof *G->paths);
    if (!G->rep.commits || !G->paths) {
        free(ids);
        return BG_ENOMEM;
    }
    G->rep.ncommits = n;
    int rc = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        size_t pos = n - 1 - k; /* ids are newest first */
        bg_report_commit *c = &G->rep.commits[pos];
        memcpy(c->id, ids[k], BG_GIT_OID_BUF);
        if (!strcmp(c->id, G->head_commit)) {
            G->head_pos = pos;
            continue;
        }
        bg_run_list l;
        memset(&l, 0, sizeof l);
        rc = bg_store_list(G->st, c->id, NULL, &l, skip_note, NULL, G->err, G->errlen);
        const bg_run_entry *r = rc ? NULL : newest_on(&l, G->head.machine_id, true);
        if (r) {
            c->has_run = true;
            G->paths[pos] = strdup(r->path);
            if (!G->paths[pos])
                rc = BG_ENOMEM;
        } else if (l.n) {
            G->rep.other_machine_runs++;
        }
        bg_run_list_free(&l);
    }
    free(ids);
    if (G->head_pos != SIZE_MAX)
        G->rep.commits[G->head_pos].has_run = true;
    if (!rc)
        describe_commits(G);
    trim_history(G);
    for (size_t i = 0; i < G->rep.ncommits; i++)
        if (G->rep.commits[i].has_run)
            snprintf(G->rep.commits[i].page, sizeof G->rep.commits[i].page, "commit-%s.html",
                     G->rep.commits[i].id);
    return rc;
}

/* --base: a run file, a named baseline (benchgate baseline save), or a
 * commit-ish whose newest run on the head's machine is taken. */
static int load_base_spec(gen *G, const char *spec)
{
    int rc;
    char named[4096];
    if (bg__baseline_check_name(spec, NULL, 0) == 0 && bg__baseline_path(G->st, spec, named, sizeof named) == 0 &&
        bg__is_file(named)) {
        rc = bg__load_run_file(named, &G->base, G->err, G->errlen);
        if (rc == 0)
            snprintf(G->rep.base_label, sizeof G->rep.base_label, "baseline '%.40s' (commit %.12s)", spec,
                     G->base.git_commit);
        return rc;
    }
    if (bg__is_file(spec)) {
        rc = bg__load_run_file(spec, &G->base, G->err, G->errlen);
        if (rc == 0)
            label_of(G->rep.base_label, sizeof G->rep.base_label, spec, &G->base);
        return rc;
    }
    char id[BG_GIT_OID_BUF];
    if ((rc = resolve(G, spec, id)) != 0)
        return rc;
    rc = load_nearest(G, id, G->head.machine_id, "base", &G->base);
    if (rc == BG_ENOTFOUND && G->o->force) /* any machine, then */
        rc = load_nearest(G, id, NULL, "base", &G->base);
    if (rc == 0) {
        label_of(G->rep.base_label, sizeof G->rep.base_label, NULL, &G->base);
        for (size_t i = 0; i < G->rep.ncommits; i++)
            if (!strcmp(G->rep.commits[i].id, id) && G->paths[i] && i != G->head_pos)
                G->base_pos = i;
    }
    return rc;
}

/* The newest run of the head's own commit on its machine made before the
 * head run: what the bench binary's --baseline auto compares with, so that
 * re-running `make bench` on changed code compares with the previous run.
 * BG_ENOTFOUND when there is none. */
static int earlier_run_of_head(gen *G)
{
    if (!G->head_commit[0])
        return BG_ENOTFOUND;
    bg_run_list l;
    memset(&l, 0, sizeof l);
    int rc = bg_store_list(G->st, G->head_commit, G->head.machine_id, &l, skip_note, NULL, G->err, G->errlen);
    if (rc)
        return rc;
    rc = BG_ENOTFOUND;
    for (size_t i = l.n; i-- > 0;)
        if (l.runs[i].meta.created_unix < G->head.created_unix) {
            rc = bg__load_run_file(l.runs[i].path, &G->base, G->err, G->errlen);
            if (rc == 0)
                snprintf(G->rep.base_label, sizeof G->rep.base_label, "earlier run of commit %.12s",
                         G->head_commit);
            break;
        }
    bg_run_list_free(&l);
    return rc;
}

/* Whether run r recorded `metric` in some result. */
static bool run_records(const bg_run *r, const char *metric)
{
    return bg__compare_check_metric(r, NULL, metric, NULL, 0) == 0;
}

/* Forgets the baseline (its run, page and position): the report is then
 * written as one without a baseline, rep.base_note saying why. */
static void drop_base(gen *G)
{
    if (!G->have_base)
        return;
    bg__run_free(&G->base);
    memset(&G->base, 0, sizeof G->base);
    G->have_base = false;
    G->base_pos = SIZE_MAX;
    G->rep.base_page[0] = '\0';
}

static bool metric_is_time(const char *m)
{
    return !strcmp(m, "time") || !strcmp(m, "wall_ns");
}

/* What metric m is, for the pages: its name ("time" for wall time), unit
 * and a phrase ("allocs per iteration"). */
static void describe_metric(const char *m, bg_report_metric *d)
{
    d->is_time = metric_is_time(m);
    d->name = d->is_time ? "time" : m;
    snprintf(d->unit, sizeof d->unit, "%s", bg__metric_unit(m));
    if (d->is_time)
        snprintf(d->what, sizeof d->what, "time per iteration");
    else if (!strcmp(m, "cpu") || !strcmp(m, "cpu_ns"))
        snprintf(d->what, sizeof d->what, "CPU time per iteration");
    else if (bg__metric_kind(m) == BG_METRIC_PEAK)
        snprintf(d->what, sizeof d->what, "%.40s (highest sample)", m);
    else if (bg__metric_kind(m) == BG_METRIC_PROCESS)
        snprintf(d->what, sizeof d->what, "%.40s (median over processes)", m);
    else
        snprintf(d->what, sizeof d->what, "%.40s per iteration", m);
}

/* The metric of the report (--metric, in the comparison options): what
 * the histories, change points and comparison are about. Without
 * --metric, bg__compare_pick_metric chooses, as compare does:
 * instructions when the head and the baseline (the head alone when there
 * is none) are instruction mode, else time. A head and a baseline of
 * different --mode without --metric are compared on instructions when
 * both recorded them; otherwise the baseline is left out, with a note
 * saying why. A ratio, a name that no result of the head run (nor the
 * baseline) records, or a --metric the two modes do not share is refused
 * with the comparison's own message, before any history loads. The
 * choice goes into G->cmpo, the options build_benches compares with. */
static int set_metric(gen *G)
{
    bg_report *rep = &G->rep;
    G->cmpo = G->o->cmp;
    const char *req = G->o->cmp.metric, *m = NULL;
    const bg_run *a = G->have_base ? &G->base : &G->head;
    char e[1536] = "";
    int rc = bg__compare_pick_metric(a, &G->head, req, G->o->cmp.force, &m, rep->metric_note,
                                     sizeof rep->metric_note, e, sizeof e);
    if (rc && !req) {
        const char *ma = bg__mode_name(G->base.config.mode), *mb = bg__mode_name(G->head.config.mode);
        if (run_records(&G->base, "instructions") && run_records(&G->head, "instructions")) {
            m = "instructions";
            rc = 0;
            snprintf(rep->metric_note, sizeof rep->metric_note,
                     "(the baseline is --mode %s, the head --mode %s: compared on instructions, which both "
                     "recorded)",
                     ma, mb);
        } else {
            snprintf(rep->base_note, sizeof rep->base_note,
                     "%s not compared: it was made in --mode %s, the head in --mode %s, and no counter "
                     "both recorded compares across the two; rerun one side in the other's mode, or give "
                     "--metric with a counter both recorded, or --force",
                     rep->base_label, ma, mb);
            bg__errf("note: %s", rep->base_note);
            drop_base(G);
            rc = bg__compare_pick_metric(&G->head, &G->head, NULL, false, &m, rep->metric_note,
                                         sizeof rep->metric_note, e, sizeof e);
        }
    }
    if (rc) {
        snprintf(G->err, G->errlen, "--metric %s: %s", m ? m : "time", e);
        return rc;
    }
    rep->metric_is_time = metric_is_time(m);
    rep->metric = rep->metric_is_time ? "time" : m;
    G->cmpo.metric = rep->metric;
    snprintf(rep->metric_unit, sizeof rep->metric_unit, "%s", bg__metric_unit(m));
    rc = bg__compare_check_metric(&G->head, G->have_base ? &G->base : NULL, m, e, sizeof e);
    if (rc) {
        snprintf(G->err, G->errlen, "--metric %s: %s", m, e);
        return rc;
    }
    bg_report_metric d;
    describe_metric(m, &d);
    snprintf(rep->metric_what, sizeof rep->metric_what, "%s", d.what);
    return 0;
}

/* The baseline: --base, else A of A..B, else an earlier run of the head's
 * commit, else the nearest older commit of the history with a run on the
 * machine. None is fine. */
static int pick_base(gen *G)
{
    int rc = 0;
    if (G->o->base) {
        rc = load_base_spec(G, G->o->base);
    } else if (G->range_from[0]) {
        char id[BG_GIT_OID_BUF];
        memcpy(id, G->range_from, sizeof id);
        rc = load_nearest(G, id, G->head.machine_id, "range start", &G->base);
        if (rc == 0) {
            label_of(G->rep.base_label, sizeof G->rep.base_label, NULL, &G->base);
            if (G->rep.ncommits && !strcmp(G->rep.commits[0].id, id) && G->paths[0])
                G->base_pos = 0;
        } else if (rc == BG_ENOTFOUND) {
            bg__errf("note: %s; the report has no baseline", G->err);
            rc = 0;
        }
    } else {
        rc = earlier_run_of_head(G);
        if (rc == BG_ENOTFOUND) {
            size_t i = G->head_pos == SIZE_MAX ? 0 : G->head_pos;
            while (i > 0 && !G->paths[i - 1])
                i--;
            if (i == 0)
                return 0; /* no older run on this machine: no baseline */
            rc = bg__load_run_file(G->paths[i - 1], &G->base, G->err, G->errlen);
            if (rc == 0) {
                G->base_pos = i - 1;
                label_of(G->rep.base_label, sizeof G->rep.base_label, NULL, &G->base);
            }
        }
    }
    if (rc)
        return rc;
    G->have_base = true;
    if (strcmp(G->base.machine_id, G->head.machine_id) != 0) {
        if (!G->o->force) {
            snprintf(G->err, G->errlen,
                     "refusing to compare runs from different machines: baseline on '%s', head on '%s'; use "
                     "--force to compare anyway",
                     G->base.machine_id, G->head.machine_id);
            return BG_EINVAL;
        }
        bg__errf("warning (--force): baseline machine '%s' differs from head machine '%s'",
                G->base.machine_id, G->head.machine_id);
    }
    if (G->base_pos != SIZE_MAX)
        snprintf(G->rep.base_page, sizeof G->rep.base_page, "%s", G->rep.commits[G->base_pos].page);
    else
        snprintf(G->rep.base_page, sizeof G->rep.base_page, "run-base.html");
    return 0;
}

static const bg_result *find_result(const bg_run *run, const char *name)
{
    for (size_t i = 0; run && i < run->nresults; i++)
        if (run->results[i].name && !strcmp(run->results[i].name, name))
            return &run->results[i];
    return NULL;
}

/* One entry per benchmark: the comparison's rows (baseline order, then new
 * ones), or the head's results without a baseline. */
static int build_benches(gen *G)
{
    bg_report *rep = &G->rep;
    /* The noise record of the head's machine: the comparison with the
     * baseline (made at another time) includes it, and every benchmark page
     * states it. */
    char ne[512] = "";
    open_git(G, false);
    if (bg__noise_learn(G->st, G->g, G->head.machine_id, G->head_commit[0] ? G->head_commit : NULL,
                        G->cmpo.metric ? G->cmpo.metric : "time", G->cmpo.settings, NULL, NULL, NULL, &G->noise, ne,
                        sizeof ne) == 0) {
        G->have_noise = true;
        G->cmpo.noise = &G->noise;
        snprintf(rep->drift_note, sizeof rep->drift_note,
                 "between-run noise from %zu stored run%s of machine %.16s (benchgate noise)", G->noise.runs_used,
                 G->noise.runs_used == 1 ? "" : "s", G->head.machine_id);
    }
    if (G->have_base) {
        char e[512] = "";
        int rc = bg__compare_runs(&G->base, &G->head, &G->cmpo, &G->cmp, e, sizeof e);
        if (rc) {
            snprintf(G->err, G->errlen, "cannot compare the head with the baseline: %s", e);
            return rc;
        }
        G->have_cmp = true;
        rep->cmp = &G->cmp;
        rep->base = &G->base;
    }
    size_t n = G->have_cmp ? G->cmp.n : G->head.nresults;
    rep->benches = calloc(n ? n : 1, sizeof *rep->benches);
    if (!rep->benches)
        return BG_ENOMEM;
    size_t nc = rep->ncommits ? rep->ncommits : 1;
    for (size_t i = 0; i < n; i++) {
        bg_report_bench *b = &rep->benches[i];
        b->name = G->have_cmp ? G->cmp.rows[i].name : G->head.results[i].name;
        b->row = G->have_cmp ? &G->cmp.rows[i] : NULL;
        b->head = find_result(&G->head, b->name);
        b->base = G->have_base ? find_result(&G->base, b->name) : NULL;
        bg__name_slug(b->name, b->slug, sizeof b->slug);
        /* its own metric when its settings rule names another */
        const bg_rule *rule = bg__settings_rule(G->cmpo.settings, b->name);
        if (rule && rule->metric[0]) /* time under either name is the same metric */
            b->own_metric = metric_is_time(rule->metric) ? !rep->metric_is_time
                                                         : rep->metric_is_time || strcmp(rule->metric, rep->metric);
        if (b->own_metric) {
            describe_metric(rule->metric, &b->m);
            snprintf(b->rule_where, sizeof b->rule_where, "%.60s:%d", G->cmpo.settings->path, rule->line);
        } else {
            b->m.name = rep->metric;
            b->m.is_time = rep->metric_is_time;
            snprintf(b->m.unit, sizeof b->m.unit, "%s", rep->metric_unit);
            snprintf(b->m.what, sizeof b->m.what, "%s", rep->metric_what);
        }
        b->drift_band = NAN;
        if (G->have_noise) {
            size_t df;
            b->drift_band = bg__drift_band(
                bg__noise_for(&G->noise, b->name, &df, b->drift_source, sizeof b->drift_source));
        }
        b->hist_pt = malloc(nc * sizeof *b->hist_pt);
        b->hist_lo = malloc(nc * sizeof *b->hist_lo);
        b->hist_hi = malloc(nc * sizeof *b->hist_hi);
        rep->nbenches++;
        if (!b->hist_pt || !b->hist_lo || !b->hist_hi)
            return BG_ENOMEM;
        for (size_t k = 0; k < nc; k++)
            b->hist_pt[k] = b->hist_lo[k] = b->hist_hi[k] = NAN;
    }
    return 0;
}

/* ---- plots ---- */

static void plot_file(char *buf, size_t n, const bg_report_bench *b, const char *kind)
{
    snprintf(buf, n, "plots/%s-%s.svg", b->slug, kind);
}

/* Removes a plot left by an earlier report, so that only what this run
 * draws is shown. */
static void forget_plot(const gen *G, const bg_report_bench *b, const char *kind)
{
    char rel[128], path[4300];
    plot_file(rel, sizeof rel, b, kind);
    snprintf(path, sizeof path, "%s/%s", G->o->out_dir, rel);
    unlink(path);
}

/* True when gnuplot wrote a whole SVG file (it ends with </svg>). */
static bool plot_present(const gen *G, const bg_report_bench *b, const char *kind)
{
    char rel[128], path[4300], tail[64];
    plot_file(rel, sizeof rel, b, kind);
    snprintf(path, sizeof path, "%s/%s", G->o->out_dir, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool ok = false;
    if (fseek(f, -(long)(sizeof tail - 1), SEEK_END) == 0) {
        size_t len = fread(tail, 1, sizeof tail - 1, f);
        tail[len] = '\0';
        ok = strstr(tail, "</svg>") != NULL;
    }
    fclose(f);
    return ok;
}

/* Per-iteration wall times of every sample of r (caller frees). */
static double *per_iter_times(const bg_result *r, size_t *n)
{
    size_t total = 0;
    *n = 0;
    for (size_t i = 0; r && i < r->nprocs; i++)
        total += r->procs[i].n;
    double *v = total ? malloc(total * sizeof *v) : NULL;
    for (size_t i = 0; v && i < r->nprocs; i++)
        for (size_t j = 0; j < r->procs[i].n; j++)
            v[(*n)++] = r->procs[i].wall_ns[j] / r->procs[i].iters[j];
    return v;
}

static double mean_of(const bg_result *r)
{
    return r && r->has_summary ? r->wall.est[BG_STAT_MEAN].point : NAN;
}

/* Distribution, iterations-vs-time and comparison plots: they need only
 * the head and base runs, so gnuplot draws them while the history loads. */
static void plot_samples(gen *G)
{
    const char *kinds[] = {"dist", "fit", "cmp", "hist", "spark"};
    for (size_t i = 0; i < G->rep.nbenches; i++)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            forget_plot(G, &G->rep.benches[i], kinds[k]);
    if (!G->pl)
        return;
    for (size_t i = 0; i < G->rep.nbenches; i++) {
        const bg_report_bench *b = &G->rep.benches[i];
        char file[128], title[600], label[64], blabel[64];
        size_t nh = 0, nb = 0;
        double *h = per_iter_times(b->head, &nh), *bs = per_iter_times(b->base, &nb);
        if (h && nh) {
            snprintf(label, sizeof label, "head (%zu samples)", nh);
            bg_plot_dist d = {h, nh, label, mean_of(b->head)};
            bg_density_frame fr;
            plot_file(file, sizeof file, b, "dist");
            snprintf(title, sizeof title, "%s: per-iteration time of every sample", b->name);
            if (bg_stat_density_frame((const double *const[]){h}, &nh, 1, &fr) == 0)
                bg__plot_density(G->pl, file, title, "time per iteration", &d, 1, &fr);
            plot_file(file, sizeof file, b, "fit");
            snprintf(title, sizeof title, "%s: sample time against iterations", b->name);
            bg__plot_fit(G->pl, file, title, b->head);
        }
        if (h && nh && bs && nb) {
            snprintf(blabel, sizeof blabel, "baseline (%zu samples)", nb);
            bg_plot_dist d2[2] = {{bs, nb, blabel, mean_of(b->base)}, {h, nh, label, mean_of(b->head)}};
            bg_density_frame fr;
            plot_file(file, sizeof file, b, "cmp");
            snprintf(title, sizeof title, "%s: baseline and head", b->name);
            if (bg_stat_density_frame((const double *const[]){bs, h}, (const size_t[]){nb, nh}, 2, &fr) == 0)
                bg__plot_density(G->pl, file, title, "time per iteration", d2, 2, &fr);
        }
        free(h);
        free(bs);
    }
}

/* The head run's growth sweeps on log-log axes (plots/sweep-<i>-growth.svg). */
static void plot_sweeps(gen *G)
{
    char file[128], path[4300], title[300];
    for (size_t i = 0; i < BG_REPORT_SWEEPS; i++) { /* an earlier report's */
        snprintf(path, sizeof path, "%s/plots/sweep-%zu-growth.svg", G->o->out_dir, i);
        unlink(path);
    }
    const bg_run *run = G->rep.head;
    for (size_t i = 0; G->pl && run && i < run->nsweeps && i < BG_REPORT_SWEEPS; i++) {
        const bg_sweep *w = &run->sweeps[i];
        if (w->kind != BG_SWEEP_GROWTH)
            continue;
        snprintf(file, sizeof file, "plots/sweep-%zu-growth.svg", i);
        snprintf(title, sizeof title, "%s: time per iteration against %s", w->key, w->arg);
        bg__plot_growth(G->pl, file, title, w);
    }
}

/* Code points of a commit's subject under its id on the history plot's
 * axis: about 12 columns of 11-point text fit between two of 8 tics. */
#define BG_TIC_SUBJECT 11

static void plot_histories(gen *G)
{
    if (!G->pl || G->rep.ncommits < 2)
        return;
    size_t n = G->rep.ncommits;
    G->tics = calloc(n, sizeof *G->tics);
    G->ticp = calloc(n, sizeof *G->ticp);
    if (!G->tics || !G->ticp)
        return;
    /* Each tic: the short id, and under it the commit's subject cut to
     * BG_TIC_SUBJECT code points (eight tics share about 650 pixels). */
    for (size_t i = 0; i < n; i++) {
        const char *subj = G->rep.commits[i].subject;
        size_t cut = 0, cps = 0;
        while (subj[cut] && cps < BG_TIC_SUBJECT) {
            size_t k = bg__utf8_len(subj + cut);
            cut += k ? k : 1;
            cps++;
        }
        snprintf(G->tics[i], sizeof G->tics[i], "%.7s%s%.*s%s", G->rep.commits[i].id, subj[0] ? "\n" : "",
                 (int)cut, subj, subj[cut] ? "~" : "");
        G->ticp[i] = G->tics[i];
    }
    for (size_t i = 0; i < G->rep.nbenches; i++) {
        const bg_report_bench *b = &G->rep.benches[i];
        size_t points = 0;
        for (size_t k = 0; k < n; k++)
            points += isfinite(b->hist_pt[k]) != 0;
        if (points < 2) /* a new benchmark: one point is not a history */
            continue;
        bg_plot_history h = {b->hist_pt, b->hist_lo, b->hist_hi, n, b->cp, b->ncp, G->ticp,
                             b->m.is_time ? NULL : b->m.what, b->m.is_time ? NULL : b->m.unit};
        char file[128], title[600];
        plot_file(file, sizeof file, b, "hist");
        if (b->m.is_time)
            snprintf(title, sizeof title, "%s: mean per commit", b->name);
        else
            snprintf(title, sizeof title, "%s: %s per commit", b->name, b->m.what);
        bg__plot_history(G->pl, file, title, &h);
        plot_file(file, sizeof file, b, "spark");
        bg__plot_sparkline(G->pl, file, &h);
    }
}

static void finish_plots(gen *G)
{
    if (!G->pl)
        return;
    char e[600] = "";
    if (bg__plot_close(&G->pl, e, sizeof e) != 0) {
        snprintf(G->rep.plots_note, sizeof G->rep.plots_note, "%s", e);
        bg__errf("warning: %s", e);
    }
    for (size_t i = 0; i < G->rep.nbenches; i++) {
        bg_report_bench *b = &G->rep.benches[i];
        b->plot_dist = plot_present(G, b, "dist");
        b->plot_fit = plot_present(G, b, "fit");
        b->plot_cmp = plot_present(G, b, "cmp");
        b->plot_hist = plot_present(G, b, "hist");
        b->plot_spark = plot_present(G, b, "spark");
    }
    for (size_t i = 0; i < BG_REPORT_SWEEPS; i++) {
        char path[4300];
        snprintf(path, sizeof path, "%s/plots/sweep-%zu-growth.svg", G->o->out_dir, i);
        G->rep.sweep_plot[i] = access(path, R_OK) == 0;
    }
}

/* ---- history values and commit pages ---- */

static void take_values(gen *G, size_t pos, const bg_run *run)
{
    bg_report_commit *c = &G->rep.commits[pos];
    snprintf(c->created, sizeof c->created, "%s", run->created);
    c->dirty = run->git_dirty;
    for (size_t i = 0; i < G->rep.nbenches; i++) {
        bg_report_bench *b = &G->rep.benches[i];
        const bg_result *r = find_result(run, b->name);
        if (!r || r->status != BG_STATUS_OK)
            continue;
        if (!b->m.is_time) {
            /* No interval: the run records none for counters. A run
             * without the metric leaves the commit out (NAN). */
            b->hist_pt[pos] = bg__result_metric_mean(r, b->m.name);
        } else if (r->has_summary && isfinite(r->wall.est[BG_STAT_MEAN].point)) {
            b->hist_pt[pos] = r->wall.est[BG_STAT_MEAN].point;
            b->hist_lo[pos] = r->wall.est[BG_STAT_MEAN].lo;
            b->hist_hi[pos] = r->wall.est[BG_STAT_MEAN].hi;
        } else {
            b->hist_pt[pos] = bg__result_metric_mean(r, "time");
        }
    }
}

/* A commit's history values to and from G->vals (the cache's form). */
static void get_values(gen *G, size_t pos)
{
    for (size_t i = 0; i < G->rep.nbenches; i++) {
        const bg_report_bench *b = &G->rep.benches[i];
        G->vals[3 * i] = b->hist_pt[pos];
        G->vals[3 * i + 1] = b->hist_lo[pos];
        G->vals[3 * i + 2] = b->hist_hi[pos];
    }
}

static void put_values(gen *G, size_t pos)
{
    for (size_t i = 0; i < G->rep.nbenches; i++) {
        bg_report_bench *b = &G->rep.benches[i];
        b->hist_pt[pos] = G->vals[3 * i];
        b->hist_lo[pos] = G->vals[3 * i + 1];
        b->hist_hi[pos] = G->vals[3 * i + 2];
    }
}

/* Opens the report directory's cache under the key of what a commit page
 * holds besides its run: the metric the values are about (the report's
 * and each benchmark's) and the benchmarks the pages link to (with this executable, bg__rcache_site_key). */
static int open_cache(gen *G)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return BG_ENOMEM;
    fprintf(f, "metric %s %d %s %s\n", G->rep.metric ? G->rep.metric : "", G->rep.metric_is_time ? 1 : 0, G->rep.metric_what,
            G->rep.metric_unit);
    for (size_t i = 0; i < G->rep.nbenches; i++)
        fprintf(f, "bench %s%c%s%c%s\n", G->rep.benches[i].name, 0, G->rep.benches[i].slug, 0,
                G->rep.benches[i].m.name);
    if (fclose(f) != 0) {
        free(text);
        return BG_ENOMEM;
    }
    bg_hash128 key = {0, 0};
    bool reuse = bg__rcache_site_key(text, len, &key);
    free(text);
    size_t nv = 3 * G->rep.nbenches;
    if (!(G->vals = malloc((nv ? nv : 1) * sizeof *G->vals)))
        return BG_ENOMEM;
    return bg__rcache_open(G->o->out_dir, reuse, key, nv, &G->cache);
}

/* Every file but the commit pages (walk_history names those), for the cache. */
static int name_files(gen *G)
{
    bg_report *rep = &G->rep;
    int rc = bg__rcache_file(G->cache, "index.html");
    if (!rc && G->head_pos == SIZE_MAX)
        rc = bg__rcache_file(G->cache, rep->head_page);
    if (!rc && G->have_base && G->base_pos == SIZE_MAX)
        rc = bg__rcache_file(G->cache, rep->base_page);
    static const char *const kinds[] = {"dist", "fit", "cmp", "hist", "spark"};
    for (size_t i = 0; !rc && i < rep->nbenches; i++) {
        const bg_report_bench *b = &rep->benches[i];
        const bool drawn[] = {b->plot_dist, b->plot_fit, b->plot_cmp, b->plot_hist, b->plot_spark};
        char name[160];
        snprintf(name, sizeof name, "bench-%s.html", b->slug);
        rc = bg__rcache_file(G->cache, name);
        for (size_t k = 0; !rc && k < sizeof kinds / sizeof kinds[0]; k++)
            if (drawn[k]) {
                plot_file(name, sizeof name, b, kinds[k]);
                rc = bg__rcache_file(G->cache, name);
            }
        snprintf(name, sizeof name, "profile-%s.svg", b->slug);
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", G->o->out_dir, name);
        if (!rc && b->head && b->head->profile && access(path, F_OK) == 0)
            rc = bg__rcache_file(G->cache, name);
    }
    for (size_t i = 0; !rc && i < BG_REPORT_SWEEPS; i++)
        if (rep->sweep_plot[i]) {
            char name[64];
            snprintf(name, sizeof name, "plots/sweep-%zu-growth.svg", i);
            rc = bg__rcache_file(G->cache, name);
        }
    if (rc)
        snprintf(G->err, G->errlen, "out of memory");
    return rc;
}

static int walk_history(gen *G)
{
    for (size_t pos = 0; pos < G->rep.ncommits; pos++) {
        bg_report_commit *c = &G->rep.commits[pos];
        if (!c->has_run)
            continue;
        const bg_run *run = NULL;
        bg_run tmp;
        memset(&tmp, 0, sizeof tmp);
        bool cacheable = false;
        bg_hash128 h = {0, 0};
        if (pos == G->head_pos) {
            run = &G->head;
        } else if (pos == G->base_pos) {
            run = &G->base;
        } else {
            /* A page the last report wrote from these very bytes is kept,
             * with the values it took from them: no parse. */
            cacheable = G->cache && bg__hash_file(G->paths[pos], &h);
            if (cacheable && bg__rcache_find(G->cache, c->page, h, G->vals, c->created, sizeof c->created, &c->dirty)) {
                put_values(G, pos);
                int rc = bg__rcache_page(G->cache, c->page, h, G->vals, c->created, c->dirty);
                if (rc) {
                    snprintf(G->err, G->errlen, "out of memory");
                    return rc;
                }
                continue;
            }
            char e[1024] = "";
            if (bg__load_run_file(G->paths[pos], &tmp, e, sizeof e) != 0) {
                bg__errf("skipped %s", e);
                c->has_run = false;
                c->page[0] = '\0';
                continue;
            }
            run = &tmp;
        }
        take_values(G, pos, run);
        int rc = bg__html_write_commit(G->o->out_dir, c->page, run, &G->rep, G->err, G->errlen);
        bg__run_free(&tmp);
        if (!rc && G->cache) {
            if (cacheable) {
                get_values(G, pos);
                rc = bg__rcache_page(G->cache, c->page, h, G->vals, c->created, c->dirty);
            } else { /* the head's and base's pages depend on more than their run */
                rc = bg__rcache_file(G->cache, c->page);
            }
            if (rc)
                snprintf(G->err, G->errlen, "out of memory");
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* Change points of each benchmark's history, at commit positions. */
static int find_changepoints(gen *G)
{
    size_t n = G->rep.ncommits;
    double *v = malloc((n ? n : 1) * sizeof *v);
    size_t *at = malloc((n ? n : 1) * sizeof *at);
    int rc = v && at ? 0 : BG_ENOMEM;
    for (size_t i = 0; !rc && i < G->rep.nbenches; i++) {
        bg_report_bench *b = &G->rep.benches[i];
        size_t m = 0;
        for (size_t k = 0; k < n; k++)
            if (isfinite(b->hist_pt[k])) {
                v[m] = b->hist_pt[k];
                at[m++] = k;
            }
        size_t ncp = 0;
        if (bg_changepoints(v, m, CP_ALPHA, CP_SEED, b->cp, CP_MAX, &ncp) != 0)
            continue; /* degenerate history: no change points rather than no report */
        /* The newest value alone, when it is the newest commit's: a
         * suspected change awaiting its second run. */
        bg_cp_suspect sus;
        if (m && at[m - 1] == n - 1 && bg_changepoint_last(v, m, ncp ? b->cp[ncp - 1].index : 0, &sus) == 0 &&
            sus.suspect && isfinite(sus.magnitude) && fabs(sus.magnitude) > G->rep.threshold) {
            b->suspect = true;
            b->suspect_change = sus.magnitude;
        }
        for (size_t k = 0; k < ncp; k++)
            b->cp[k].index = at[b->cp[k].index];
        b->ncp = ncp;
    }
    free(v);
    free(at);
    return rc;
}

/* ---- pages ---- */

static int write_pages(gen *G)
{
    bg_report *rep = &G->rep;
    int rc = 0;
    if (G->head_pos == SIZE_MAX)
        rc = bg__html_write_commit(G->o->out_dir, rep->head_page, &G->head, rep, G->err, G->errlen);
    if (!rc && G->have_base && G->base_pos == SIZE_MAX)
        rc = bg__html_write_commit(G->o->out_dir, rep->base_page, &G->base, rep, G->err, G->errlen);
    for (size_t i = 0; !rc && i < rep->nbenches; i++)
        rc = bg__html_write_bench(G->o->out_dir, rep, i, G->err, G->errlen);
    if (!rc)
        rc = bg__html_write_index(G->o->out_dir, rep, G->err, G->errlen);
    return rc;
}

static int make_dirs(const char *dir, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        goto fail;
    snprintf(path, sizeof path, "%s/plots", dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "cannot create the report directory %s: %s", path, strerror(errno));
    return BG_EIO;
}

static void gen_free(gen *G)
{
    for (size_t i = 0; i < G->rep.nbenches; i++) {
        free(G->rep.benches[i].hist_pt);
        free(G->rep.benches[i].hist_lo);
        free(G->rep.benches[i].hist_hi);
    }
    free(G->rep.benches);
    for (size_t i = 0; G->paths && i < G->rep.ncommits; i++)
        free(G->paths[i]);
    free(G->paths);
    free(G->rep.commits);
    free(G->tics);
    free(G->ticp);
    if (G->have_cmp)
        bg__comparison_free(&G->cmp);
    if (G->have_noise)
        bg__noise_free(&G->noise);
    if (G->have_head)
        bg__run_free(&G->head);
    if (G->have_base)
        bg__run_free(&G->base);
    if (G->pl) {
        char e[64];
        bg__plot_close(&G->pl, e, sizeof e);
    }
    bg__rcache_close(&G->cache, G->o->out_dir, false, NULL, 0);
    free(G->vals);
    bg_git_close(&G->g);
    bg_store_close(&G->st);
}

/* The report's time: now, or $SOURCE_DATE_EPOCH (seconds since 1970, the
 * reproducible-builds convention) when set, so two reports of one store can
 * be the same bytes. */
static void stamp(char *buf, size_t n)
{
    time_t t = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(sde, &end, 10);
        if (!*end && errno == 0 && v >= 0)
            t = (time_t)v;
        else
            fprintf(stderr, "benchgate: warning: SOURCE_DATE_EPOCH='%s' is not a number of seconds; "
                            "the report says the time now\n", sde);
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int generate(gen *G)
{
    const bg_report_opts *o = G->o;
    int rc;
    /* Everything that can refuse the report comes before the directory is made. */
    if ((rc = bg_store_open(&G->st, o->store_dir, NULL, G->err, G->errlen)) != 0 || (rc = load_head(G)) != 0 ||
        (rc = collect_history(G)) != 0 || (rc = pick_base(G)) != 0 || (rc = set_metric(G)) != 0 ||
        (rc = build_benches(G)) != 0 || (rc = make_dirs(o->out_dir, G->err, G->errlen)) != 0)
        return rc;
    G->rep.head = &G->head;
    G->rep.threshold = o->cmp.threshold_pct / 100.0;
    if (G->head_pos != SIZE_MAX)
        snprintf(G->rep.head_page, sizeof G->rep.head_page, "%s", G->rep.commits[G->head_pos].page);
    else
        snprintf(G->rep.head_page, sizeof G->rep.head_page, "run-head.html");
    stamp(G->rep.generated, sizeof G->rep.generated);
    char e[1024] = "";
    if (bg__plot_open(&G->pl, o->out_dir, e, sizeof e) != 0) {
        snprintf(G->rep.plots_note, sizeof G->rep.plots_note, "%s", e);
        bg__errf("note: %s", e);
    }
    if ((rc = open_cache(G)) != 0) {
        snprintf(G->err, G->errlen, "out of memory");
        return rc;
    }
    plot_samples(G);
    plot_sweeps(G);
    if ((rc = walk_history(G)) != 0 || (rc = find_changepoints(G)) != 0)
        return rc;
    plot_histories(G);
    finish_plots(G);
    if ((rc = write_pages(G)) != 0 || (rc = name_files(G)) != 0)
        return rc;
    char e2[1024] = "";
    if (bg__rcache_close(&G->cache, o->out_dir, true, e2, sizeof e2) != 0)
        fprintf(stderr, "benchgate: warning: %s (the next report is made whole)\n", e2);
    return 0;
}

int bg__report_generate(const bg_report_opts *o, char *index_path, size_t n, char *err, size_t errlen)
{
    gen G;
    memset(&G, 0, sizeof G);
    G.o = o;
    G.err = err;
    G.errlen = errlen;
    int rc = generate(&G);
    gen_free(&G);
    if (rc)
        return rc;
    char abs[PATH_MAX];
    if (!realpath(o->out_dir, abs))
        snprintf(abs, sizeof abs, "%s", o->out_dir);
    snprintf(index_path, n, "%s/index.html", abs);
    return 0;
}
