/* Finding the run to compare against: a run record file, a named baseline,
 * or the newest stored run of a commit-ish (falling back to the nearest
 * first-parent ancestor with one). Shared by the bench binary (--baseline)
 * and the benchgate command (compare, gate, report).
 *
 * Errors are printed to stderr ("benchgate: ...", naming the file, name or
 * revision and what to do) and returned as BG_E* codes. */
#ifndef BG_BASELINE_H
#define BG_BASELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "bg_git.h"
#include "bg_model.h"
#include "bg_store.h"

/* How far back (first-parent commits) a side without a stored run looks for
 * the nearest ancestor that has one. */
#define BG_ANCESTOR_BOUND 50

/* One side of a comparison. */
typedef struct bg_side {
    bg_run run;
    bool loaded;
    char path[4096];              /* the file the run was read from */
    char commit[BG_GIT_OID_BUF];  /* resolved commit ("" for a file) */
    const char *spec;             /* what the user wrote */
} bg_side;

void bg__side_free(bg_side *s);

/* Reads and parses one run record file into s; prints why not (naming the
 * file) on failure. */
int bg__side_load_file(const char *path, bg_side *s);

/* Loads one run record file in full (envelope and every benchmark) and
 * discards it: 0 when a comparison could use it, with *nbench (may be NULL)
 * its number of benchmarks; otherwise a BG_E* code and a message naming the
 * file in err (caller-owned, may be NULL). Prints nothing. */
int bg__run_file_check(const char *path, size_t *nbench, char *err, size_t errlen);

/* Resolves `spec`: an existing file is loaded; a named baseline in the store
 * (see below) is loaded; otherwise spec is resolved as a commit-ish into
 * s->commit (opening *g on first use) and the caller loads it from the
 * store. */
int bg__side_resolve(bg_store *st, bg_git **g, bg_side *s, const char *spec);

/* Loads the newest stored run of s->commit ("" = runs made outside any
 * commit) that loads in full; a run file that does not (corrupt, wrong
 * types, numbers out of range, newer schema) is reported naming it and the
 * next-newest is used. With `pref` (a machine id; may be NULL) a run on
 * that machine wins: the commit's own, else (when `g` is not NULL) the
 * nearest first-parent ancestor's within BG_ANCESTOR_BOUND; only when no
 * commit in reach has one is the newest run of any machine taken, again the
 * commit's own or else the nearest ancestor's. Using an ancestor prints a
 * note naming `label` and the commit used. `what` names the side in the
 * error ("base", "A"); NULL: no message when nothing is found (the caller
 * says it). */
int bg__side_load_store(bg_store *st, bg_git *g, bg_side *s, const char *what, const char *label,
                        const char *pref);

/* Resolves and loads both sides, as bg__side_load_store() does. Machine
 * preference: B prefers A's machine when A is a file (else any machine); A
 * prefers B's machine. A side searches its commit's ancestors only when its
 * label (la, lb) is not NULL. b may already be loaded (sb NULL). */
int bg__load_pair(bg_store *st, bg_git **g, bg_side *a, const char *sa, const char *wa, const char *la,
                  bg_side *b, const char *sb, const char *wb, const char *lb);

/* A bg_store_skip_fn that prints "benchgate: skipped ...: why" to stderr. */
void bg__skip_report(const char *name, int code, const char *msg, void *ud);
/* 0 when the two runs come from the same machine fingerprint. Otherwise
 * writes the differing fields into msg and returns BG_EINVAL. */
int bg__machines_differ(const bg_run *a, const bg_run *b, char *msg, size_t msglen);

/* ---- named baselines: <store>/baselines/<name>.json, a copy of a run ---- */

/* Names are 1-64 characters of [A-Za-z0-9._-], not starting with '.'. */
int bg__baseline_check_name(const char *name, char *err, size_t errlen);
/* The file of baseline `name` (whether or not it exists). */
int bg__baseline_path(const bg_store *st, const char *name, char *out, size_t n);
/* Saves run record text as baseline `name` atomically (replacing it). */
int bg__baseline_save(bg_store *st, const char *name, const char *json, char *err, size_t errlen);
/* Removes baseline `name`; BG_ENOTFOUND when there is none. */
int bg__baseline_remove(bg_store *st, const char *name, char *err, size_t errlen);
/* The names of all baselines, sorted; free with bg__baseline_names_free. */
int bg__baseline_names(bg_store *st, char ***names, size_t *n, char *err, size_t errlen);
void bg__baseline_names_free(char **names, size_t n);

#endif
