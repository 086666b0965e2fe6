/* The git module: the only file that calls libgit2; answers HEAD, dirty, ref, history, notes and remote questions. */
#include "bg_git.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

struct bg_git {
    git_repository *repo;
    char *main_workdir; /* bg_git_main_workdir(), made on first use */
};

const char *const bg_git_default_ignores[] = {".benchgate/", "build*/", NULL};

/* ---- errors ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Maps a libgit2 return code to a BG_E* code. */
static int map_git(int gerr)
{
    const git_error *e = git_error_last();
    if (e && e->klass == GIT_ERROR_NOMEMORY)
        return BG_ENOMEM;
    if (gerr == GIT_ENOTFOUND || gerr == GIT_EUNBORNBRANCH)
        return BG_ENOTFOUND;
    return BG_EGIT;
}

/* Writes "<what>: <libgit2's message>" into err and returns the BG_E* code
 * for gerr. Call right after the failing libgit2 call. */
static int git_fail(int gerr, char *err, size_t errlen, const char *fmt, ...)
{
    int code = map_git(gerr);
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        const git_error *e = git_error_last();
        if (n >= 0 && (size_t)n < errlen)
            snprintf(err + n, errlen - (size_t)n, ": %s", e && e->message ? e->message : "unknown libgit2 error");
    }
    return code;
}

static void oid_hex(const git_oid *oid, char out[BG_GIT_OID_BUF])
{
    git_oid_tostr(out, BG_GIT_OID_BUF, oid);
}

/* A 64-bit tag of an object: the first 8 bytes of its id (never 0). */
static uint64_t oid_tag(const git_oid *oid)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | oid->id[i];
    return v ? v : 1;
}

/* Parses a full 40-hex commit id. */
static int parse_oid(git_oid *oid, const char *hex, char *err, size_t errlen)
{
    if (!hex || strlen(hex) != BG_GIT_OID_HEX || git_oid_fromstr(oid, hex) < 0) {
        set_err(err, errlen, "'%s' is not a 40-digit commit id", hex ? hex : "(null)");
        return BG_EINVAL;
    }
    return BG_OK;
}

/* ---- open / close ---- */

int bg_git_init(void)
{
    return git_libgit2_init() < 0 ? BG_EGIT : BG_OK;
}

void bg_git_shutdown(void)
{
    git_libgit2_shutdown();
}

/* Is there a repository (a .git) at dir or above it whose owner is not
 * this user? Its work tree goes to out. */
static bool foreign_repo(const char *dir, char *out, size_t n)
{
    char path[4096];
    if (!realpath(dir, path))
        return false;
    for (;;) {
        char dotgit[4200];
        struct stat st;
        snprintf(dotgit, sizeof dotgit, "%s/.git", strcmp(path, "/") ? path : "");
        if (lstat(dotgit, &st) == 0) {
            if (st.st_uid == geteuid())
                return false;
            snprintf(out, n, "%s", path);
            return true;
        }
        char *slash = strrchr(path, '/');
        if (!slash || slash == path)
            return false;
        *slash = '\0';
    }
}

