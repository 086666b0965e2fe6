/* The store's summary index (bg_index.h): a cache of run envelopes keyed by file, read and written as one JSON file. */
#include "bg_index.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_config.h"
#include "bg_model.h"

typedef struct ix_entry {
    char *key;        /* NULL: empty slot */
    int64_t size, mtime_s, mtime_ns;
    uint64_t ino;
    bg_index_entry e;
    char *damage;     /* owned; e.damage points here */
    bool seen;
    bool has_tag;     /* note_tag is set (bg__index_set_tag) */
    uint64_t note_tag;
} ix_entry;

/* Larger than any index a store writes (10,000 runs: 2.7 MB): a file above
 * it is read no further and rebuilt. */
#define BG_INDEX_MAX_BYTES ((size_t)512 << 20)

struct bg_index {
    char *path;       /* <store>/index.json */
    char *dir;        /* the store directory */
    ix_entry *slots;  /* open addressing, power-of-two size */
    size_t cap, n;
    bool dirty;
    size_t hits, misses;
};

static size_t last_hits, last_misses;
static bool last_written;

void bg__index_last(size_t *hits, size_t *misses, bool *written)
{
    if (hits)
        *hits = last_hits;
    if (misses)
        *misses = last_misses;
    if (written)
        *written = last_written;
}

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* Modification time as seconds and nanoseconds, kept apart: a JSON number
 * (a double) holds 53 bits, too few for both in one. */
static int64_t mtime_s(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec;
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_nsec;
}

static ix_entry *slot_of(bg_index *ix, const char *key)
{
    size_t mask = ix->cap - 1;
    for (size_t i = hash_key(key) & mask;; i = (i + 1) & mask)
        if (!ix->slots[i].key || strcmp(ix->slots[i].key, key) == 0)
            return &ix->slots[i];
}

static int grow(bg_index *ix)
{
    size_t cap = ix->cap ? ix->cap * 2 : 1024;
    ix_entry *old = ix->slots;
    size_t oldcap = ix->cap;
    ix->slots = calloc(cap, sizeof *ix->slots);
    if (!ix->slots) {
        ix->slots = old;
        return BG_ENOMEM;
    }
    ix->cap = cap;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].key)
            continue;
        ix_entry *s = slot_of(ix, old[i].key);
        *s = old[i];
        s->e.damage = s->damage;
    }
    free(old);
    return BG_OK;
}

/* The slot for key, made when missing (its key copied). NULL: out of memory. */
static ix_entry *slot_make(bg_index *ix, const char *key)
{
    if ((ix->n + 1) * 4 > ix->cap * 3 && grow(ix))
        return NULL;
    ix_entry *s = slot_of(ix, key);
    if (!s->key) {
        if (!(s->key = strdup(key)))
            return NULL;
        ix->n++;
    }
    return s;
}

static void entry_clear(ix_entry *s)
{
    free(s->key);
    free(s->damage);
    memset(s, 0, sizeof *s);
}

static bool get_int(const cJSON *o, const char *name, int64_t *v)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(it))
        return false;
    *v = (int64_t)it->valuedouble;
    return true;
}

static bool get_str(const cJSON *o, const char *name, char *buf, size_t n)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(it) || strlen(it->valuestring) >= n)
        return false;
    snprintf(buf, n, "%s", it->valuestring);
    return true;
}

/* Adds one entry of the file; a malformed entry is dropped (its run is
 * parsed again). BG_ENOMEM only. */
static int load_one(bg_index *ix, const cJSON *o)
{
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(o, "file");
    int64_t size, ms, mt, ino, created, version, nbench = -1;
    bg_run_meta m;
    memset(&m, 0, sizeof m);
    if (!cJSON_IsString(key) || !key->valuestring[0] || !get_int(o, "size", &size) || !get_int(o, "mtime_s", &ms)
        || !get_int(o, "mtime_ns", &mt)
        || !get_int(o, "ino", &ino) || !get_int(o, "created_unix", &created)
        || !get_int(o, "schema_version", &version) || !get_str(o, "commit", m.commit, sizeof m.commit)
        || !get_str(o, "machine", m.machine, sizeof m.machine) || !m.machine[0])
        return BG_OK;
    const cJSON *dmg = cJSON_GetObjectItemCaseSensitive(o, "damage");
    bool full = get_int(o, "nbench", &nbench) && nbench >= 0;
    if (full && dmg && !cJSON_IsString(dmg) && !cJSON_IsNull(dmg))
        return BG_OK;
    m.created_unix = created;
    m.schema_version = (int)version;
    ix_entry *s = slot_make(ix, key->valuestring);
    if (!s)
        return BG_ENOMEM;
    s->size = size;
    s->mtime_s = ms;
    s->mtime_ns = mt;
    s->ino = (uint64_t)ino;
    s->e.meta = m;
    s->e.full = full;
    s->e.nbench = full ? (size_t)nbench : 0;
    free(s->damage);
    s->damage = NULL;
    if (full && cJSON_IsString(dmg) && !(s->damage = strdup(dmg->valuestring)))
        return BG_ENOMEM;
    s->e.damage = s->damage;
    const cJSON *tag = cJSON_GetObjectItemCaseSensitive(o, "note");
    char *end = NULL;
    if (cJSON_IsString(tag) && strlen(tag->valuestring) == 16) {
        uint64_t v = strtoull(tag->valuestring, &end, 16);
        if (end && *end == '\0') {
            s->note_tag = v;
            s->has_tag = true;
        }
    }
    return BG_OK;
}

