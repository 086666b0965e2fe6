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
#include "bg_merge.h"
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

/* Reads, validates and parses one run file into s; on failure err (which
 * names the file) says why and s is left unloaded. */
static int load_file(const char *path, bg_side *s, char *err, size_t errlen)
{
    char *text = NULL;
    char why[512] = "";
    int rc = bg_store_load(path, &text, NULL, NULL, why, sizeof why);
    if (rc) {
        snprintf(err, errlen, "%s", why[0] ? why : path);
        return rc;
    }
    rc = bg__record_parse(text, &s->run, why, sizeof why);
    free(text);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, why);
        return rc;
    }
    copy_str(s->path, sizeof s->path, path);
    copy_str(s->commit, sizeof s->commit, s->run.git_commit);
    s->loaded = true;
    return 0;
}

int bg__side_load_file(const char *path, bg_side *s)
{
    char err[1024] = "";
    int rc = load_file(path, s, err, sizeof err);
    if (rc)
        bg__errf("%s", err);
    return rc;
}

int bg__run_file_check(const char *path, size_t *nbench, char *err, size_t errlen)
{
    bg_side s;
    memset(&s, 0, sizeof s);
    char why[1024] = "";
    int rc = load_file(path, &s, why, sizeof why);
    if (rc) {
        if (err && errlen)
            snprintf(err, errlen, "%s", why);
        return rc;
    }
    if (nbench)
        *nbench = s.run.nresults;
    bg__side_free(&s);
    return 0;
}

/* ---- named baselines ---- */