int bg_git_open(bg_git **out, const char *dir, char *err, size_t errlen)
{
    if (!out)
        return BG_EINVAL;
    *out = NULL;
    if (!dir)
        dir = ".";
    if (git_libgit2_init() < 0)
        return git_fail(-1, err, errlen, "cannot initialise libgit2");

    git_repository *repo = NULL;
    int rc = git_repository_open_ext(&repo, dir, 0, getenv("GIT_CEILING_DIRECTORIES"));
    if (rc < 0) {
        int code;
        char owned[4096];
        if (rc == GIT_EOWNER || (rc == GIT_ENOTFOUND && foreign_repo(dir, owned, sizeof owned))) {
            /* libgit2 1.5 reports a repository owned by another user as not
             * found; git itself says "dubious ownership", with this fix. */
            if (rc == GIT_EOWNER && !foreign_repo(dir, owned, sizeof owned))
                snprintf(owned, sizeof owned, "%s", dir);
            set_err(err, errlen,
                    "the git repository at %s is owned by another user (git calls this \"dubious "
                    "ownership\"); if you trust it: git config --global --add safe.directory %s",
                    owned, owned);
            code = BG_EGIT;
        } else if (rc == GIT_ENOTFOUND) {
            set_err(err, errlen, "not a git repository: %s (nor any parent directory)", dir);
            code = BG_ENOTFOUND;
        } else {
            code = git_fail(rc, err, errlen, "cannot open the git repository at %s", dir);
        }
        git_libgit2_shutdown();
        return code;
    }
    bg_git *g = calloc(1, sizeof *g);
    if (!g) {
        git_repository_free(repo);
        git_libgit2_shutdown();
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    g->repo = repo;
    *out = g;
    return BG_OK;
}

void bg_git_close(bg_git **g)
{
    if (!g || !*g)
        return;
    git_repository_free((*g)->repo);
    free((*g)->main_workdir);
    free(*g);
    *g = NULL;
    git_libgit2_shutdown();
}

const char *bg_git_workdir(const bg_git *g)
{
    return g ? git_repository_workdir(g->repo) : NULL;
}

const char *bg_git_main_workdir(bg_git *g)
{
    const char *wd = bg_git_workdir(g);
    if (!wd || !git_repository_is_worktree(g->repo))
        return wd;
    if (g->main_workdir)
        return g->main_workdir;
    /* A linked worktree's common dir is the main checkout's ".git/". */
    const char *common = git_repository_commondir(g->repo);
    size_t n = common ? strlen(common) : 0;
    while (n > 1 && common[n - 1] == '/')
        n--;
    if (n < 5 || strncmp(common + n - 5, "/.git", 5) != 0)
        return wd; /* the main repository is bare or keeps its git dir elsewhere */
    g->main_workdir = strndup(common, n - 4); /* keeps the '/' before ".git" */
    return g->main_workdir ? g->main_workdir : wd;
}

/* ---- HEAD ---- */

int bg_git_head_info(bg_git *g, bg_git_head *out, char *err, size_t errlen)
{
    if (!g || !out)
        return BG_EINVAL;
    memset(out, 0, sizeof *out);
    out->shallow = git_repository_is_shallow(g->repo) == 1;

    int unborn = git_repository_head_unborn(g->repo);
    if (unborn < 0)
        return git_fail(unborn, err, errlen, "cannot read HEAD");
    if (unborn == 1) {
        out->unborn = 1;
        git_reference *head = NULL;
        int rc = git_reference_lookup(&head, g->repo, "HEAD");
        if (rc < 0)
            return git_fail(rc, err, errlen, "cannot read HEAD");
        const char *target = git_reference_symbolic_target(head);
        if (target) {
            if (strncmp(target, "refs/heads/", 11) == 0)
                target += 11;
            snprintf(out->branch, sizeof out->branch, "%s", target);
        }
        git_reference_free(head);
        return BG_OK;
    }

    int detached = git_repository_head_detached(g->repo);
    if (detached < 0)
        return git_fail(detached, err, errlen, "cannot read HEAD");
    out->detached = detached;

    git_reference *head = NULL;
    int rc = git_repository_head(&head, g->repo);
    if (rc < 0)
        return git_fail(rc, err, errlen, "cannot resolve HEAD");
    const git_oid *oid = git_reference_target(head);
    if (!oid) {
        git_reference_free(head);
        set_err(err, errlen, "HEAD does not resolve to a commit");
        return BG_EGIT;
    }
    oid_hex(oid, out->commit);
    if (!detached)
        snprintf(out->branch, sizeof out->branch, "%s", git_reference_shorthand(head));
    git_reference_free(head);
    return BG_OK;
}

/* ---- dirty state ---- */

/* Whether a repository-relative path matches one of the patterns. */
static int path_ignored(const char *path, const char *const *pats)
{
    for (; *pats; pats++) {
        const char *pat = *pats;
        size_t plen = strlen(pat);
        if (plen == 0)
            continue;
        if (pat[plen - 1] != '/') {
            if (fnmatch(pat, path, FNM_PATHNAME) == 0)
                return 1;
            continue;
        }
        /* A directory pattern with k slashes: compare against the path's
         * first k components, slash included. */
        size_t k = 0;
        for (const char *p = pat; *p; p++)
            k += *p == '/';
        const char *end = path;
        for (size_t i = 0; i < k && end; i++) {
            end = strchr(end, '/');
            if (end && i + 1 < k)
                end++;
        }
        if (!end)
            continue;
        char prefix[4096];
        size_t n = (size_t)(end - path) + 1;
        if (n >= sizeof prefix)
            continue;
        memcpy(prefix, path, n);
        prefix[n] = '\0';
        if (fnmatch(pat, prefix, FNM_PATHNAME) == 0)
            return 1;
    }
    return 0;
}

int bg_git_dirty(bg_git *g, const char *const *ignore, int *dirty, char *first_path, size_t first_len,
                 char *err, size_t errlen)
{
    if (!g || !dirty)
        return BG_EINVAL;
    *dirty = 0;
    if (first_path && first_len)
        first_path[0] = '\0';
    if (git_repository_is_bare(g->repo))
        return BG_OK;
    if (!ignore)
        ignore = bg_git_default_ignores;

    git_status_options opts;
    git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
    opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    /* Untracked directories come back as one "dir/" entry, which is what the
     * directory patterns match; ignored files are not listed at all. */
    opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED;
    git_status_list *list = NULL;
    int rc = git_status_list_new(&list, g->repo, &opts);
    if (rc < 0)
        return git_fail(rc, err, errlen, "cannot read the status of %s", git_repository_workdir(g->repo));

    size_t n = git_status_list_entrycount(list);
    for (size_t i = 0; i < n && !*dirty; i++) {
        const git_status_entry *e = git_status_byindex(list, i);
        if (!e || e->status == GIT_STATUS_CURRENT || (e->status & GIT_STATUS_IGNORED))
            continue;
        const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
        const char *path = NULL;
        if (d)
            path = d->new_file.path ? d->new_file.path : d->old_file.path;
        if (path && path_ignored(path, ignore))
            continue;
        *dirty = 1;
        if (first_path && first_len)
            snprintf(first_path, first_len, "%s", path ? path : "?");
    }
    git_status_list_free(list);
    return BG_OK;
}

/* ---- refs and history ---- */

/* Resolves rev to a commit object (caller frees with git_commit_free). */
static int lookup_commit(bg_git *g, const char *rev, git_commit **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!rev || !*rev) {
        set_err(err, errlen, "empty revision");
        return BG_EINVAL;
    }
    git_object *obj = NULL;
    int rc = git_revparse_single(&obj, g->repo, rev);
    if (rc < 0) {
        if (rc == GIT_EAMBIGUOUS) {
            git_fail(rc, err, errlen, "ambiguous revision '%s' (give more digits)", rev);
            return BG_EINVAL;
        }
        int code = map_git(rc);
        if (code == BG_ENOTFOUND) {
            const git_error *e = git_error_last();
            char msg[512];
            snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "not found");
            if (git_repository_head_unborn(g->repo) == 1)
                set_err(err, errlen, "unknown revision '%s': the repository has no commits yet", rev);
            else if (git_repository_is_shallow(g->repo) == 1)
                set_err(err, errlen,
                        "unknown revision '%s': %s (this is a shallow clone; history beyond its boundary is "
                        "missing, fetch more with `git fetch --deepen`)",
                        rev, msg);
            else
                set_err(err, errlen, "unknown revision '%s': %s", rev, msg);
            return BG_ENOTFOUND;
        }
        return git_fail(rc, err, errlen, "cannot resolve revision '%s'", rev);
    }
    git_object *peeled = NULL;
    rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
    git_object_free(obj);
    if (rc < 0) {
        git_fail(rc, err, errlen, "revision '%s' does not name a commit", rev);
        return BG_EINVAL;
    }
    *out = (git_commit *)peeled;
    return BG_OK;
}

int bg_git_resolve(bg_git *g, const char *rev, char out[BG_GIT_OID_BUF], char *err, size_t errlen)
{
    if (!g || !out)
        return BG_EINVAL;
    git_commit *c = NULL;
    int rc = lookup_commit(g, rev, &c, err, errlen);
    if (rc < 0)
        return rc;
    oid_hex(git_commit_id(c), out);
    git_commit_free(c);
    return BG_OK;
}

int bg_git_merge_base(bg_git *g, const char *a, const char *b, char out[BG_GIT_OID_BUF], char *err,
                      size_t errlen)
{
    if (!g || !out)
        return BG_EINVAL;
    git_commit *ca = NULL, *cb = NULL;
    int rc = lookup_commit(g, a, &ca, err, errlen);
    if (rc == 0)
        rc = lookup_commit(g, b, &cb, err, errlen);
    if (rc == 0) {
        git_oid base;
        int grc = git_merge_base(&base, g->repo, git_commit_id(ca), git_commit_id(cb));
        if (grc == GIT_ENOTFOUND) {
            set_err(err, errlen, "'%s' and '%s' have no common ancestor", a, b);
            rc = BG_ENOTFOUND;
        } else if (grc < 0) {
            rc = git_fail(grc, err, errlen, "cannot find the merge base of '%s' and '%s'", a, b);
        } else {
            oid_hex(&base, out);
        }
    }
    git_commit_free(ca);
    git_commit_free(cb);
    return rc;
}

