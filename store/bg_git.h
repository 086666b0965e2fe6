/* Every git question benchgate asks (HEAD, dirty state, refs, history, notes, remotes), answered with libgit2. */
#ifndef BG_GIT_H
#define BG_GIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "benchgate.h"

/* Conventions for every function here:
 * - Return 0 on success or a negative BG_E* code: BG_ENOTFOUND for "no such
 *   repository / ref / note", BG_EGIT for other libgit2 failures, BG_EINVAL,
 *   BG_ENOMEM, BG_EIO.
 * - `err`/`errlen` is an optional caller-owned buffer (may be NULL/0) that
 *   receives a message for a person naming the directory or ref and including
 *   libgit2's own message. It is left untouched on success.
 * - Commit ids are 40 lowercase hex digits plus a terminator (BG_GIT_OID_BUF). */

#define BG_GIT_OID_HEX 40
#define BG_GIT_OID_BUF (BG_GIT_OID_HEX + 1)

/* An open repository. Opaque; owned by the caller of bg_git_open(). */
typedef struct bg_git bg_git;

/* Initialises libgit2 (reference counted: every bg_git_init needs one
 * bg_git_shutdown). bg_git_open() does this itself, so most callers never
 * need these. Returns 0 or BG_EGIT. */
int bg_git_init(void);
void bg_git_shutdown(void);

/* Opens the repository that contains `dir` (NULL: "."), searching parent
 * directories up to those listed in $GIT_CEILING_DIRECTORIES. Works for
 * linked worktrees and bare repositories. On success *out is a handle the
 * caller frees with bg_git_close(). Outside any repository: BG_ENOTFOUND and
 * "not a git repository: DIR (nor any parent directory)". */
int bg_git_open(bg_git **out, const char *dir, char *err, size_t errlen);

/* Closes the repository and sets *g to NULL. NULL or *g == NULL is fine. */
void bg_git_close(bg_git **g);

/* The working tree root with a trailing '/', e.g. "/home/u/proj/" (for a
 * linked worktree, that worktree's root); NULL for a bare repository. The
 * string belongs to g and lives until bg_git_close(). */
const char *bg_git_workdir(const bg_git *g);

/* The root of the main working tree, with a trailing '/': for a linked
 * worktree, the checkout that holds the repository's ".git" directory (the
 * common dir's parent); otherwise bg_git_workdir(). Falls back to
 * bg_git_workdir() when the main repository is bare or keeps its git
 * directory elsewhere; NULL for a bare repository. Belongs to g. */
const char *bg_git_main_workdir(bg_git *g);

/* What HEAD is. Plain data. */
typedef struct bg_git_head {
    char commit[BG_GIT_OID_BUF]; /* HEAD commit; "" when unborn */
    char branch[256];            /* short branch name ("main"); "" when detached */
    int detached;                /* HEAD points straight at a commit */
    int unborn;                  /* HEAD names a branch with no commits yet */
    int shallow;                 /* the repository is a shallow clone */
} bg_git_head;

/* The branch name, or NULL when HEAD is detached. Points into h. */
static inline const char *bg_git_head_branch(const bg_git_head *h)
{
    return h->detached || h->branch[0] == '\0' ? NULL : h->branch;
}

/* Fills *out. "No commits yet" is not an error: returns 0 with out->unborn
 * set, out->commit "" and out->branch the branch HEAD will create. */
int bg_git_head_info(bg_git *g, bg_git_head *out, char *err, size_t errlen);

/* The default path patterns that never make a tree dirty: the store and
 * build directories. NULL-terminated; static storage. */
extern const char *const bg_git_default_ignores[];

/* Sets *dirty to 1 when the working tree differs from HEAD: a tracked file
 * modified, staged, deleted or renamed, or an untracked file that is not
 * ignored by .gitignore. Paths matching `ignore` are not counted (NULL:
 * bg_git_default_ignores). A pattern ending in '/' matches a directory
 * relative to the root and everything under it, with fnmatch() wildcards in
 * each component ("build*" + "/" matches build/, build-asan/...); any other
 * pattern matches a whole path. When dirty and first_path is not NULL,
 * copies the first dirty path there (truncated to first_len). A bare
 * repository is never dirty. */
int bg_git_dirty(bg_git *g, const char *const *ignore, int *dirty, char *first_path, size_t first_len,
                 char *err, size_t errlen);

/* Resolves any commit-ish (branch, tag, short id, "HEAD~3", "main^2") to the
 * commit's 40-hex id in out. An unknown name: BG_ENOTFOUND and
 * "unknown revision 'NAME': ..."; a name that is not a commit (a tree, a
 * blob): BG_EINVAL. */
int bg_git_resolve(bg_git *g, const char *rev, char out[BG_GIT_OID_BUF], char *err, size_t errlen);

/* The best common ancestor of two commit-ishes, as 40 hex in out.
 * BG_ENOTFOUND when they share no history or a name is unknown. */
