/* Pruning the run store: keeping the newest runs of each commit and machine, or the recent ones, and clearing stale temp files. */
#ifndef BG_PRUNE_H
#define BG_PRUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bg_store.h"

/* What to keep. A run is removed only when every rule given says it may go. */
typedef struct bg_prune_opts {
    size_t keep_last;    /* keep the newest N runs of each commit and machine (0: rule not given) */
    bool have_newer;     /* keep runs made at or after newer_than (unix seconds) */
    int64_t newer_than;
    int64_t tmp_age_s;   /* hidden temp files (".<name>.tmp", "<name>.tmp.<pid>") older than
                          * this are stale: a writer killed mid-write left them */
    bool dry_run;        /* list, remove nothing */
} bg_prune_opts;

/* Told about each file removed (or, dry run, to be removed), with why:
 * "run" or "stale temp file". */
typedef void (*bg_prune_fn)(const char *path, const char *why, void *ud);

/* Prunes the store's runs/ (never baselines/: a named baseline is a copy of
 * its own, and stays whatever happens to the run it came from). Runs that
 * fail to load are never removed (they are reported to `skip` by the
 * listing, may be NULL). Counts in *removed and *stale (may be NULL).
 * BG_EINVAL when no rule is given; BG_EIO naming a file that could not be
 * removed (the rest are still tried). */
int bg_store_prune(bg_store *s, const bg_prune_opts *o, bg_prune_fn fn, void *ud, bg_store_skip_fn skip,
                   void *skip_ud, size_t *removed, size_t *stale, char *err, size_t errlen);

#endif