void bg_git_log_free(bg_git_commit_msg *msgs, size_t n)
{
    if (!msgs)
        return;
    for (size_t i = 0; i < n; i++)
        free(msgs[i].message);
    free(msgs);
}

/* A growing array of commit messages. */
typedef struct msg_vec {
    bg_git_commit_msg *v;
    size_t n, cap;
} msg_vec;

static int msg_push(msg_vec *mv, const git_commit *c)
{
    if (mv->n == mv->cap) {
        size_t cap = mv->cap ? mv->cap * 2 : 16;
        bg_git_commit_msg *v = realloc(mv->v, cap * sizeof *v);
        if (!v)
            return BG_ENOMEM;
        mv->v = v;
        mv->cap = cap;
    }
    const char *m = git_commit_message(c);
    char *copy = strdup(m ? m : "");
    if (!copy)
        return BG_ENOMEM;
    oid_hex(git_commit_id(c), mv->v[mv->n].id);
    mv->v[mv->n].message = copy;
    const git_signature *a = git_commit_author(c);
    snprintf(mv->v[mv->n].author, sizeof mv->v[mv->n].author, "%s", a && a->name ? a->name : "");
    mv->v[mv->n].time = (int64_t)git_commit_time(c);
    mv->n++;
    return BG_OK;
}

/* First-parent walk from head down to base (exclusive), ending quietly at a
 * missing parent: the fallback for shallow clones, whose boundary commits
 * name parents that are not there. */
static int log_first_parent(bg_git *g, git_commit *head, const git_oid *base, msg_vec *mv, char *err,
                            size_t errlen)
{
    git_commit *c = NULL;
    int rc = git_commit_dup(&c, head);
    if (rc < 0)
        return git_fail(rc, err, errlen, "cannot walk history");
    while (c) {
        if (base && git_oid_equal(git_commit_id(c), base))
            break;
        if ((rc = msg_push(mv, c)) < 0) {
            set_err(err, errlen, "out of memory");
            break;
        }
        git_commit *p = NULL;
        if (git_commit_parentcount(c) == 0 || git_commit_parent(&p, c, 0) < 0)
            p = NULL;
        git_commit_free(c);
        c = p;
    }
    git_commit_free(c);
    return rc < 0 ? rc : BG_OK;
}

int bg_git_log(bg_git *g, const char *base, const char *head, int first_parent, bg_git_commit_msg **out,
               size_t *n, char *err, size_t errlen)
{
    if (!g || !head || !out || !n)
        return BG_EINVAL;
    *out = NULL;
    *n = 0;
    git_commit *hc = NULL, *bc = NULL;
    git_revwalk *walk = NULL;
    msg_vec mv = {0};
    int rc = lookup_commit(g, head, &hc, err, errlen);
    if (rc == 0 && base)
        rc = lookup_commit(g, base, &bc, err, errlen);
    if (rc < 0)
        goto done;

    int grc = git_revwalk_new(&walk, g->repo);
    if (grc == 0)
        grc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL);
    if (grc == 0 && first_parent)
        grc = git_revwalk_simplify_first_parent(walk);
    if (grc == 0)
        grc = git_revwalk_push(walk, git_commit_id(hc));
    if (grc == 0 && bc)
        grc = git_revwalk_hide(walk, git_commit_id(bc));
    git_oid oid;
    while (grc == 0 && (grc = git_revwalk_next(&oid, walk)) == 0) {
        git_commit *c = NULL;
        if ((grc = git_commit_lookup(&c, g->repo, &oid)) < 0)
            break;
        rc = msg_push(&mv, c);
        git_commit_free(c);
        if (rc < 0) {
            set_err(err, errlen, "out of memory");
            goto done;
        }
    }
    if (grc == GIT_ITEROVER)
        grc = 0;
    if (grc < 0) {
        if (git_repository_is_shallow(g->repo) == 1) {
            /* libgit2 1.5 cannot walk past a shallow boundary: follow first
             * parents by hand and stop where history ends. */
            for (size_t i = 0; i < mv.n; i++)
                free(mv.v[i].message);
            mv.n = 0;
            rc = log_first_parent(g, hc, bc ? git_commit_id(bc) : NULL, &mv, err, errlen);
        } else {
            rc = git_fail(grc, err, errlen, "cannot walk history %s..%s", base ? base : "", head);
        }
    }
done:
    git_revwalk_free(walk);
    git_commit_free(hc);
    git_commit_free(bc);
    if (rc < 0) {
        bg_git_log_free(mv.v, mv.n);
        return rc;
    }
    *out = mv.v;
    *n = mv.n;
    return BG_OK;
}

int bg_git_ancestors(bg_git *g, const char *rev, size_t max, char (**ids)[BG_GIT_OID_BUF], size_t *n,
                     char *err, size_t errlen)
{
    if (!g || !ids || !n)
        return BG_EINVAL;
    *ids = NULL;
    *n = 0;
    if (max == 0)
        return BG_OK;
    git_commit *c = NULL;
    int rc = lookup_commit(g, rev, &c, err, errlen);
    if (rc < 0)
        return rc;
    char (*v)[BG_GIT_OID_BUF] = NULL;
    size_t count = 0, cap = 0;
    while (c && count < max) {
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            if (ncap > max)
                ncap = max;
            void *nv = realloc(v, ncap * sizeof *v);
            if (!nv) {
                rc = BG_ENOMEM;
                set_err(err, errlen, "out of memory");
                break;
            }
            v = nv;
            cap = ncap;
        }
        oid_hex(git_commit_id(c), v[count++]);
        git_commit *p = NULL;
        if (count < max && git_commit_parentcount(c) > 0) {
            int grc = git_commit_parent(&p, c, 0);
            /* A missing parent is the boundary of a shallow clone: stop there. */
            if (grc < 0 && grc != GIT_ENOTFOUND)
                rc = git_fail(grc, err, errlen, "cannot read the parent of %s", v[count - 1]);
            if (grc < 0)
                p = NULL;
        }
        git_commit_free(c);
        c = p;
        if (rc < 0)
            break;
    }
    git_commit_free(c);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *ids = v;
    *n = count;
    return BG_OK;
}