int bg_git_merge_base(bg_git *g, const char *a, const char *b, char out[BG_GIT_OID_BUF], char *err,
                      size_t errlen);

/* One commit and its full message. */
typedef struct bg_git_commit_msg {
    char id[BG_GIT_OID_BUF];
    char *message; /* owned by the array; freed by bg_git_log_free() */
    char author[128]; /* the author's name ("" when the commit has none) */
    int64_t time;     /* the committer's time, unix seconds */
} bg_git_commit_msg;

/* Lists the commits reachable from `head` but not from `base` (git log
 * base..head), newest first; `base` NULL lists all of head's history.
 * first_parent != 0 follows only first parents (commits brought in by
 * merges are skipped). In a shallow clone the walk ends at the shallow
 * boundary. On success *out is a caller-owned array of *n entries to free
 * with bg_git_log_free() (may be NULL when *n is 0). */
int bg_git_log(bg_git *g, const char *base, const char *head, int first_parent, bg_git_commit_msg **out,
               size_t *n, char *err, size_t errlen);
void bg_git_log_free(bg_git_commit_msg *msgs, size_t n);

/* The commit `rev` and its first-parent ancestors, newest first, at most
 * `max` of them (rev itself is element 0). Stops early at a root commit or
 * at the boundary of a shallow clone. On success *ids is a caller-owned
 * array of *n ids to free(); NULL when *n is 0. */
int bg_git_ancestors(bg_git *g, const char *rev, size_t max, char (**ids)[BG_GIT_OID_BUF], size_t *n,
                     char *err, size_t errlen);

/* ---- notes (benchgate shares runs as git notes on a ref of its own) ---- */

/* Reads the note that `notes_ref` (a full ref such as "refs/notes/benchgate")
 * attaches to `commit` (40 hex). On success *text is a caller-owned string
 * (free()). BG_ENOTFOUND when there is no such note or notes ref. */
int bg_git_note_read(bg_git *g, const char *notes_ref, const char *commit, char **text, char *err,
                     size_t errlen);

/* Creates or replaces the note on `commit` (40 hex; the commit need not be
 * present locally) with `text`, as a new commit on notes_ref. The author is
 * the repository's user.name/user.email, else "benchgate <benchgate@localhost>". */
int bg_git_note_write(bg_git *g, const char *notes_ref, const char *commit, const char *text, char *err,
                      size_t errlen);

/* A batch of note reads and writes on one notes ref that ends in ONE notes
 * commit. Writing N notes one by one makes N commits, each copying the whole
 * notes tree (quadratic in the number of notes); a batch edits the tree in
 * memory and writes it once. Reads through the batch see its own writes.
 * A notes tree with fan-out subtrees (written by git itself) is edited note
 * by note as bg_git_note_write does, so every layout stays readable.
 * The batch belongs to the caller: bg_git_notes_batch_end writes (when
 * `commit` is true and something was put) and frees it in every case. */
typedef struct bg_git_notes_batch bg_git_notes_batch;

int bg_git_notes_batch_begin(bg_git *g, const char *notes_ref, bg_git_notes_batch **out, char *err,
                             size_t errlen);
/* As bg_git_note_read: *text is caller-owned (free()); BG_ENOTFOUND without a note. */
int bg_git_notes_batch_read(bg_git_notes_batch *b, const char *commit, char **text, char *err, size_t errlen);
/* Creates or replaces the note on `commit` in the batch. */
int bg_git_notes_batch_put(bg_git_notes_batch *b, const char *commit, const char *text, char *err,
                           size_t errlen);
/* The tag of the note on `commit` (bg_git_blob_tag of its text) read from
 * the notes tree alone, without reading the note; BG_ENOTFOUND without one. */
int bg_git_notes_batch_tag(bg_git_notes_batch *b, const char *commit, uint64_t *tag, char *err, size_t errlen);
/* A 64-bit tag of a note's text: the first 8 bytes of its git blob id, so
 * that a note's tag is known from the notes tree without reading it. Never 0. */
uint64_t bg_git_blob_tag(const char *text, size_t len);
/* Commits what was put (if `commit`) as one notes commit whose parent is the
 * ref's tip at begin; frees *b and sets it to NULL. A NULL *b is a no-op. */
int bg_git_notes_batch_end(bg_git_notes_batch **b, bool commit, char *err, size_t errlen);

/* Called for each note: the annotated commit (40 hex) and the note's text
 * (NUL-terminated, `len` bytes, valid only during the call). Return 0 to go
 * on, non-zero to stop; that value is then returned by the walk. */
typedef int (*bg_git_note_fn)(const char *commit, const char *text, size_t len, void *ud);

/* Calls fn for every note on notes_ref. A notes ref that does not exist has
 * no notes: returns 0 without calling fn. */
int bg_git_notes_foreach(bg_git *g, const char *notes_ref, bg_git_note_fn fn, void *ud, char *err,
                         size_t errlen);