int bg__baseline_check_name(const char *name, char *err, size_t errlen)
{
    size_t len = strlen(name);
    bool ok = len >= 1 && len <= 64 && name[0] != '.' && name[0] != '-';
    for (size_t i = 0; ok && i < len; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
             c == '_' || c == '-';
    }
    if (!ok) {
        if (err && errlen)
            snprintf(err, errlen,
                     "invalid baseline name '%.80s': use 1-64 characters of letters, digits, '.', '_' "
                     "and '-', not starting with '.' or '-'",
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

/* The commits a lookup may use, nearest first: s->commit, then (with g) its
 * first-parent ancestors up to BG_ANCESTOR_BOUND back, each listed once on
 * first use. */
typedef struct lookup {
    bg_store *st;
    char (*ids)[BG_GIT_OID_BUF]; /* owned; ids[0] is the commit asked for */
    size_t n;
    bg_run_list *lists; /* owned; lists[i] valid when listed[i] */
    bool *listed;
    size_t damaged; /* run files that failed to load in full */
    bool walked;    /* the ancestor walk ran (ids[1..] are its result) */
    char walk_err[512]; /* why the walk did not run, when asked to and it failed */
} lookup;

static void lookup_free(lookup *lk)
{
    for (size_t i = 0; i < lk->n; i++)
        if (lk->listed && lk->listed[i])
            bg_run_list_free(&lk->lists[i]);
    free(lk->lists);
    free(lk->listed);
    free(lk->ids);
}

static int lookup_init(lookup *lk, bg_store *st, bg_git *g, const char *commit)
{
    memset(lk, 0, sizeof *lk);
    lk->st = st;
    char err[512] = "";
    if (g && commit[0] &&
        bg_git_ancestors(g, commit, BG_ANCESTOR_BOUND + 1, &lk->ids, &lk->n, err, sizeof err) == 0 && lk->n) {
        lk->walked = true; /* ids[0] is commit itself */
    } else {
        if (g && commit[0])
            copy_str(lk->walk_err, sizeof lk->walk_err, err[0] ? err : "the commit has no history");
        free(lk->ids);
        lk->ids = malloc(sizeof *lk->ids);
        lk->n = lk->ids ? 1 : 0;
        if (lk->ids)
            copy_str(lk->ids[0], sizeof lk->ids[0], commit);
    }
    lk->lists = calloc(lk->n ? lk->n : 1, sizeof *lk->lists);
    lk->listed = calloc(lk->n ? lk->n : 1, sizeof *lk->listed);
    if (!lk->ids || !lk->lists || !lk->listed) {
        bg__errf("out of memory looking up the runs of %.12s", commit);
        return BG_ENOMEM;
    }
    return 0;
}

/* The runs of commit i (listed on first use; skipped files are reported). */
static int lookup_list(lookup *lk, size_t i, const bg_run_list **out)
{
    if (!lk->listed[i]) {
        int rc = list_commit(lk->st, lk->ids[i], &lk->lists[i]);
        if (rc)
            return rc;
        lk->listed[i] = true;
    }
    *out = &lk->lists[i];
    return 0;
}

/* The newest run of a commit is one shard of its suite (--shard K/N): the
 * side becomes the merge of every shard (bg_merge.h), so a comparison sees
 * the whole suite at once. A missing shard fails the lookup (BG_EINVAL,
 * named on stderr): never a pass on part of the suite. */
static int merge_shards(bg_store *st, const char *commit, const char *machine, bg_side *s)
{
    char err[2048] = "";
    char *json = NULL;
    bg_merge_info info;
    int rc = bg_store_merge_shards(st, commit, machine, &json, &info, bg__skip_report, NULL, err, sizeof err);
    bg__run_free(&s->run);
    s->loaded = false;
    if (rc == 0) {
        char why[512] = "";
        rc = bg__record_parse(json, &s->run, why, sizeof why);
        if (rc)
            snprintf(err, sizeof err, "the merge of the shards of %.12s: %s", commit, why);
    }
    free(json);
    if (rc) {
        bg__errf("%s", err);
        return rc == BG_ENOTFOUND ? BG_EINVAL : rc;
    }
    snprintf(s->path, sizeof s->path, "%.4000s (+ %d other shard%s, merged)", info.newest, info.n - 1,
             info.n == 2 ? "" : "s");
    copy_str(s->commit, sizeof s->commit, s->run.git_commit);
    s->loaded = true;
    return 0;
}

/* Loads the newest run of commit i that loads in full, trying only runs on
 * machine `pref` (want_pref) or only runs on other machines (!want_pref; a
 * NULL pref counts as no machine). A run file that fails to load is
 * reported, naming it, and the next-newest is tried. BG_ENOTFOUND when no
 * run of commit i qualifies. */
static int lookup_try(lookup *lk, size_t i, const char *pref, bool want_pref, bg_side *s)
{
    const bg_run_list *l = NULL;
    int rc = lookup_list(lk, i, &l);
    if (rc)
        return rc;
    for (size_t k = l->n; k-- > 0;) {
        const bg_run_entry *e = &l->runs[k];
        bool on_pref = pref && pref[0] && !strcmp(e->meta.machine, pref);
        if (on_pref != want_pref)
            continue;
        char err[1024] = "";
        rc = load_file(e->path, s, err, sizeof err);
        if (rc == 0 && s->run.shard.n > 0)
            return merge_shards(lk->st, lk->ids[i], e->meta.machine, s);
        if (rc == 0)
            return 0;
        if (rc == BG_ENOMEM) {
            bg__errf("%s", err);
            return rc;
        }
        lk->damaged++;
        fprintf(stderr, "benchgate: skipped damaged run file: %s\n  (trying the next-newest run of %.12s)\n",
                err, lk->ids[i][0] ? lk->ids[i] : BG_STORE_NO_COMMIT);
    }
    return BG_ENOTFOUND;
}

/* Says on stderr which ancestors a lookup that found nothing searched: the
 * full bound, fewer where the history (or a shallow clone) ends, or none,
 * with why, when the walk failed. Nothing without a repository. */
static void ancestors_note(const lookup *lk, bg_git *g)
{
    if (lk->walk_err[0]) {
        fprintf(stderr, "  (ancestors not searched: %s)\n", lk->walk_err);
        return;
    }
    if (!lk->walked)
        return;
    size_t back = lk->n - 1;
    if (back >= BG_ANCESTOR_BOUND) {
        fprintf(stderr, "  (nor any of its %d nearest first-parent ancestors)\n", BG_ANCESTOR_BOUND);
        return;
    }
    bg_git_head h;
    char err[256];
    bool shallow = bg_git_head_info(g, &h, err, sizeof err) == 0 && h.shallow;
    if (shallow && back == 0)
        fprintf(stderr, "  (ancestors not searched: shallow clone whose history ends at this commit; "
                        "'git fetch --deepen=%d' or 'git fetch --unshallow' brings them)\n",
                BG_ANCESTOR_BOUND);
    else if (shallow)
        fprintf(stderr, "  (nor any of its %zu first-parent ancestor%s, where this shallow clone's history ends; "
                        "'git fetch --deepen=%d' or 'git fetch --unshallow' brings more)\n",
                back, back == 1 ? "" : "s", BG_ANCESTOR_BOUND);
    else if (back == 0)
        fprintf(stderr, "  (it has no ancestors: a root commit)\n");
    else
        fprintf(stderr, "  (nor any of its %zu first-parent ancestor%s, all it has)\n", back, back == 1 ? "" : "s");
}

int bg__side_load_store(bg_store *st, bg_git *g, bg_side *s, const char *what, const char *label,
                        const char *pref)
{
    char want[BG_GIT_OID_BUF];
    copy_str(want, sizeof want, s->commit);
    lookup lk;
    int rc = lookup_init(&lk, st, g, want);
    /* First a run on the preferred machine, at the commit or the nearest
     * ancestor that has one; then a run on any machine, nearest first. */
    size_t used = 0;
    bool found = false;
    for (int pass = (pref && pref[0]) ? 0 : 1; rc == 0 && !found && pass < 2; pass++) {
        for (size_t i = 0; i < lk.n; i++) {
            rc = lookup_try(&lk, i, pref, pass == 0, s);
            if (rc == 0) {
                found = true;
                used = i;
                break;
            }
            if (rc != BG_ENOTFOUND)
                break;
            rc = 0;
        }
    }
    if (rc) {
        lookup_free(&lk);
        return rc;
    }
    if (!found && !what) { /* the caller says it in a line of its own */
        lookup_free(&lk);
        return BG_ENOTFOUND;
    }
    if (!found) {
        no_data_message(what, s->spec, want, st);
        ancestors_note(&lk, g);
        if (lk.damaged)
            fprintf(stderr, "  (%zu stored run file%s failed to load; see above)\n", lk.damaged,
                    lk.damaged == 1 ? "" : "s");
        lookup_free(&lk);
        return BG_ENOTFOUND;
    }
    if (used > 0) {
        bool had_any = lk.listed[0] && lk.lists[0].n > 0;
        if (had_any && pref && pref[0] && !strcmp(s->run.machine_id, pref))
            fprintf(stderr,
                    "benchgate: note: %s %.12s has no run on machine %s; using nearest ancestor %.12s "
                    "(%zu commit%s back), which has one\n",
                    label, want, pref, lk.ids[used], used, used == 1 ? "" : "s");
        else
            fprintf(stderr,
                    "benchgate: note: %s %.12s has no run; using nearest ancestor %.12s (%zu commit%s "
                    "back)\n",
                    label, want, lk.ids[used], used, used == 1 ? "" : "s");
    }
    copy_str(s->commit, sizeof s->commit, lk.ids[used]);
    lookup_free(&lk);
    return 0;
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
        else if (!strcmp(kv->key, "version"))
            copy_str(fp->version, sizeof fp->version, kv->value);
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
