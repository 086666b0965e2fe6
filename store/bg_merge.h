/* Merging the shard runs of one commit and machine (--shard K/N) into one run of the whole suite. */
#ifndef BG_MERGE_H
#define BG_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "bg_store.h"

/* What a merge found. Plain data. */
typedef struct bg_merge_info {
    int n;               /* shards in the plan (0: no shard run found) */
    int have;            /* shards found */
    size_t nbench;       /* benchmarks in the merged run */
    bool already;        /* a stored run is already the merge of exactly these shard runs */
    char newest[4096];   /* the newest shard run's file */
} bg_merge_info;

/* Merges the shard runs of `commit` (40 hex, or "" for runs made outside a
 * commit) on machine `machine` (the store keeps runs by machine id, which
 * is the fingerprint's). The plan is the one of the newest shard run (its
 * N, method, cost run and suite); of each shard k the newest run of that
 * plan is taken. The merged record is the newest shard's, with the
 * benchmarks of every shard (sorted by name), no "shard", and "merged":
 * {"n": N, "from": [{"k", "created_unix", "file"}]}; its created_unix is one
 * second after the newest shard's. On success *json is the caller's (free()).
 *
 * BG_ENOTFOUND: no shard run of that commit and machine. BG_EINVAL: the
 * shards do not make up the suite: a shard missing (named, with the
 * benchmarks no shard run holds, and what to do), a benchmark in two
 * shards or outside the suite. Both with a message in err naming the commit
 * and machine. A run file that cannot be read is skipped, as listing does
 * (reported to skip, may be NULL). */
int bg_store_merge_shards(bg_store *s, const char *commit, const char *machine, char **json,
                          bg_merge_info *info, bg_store_skip_fn skip, void *ud, char *err, size_t errlen);

/* The machines with shard runs of `commit`, at most max, into ids (each
 * BG_MACHINE_ID_MAX + 1 bytes); returns how many (0 on error). */
size_t bg_store_shard_machines(bg_store *s, const char *commit, char (*ids)[BG_MACHINE_ID_MAX + 1], size_t max);

#endif