/* ---- notes ---- */

/* The signature for notes commits: the user's, else benchgate's own. */
static int make_signature(bg_git *g, git_signature **sig, char *err, size_t errlen)
{
    if (git_signature_default(sig, g->repo) == 0)
        return BG_OK;
    int rc = git_signature_now(sig, "benchgate", "benchgate@localhost");
    return rc < 0 ? git_fail(rc, err, errlen, "cannot make a signature for the notes commit") : BG_OK;
}

int bg_git_note_read(bg_git *g, const char *notes_ref, const char *commit, char **text, char *err,
                     size_t errlen)
{
    if (!g || !notes_ref || !text)
        return BG_EINVAL;
    *text = NULL;
    git_oid oid;
    int rc = parse_oid(&oid, commit, err, errlen);
    if (rc < 0)
        return rc;
    git_note *note = NULL;
    int grc = git_note_read(&note, g->repo, notes_ref, &oid);
    if (grc == GIT_ENOTFOUND) {
        set_err(err, errlen, "no note on %s in %s", commit, notes_ref);
        return BG_ENOTFOUND;
    }
    if (grc < 0)
        return git_fail(grc, err, errlen, "cannot read the note on %s in %s", commit, notes_ref);
    const char *m = git_note_message(note);
    *text = strdup(m ? m : "");
    git_note_free(note);
    if (!*text) {
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    return BG_OK;
}

int bg_git_note_write(bg_git *g, const char *notes_ref, const char *commit, const char *text, char *err,
                      size_t errlen)
{
    if (!g || !notes_ref || !text)
        return BG_EINVAL;
    git_oid oid, note_oid;
    int rc = parse_oid(&oid, commit, err, errlen);
    if (rc < 0)
        return rc;
    git_signature *sig = NULL;
    if ((rc = make_signature(g, &sig, err, errlen)) < 0)
        return rc;
    int grc = git_note_create(&note_oid, g->repo, notes_ref, sig, sig, &oid, text, 1);
    git_signature_free(sig);
    if (grc < 0)
        return git_fail(grc, err, errlen, "cannot write the note on %s in %s", commit, notes_ref);
    return BG_OK;
}

/* ---- a batch of notes: one tree edited in memory, one commit ---- */

struct bg_git_notes_batch {
    bg_git *g;
    char ref[256];
    git_commit *parent;   /* the ref's tip at begin; NULL when the ref is new */
    git_treebuilder *tb;  /* NULL: a fan-out tree, edited note by note */
    size_t puts;
};

int bg_git_notes_batch_begin(bg_git *g, const char *notes_ref, bg_git_notes_batch **out, char *err,
                             size_t errlen)
{
    if (!g || !notes_ref || !out || strlen(notes_ref) >= sizeof((bg_git_notes_batch *)0)->ref)
        return BG_EINVAL;
    *out = NULL;
    bg_git_notes_batch *b = calloc(1, sizeof *b);
    if (!b) {
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    b->g = g;
    snprintf(b->ref, sizeof b->ref, "%s", notes_ref);
    git_oid tip;
    git_tree *tree = NULL;
    int grc = git_reference_name_to_id(&tip, g->repo, notes_ref);
    if (grc == 0)
        grc = git_commit_lookup(&b->parent, g->repo, &tip);
    if (grc == 0)
        grc = git_commit_tree(&tree, b->parent);
    if (grc == GIT_ENOTFOUND && !b->parent)
        grc = 0; /* no notes yet */
    bool fanout = false;
    for (size_t i = 0; grc == 0 && tree && i < git_tree_entrycount(tree); i++)
        fanout = fanout || git_tree_entry_type(git_tree_entry_byindex(tree, i)) == GIT_OBJECT_TREE;
    if (grc == 0 && !fanout)
        grc = git_treebuilder_new(&b->tb, g->repo, tree);
    git_tree_free(tree);
    if (grc < 0) {
        int rc = git_fail(grc, err, errlen, "cannot read the notes of %s", notes_ref);
        bg_git_notes_batch_end(&b, false, NULL, 0);
        return rc;
    }
    *out = b;
    return BG_OK;
}

int bg_git_notes_batch_read(bg_git_notes_batch *b, const char *commit, char **text, char *err, size_t errlen)
{
    if (!b || !text)
        return BG_EINVAL;
    if (!b->tb)
        return bg_git_note_read(b->g, b->ref, commit, text, err, errlen);
    *text = NULL;
    git_oid oid;
    char hex[BG_GIT_OID_BUF];
    int rc = parse_oid(&oid, commit, err, errlen);
    if (rc < 0)
        return rc;
    oid_hex(&oid, hex);
    const git_tree_entry *e = git_treebuilder_get(b->tb, hex);
    if (!e) {
        set_err(err, errlen, "no note on %s in %s", commit, b->ref);
        return BG_ENOTFOUND;
    }
    git_blob *blob = NULL;
    int grc = git_blob_lookup(&blob, b->g->repo, git_tree_entry_id(e));
    if (grc < 0)
        return git_fail(grc, err, errlen, "cannot read the note on %s in %s", commit, b->ref);
    size_t len = (size_t)git_blob_rawsize(blob);
    *text = malloc(len + 1);
    if (*text) {
        memcpy(*text, git_blob_rawcontent(blob), len);
        (*text)[len] = '\0';
    }
    git_blob_free(blob);
    if (!*text) {
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    return BG_OK;
}

uint64_t bg_git_blob_tag(const char *text, size_t len)
{
    git_oid oid;
    if (git_odb_hash(&oid, text, len, GIT_OBJECT_BLOB) < 0)
        return 1; /* matches no note's tag but 1 in 2^64: the note is read again */
    return oid_tag(&oid);
}

int bg_git_notes_batch_tag(bg_git_notes_batch *b, const char *commit, uint64_t *tag, char *err, size_t errlen)
{
    if (!b || !tag)
        return BG_EINVAL;
    git_oid oid;
    char hex[BG_GIT_OID_BUF];
    int rc = parse_oid(&oid, commit, err, errlen);
    if (rc < 0)
        return rc;
    if (!b->tb) { /* a fan-out tree: libgit2 finds the note */
        git_note *note = NULL;
        int grc = git_note_read(&note, b->g->repo, b->ref, &oid);
        if (grc == GIT_ENOTFOUND) {
            set_err(err, errlen, "no note on %s in %s", commit, b->ref);
            return BG_ENOTFOUND;
        }
        if (grc < 0)
            return git_fail(grc, err, errlen, "cannot read the note on %s in %s", commit, b->ref);
        *tag = oid_tag(git_note_id(note));
        git_note_free(note);
        return BG_OK;
    }
    oid_hex(&oid, hex);
    const git_tree_entry *e = git_treebuilder_get(b->tb, hex);
    if (!e) {
        set_err(err, errlen, "no note on %s in %s", commit, b->ref);
        return BG_ENOTFOUND;
    }
    *tag = oid_tag(git_tree_entry_id(e));
    return BG_OK;
}

int bg_git_notes_batch_put(bg_git_notes_batch *b, const char *commit, const char *text, char *err,
                           size_t errlen)
{
    if (!b || !text)
        return BG_EINVAL;
    if (!b->tb)
        return bg_git_note_write(b->g, b->ref, commit, text, err, errlen);
    git_oid oid, blob;
    char hex[BG_GIT_OID_BUF];
    int rc = parse_oid(&oid, commit, err, errlen);
    if (rc < 0)
        return rc;
    oid_hex(&oid, hex);
    int grc = git_blob_create_from_buffer(&blob, b->g->repo, text, strlen(text));
    if (grc == 0)
        grc = git_treebuilder_insert(NULL, b->tb, hex, &blob, GIT_FILEMODE_BLOB);
    if (grc < 0)
        return git_fail(grc, err, errlen, "cannot write the note on %s in %s", commit, b->ref);
    b->puts++;
    return BG_OK;
}

int bg_git_notes_batch_end(bg_git_notes_batch **bp, bool commit, char *err, size_t errlen)
{
    if (!bp || !*bp)
        return BG_OK;
    bg_git_notes_batch *b = *bp;
    *bp = NULL;
    int rc = BG_OK;
    if (commit && b->tb && b->puts) {
        git_oid tree_id, commit_id;
        git_tree *tree = NULL;
        git_signature *sig = NULL;
        int grc = git_treebuilder_write(&tree_id, b->tb);
        if (grc == 0)
            grc = git_tree_lookup(&tree, b->g->repo, &tree_id);
        if (grc < 0) {
            rc = git_fail(grc, err, errlen, "cannot write the notes tree of %s", b->ref);
        } else if ((rc = make_signature(b->g, &sig, err, errlen)) == BG_OK) {
            char msg[96];
            snprintf(msg, sizeof msg, "benchgate: notes of %zu commit%s\n", b->puts, b->puts == 1 ? "" : "s");
            const git_commit *parents[1] = {b->parent};
            grc = git_commit_create(&commit_id, b->g->repo, b->ref, sig, sig, NULL, msg, tree, b->parent ? 1 : 0,
                                    parents);
            if (grc < 0)
                rc = git_fail(grc, err, errlen, "cannot commit the notes of %s", b->ref);
        }
        git_signature_free(sig);
        git_tree_free(tree);
    }
    git_treebuilder_free(b->tb);
    git_commit_free(b->parent);
    free(b);
    return rc;
}

typedef struct foreach_ctx {
    git_repository *repo;
    bg_git_note_want_fn want; /* may be NULL */
    bg_git_note_fn fn;
    void *ud;
    int user_rc;  /* non-zero value returned by fn */
    int git_rc;   /* libgit2 failure inside the callback */
    int bg_rc;    /* BG_E* failure inside the callback */
} foreach_ctx;

static int foreach_cb(const git_oid *blob_id, const git_oid *annotated, void *payload)
{
    foreach_ctx *fc = payload;
    char hex[BG_GIT_OID_BUF];
    oid_hex(annotated, hex);
    if (fc->want && !fc->want(hex, oid_tag(blob_id), fc->ud))
        return 0;
    git_blob *blob = NULL;
    int grc = git_blob_lookup(&blob, fc->repo, blob_id);
    if (grc < 0) {
        fc->git_rc = grc;
        return -1;
    }
    size_t len = (size_t)git_blob_rawsize(blob);
    char *text = malloc(len + 1);
    if (!text) {
        git_blob_free(blob);
        fc->bg_rc = BG_ENOMEM;
        return -1;
    }
    memcpy(text, git_blob_rawcontent(blob), len);
    text[len] = '\0';
    git_blob_free(blob);
    int r = fc->fn(hex, text, len, fc->ud);
    free(text);
    if (r != 0) {
        fc->user_rc = r;
        return -1;
    }
    return 0;
}

int bg_git_notes_foreach(bg_git *g, const char *notes_ref, bg_git_note_fn fn, void *ud, char *err,
                         size_t errlen)
{
    return bg_git_notes_foreach_want(g, notes_ref, NULL, fn, ud, err, errlen);
}

int bg_git_notes_foreach_want(bg_git *g, const char *notes_ref, bg_git_note_want_fn want, bg_git_note_fn fn,
                              void *ud, char *err, size_t errlen)
{
    if (!g || !notes_ref || !fn)
        return BG_EINVAL;
    foreach_ctx fc = {g->repo, want, fn, ud, 0, 0, 0};
    int grc = git_note_foreach(g->repo, notes_ref, foreach_cb, &fc);
    if (fc.user_rc)
        return fc.user_rc;
    if (fc.bg_rc) {
        set_err(err, errlen, "out of memory reading notes in %s", notes_ref);
        return fc.bg_rc;
    }
    if (fc.git_rc)
        return git_fail(fc.git_rc, err, errlen, "cannot read a note in %s", notes_ref);
    if (grc == GIT_ENOTFOUND)
        return BG_OK; /* no notes ref yet: no notes */
    if (grc < 0)
        return git_fail(grc, err, errlen, "cannot list the notes in %s", notes_ref);
    return BG_OK;
}

typedef struct merge_ctx {
    bg_git_notes_batch *b; /* ours, edited in memory */
    const char *notes_ref;
    bg_git_note_merge_fn fn;
    void *ud;
    char *err;
    size_t errlen;
} merge_ctx;

/* Folds one of their notes into ours. */
static int merge_one(const char *commit, const char *theirs, size_t len, void *ud)
{
    merge_ctx *mc = ud;
    char *ours = NULL;
    int rc = bg_git_notes_batch_read(mc->b, commit, &ours, mc->err, mc->errlen);
    if (rc == BG_ENOTFOUND)
        return bg_git_notes_batch_put(mc->b, commit, theirs, mc->err, mc->errlen);
    if (rc < 0)
        return rc;
    if (strcmp(ours, theirs) == 0) {
        free(ours);
        return BG_OK;
    }
    char *merged = NULL;
    rc = mc->fn(commit, ours, theirs, &merged, mc->ud);
    free(ours);
    if (rc < 0) {
        free(merged);
        set_err(mc->err, mc->errlen, "cannot merge the notes on %s in %s: %s", commit, mc->notes_ref,
                bg_strerror(rc));
        return rc;
    }
    if (merged)
        rc = bg_git_notes_batch_put(mc->b, commit, merged, mc->err, mc->errlen);
    free(merged);
    return rc;
}

int bg_git_notes_merge(bg_git *g, const char *notes_ref, const char *theirs_ref, bg_git_note_merge_fn fn,
                       void *ud, char *err, size_t errlen)
{
    if (!g || !notes_ref || !theirs_ref || !fn)
        return BG_EINVAL;
    git_oid theirs, ours;
    int grc = git_reference_name_to_id(&theirs, g->repo, theirs_ref);
    if (grc < 0)
        return git_fail(grc, err, errlen, "cannot read %s", theirs_ref);
    grc = git_reference_name_to_id(&ours, g->repo, notes_ref);
    if (grc == GIT_ENOTFOUND) {
        git_reference *r = NULL;
        grc = git_reference_create(&r, g->repo, notes_ref, &theirs, 0, "benchgate: notes from remote");
        git_reference_free(r);
        return grc < 0 ? git_fail(grc, err, errlen, "cannot create %s", notes_ref) : BG_OK;
    }
    if (grc < 0)
        return git_fail(grc, err, errlen, "cannot read %s", notes_ref);
    if (git_oid_equal(&ours, &theirs) || git_graph_descendant_of(g->repo, &ours, &theirs) == 1)
        return BG_OK; /* we already have all of theirs */
    if (git_graph_descendant_of(g->repo, &theirs, &ours) == 1) {
        git_reference *r = NULL;
        grc = git_reference_create_matching(&r, g->repo, notes_ref, &theirs, 1, &ours,
                                            "benchgate: fast-forward notes");
        git_reference_free(r);
        return grc < 0 ? git_fail(grc, err, errlen, "cannot update %s", notes_ref) : BG_OK;
    }

    /* Diverged: fold each of their notes into ours, then record the merge so
     * their history is part of ours. */
    merge_ctx mc = {NULL, notes_ref, fn, ud, err, errlen};
    int rc = bg_git_notes_batch_begin(g, notes_ref, &mc.b, err, errlen);
    if (rc == BG_OK)
        rc = bg_git_notes_foreach(g, theirs_ref, merge_one, &mc, err, errlen);
    int erc = bg_git_notes_batch_end(&mc.b, rc == BG_OK, err, errlen);
    if (rc == BG_OK)
        rc = erc;
    if (rc < 0)
        return rc;

    git_oid tip, merge_oid;
    git_commit *tipc = NULL, *theirc = NULL;
    git_tree *tree = NULL;
    git_signature *sig = NULL;
    grc = git_reference_name_to_id(&tip, g->repo, notes_ref);
    if (grc == 0)
        grc = git_commit_lookup(&tipc, g->repo, &tip);
    if (grc == 0)
        grc = git_commit_lookup(&theirc, g->repo, &theirs);
    if (grc == 0)
        grc = git_commit_tree(&tree, tipc);
    if (grc < 0) {
        rc = git_fail(grc, err, errlen, "cannot prepare the merge of %s into %s", theirs_ref, notes_ref);
    } else if ((rc = make_signature(g, &sig, err, errlen)) == 0) {
        const git_commit *parents[2] = {tipc, theirc};
        grc = git_commit_create(&merge_oid, g->repo, notes_ref, sig, sig, NULL, "benchgate: merge notes", tree,
                                2, parents);
        if (grc < 0)
            rc = git_fail(grc, err, errlen, "cannot commit the merge of %s into %s", theirs_ref, notes_ref);
    }
    git_signature_free(sig);
    git_tree_free(tree);
    git_commit_free(tipc);
    git_commit_free(theirc);
    return rc;
}

int bg_git_ref_delete(bg_git *g, const char *ref, char *err, size_t errlen)
{
    if (!g || !ref)
        return BG_EINVAL;
    git_reference *r = NULL;
    int grc = git_reference_lookup(&r, g->repo, ref);
    if (grc == GIT_ENOTFOUND)
        return BG_OK;
    if (grc == 0)
        grc = git_reference_delete(r);
    git_reference_free(r);
    return grc < 0 ? git_fail(grc, err, errlen, "cannot delete %s", ref) : BG_OK;
}

/* ---- remotes ---- */

typedef struct remote_ctx {
    int cred_tries;
    int rejected;
    char reject_msg[256];
} remote_ctx;

/* Offers the ssh agent once; anything else is left to the transport (which
 * then reports that authentication is required). */
static int cred_cb(git_credential **out, const char *url, const char *user, unsigned int allowed, void *payload)
{
    remote_ctx *rc = payload;
    if (rc->cred_tries++ > 0)
        return GIT_PASSTHROUGH;
    if (allowed & GIT_CREDENTIAL_SSH_KEY)
        return git_credential_ssh_key_from_agent(out, user ? user : "git");
    return GIT_PASSTHROUGH;
}

static int push_status_cb(const char *refname, const char *status, void *payload)
{
    remote_ctx *rc = payload;
    if (status) {
        rc->rejected = 1;
        snprintf(rc->reject_msg, sizeof rc->reject_msg, "%s: %s", refname, status);
    }
    return 0;
}

/* Looks up a configured remote, or makes an anonymous one for a path/URL. */
static int open_remote(bg_git *g, const char *name, git_remote **out, char *err, size_t errlen)
{
    *out = NULL;
    int grc = git_remote_lookup(out, g->repo, name);
    if (grc == 0)
        return BG_OK;
    if (grc != GIT_ENOTFOUND && grc != GIT_EINVALIDSPEC)
        return git_fail(grc, err, errlen, "cannot read remote '%s'", name);
    if (!strchr(name, '/') && !strchr(name, ':') && access(name, F_OK) != 0) {
        set_err(err, errlen, "no remote named '%s' (give a configured remote, a path or a URL)", name);
        return BG_EINVAL;
    }
    grc = git_remote_create_anonymous(out, g->repo, name);
    return grc < 0 ? git_fail(grc, err, errlen, "cannot use '%s' as a remote", name) : BG_OK;
}

int bg_git_fetch_ref(bg_git *g, const char *remote, const char *src_ref, const char *dst_ref, char *err,
                     size_t errlen)
{
    if (!g || !src_ref || !dst_ref)
        return BG_EINVAL;
    if (!remote)
        remote = "origin";
    git_remote *r = NULL;
    int rc = open_remote(g, remote, &r, err, errlen);
    if (rc < 0)
        return rc;

    size_t speclen = strlen(src_ref) + strlen(dst_ref) + 3;
    char *spec = malloc(speclen);
    if (!spec) {
        git_remote_free(r);
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    snprintf(spec, speclen, "+%s:%s", src_ref, dst_ref);
    char *specs[1] = {spec};
    git_strarray arr = {specs, 1};
    remote_ctx ctx = {0};
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    fo.callbacks.credentials = cred_cb;
    fo.callbacks.payload = &ctx;
    fo.update_fetchhead = 0;
    fo.prune = GIT_FETCH_NO_PRUNE;
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    int grc = git_remote_fetch(r, &arr, &fo, "benchgate: fetch");
    if (grc < 0) {
        rc = git_fail(grc, err, errlen, "cannot fetch %s from '%s'", src_ref, remote);
    } else {
        /* The advertised refs stay readable after the fetch disconnects. */
        const git_remote_head **heads = NULL;
        size_t nheads = 0;
        rc = BG_ENOTFOUND;
        if (git_remote_ls(&heads, &nheads, r) == 0) {
            for (size_t i = 0; i < nheads; i++)
                if (strcmp(heads[i]->name, src_ref) == 0)
                    rc = BG_OK;
        }
        if (rc == BG_ENOTFOUND)
            set_err(err, errlen, "remote '%s' has no %s", remote, src_ref);
    }
    free(spec);
    git_remote_free(r);
    return rc;
}

int bg_git_push_ref(bg_git *g, const char *remote, const char *src_ref, const char *dst_ref, int *nonff,
                    char *err, size_t errlen)
{
    if (nonff)
        *nonff = 0;
    if (!g || !src_ref || !dst_ref)
        return BG_EINVAL;
    if (!remote)
        remote = "origin";
    git_remote *r = NULL;
    int rc = open_remote(g, remote, &r, err, errlen);
    if (rc < 0)
        return rc;
    size_t speclen = strlen(src_ref) + strlen(dst_ref) + 2;
    char *spec = malloc(speclen);
    if (!spec) {
        git_remote_free(r);
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    snprintf(spec, speclen, "%s:%s", src_ref, dst_ref);
    char *specs[1] = {spec};
    git_strarray arr = {specs, 1};
    remote_ctx ctx = {0};
    git_push_options po;
    git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
    po.pb_parallelism = 0; /* the pack of a push is built on every core (libgit2 counts them) */
    po.callbacks.credentials = cred_cb;
    po.callbacks.push_update_reference = push_status_cb;
    po.callbacks.payload = &ctx;
    int grc = git_remote_push(r, &arr, &po);
    if (grc == GIT_ENONFASTFORWARD) {
        if (nonff)
            *nonff = 1;
        rc = git_fail(grc, err, errlen, "remote '%s' refused %s (not a fast-forward; fetch and merge first)",
                      remote, dst_ref);
        rc = BG_EGIT;
    } else if (grc < 0) {
        rc = git_fail(grc, err, errlen, "cannot push %s to '%s'", src_ref, remote);
    } else if (ctx.rejected) {
        if (nonff && (strstr(ctx.reject_msg, "fast-forward") || strstr(ctx.reject_msg, "fetch first")))
            *nonff = 1;
        set_err(err, errlen, "remote '%s' refused the push: %s", remote, ctx.reject_msg);
        rc = BG_EGIT;
    }
    free(spec);
    git_remote_free(r);
    return rc;
}

/* ---- one call for the run record ---- */

/* The directory `dir` as a directory pattern ("sub/store/") relative to the
 * working tree root `workdir`, glob characters escaped. 0 and the pattern in
 * out when dir lies inside the working tree (and is not its root), else
 * BG_ENOTFOUND. Symbolic links are resolved where the paths exist. */
static int dir_pattern(const char *workdir, const char *dir, char *out, size_t n)
{
    char wd[4096], d[4096];
    if (!realpath(workdir, wd))
        snprintf(wd, sizeof wd, "%s", workdir);
    if (!realpath(dir, d))
        snprintf(d, sizeof d, "%s", dir);
    size_t wl = strlen(wd);
    while (wl > 1 && wd[wl - 1] == '/')
        wd[--wl] = '\0';
    if (strncmp(d, wd, wl) != 0 || d[wl] != '/' || d[wl + 1] == '\0')
        return BG_ENOTFOUND;
    size_t k = 0;
    for (const char *p = d + wl + 1; *p; p++) {
        if (k + 3 >= n)
            return BG_ENOTFOUND;
        if (strchr("*?[]\\", *p))
            out[k++] = '\\';
        out[k++] = *p;
    }
    while (k > 0 && out[k - 1] == '/')
        k--;
    out[k++] = '/';
    out[k] = '\0';
    return BG_OK;
}

int bg_git_describe(const char *dir, const char *store_dir, bg_git_info *out, char *err, size_t errlen)
{
    if (!out)
        return BG_EINVAL;
    memset(out, 0, sizeof *out);
    bg_git *g = NULL;
    int rc = bg_git_open(&g, dir, err, errlen);
    if (rc < 0)
        return rc;
    rc = bg_git_head_info(g, &out->head, err, errlen);
    /* The default ignores, plus the store wherever it lies in the tree. */
    char store_pat[4096];
    const char *ignore[8];
    size_t ni = 0;
    for (const char *const *p = bg_git_default_ignores; *p && ni < 6; p++)
        ignore[ni++] = *p;
    if (store_dir && bg_git_workdir(g) &&
        dir_pattern(bg_git_workdir(g), store_dir, store_pat, sizeof store_pat) == BG_OK)
        ignore[ni++] = store_pat;
    ignore[ni] = NULL;
    if (rc == 0)
        rc = bg_git_dirty(g, ignore, &out->dirty, out->dirty_path, sizeof out->dirty_path, err, errlen);
    const char *wd = bg_git_workdir(g);
    snprintf(out->root, sizeof out->root, "%s", wd ? wd : "");
    bg_git_close(&g);
    return rc;
}

/* ---- temporary worktrees (benchgate ab) ---- */

/* Unlocks and prunes a worktree object, working directory included. */
static int prune_worktree(git_worktree *wt)
{
    git_worktree_unlock(wt);
    git_worktree_prune_options po;
    git_worktree_prune_options_init(&po, GIT_WORKTREE_PRUNE_OPTIONS_VERSION);
    po.flags = GIT_WORKTREE_PRUNE_VALID | GIT_WORKTREE_PRUNE_LOCKED | GIT_WORKTREE_PRUNE_WORKING_TREE;
    return git_worktree_prune(wt, &po);
}

/* Detaches the new worktree's HEAD at its commit, so that the temporary
 * branch it was created on can be deleted. */
static int detach_worktree_head(git_worktree *wt, char *err, size_t errlen)
{
    git_repository *wrepo = NULL;
    int rc = git_repository_open_from_worktree(&wrepo, wt);
    if (rc == 0)
        rc = git_repository_detach_head(wrepo);
    if (rc < 0)
        git_fail(rc, err, errlen, "cannot detach HEAD in worktree %s", git_worktree_path(wt));
    git_repository_free(wrepo);
    return rc;
}

int bg_git_worktree_add(bg_git *g, const char *name, const char *path, const char *commit,
                        const char *lock_reason, char *err, size_t errlen)
{
    if (!g || !name || !*name || !path || !commit)
        return BG_EINVAL;
    git_oid oid;
    int rc = parse_oid(&oid, commit, err, errlen);
    if (rc < 0)
        return rc;
    git_commit *c = NULL;
    if ((rc = git_commit_lookup(&c, g->repo, &oid)) < 0)
        return git_fail(rc, err, errlen, "commit %s is not in the repository", commit);

    /* libgit2 1.5 checks a worktree out only on a branch: make a temporary
     * one, detach the worktree's HEAD, delete the branch. */
    char branch[512];
    snprintf(branch, sizeof branch, "benchgate-tmp/%s", name);
    git_reference *ref = NULL;
    git_worktree *wt = NULL;
    int code = BG_OK;
    rc = git_branch_create(&ref, g->repo, branch, c, 1);
    git_commit_free(c);
    if (rc < 0)
        return git_fail(rc, err, errlen, "cannot create the temporary branch %s", branch);

    git_worktree_add_options wo;
    git_worktree_add_options_init(&wo, GIT_WORKTREE_ADD_OPTIONS_VERSION);
    wo.ref = ref;
    wo.checkout_options.checkout_strategy = GIT_CHECKOUT_FORCE;
    rc = git_worktree_add(&wt, g->repo, name, path, &wo);
    if (rc < 0) {
        code = git_fail(rc, err, errlen, "cannot create the worktree %s at %s", name, path);
    } else if ((rc = git_worktree_lock(wt, lock_reason ? lock_reason : "benchgate")) < 0) {
        code = git_fail(rc, err, errlen, "cannot lock the worktree %s", name);
    } else if ((rc = detach_worktree_head(wt, err, errlen)) < 0) {
        code = map_git(rc);
    }
    if (code != BG_OK && wt)
        prune_worktree(wt);
    if ((rc = git_branch_delete(ref)) < 0 && code == BG_OK) {
        code = git_fail(rc, err, errlen, "cannot delete the temporary branch %s", branch);
        prune_worktree(wt);
    }
    git_reference_free(ref);
    git_worktree_free(wt);
    return code;
}

int bg_git_worktree_remove(bg_git *g, const char *name, char *err, size_t errlen)
{
    if (!g || !name)
        return BG_EINVAL;
    git_worktree *wt = NULL;
    int rc = git_worktree_lookup(&wt, g->repo, name);
    if (rc < 0)
        return git_fail(rc, err, errlen, "no worktree named %s", name);
    rc = prune_worktree(wt);
    int code = rc < 0 ? git_fail(rc, err, errlen, "cannot remove the worktree %s", name) : BG_OK;
    git_worktree_free(wt);
    return code;
}

int bg_git_worktree_foreach(bg_git *g, bg_git_worktree_fn fn, void *ud, char *err, size_t errlen)
{
    if (!g || !fn)
        return BG_EINVAL;
    git_strarray names = {0};
    int rc = git_worktree_list(&names, g->repo);
    if (rc < 0)
        return git_fail(rc, err, errlen, "cannot list the worktrees of %s", git_repository_path(g->repo));
    int ret = 0;
    for (size_t i = 0; i < names.count && ret == 0; i++) {
        git_worktree *wt = NULL;
        if (git_worktree_lookup(&wt, g->repo, names.strings[i]) < 0)
            continue;
        git_buf reason = {0};
        int locked = git_worktree_is_locked(&reason, wt);
        ret = fn(names.strings[i], git_worktree_path(wt),
                 locked > 0 && reason.ptr ? reason.ptr : "", ud);
        git_buf_dispose(&reason);
        git_worktree_free(wt);
    }
    git_strarray_dispose(&names);
    return ret;
}

int bg_git_changed_paths(bg_git *g, const char *const *ignore, char ***paths, int **deleted,
                         size_t *n, char *err, size_t errlen)
{
    if (!g || !paths || !deleted || !n)
        return BG_EINVAL;
    *paths = NULL;
    *deleted = NULL;
    *n = 0;
    if (git_repository_is_bare(g->repo))
        return BG_OK;
    if (!ignore)
        ignore = bg_git_default_ignores;
    git_status_options opts;
    git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
    opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
    git_status_list *list = NULL;
    int rc = git_status_list_new(&list, g->repo, &opts);
    if (rc < 0)
        return git_fail(rc, err, errlen, "cannot read the status of %s", git_repository_workdir(g->repo));
    size_t count = git_status_list_entrycount(list);
    char **p = calloc(count ? count : 1, sizeof *p);
    int *del = calloc(count ? count : 1, sizeof *del);
    int code = p && del ? BG_OK : BG_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < count && code == BG_OK; i++) {
        const git_status_entry *e = git_status_byindex(list, i);
        if (!e || e->status == GIT_STATUS_CURRENT || (e->status & GIT_STATUS_IGNORED))
            continue;
        const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
        const char *path = d ? (d->new_file.path ? d->new_file.path : d->old_file.path) : NULL;
        if (!path || path_ignored(path, ignore))
            continue;
        if (!(p[m] = strdup(path))) {
            code = BG_ENOMEM;
            break;
        }
        del[m++] = (e->status & (GIT_STATUS_WT_DELETED | GIT_STATUS_INDEX_DELETED)) != 0 &&
                   !(e->status & GIT_STATUS_WT_NEW);
    }
    git_status_list_free(list);
    if (code != BG_OK) {
        for (size_t i = 0; p && i < m; i++)
            free(p[i]);
        free(p);
        free(del);
        set_err(err, errlen, "out of memory");
        return code;
    }
    *paths = p;
    *deleted = del;
    *n = m;
    return BG_OK;
}
