/* The run store: run records as JSON files under .benchgate/, keyed by commit and machine, shared through git notes. */
#ifndef BG_STORE_H
#define BG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "benchgate.h"
#include "bg_git.h"

/* Layout under the store directory:
 *     runs/<commit | "no-commit">/<machine id>/<created_unix>-<pid>-<random>.json
 * Files are written atomically (temp file in the same directory, fsync,
 * rename), so readers never see half a run and concurrent writers never
 * collide. Names starting with '.' are temp files and are never listed.
 *
 * The store reads only the envelope of a run record:
 *     {"schema": "benchgate.run", "schema_version": 1, "created_unix": <int>,
 *      "git": {"commit": "<40 hex>" | null, ...}, "machine": {"id": "<id>", ...}, ...}
 * and passes the text through untouched; the record module owns the rest.
 *
 * Conventions: functions return 0 or a negative BG_E* code; `err`/`errlen`
 * is an optional caller-owned buffer for a message naming the file, commit
 * or ref (left untouched on success). */

#define BG_STORE_NOTES_REF "refs/notes/benchgate"
#define BG_STORE_NO_COMMIT "no-commit"      /* directory of runs made outside a commit */
#define BG_MACHINE_ID_MAX 64                /* longest machine id accepted */

/* An open store. Opaque; owned by the caller of bg_store_open(). */
typedef struct bg_store bg_store;

/* Resolves the store directory, first match wins: override_dir (the command
 * line flag), $BENCHGATE_DIR, <root of the git repository containing cwd>/
 * .benchgate (for a linked worktree, the main checkout's root, so every
 * worktree shares one store), <cwd>/.benchgate. `cwd` NULL means ".". The directory is made
 * absolute but not created (save creates it). *out is freed with
 * bg_store_close(). Fails only for a broken repository or out of memory. */
int bg_store_open(bg_store **out, const char *override_dir, const char *cwd, char *err, size_t errlen);

/* Frees the store and sets *s to NULL; NULL is fine. */
void bg_store_close(bg_store **s);

/* The absolute store directory (no trailing '/'), and which rule chose it:
 * "flag", "BENCHGATE_DIR", "repository" or "current directory". Both belong
 * to s. */
const char *bg_store_dir(const bg_store *s);
const char *bg_store_dir_source(const bg_store *s);

/* Checks that the store can be read: a directory given by the flag or
 * $BENCHGATE_DIR must exist (BG_ENOTFOUND otherwise), and whatever the
 * source the path must be a directory when it exists (BG_EINVAL). A default
 * store that does not exist yet is fine (it is empty). For commands that
 * only read the store (ls, compare); saving creates the directory. The
 * message names the directory and where it came from. */
int bg_store_require_dir(const bg_store *s, char *err, size_t errlen);

/* The envelope of one run record. Plain data. */
typedef struct bg_run_meta {
    char commit[BG_GIT_OID_BUF];          /* "" when git.commit is null */
    char machine[BG_MACHINE_ID_MAX + 1];  /* machine.id */
    int64_t created_unix;
    int schema_version;
} bg_run_meta;

/* Validates run record text (`len` bytes, need not be terminated) and fills
 * *meta (may be NULL). `name` (a path, or "run 3 in the note on <commit>")
 * starts every message. The schema, schema_version and created_unix are
 * checked by the record module (bg__record_check_header in bg_model.h),
 * the same check bg__record_parse makes; this adds git.commit and
 * machine.id, the keys the store files runs under. BG_EPARSE: corrupt or
 * truncated JSON, or a required field missing or of the wrong type (a
 * schema_version of 1.5 included). BG_ESCHEMA: schema is not
 * "benchgate.run", or schema_version is newer than BG_RECORD_VERSION
 * ("... written by a newer benchgate; upgrade"). */
int bg_run_check(const char *text, size_t len, const char *name, bg_run_meta *meta, char *err, size_t errlen);

/* Reads and validates one run file. On success *text is the caller-owned
 * (free()) NUL-terminated file content, *len its length (len may be NULL),
 * and *meta is filled (may be NULL). Errors name the file; BG_EIO when it
 * cannot be read. */
int bg_store_load(const char *path, char **text, size_t *len, bg_run_meta *meta, char *err, size_t errlen);

/* Saves a run record atomically. `commit` (40 hex, or NULL for a run made
 * outside a commit) and `machine_id` must agree with the record's git.commit
 * and machine.id (BG_EINVAL otherwise; the record is validated as in
 * bg_run_check). Directories are created as needed. On success and when
 * path is not NULL, *path is the caller-owned (free()) path of the new file. */
int bg_store_save(bg_store *s, const char *json, const char *commit, const char *machine_id, char **path,
                  char *err, size_t errlen);

