/* Finding and loading the run to compare against (see bg_baseline.h). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bg_baseline.h"
#include "bg_fingerprint.h"

static void copy_str(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void bg__side_free(bg_side *s)
{
    if (s->loaded)
        bg__run_free(&s->run);
    s->loaded = false;
}

int bg__side_load_file(const char *path, bg_side *s)
{
    char err[512] = "";
    char *text = NULL;
    int rc = bg_store_load(path, &text, NULL, NULL, err, sizeof err);
    if (rc) {
        bg__errf("%s", err[0] ? err : path);
        return rc;
    }
    rc = bg__record_parse(text, &s->run, err, sizeof err);
    free(text);
    if (rc) {
        bg__errf("%s: %s", path, err);
        return rc;
    }
    copy_str(s->path, sizeof s->path, path);
    copy_str(s->commit, sizeof s->commit, s->run.git_commit);
    s->loaded = true;
    return 0;
}

/* ---- named baselines ---- */

int bg__baseline_check_name(const char *name, char *err, size_t errlen)
{
    size_t len = strlen(name);
    bool ok = len >= 1 && len <= 64 && name[0] != '.';
    for (size_t i = 0; ok && i < len; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
             c == '_' || c == '-';
    }
    if (!ok) {
        if (err && errlen)
            snprintf(err, errlen,
                     "invalid baseline name '%.80s': use 1-64 characters of letters, digits, '.', '_' "
                     "and '-', not starting with '.'",
                     name);
        return BG_EINVAL;
    }
    return 0;
}

int bg__baseline_path(const bg_store *st, const char *name, char *out, size_t n)
{
    int len = snprintf(out, n, "%s/baselines/%s.json", bg_store_dir(st), name);
    return len < 0 || (size_t)len >= n ? BG_EINVAL : 0;
}

int bg__baseline_save(bg_store *st, const char *name, const char *json, char *err, size_t errlen)
{
    int rc = bg__baseline_check_name(name, err, errlen);
    if (rc)
        return rc;
    rc = bg_run_check(json, strlen(json), name, NULL, err, errlen);
    if (rc)
        return rc;
    char dir[4096], path[4096];
    snprintf(dir, sizeof dir, "%s", bg_store_dir(st));
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        goto mkdir_failed;
    snprintf(dir, sizeof dir, "%s/baselines", bg_store_dir(st));
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        goto mkdir_failed;
    if (bg__baseline_path(st, name, path, sizeof path))
        return BG_EINVAL;
    return bg__write_file_atomic(path, json, strlen(json), err, errlen);
mkdir_failed:
    if (err && errlen)
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
    return BG_EIO;
}

int bg__baseline_remove(bg_store *st, const char *name, char *err, size_t errlen)
{
    int rc = bg__baseline_check_name(name, err, errlen);
    if (rc)
        return rc;
    char path[4096];
    if (bg__baseline_path(st, name, path, sizeof path))
        return BG_EINVAL;
    if (unlink(path) != 0) {
        if (err && errlen)
            snprintf(err, errlen, "cannot remove baseline '%s' (%s): %s", name, path, strerror(errno));
        return errno == ENOENT ? BG_ENOTFOUND : BG_EIO;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int bg__baseline_names(bg_store *st, char ***names, size_t *n, char *err, size_t errlen)
{
    *names = NULL;
    *n = 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/baselines", bg_store_dir(st));
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        if (err && errlen)
            snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
        return BG_EIO;
    }
    size_t cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            char **nn = realloc(*names, cap * sizeof *nn);
            if (!nn) {
                rc = BG_ENOMEM;
                break;
            }
            *names = nn;
        }
        char *s = strndup(e->d_name, len - 5);
        if (!s) {
            rc = BG_ENOMEM;
            break;
        }
        (*names)[(*n)++] = s;
    }
    closedir(d);
    if (rc) {
        bg__baseline_names_free(*names, *n);
        *names = NULL;
        *n = 0;
        return rc;
    }
    if (*n)
        qsort(*names, *n, sizeof **names, cmp_str);
    return 0;
}

void bg__baseline_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- resolving and loading ---- */

int bg__side_resolve(bg_store *st, bg_git **g, bg_side *s, const char *spec)
{
    char err[512] = "";
    s->spec = spec;
    if (is_file(spec))
        return bg__side_load_file(spec, s);
    char path[4096];
    if (st && bg__baseline_check_name(spec, NULL, 0) == 0 &&
        bg__baseline_path(st, spec, path, sizeof path) == 0 && is_file(path))
        return bg__side_load_file(path, s);
    if (!*g) {
        int rc = bg_git_open(g, NULL, err, sizeof err);
        if (rc) {
            bg__errf("'%s' is not a file, nor a named baseline, and there is no git repository to resolve "
                 "it as a revision: %s",
                 spec, err);
            return rc;
        }
    }
    int rc = bg_git_resolve(*g, spec, s->commit, err, sizeof err);
    if (rc) {
        bg__errf("cannot resolve '%s': not a file, not a named baseline (benchgate baseline ls), not a "
             "known revision: %s",
             spec, err);
        return rc;
    }
    return 0;
}

