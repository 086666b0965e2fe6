/* The store's summary index: the envelope of every run file, cached beside the JSON so listing needs no parse. */
#ifndef BG_INDEX_H
#define BG_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "bg_store.h"

/* The index is a cache, never the source of truth. It lives in
 *     <store>/index.json
 * and holds, for each run file (keyed by its path under runs/), the file's
 * size, modification time and inode as last seen, its envelope
 * (bg_run_meta) and, once a full load was asked for, its benchmark count and
 * damage message. Listing still walks the directories: a file is parsed only
 * when it has no entry or its size, time or inode changed, so a run is never
 * missed or shown stale because of the index. An index that is missing,
 * damaged, or written by another benchgate version or record schema is
 * ignored and rebuilt from the run files. It is written atomically, and only
 * when something changed; two writers race harmlessly (the last rename wins,
 * each file is a whole index).
 *
 * Storage measured against alternatives by tools/measure-store.sh: one JSON file read
 * by cJSON keeps the store a folder of JSON with a single library. */

#define BG_INDEX_FILE "index.json"
#define BG_INDEX_SCHEMA "benchgate.index"
#define BG_INDEX_VERSION 1

/* An open index. Opaque; owned by the caller of bg__index_open(). */
typedef struct bg_index bg_index;

/* What the index knows of one run file. Belongs to the index. */
typedef struct bg_index_entry {
    bg_run_meta meta;
    bool full;       /* nbench and damage below are known */
    size_t nbench;
    const char *damage; /* NULL when the run loads in full */
} bg_index_entry;

/* Loads <store_dir>/index.json. Never fails for a missing or bad index (it
 * starts empty and *rebuilt tells why, when not NULL: "missing", "damaged",
 * "another version"); BG_ENOMEM only. *out is freed by bg__index_close(). */
int bg__index_open(const char *store_dir, bg_index **out, const char **rebuilt);

/* The entry of `key` (the path under runs/, "<commit>/<machine>/<file>") when
 * the file `st` describes is the one indexed and, if `full`, its full load is
 * known; else NULL. Marks the entry seen. */
const bg_index_entry *bg__index_find(bg_index *ix, const char *key, const struct stat *st, bool full);

/* Records what a parse found for `key` (damage may be NULL; copied). Marks
 * it seen. BG_ENOMEM only. */
int bg__index_put(bg_index *ix, const char *key, const struct stat *st, const bg_run_meta *meta, bool full,
                  size_t nbench, const char *damage);

/* Notes (bg_store_export_notes): a tag per run file, the hash of the note
 * text that last held the run. A push whose note on a commit still has that
 * text, and whose runs of the commit are all tagged with it, need not read
 * or parse either. A file changed since it was indexed has no tag.
 * bg__index_tag: whether key's entry (still the file `st` describes) holds
 * `tag`. bg__index_set_tag: records it (nothing when the entry is missing
 * or stale). */
bool bg__index_tag(bg_index *ix, const char *key, const struct stat *st, uint64_t tag);
void bg__index_set_tag(bg_index *ix, const char *key, const struct stat *st, uint64_t tag);

/* Writes the index back when it changed and the store directory exists.
 * `complete`: the listing walked the whole store, so entries not seen are of
 * files that are gone and are dropped. A failed write is not an error (the
 * index is only a cache): it returns the BG_E* code and the message in err
 * for whoever wants to tell, and the next listing rebuilds what is missing.
 * Frees the index and sets *ix to NULL; NULL is fine. */
int bg__index_close(bg_index **ix, bool complete, char *err, size_t errlen);

/* For tests and tools: of the last index closed in this process, the
 * entries found current, the files parsed anew, and whether it was written. */
void bg__index_last(size_t *hits, size_t *misses, bool *written);

#endif