int bg__index_open(const char *store_dir, bg_index **out, const char **rebuilt)
{
    *out = NULL;
    if (rebuilt)
        *rebuilt = NULL;
    bg_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return BG_ENOMEM;
    size_t n = strlen(store_dir) + sizeof "/" BG_INDEX_FILE;
    ix->path = malloc(n);
    ix->dir = strdup(store_dir);
    if (!ix->path || !ix->dir || grow(ix)) {
        bg__index_close(&ix, false, NULL, 0);
        return BG_ENOMEM;
    }
    snprintf(ix->path, n, "%s/%s", store_dir, BG_INDEX_FILE);

    FILE *f = fopen(ix->path, "rb");
    if (!f) {
        if (rebuilt)
            *rebuilt = "missing";
        *out = ix;
        return BG_OK;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = BG_OK;
    bool readerr = false;
    for (;;) {
        if (len > BG_INDEX_MAX_BYTES) { /* not an index this store wrote: rebuild it */
            readerr = true;
            break;
        }
        if (cap - len < 65536) {
            char *t = realloc(text, cap + 1048576);
            if (!t) {
                rc = BG_ENOMEM;
                break;
            }
            text = t;
            cap += 1048576;
        }
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    readerr = readerr || ferror(f);
    fclose(f);
    const char *why = NULL;
    cJSON *root = NULL;
    if (rc == BG_OK && !readerr) {
        text[len] = '\0';
        root = cJSON_ParseWithLength(text, len);
    }
    free(text);
    if (rc == BG_OK) {
        const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
        const cJSON *runs = cJSON_GetObjectItemCaseSensitive(root, "runs");
        char tool[64] = "";
        int64_t version = 0, record = 0;
        if (!cJSON_IsString(schema) || strcmp(schema->valuestring, BG_INDEX_SCHEMA) != 0
            || !get_int(root, "version", &version) || !cJSON_IsArray(runs))
            why = "damaged";
        else if (version != BG_INDEX_VERSION || !get_str(root, "tool", tool, sizeof tool)
                 || strcmp(tool, BG_VERSION) != 0 || !get_int(root, "record_version", &record)
                 || record != BG_RECORD_VERSION)
            why = "another version";
        else {
            const cJSON *o;
            cJSON_ArrayForEach(o, runs)
            {
                if ((rc = load_one(ix, o)))
                    break;
            }
        }
    }
    cJSON_Delete(root);
    if (rc) {
        bg__index_close(&ix, false, NULL, 0);
        return rc;
    }
    if (why) {
        ix->dirty = true; /* rewrite it whole, even if no run changes */
        if (rebuilt)
            *rebuilt = why;
    }
    *out = ix;
    return BG_OK;
}

const bg_index_entry *bg__index_find(bg_index *ix, const char *key, const struct stat *st, bool full)
{
    ix_entry *s = slot_of(ix, key);
    if (!s->key || s->size != (int64_t)st->st_size || s->mtime_s != mtime_s(st)
        || s->mtime_ns != mtime_ns(st) || s->ino != (uint64_t)st->st_ino
        || (full && !s->e.full)) {
        ix->misses++;
        return NULL;
    }
    s->seen = true;
    ix->hits++;
    return &s->e;
}

int bg__index_put(bg_index *ix, const char *key, const struct stat *st, const bg_run_meta *meta, bool full,
                  size_t nbench, const char *damage)
{
    ix_entry *s = slot_make(ix, key);
    if (!s)
        return BG_ENOMEM;
    /* A note's tag stays while the file is the one it was given for. */
    bool same = s->size == (int64_t)st->st_size && s->mtime_s == mtime_s(st) && s->mtime_ns == mtime_ns(st)
                && s->ino == (uint64_t)st->st_ino;
    char *d = NULL;
    if (full && damage && !(d = strdup(damage)))
        return BG_ENOMEM;
    free(s->damage);
    s->damage = d;
    s->size = (int64_t)st->st_size;
    s->mtime_s = mtime_s(st);
    s->mtime_ns = mtime_ns(st);
    s->ino = (uint64_t)st->st_ino;
    s->e.meta = *meta;
    s->e.full = full;
    s->e.nbench = full ? nbench : 0;
    s->e.damage = s->damage;
    s->seen = true;
    s->has_tag = s->has_tag && same;
    ix->dirty = true;
    return BG_OK;
}

/* key's entry when it still describes the file st, else NULL. */
static ix_entry *current(bg_index *ix, const char *key, const struct stat *st)
{
    ix_entry *s = slot_of(ix, key);
    if (!s->key || s->size != (int64_t)st->st_size || s->mtime_s != mtime_s(st) || s->mtime_ns != mtime_ns(st)
        || s->ino != (uint64_t)st->st_ino)
        return NULL;
    return s;
}

bool bg__index_tag(bg_index *ix, const char *key, const struct stat *st, uint64_t tag)
{
    ix_entry *s = current(ix, key, st);
    return s && s->has_tag && s->note_tag == tag;
}

void bg__index_set_tag(bg_index *ix, const char *key, const struct stat *st, uint64_t tag)
{
    ix_entry *s = current(ix, key, st);
    if (!s || (s->has_tag && s->note_tag == tag))
        return;
    s->has_tag = true;
    s->note_tag = tag;
    ix->dirty = true;
}

static cJSON *entry_json(const ix_entry *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    bool ok = cJSON_AddStringToObject(o, "file", s->key) && cJSON_AddNumberToObject(o, "size", (double)s->size)
              && cJSON_AddNumberToObject(o, "mtime_s", (double)s->mtime_s)
              && cJSON_AddNumberToObject(o, "mtime_ns", (double)s->mtime_ns)
              && cJSON_AddNumberToObject(o, "ino", (double)s->ino)
              && cJSON_AddStringToObject(o, "commit", s->e.meta.commit)
              && cJSON_AddStringToObject(o, "machine", s->e.meta.machine)
              && cJSON_AddNumberToObject(o, "created_unix", (double)s->e.meta.created_unix)
              && cJSON_AddNumberToObject(o, "schema_version", s->e.meta.schema_version);
    if (ok && s->has_tag) {
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)s->note_tag);
        ok = cJSON_AddStringToObject(o, "note", hex) != NULL;
    }
    if (ok && s->e.full)
        ok = cJSON_AddNumberToObject(o, "nbench", (double)s->e.nbench)
             && (s->damage ? cJSON_AddStringToObject(o, "damage", s->damage) != NULL
                           : cJSON_AddNullToObject(o, "damage") != NULL);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Writes the index (entries in key order, so equal stores give equal files). */
static int write_index(bg_index *ix, bool complete, char *err, size_t errlen)
{
    struct stat st;
    if (stat(ix->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return BG_OK; /* no store yet: nothing to cache */
    const char **keys = malloc((ix->n ? ix->n : 1) * sizeof *keys);
    cJSON *root = cJSON_CreateObject();
    cJSON *runs = root ? cJSON_AddArrayToObject(root, "runs") : NULL;
    int rc = keys && runs && cJSON_AddStringToObject(root, "schema", BG_INDEX_SCHEMA)
                     && cJSON_AddNumberToObject(root, "version", BG_INDEX_VERSION)
                     && cJSON_AddStringToObject(root, "tool", BG_VERSION)
                     && cJSON_AddNumberToObject(root, "record_version", BG_RECORD_VERSION)
                 ? BG_OK
                 : BG_ENOMEM;
    size_t nk = 0;
    for (size_t i = 0; rc == BG_OK && i < ix->cap; i++)
        if (ix->slots[i].key && (!complete || ix->slots[i].seen))
            keys[nk++] = ix->slots[i].key;
    if (rc == BG_OK)
        qsort(keys, nk, sizeof *keys, cmp_str);
    for (size_t i = 0; rc == BG_OK && i < nk; i++) {
        cJSON *o = entry_json(slot_of(ix, keys[i]));
        if (!o)
            rc = BG_ENOMEM;
        else
            cJSON_AddItemToArray(runs, o);
    }
    char *text = rc == BG_OK ? cJSON_PrintUnformatted(root) : NULL;
    if (rc == BG_OK && !text)
        rc = BG_ENOMEM;
    if (rc == BG_OK)
        rc = bg__write_file_atomic(ix->path, text, strlen(text), err, errlen);
    else if (err && errlen)
        snprintf(err, errlen, "out of memory writing the index %s", ix->path);
    free(text);
    cJSON_Delete(root);
    free(keys);
    if (rc == BG_OK)
        last_written = true;
    return rc;
}

int bg__index_close(bg_index **pix, bool complete, char *err, size_t errlen)
{
    if (!pix || !*pix)
        return BG_OK;
    bg_index *ix = *pix;
    last_hits = ix->hits;
    last_misses = ix->misses;
    last_written = false;
    int rc = BG_OK;
    if (complete && !ix->dirty)
        for (size_t i = 0; i < ix->cap; i++)
            if (ix->slots[i].key && !ix->slots[i].seen) {
                ix->dirty = true; /* a run file is gone */
                break;
            }
    if (ix->dirty && ix->slots)
        rc = write_index(ix, complete, err, errlen);
    for (size_t i = 0; i < ix->cap; i++)
        if (ix->slots[i].key)
            entry_clear(&ix->slots[i]);
    free(ix->slots);
    free(ix->path);
    free(ix->dir);
    free(ix);
    *pix = NULL;
    return rc;
}