/* One stored run. */
typedef struct bg_run_entry {
    bg_run_meta meta;
    char *path;    /* owned by the list */
    size_t nbench; /* with BG_STORE_LIST_FULL: its benchmarks (0 when damaged) */
    char *damage;  /* with BG_STORE_LIST_FULL: NULL when the run loaded in full,
                    * else why not, naming the file (owned by the list) */
} bg_run_entry;

/* Runs, oldest first (created_unix, then path). Free with bg_run_list_free(). */
typedef struct bg_run_list {
    bg_run_entry *runs;
    size_t n;
    size_t skipped; /* files that were not listed because they failed to load */
} bg_run_list;

/* Told about each file (or note entry) that is skipped: its name, the BG_E*
 * code and a message that names it. */
typedef void (*bg_store_skip_fn)(const char *name, int code, const char *msg, void *ud);

/* Lists stored runs, each file validated as by bg_store_load(). `commit`
 * NULL lists every commit, "" lists runs made outside a commit, else a 40-hex
 * id; `machine` NULL lists every machine. A file that fails to load, or that
 * lies in a directory other than its record's commit/machine, is skipped and
 * reported to `skip` (may be NULL) and counted in out->skipped; the good runs
 * still list. A directory inside the store that cannot be read is skipped
 * the same way (named in the message), so one bad directory never hides the
 * rest. A store that does not exist yet is empty. Fails only when the
 * store's runs/ directory itself cannot be read, or out of memory. */
int bg_store_list(bg_store *s, const char *commit, const char *machine, bg_run_list *out, bg_store_skip_fn skip,
                  void *ud, char *err, size_t errlen);

/* bg_store_list flag: also load each listed run in full, as compare and the
 * gate would (bg__record_from_json), from the same read and parse as its
 * envelope, filling nbench and damage. A run whose envelope reads but whose
 * body does not is still listed, with damage set. */
#define BG_STORE_LIST_FULL 1u

/* bg_store_list with flags (0 or BG_STORE_LIST_FULL). */
int bg_store_list_ex(bg_store *s, const char *commit, const char *machine, unsigned flags, bg_run_list *out,
                     bg_store_skip_fn skip, void *ud, char *err, size_t errlen);
void bg_run_list_free(bg_run_list *l);

/* ---- sharing through git notes ---- */

/* What a sync did. */
typedef struct bg_sync_stats {
    size_t notes_written;  /* commits whose note changed */
    size_t runs_exported;  /* runs added to notes from the store */
    size_t runs_imported;  /* runs written into the store from notes */
    size_t runs_present;   /* runs in notes that the store already had */
    size_t skipped;        /* bad files or note entries (each reported to skip) */
    int remote_had_notes;  /* the remote has refs/notes/benchgate */
    int pushed;            /* the notes ref was pushed */
} bg_sync_stats;

/* A note holds a JSON array of run records. Two runs are the same run when
 * their records are equal (compared in compact form), so merging two notes
 * is a set union; entries this build cannot read (e.g. a newer schema) are
 * kept in the note untouched, never dropped.
 *
 * All the functions below need a repository (`g`, from bg_git_open(); the
 * caller keeps ownership). `stats` and `skip` may be NULL. */

/* Local only: writes a note on BG_STORE_NOTES_REF for each commit with
 * stored runs, holding the union of the note and the stored runs. Runs made
 * outside a commit are not exported. */
int bg_store_export_notes(bg_store *s, bg_git *g, bg_sync_stats *stats, bg_store_skip_fn skip, void *ud,
                          char *err, size_t errlen);

/* Local only: writes every run found in the notes on BG_STORE_NOTES_REF into
 * the store, skipping runs already present. */
int bg_store_import_notes(bg_store *s, bg_git *g, bg_sync_stats *stats, bg_store_skip_fn skip, void *ud,
                          char *err, size_t errlen);

/* Shares the store: fetches the remote's notes and union-merges them into
 * the local notes ref, exports the store into notes, and pushes
 * refs/notes/benchgate to `remote` (NULL: "origin"; a configured remote, a
 * path or a URL). If someone pushed in between, fetches, merges and tries
 * again (up to 3 times). */
int bg_store_push(bg_store *s, bg_git *g, const char *remote, bg_sync_stats *stats, bg_store_skip_fn skip,
                  void *ud, char *err, size_t errlen);

/* Fetches the remote's refs/notes/benchgate into a temporary ref,
 * union-merges it into the local notes ref (runs from every machine for a
 * commit survive), deletes the temporary ref and imports every run into the
 * store. A remote without benchgate notes is not an error
 * (stats->remote_had_notes is 0). */
int bg_store_fetch(bg_store *s, bg_git *g, const char *remote, bg_sync_stats *stats, bg_store_skip_fn skip,
                   void *ud, char *err, size_t errlen);

#endif