/* As bg_git_notes_foreach, but first asks want(commit, tag, ud) with the
 * note's tag (bg_git_blob_tag of its text, known without reading it): a
 * note it returns false for is neither read nor given to fn. */
typedef bool (*bg_git_note_want_fn)(const char *commit, uint64_t tag, void *ud);
int bg_git_notes_foreach_want(bg_git *g, const char *notes_ref, bg_git_note_want_fn want, bg_git_note_fn fn,
                              void *ud, char *err, size_t errlen);

/* Combines two different texts of the note on one commit into *merged
 * (malloc'd; ownership passes to the caller of the merge). Return 0, or a
 * negative BG_E* code to abort the merge. */
typedef int (*bg_git_note_merge_fn)(const char *commit, const char *ours, const char *theirs, char **merged,
                                    void *ud);

/* Merges the notes of `theirs_ref` into `notes_ref`: a note only in theirs
 * is copied, a note in both with different text is replaced by what fn
 * returns. Afterwards theirs_ref's tip is an ancestor of notes_ref (a merge
 * commit is made when the two histories diverged), so pushing notes_ref is a
 * fast-forward. When notes_ref does not exist it is set to theirs_ref. */
int bg_git_notes_merge(bg_git *g, const char *notes_ref, const char *theirs_ref, bg_git_note_merge_fn fn,
                       void *ud, char *err, size_t errlen);

/* Deletes a reference; a missing one is not an error. */
int bg_git_ref_delete(bg_git *g, const char *ref, char *err, size_t errlen);

/* Fetches src_ref from `remote` (a configured remote name, a path or a URL;
 * NULL: "origin") and force-updates the local dst_ref to it. BG_ENOTFOUND
 * when the remote has no src_ref (dst_ref is then left alone); BG_EINVAL
 * when `remote` is neither a configured remote nor a path or URL. */
int bg_git_fetch_ref(bg_git *g, const char *remote, const char *src_ref, const char *dst_ref, char *err,
                     size_t errlen);

/* Pushes the local src_ref to dst_ref on `remote` (as for fetch). When the
 * remote refuses because dst_ref moved on (not a fast-forward), returns
 * BG_EGIT with *nonff set to 1 (nonff may be NULL); fetch, merge and retry. */
int bg_git_push_ref(bg_git *g, const char *remote, const char *src_ref, const char *dst_ref, int *nonff,
                    char *err, size_t errlen);

/* ---- one call for the run record ---- */

/* Everything a run record says about the source tree. Plain data. */
typedef struct bg_git_info {
    bg_git_head head;
    int dirty;               /* see bg_git_dirty(): default ignores and the store */
    char dirty_path[256];    /* the first dirty path, "" when clean */
    char root[4096];         /* working tree root ("" when bare) */
} bg_git_info;

/* Opens the repository containing dir, fills *out and closes it again.
 * The dirty state ignores bg_git_default_ignores and, when store_dir (the
 * run store actually used; may be NULL) lies inside the working tree, that
 * directory too, so a run saved there never makes the next run dirty.
 * BG_ENOTFOUND (with a message) outside any repository. */
int bg_git_describe(const char *dir, const char *store_dir, bg_git_info *out, char *err, size_t errlen);

/* ---- temporary worktrees (benchgate ab) ---- */

/* Checks `commit` (40 hex) out into a new linked worktree named `name` at
 * `path` (which must not exist; its parent must), with HEAD detached at the
 * commit, and locks it with `lock_reason` so that `git worktree prune` leaves
 * it alone while it is in use. No branch is left behind. On failure nothing
 * is left behind either. Remove it with bg_git_worktree_remove(). */
int bg_git_worktree_add(bg_git *g, const char *name, const char *path, const char *commit,
                        const char *lock_reason, char *err, size_t errlen);

/* Unlocks and prunes the worktree `name`, deleting its working directory
 * and everything in it (build outputs included). A worktree that does not
 * exist: BG_ENOTFOUND. */
int bg_git_worktree_remove(bg_git *g, const char *name, char *err, size_t errlen);

/* Called for each linked worktree: its name, path and lock reason ("" when
 * not locked, or locked without a reason). Return non-zero to stop. */
typedef int (*bg_git_worktree_fn)(const char *name, const char *path, const char *lock_reason,
                                  void *ud);
int bg_git_worktree_foreach(bg_git *g, bg_git_worktree_fn fn, void *ud, char *err, size_t errlen);

/* The paths (relative to the working tree root) at which the working tree
 * differs from the HEAD commit: modified, staged, deleted and untracked
 * files (untracked directories listed file by file), except those ignored by
 * .gitignore or matching `ignore` (NULL: bg_git_default_ignores). *deleted[i]
 * is 1 when path i no longer exists in the working tree. On success *paths
 * is a caller-owned array of *n strings: free each and the array, and free
 * *deleted. */
int bg_git_changed_paths(bg_git *g, const char *const *ignore, char ***paths, int **deleted,
                         size_t *n, char *err, size_t errlen);

#endif
