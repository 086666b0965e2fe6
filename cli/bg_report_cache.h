/* The report's cache of commit pages: what an incremental report may reuse, keyed by content. */
#ifndef BG_REPORT_CACHE_H
#define BG_REPORT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A report directory holds BG_RCACHE_FILE beside its pages: for each commit
 * page, the 128-bit hash of the run file it was made from and of the page
 * bytes written, and the history values the report took from that run; and
 * the names of every file the report wrote. The next report into the same
 * directory reuses a commit page (and its values, without parsing the run)
 * only when the run file's bytes, the page's bytes on disk and the site key
 * (the benchgate executable, the metric, the benchmarks and their pages)
 * all hash as recorded; anything else is regenerated. A file the last
 * report wrote and this one did not is removed, so the directory ends as a
 * full rebuild into an empty one would leave it. The cache file is written
 * in a fixed order from what the report holds, so two reports of the same
 * store write the same bytes. Missing, damaged or of another site: ignored
 * (a full rebuild). */
#define BG_RCACHE_FILE ".benchgate-report-cache"

typedef struct bg_rcache bg_rcache;

typedef struct bg_hash128 {
    uint64_t a, b;
} bg_hash128;

bg_hash128 bg__hash128(const void *data, size_t len);

/* Hashes a file's bytes; false when it cannot be read. */
bool bg__hash_file(const char *path, bg_hash128 *h);

/* The key of what a commit page depends on besides its run: this
 * executable's bytes and `text` (the caller's description of the site).
 * False when the executable cannot be read: then nothing is reused. */
bool bg__rcache_site_key(const char *text, size_t len, bg_hash128 *key);

/* Opens the cache of directory dir for a report of site key `site` with
 * `nvals` values per page (*out is freed by bg__rcache_close). `reuse`
 * false (no site key) starts empty. BG_ENOMEM only. */
int bg__rcache_open(const char *dir, bool reuse, bg_hash128 site, size_t nvals, bg_rcache **out);

/* A commit page that may be kept: true when the last report wrote `page`
 * from a run file whose bytes hash to `run` under this site key and the page
 * on disk still holds the bytes written. Then vals (nvals), created (the
 * run's time, n bytes) and *dirty are what the report took from that run. */
bool bg__rcache_find(bg_rcache *c, const char *page, bg_hash128 run, double *vals, char *created, size_t n,
                     bool *dirty);

/* Records a commit page written (or kept) by this report. BG_ENOMEM only;
 * a page whose values cannot be recorded (a line break in created) is not
 * cached and is regenerated next time. */
int bg__rcache_page(bg_rcache *c, const char *page, bg_hash128 run, const double *vals, const char *created,
                    bool dirty);

/* Records any other file this report wrote (a name under dir, such as
 * "index.html" or "plots/x.svg"). BG_ENOMEM only. */
int bg__rcache_file(bg_rcache *c, const char *name);

/* When `commit`: removes the files the last report wrote that this one did
 * not, and writes the cache (atomically; a failed write is returned with a
 * message but costs only time next report). Frees *c in every case. */
int bg__rcache_close(bg_rcache **c, const char *dir, bool commit, char *err, size_t errlen);

#endif