void bg__skip_report(const char *name, int code, const char *msg, void *ud)
{
    (void)code;
    (void)ud;
    if (msg && name && strstr(msg, name))
        fprintf(stderr, "benchgate: skipped: %s\n", msg);
    else
        fprintf(stderr, "benchgate: skipped %s: %s\n", name ? name : "?", msg ? msg : "");
}

static int list_commit(bg_store *st, const char *commit, bg_run_list *l)
{
    char err[512] = "";
    memset(l, 0, sizeof *l);
    int rc = bg_store_list(st, commit, NULL, l, bg__skip_report, NULL, err, sizeof err);
    if (rc)
        bg__errf("cannot list the store %s: %s", bg_store_dir(st), err);
    return rc;
}

/* The newest run in l, preferring machine `pref` (may be NULL/""). */
static const bg_run_entry *pick_newest(const bg_run_list *l, const char *pref)
{
    if (pref && pref[0])
        for (size_t i = l->n; i-- > 0;)
            if (!strcmp(l->runs[i].meta.machine, pref))
                return &l->runs[i];
    return l->n ? &l->runs[l->n - 1] : NULL;
}

static void no_data_message(const char *what, const char *spec, const char *commit, bg_store *st)
{
    if (!commit[0]) {
        bg__errf("no stored run for %s '%s' (runs made outside any commit) in %s.", what, spec,
             bg_store_dir(st));
        return;
    }
    bg__errf("no stored run for %s '%s' (commit %.12s) in %s.\n"
         "  To make one: git checkout %.12s, build and run the benchmarks (the bench binary "
         "saves the run), or 'benchgate fetch' runs shared by others.",
         what, spec, commit, bg_store_dir(st), commit);
}

/* The nearest first-parent ancestor of s->commit (within BG_ANCESTOR_BOUND)
 * with a stored run: fills *l, copies its id into s->commit, prints a note.
 * BG_ENOTFOUND when none. */
static int nearest_ancestor(bg_store *st, bg_git *g, bg_side *s, const char *label, bg_run_list *l)
{
    char err[512] = "";
    char(*ids)[BG_GIT_OID_BUF] = NULL;
    size_t n = 0;
    if (!g || !s->commit[0] ||
        bg_git_ancestors(g, s->commit, BG_ANCESTOR_BOUND + 1, &ids, &n, err, sizeof err) != 0)
        return BG_ENOTFOUND;
    int rc = BG_ENOTFOUND;
    for (size_t i = 1; i < n; i++) {
        if (list_commit(st, ids[i], l) != 0) {
            rc = BG_EIO;
            break;
        }
        if (l->n) {
            fprintf(stderr,
                    "benchgate: note: %s %.12s has no run; using nearest ancestor %.12s (%zu commit%s "
                    "back)\n",
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

int bg__side_load_store(bg_store *st, bg_git *g, bg_side *s, const char *what, const char *label,
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
            if (s->commit[0])
                fprintf(stderr, "  (nor any of its %d nearest first-parent ancestors)\n",
                        BG_ANCESTOR_BOUND);
            return BG_ENOTFOUND;
        }
    }
    const bg_run_entry *e = pick_newest(&l, pref);
    if (!e) {
        no_data_message(what, s->spec, s->commit, st);
        bg_run_list_free(&l);
        return BG_ENOTFOUND;
    }
    rc = bg__side_load_file(e->path, s);
    bg_run_list_free(&l);
    return rc;
}

int bg__load_pair(bg_store *st, bg_git **g, bg_side *a, const char *sa, const char *wa, const char *la,
                  bg_side *b, const char *sb, const char *wb, const char *lb)
{
    int rc = bg__side_resolve(st, g, a, sa);
    if (rc)
        return rc;
    if (sb) {
        rc = bg__side_resolve(st, g, b, sb);
        if (rc)
            return rc;
    }
    if (!b->loaded) {
        rc = bg__side_load_store(st, lb ? *g : NULL, b, wb, lb, a->loaded ? a->run.machine_id : NULL);
        if (rc)
            return rc;
    }
    if (!a->loaded) {
        rc = bg__side_load_store(st, la ? *g : NULL, a, wa, la, b->run.machine_id);
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

int bg__machines_differ(const bg_run *a, const bg_run *b, char *msg, size_t msglen)
{
    bg_fingerprint fa, fb;
    fp_from_run(a, &fa);
    fp_from_run(b, &fb);
    char m[1024] = "";
    if (bg_fingerprint_compare(&fa, &fb, m, sizeof m) == 0) {
        if (!strcmp(a->machine_id, b->machine_id))
            return 0;
        snprintf(m, sizeof m, "machine differs: id '%s' vs '%s'", a->machine_id, b->machine_id);
    }
    if (msg && msglen)
        snprintf(msg, msglen, "%s", m);
    return BG_EINVAL;
}
