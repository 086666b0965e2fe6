/* Pruning the run store (bg_prune.h): the runs no keep rule covers, and temp files a killed writer left. */
#include "bg_prune.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bg_model.h"

static int cmp_group(const void *a, const void *b)
{
    const bg_run_entry *x = a, *y = b;
    int c = strcmp(x->meta.commit, y->meta.commit);
    if (!c)
        c = strcmp(x->meta.machine, y->meta.machine);
    if (!c && x->meta.created_unix != y->meta.created_unix)
        c = x->meta.created_unix < y->meta.created_unix ? -1 : 1;
    return c ? c : strcmp(x->path, y->path);
}

static bool is_temp_name(const char *name)
{
    size_t n = strlen(name);
    /* the store's own ".<name>.tmp", and bg__write_file_atomic's "<name>.tmp.<pid>" */
    return (name[0] == '.' && n > 4 && !strcmp(name + n - 4, ".tmp")) || strstr(name, ".json.tmp.") != NULL;
}

static int remove_one(const char *path, const char *why, const bg_prune_opts *o, bg_prune_fn fn, void *ud,
                      char *err, size_t errlen)
{
    if (fn)
        fn(path, why, ud);
    if (o->dry_run || unlink(path) == 0 || errno == ENOENT)
        return BG_OK;
    if (err && errlen)
        snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
    return BG_EIO;
}

/* Walks runs/<commit>/<machine>/ for stale temp files. */
static int clear_temps(const char *runs, const bg_prune_opts *o, bg_prune_fn fn, void *ud, size_t *stale, char *err,
                       size_t errlen)
{
    int rc = BG_OK;
    time_t now = time(NULL);
    DIR *d1 = opendir(runs);
    if (!d1)
        return BG_OK;
    struct dirent *c;
    while ((c = readdir(d1)) != NULL) {
        if (c->d_name[0] == '.')
            continue;
        char cdir[4096];
        if ((size_t)snprintf(cdir, sizeof cdir, "%s/%s", runs, c->d_name) >= sizeof cdir)
            continue;
        DIR *d2 = opendir(cdir);
        if (!d2)
            continue;
        struct dirent *m;
        while ((m = readdir(d2)) != NULL) {
            if (m->d_name[0] == '.')
                continue;
            char mdir[4096];
            if ((size_t)snprintf(mdir, sizeof mdir, "%s/%s", cdir, m->d_name) >= sizeof mdir)
                continue;
            DIR *d3 = opendir(mdir);
            if (!d3)
                continue;
            struct dirent *f;
            while ((f = readdir(d3)) != NULL) {
                char path[4096];
                struct stat st;
                if (!is_temp_name(f->d_name)
                    || (size_t)snprintf(path, sizeof path, "%s/%s", mdir, f->d_name) >= sizeof path
                    || lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || now - st.st_mtime < o->tmp_age_s)
                    continue;
                int r = remove_one(path, "stale temp file", o, fn, ud, err, errlen);
                if (r && rc == BG_OK)
                    rc = r;
                (*stale)++;
            }
            closedir(d3);
        }
        closedir(d2);
    }
    closedir(d1);
    return rc;
}

int bg_store_prune(bg_store *s, const bg_prune_opts *o, bg_prune_fn fn, void *ud, bg_store_skip_fn skip,
                   void *skip_ud, size_t *removed, size_t *stale, char *err, size_t errlen)
{
    size_t nrem = 0, nstale = 0;
    if (removed)
        *removed = 0;
    if (stale)
        *stale = 0;
    if (!o->keep_last && !o->have_newer) {
        if (err && errlen)
            snprintf(err, errlen, "say what to keep: --keep N (the newest N runs of each commit and machine), "
                                  "--newer-than DATE, or both");
        return BG_EINVAL;
    }
    bg_run_list l;
    int rc = bg_store_list(s, NULL, NULL, &l, skip, skip_ud, err, errlen);
    if (rc)
        return rc;
    if (l.n > 1)
        qsort(l.runs, l.n, sizeof *l.runs, cmp_group);
    int first_err = BG_OK;
    for (size_t i = 0; i < l.n;) {
        size_t j = i;
        while (j < l.n && !strcmp(l.runs[j].meta.commit, l.runs[i].meta.commit)
               && !strcmp(l.runs[j].meta.machine, l.runs[i].meta.machine))
            j++;
        for (size_t k = i; k < j; k++) {
            const bg_run_entry *e = &l.runs[k];
            bool keep_by_count = o->keep_last && j - k <= o->keep_last; /* among the newest N */
            bool keep_by_date = o->have_newer && e->meta.created_unix >= o->newer_than;
            if (keep_by_count || keep_by_date)
                continue;
            int r = remove_one(e->path, "run", o, fn, ud, first_err ? NULL : err, errlen);
            if (r && !first_err)
                first_err = r;
            nrem++;
        }
        i = j;
    }
    char runs[4096];
    snprintf(runs, sizeof runs, "%s/runs", bg_store_dir(s));
    int r = clear_temps(runs, o, fn, ud, &nstale, first_err ? NULL : err, errlen);
    if (r && !first_err)
        first_err = r;
    bg_run_list_free(&l);
    if (removed)
        *removed = nrem;
    if (stale)
        *stale = nstale;
    return first_err;
}
