/* `benchgate export --history`: every stored run along a first-parent history, one CSV row per benchmark and commit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_cmds.h"
#include "bg_git.h"
#include "bg_report.h"

/* A number, or an empty field when there is none. */
static void num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.6g", v);
    else
        fputs(",", f);
}

/* The first line of a commit message. */
static void subject(char *buf, size_t n, const char *msg)
{
    size_t len = msg ? strcspn(msg, "\r\n") : 0;
    snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), msg ? msg : "");
}

int bg__export_history(const char *spec, const char *store_dir, size_t max, FILE *out, char *err, size_t errlen)
{
    bg_git *g = NULL;
    bg_store *st = NULL;
    bg_git_commit_msg *log = NULL;
    size_t n = 0, nlog = 0;
    char head[BG_GIT_OID_BUF];
    int rc = bg_git_open(&g, NULL, err, errlen);
    if (!rc)
        rc = bg_git_resolve(g, spec, head, err, errlen);
    if (!rc)
        rc = bg_git_log(g, NULL, head, 1, &log, &nlog, err, errlen);
    n = nlog;
    if (!rc)
        rc = bg_store_open(&st, store_dir, NULL, err, errlen);
    if (rc) {
        bg_git_log_free(log, nlog);
        bg_git_close(&g);
        return rc;
    }
    if (n > max)
        n = max;
    /* The machine: that of the newest run along the history, so the rows
     * are one machine's (runs of others are not comparable). */
    char machine[BG_MACHINE_ID_MAX + 1] = "";
    for (size_t i = 0; i < n && !machine[0]; i++) {
        bg_run_list l;
        memset(&l, 0, sizeof l);
        if (bg_store_list(st, log[i].id, NULL, &l, NULL, NULL, NULL, 0) == 0 && l.n)
            snprintf(machine, sizeof machine, "%s", l.runs[l.n - 1].meta.machine);
        bg_run_list_free(&l);
    }
    fputs("commit,subject,created,machine,benchmark,status,mean_ns,mean_lo_ns,mean_hi_ns,median_ns,median_lo_ns,"
          "median_hi_ns,samples\n",
          out);
    size_t rows = 0;
    for (size_t k = n; machine[0] && k-- > 0;) { /* oldest first */
        bg_run run;
        char e[1024] = "";
        int lrc = bg__load_commit_run(st, log[k].id, machine, true, &run, NULL, 0, e, sizeof e);
        if (lrc == BG_ENOTFOUND)
            continue;
        if (lrc) {
            bg__errf("export --history: skipped commit %.12s: %s", log[k].id, e);
            continue;
        }
        char subj[512];
        subject(subj, sizeof subj, log[k].message);
        for (size_t i = 0; i < run.nresults; i++) {
            const bg_result *r = &run.results[i];
            fprintf(out, "%s,", log[k].id);
            bg__csv_escape(out, subj);
            fputc(',', out);
            bg__csv_escape(out, run.created);
            fprintf(out, ",%s,", machine);
            bg__csv_escape(out, r->name);
            fprintf(out, ",%s", bg__status_name(r->status));
            const bg_estimate *mean = r->has_summary ? &r->wall.est[BG_STAT_MEAN] : NULL;
            const bg_estimate *med = r->has_summary ? &r->wall.est[BG_STAT_MEDIAN] : NULL;
            num(out, mean ? mean->point : NAN);
            num(out, mean ? mean->lo : NAN);
            num(out, mean ? mean->hi : NAN);
            num(out, med ? med->point : NAN);
            num(out, med ? med->lo : NAN);
            num(out, med ? med->hi : NAN);
            fprintf(out, ",%zu\n", r->has_summary ? r->wall.nsamples : (size_t)0);
            rows++;
        }
        bg__run_free(&run);
    }
    if (!machine[0] || !rows) {
        snprintf(err, errlen, "no stored runs along the first-parent history of %s (%.12s) in %s", spec, head,
                 bg_store_dir(st));
        rc = BG_ENOTFOUND;
    }
    bg_store_close(&st);
    bg_git_log_free(log, nlog);
    bg_git_close(&g);
    return rc;
}
