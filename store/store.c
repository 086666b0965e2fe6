/* The run store: saves, lists and validates run record files under .benchgate/, and shares them as git notes. */
#include "bg_store.h"
#include "bg_index.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bg_fingerprint.h"
#include "bg_model.h"

struct bg_store {
    char *dir;
    const char *source;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* malloc'd printf; NULL when out of memory. */
static char *strfmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static int is_hex40(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return i == BG_GIT_OID_HEX;
}

/* A machine id is used as a directory name: letters, digits, '_', '-', '.',
 * not starting with '.', at most BG_MACHINE_ID_MAX characters. */
static int valid_machine_id(const char *s)
{
    size_t i = 0;
    if (!s || s[0] == '.' || s[0] == '\0')
        return 0;
    for (; s[i]; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              c == '-' || c == '.'))
            return 0;
    }
    return i <= BG_MACHINE_ID_MAX;
}

/* ---- open ---- */

int bg_store_open(bg_store **out, const char *override_dir, const char *cwd, char *err, size_t errlen)
{
    if (!out)
        return BG_EINVAL;
    *out = NULL;
    if (!cwd)
        cwd = ".";
    char *dir = NULL;
    const char *source = NULL;
    const char *env = getenv("BENCHGATE_DIR");
    if (override_dir && *override_dir) {
        dir = strdup(override_dir);
        source = "flag";
    } else if (env && *env) {
        dir = strdup(env);
        source = "BENCHGATE_DIR";
    } else {
        bg_git *g = NULL;
        char gerr[512] = "";
        int rc = bg_git_open(&g, cwd, gerr, sizeof gerr);
        /* The main checkout's root, so that linked worktrees share its runs. */
        if (rc == BG_OK && bg_git_main_workdir(g)) {
            dir = strfmt("%s.benchgate", bg_git_main_workdir(g)); /* ends in '/' */
            source = "repository";
        } else if (rc == BG_OK || rc == BG_ENOTFOUND) {
            dir = strfmt("%s/.benchgate", cwd);
            source = "current directory";
        } else {
            set_err(err, errlen, "cannot choose the store directory: %s", gerr);
            return rc;
        }
        bg_git_close(&g);
    }
    if (!dir) {
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    /* Absolute, without trailing slashes, so messages name one place. */
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        dir[--n] = '\0';
    if (dir[0] != '/') {
        char *here = getcwd(NULL, 0);
        char *abs = here ? strfmt("%s/%s", here, strncmp(dir, "./", 2) == 0 ? dir + 2 : dir) : NULL;
        free(here);
        free(dir);
        if (!abs) {
            set_err(err, errlen, "cannot make the store directory absolute: %s", strerror(errno));
            return BG_EIO;
        }
        dir = abs;
    }
    bg_store *s = calloc(1, sizeof *s);
    if (!s) {
        free(dir);
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    s->dir = dir;
    s->source = source;
    *out = s;
    return BG_OK;
}

void bg_store_close(bg_store **s)
{
    if (!s || !*s)
        return;
    free((*s)->dir);
    free(*s);
    *s = NULL;
}

const char *bg_store_dir(const bg_store *s)
{
    return s ? s->dir : NULL;
}

const char *bg_store_dir_source(const bg_store *s)
{
    return s ? s->source : NULL;
}

int bg_store_require_dir(const bg_store *s, char *err, size_t errlen)
{
    if (!s)
        return BG_EINVAL;
    int given = strcmp(s->source, "flag") == 0 || strcmp(s->source, "BENCHGATE_DIR") == 0;
    const char *how = strcmp(s->source, "flag") == 0 ? "given with --store" : "given by $BENCHGATE_DIR";
    struct stat st;
    if (stat(s->dir, &st) != 0) {
        if (errno == ENOENT && !given)
            return BG_OK; /* the default store before its first run */
        if (errno == ENOENT)
            set_err(err, errlen, "the store directory %s (%s) does not exist; check the path (a bench binary "
                    "run with --store DIR creates it when it saves a run)", s->dir, how);
        else
            set_err(err, errlen, "cannot use the store directory %s: %s", s->dir, strerror(errno));
        return errno == ENOENT ? BG_ENOTFOUND : BG_EIO;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "the store directory %s%s%s%s is not a directory; name a directory", s->dir,
                given ? " (" : "", given ? how : "", given ? ")" : "");
        return BG_EINVAL;
    }
    return BG_OK;
}

/* ---- validation ---- */

/* Validates a parsed record's envelope. */
static int check_envelope(const cJSON *root, const char *name, bg_run_meta *meta, char *err, size_t errlen)
{
    char why[400] = "";
    int version = 0;
    int64_t created = 0;
    int rc = bg__record_check_header(root, &version, &created, why, sizeof why);
    if (rc) {
        set_err(err, errlen, "%s: %s", name, why);
        return rc;
    }
    const cJSON *git = cJSON_GetObjectItemCaseSensitive(root, "git");
    const cJSON *commit = cJSON_IsObject(git) ? cJSON_GetObjectItemCaseSensitive(git, "commit") : NULL;
    if (!commit || !(cJSON_IsNull(commit) || (cJSON_IsString(commit) && is_hex40(commit->valuestring)))) {
        set_err(err, errlen, "%s: \"git.commit\" is missing or not null or a 40-digit lowercase commit id", name);
        return BG_EPARSE;
    }
    const cJSON *machine = cJSON_GetObjectItemCaseSensitive(root, "machine");
    const cJSON *id = cJSON_IsObject(machine) ? cJSON_GetObjectItemCaseSensitive(machine, "id") : NULL;
    if (!cJSON_IsString(id) || !valid_machine_id(id->valuestring)) {
        set_err(err, errlen, "%s: \"machine.id\" is missing or not a machine id (letters, digits, '-', '_', '.')",
                name);
        return BG_EPARSE;
    }
    if (meta) {
        memset(meta, 0, sizeof *meta);
        if (cJSON_IsString(commit))
            snprintf(meta->commit, sizeof meta->commit, "%s", commit->valuestring);
        snprintf(meta->machine, sizeof meta->machine, "%s", id->valuestring);
        meta->created_unix = created;
        meta->schema_version = version;
    }
    return BG_OK;
}

/* Parses record text; on failure says where and whether it looks truncated.
 * On success *root is the caller's to cJSON_Delete. */
static int parse_record(const char *text, size_t len, const char *name, cJSON **root, char *err, size_t errlen)
{
    *root = NULL;
    size_t start = 0;
    while (start < len && (text[start] == ' ' || text[start] == '\n' || text[start] == '\t' || text[start] == '\r'))
        start++;
    if (start == len) {
        set_err(err, errlen, "%s: empty file (truncated when it was written?)", name);
        return BG_EPARSE;
    }
    const char *end = NULL;
    cJSON *r = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!r) {
        size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        if (at >= len)
            set_err(err, errlen, "%s: truncated JSON (the text ends after %zu bytes, inside the record)", name,
                    len);
        else
            set_err(err, errlen, "%s: corrupt JSON at byte %zu", name, at);
        return BG_EPARSE;
    }
    *root = r;
    return BG_OK;
}

int bg_run_check(const char *text, size_t len, const char *name, bg_run_meta *meta, char *err, size_t errlen)
{
    if (!text)
        return BG_EINVAL;
    if (!name)
        name = "run record";
    cJSON *root = NULL;
    int rc = parse_record(text, len, name, &root, err, errlen);
    if (rc == 0)
        rc = check_envelope(root, name, meta, err, errlen);
    cJSON_Delete(root);
    return rc;
}

/* Reads a whole run file into a NUL-terminated malloc'd buffer: a regular
 * file only (a FIFO, device or symbolic link is refused without blocking),
 * at most bg__read_limit() bytes (model/files.c). */
static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    int code = 0;
    char msg[1024];
    *text = bg__read_file_ex(path, BG_READ_NOFOLLOW, len, &code, msg, sizeof msg);
    if (!*text) {
        set_err(err, errlen, "%s", msg);
        return code;
    }
    return BG_OK;
}

int bg_store_load(const char *path, char **text, size_t *len, bg_run_meta *meta, char *err, size_t errlen)
{
    if (!path || !text)
        return BG_EINVAL;
    *text = NULL;
    char *buf = NULL;
    size_t n = 0;
    int rc = read_file(path, &buf, &n, err, errlen);
    if (rc == 0)
        rc = bg_run_check(buf, n, path, meta, err, errlen);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *text = buf;
    if (len)
        *len = n;
    return BG_OK;
}

/* ---- save ---- */

/* A temporary file older than this is left by a killed save, not one in
 * progress (a save takes well under a second). */
#define STALE_TMP_S 3600.0

/* mkdir -p; existing directories are fine (another process may make them). */
static int mkdir_p(const char *path, char *err, size_t errlen)
{
    char *p = strdup(path);
    if (!p) {
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    int rc = BG_OK;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            set_err(err, errlen, "cannot create directory %s: %s", p, strerror(errno));
            rc = BG_EIO;
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return rc;
}

static uint64_t random64(void)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
        return r;
    /* No entropy yet (early boot): time, pid and a counter still keep names
     * apart, because the pid is also part of the file name. */
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t h = BG_FNV1A64_INIT;
    h = bg_fnv1a64(&ts, sizeof ts, h);
    pid_t pid = getpid();
    h = bg_fnv1a64(&pid, sizeof pid, h);
    counter++;
    return bg_fnv1a64(&counter, sizeof counter, h);
}

/* Writes text to dir/name atomically (model/files.c: a temporary file
 * created exclusively in dir, fsync, rename, fsync of the directory), after
 * removing temporary files a killed save left there more than an hour ago. */
static int write_atomic(const char *dir, const char *name, const char *text, size_t len, char *err, size_t errlen)
{
    (void)bg__sweep_stale_tmp(dir, STALE_TMP_S);
    char *dst = strfmt("%s/%s", dir, name);
    if (!dst) {
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    char msg[1024];
    int rc = bg__write_file_atomic(dst, text, len, msg, sizeof msg);
    if (rc)
        set_err(err, errlen, "%s", msg);
    free(dst);
    return rc;
}

/* The store keeps itself out of git: a .gitignore of "*" in its top
 * directory, written once (a store's runs are shared as git notes, never
 * as files of the work tree). One already there is left as it is. */
static int keep_out_of_git(const bg_store *s, char *err, size_t errlen)
{
    char *p = strfmt("%s/.gitignore", s->dir);
    if (!p) {
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    static const char text[] = "# benchgate's run store: shared as git notes (benchgate push), not as files\n*\n";
    int rc = 0;
    if (access(p, F_OK) != 0)
        rc = write_atomic(s->dir, ".gitignore", text, sizeof text - 1, err, errlen);
    free(p);
    return rc;
}

int bg_store_save(bg_store *s, const char *json, const char *commit, const char *machine_id, char **path,
                  char *err, size_t errlen)
{
    if (path)
        *path = NULL;
    if (!s || !json || !machine_id)
        return BG_EINVAL;
    bg_run_meta meta;
    size_t len = strlen(json);
    int rc = bg_run_check(json, len, "run record to save", &meta, err, errlen);
    if (rc < 0)
        return rc;
    if (commit && !is_hex40(commit)) {
        set_err(err, errlen, "cannot save: '%s' is not a 40-digit lowercase commit id", commit);
        return BG_EINVAL;
    }
    if (strcmp(commit ? commit : "", meta.commit) != 0) {
        set_err(err, errlen, "cannot save: commit %s given, but the record says %s", commit ? commit : "(none)",
                meta.commit[0] ? meta.commit : "(none)");
        return BG_EINVAL;
    }
    if (strcmp(machine_id, meta.machine) != 0) {
        set_err(err, errlen, "cannot save: machine %s given, but the record says %s", machine_id, meta.machine);
        return BG_EINVAL;
    }

    char *dir = strfmt("%s/runs/%s/%s", s->dir, commit ? commit : BG_STORE_NO_COMMIT, machine_id);
    char *name = strfmt("%lld-%ld-%016llx.json", (long long)meta.created_unix, (long)getpid(),
                        (unsigned long long)random64());
    if (!dir || !name) {
        set_err(err, errlen, "out of memory");
        rc = BG_ENOMEM;
    }
    if (rc == 0)
        rc = mkdir_p(dir, err, errlen);
    if (rc == 0) {
        /* Best effort: a writer racing this one writes the same file, and
         * a store where it cannot be written still takes the run. */
        char ignored[256];
        (void)keep_out_of_git(s, ignored, sizeof ignored);
    }
    if (rc == 0)
        rc = write_atomic(dir, name, json, len, err, errlen);
    if (rc == 0 && path) {
        *path = strfmt("%s/%s", dir, name);
        if (!*path) {
            set_err(err, errlen, "out of memory");
            rc = BG_ENOMEM; /* the run is saved; only the path is lost */
        }
    }
    free(dir);
    free(name);
    return rc;
}

/* ---- list ---- */

typedef struct list_ctx {
    bg_run_list *out;
    size_t cap;
    bg_store_skip_fn skip;
    void *ud;
    unsigned flags;
    bg_index *ix; /* the summary index (bg_index.h); NULL: parse every file */
} list_ctx;

/* Reads and checks one run file, parsing it once: its envelope into *meta
 * and, when `full`, the whole record, its benchmark count into *nbench and,
 * when that fails, a message naming the file into *damage (the caller's to
 * free). Returns as bg_store_load() does for the envelope. */
static int load_entry(const char *path, bool full, bg_run_meta *meta, size_t *nbench, char **damage, char *err,
                      size_t errlen)
{
    *nbench = 0;
    *damage = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = read_file(path, &text, &len, err, errlen);
    if (rc)
        return rc;
    cJSON *root = NULL;
    rc = parse_record(text, len, path, &root, err, errlen);
    free(text);
    if (rc == 0)
        rc = check_envelope(root, path, meta, err, errlen);
    if (rc == 0 && full) {
        bg_run run;
        char why[1024] = "";
        int frc = bg__record_from_json(root, &run, why, sizeof why);
        if (frc == BG_ENOMEM) {
            set_err(err, errlen, "%s: out of memory loading it", path);
            rc = BG_ENOMEM;
        } else if (frc) {
            *damage = strfmt("%s: %s", path, why);
            if (!*damage) {
                set_err(err, errlen, "%s: out of memory", path);
                rc = BG_ENOMEM;
            }
        } else {
            *nbench = run.nresults;
            bg__run_free(&run);
        }
    }
    cJSON_Delete(root);
    return rc;
}

static void report_skip(list_ctx *lc, const char *name, int code, const char *msg)
{
    lc->out->skipped++;
    if (lc->skip)
        lc->skip(name, code, msg, lc->ud);
}

/* Reports a directory inside the store that cannot be read (errno e): its
 * runs are left out, the rest of the store still lists. */
static void skip_dir(list_ctx *lc, const char *dir, int e)
{
    char msg[1024];
    snprintf(msg, sizeof msg,
             "cannot read directory %s: %s; the runs in it are not listed (fix its permissions)", dir,
             strerror(e));
    report_skip(lc, dir, BG_EIO, msg);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* load_entry() through the summary index: a file whose size, time and inode
 * match its entry is not read; one parsed anew is recorded in the index. */
static int index_entry(list_ctx *lc, const char *path, const char *commit_dir, const char *machine_dir,
                       const char *name, bg_run_meta *meta, size_t *nbench, char **damage, char *err,
                       size_t errlen)
{
    bool full = lc->flags & BG_STORE_LIST_FULL;
    struct stat st;
    char key[512];
    if (!lc->ix || stat(path, &st) != 0 || !S_ISREG(st.st_mode)
        || (size_t)snprintf(key, sizeof key, "%s/%s/%s", commit_dir, machine_dir, name) >= sizeof key)
        return load_entry(path, full, meta, nbench, damage, err, errlen);
    const bg_index_entry *e = bg__index_find(lc->ix, key, &st, full);
    if (e) {
        *meta = e->meta;
        *nbench = e->nbench;
        *damage = NULL;
        if (e->damage && !(*damage = strdup(e->damage))) {
            set_err(err, errlen, "%s: out of memory", path);
            return BG_ENOMEM;
        }
        return BG_OK;
    }
    int rc = load_entry(path, full, meta, nbench, damage, err, errlen);
    if (rc == BG_OK && bg__index_put(lc->ix, key, &st, meta, full, *nbench, *damage) == BG_ENOMEM) {
        free(*damage);
        *damage = NULL;
        set_err(err, errlen, "%s: out of memory", path);
        return BG_ENOMEM;
    }
    return rc;
}

/* Lists the run files of one commit/machine directory. */
static int list_machine_dir(list_ctx *lc, const char *dir, const char *commit_dir, const char *machine_dir,
                            char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR)
            return BG_OK;
        skip_dir(lc, dir, errno);
        return BG_OK;
    }
    int rc = BG_OK;
    struct dirent *de;
    while (rc == BG_OK && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !ends_with(de->d_name, ".json"))
            continue;
        char *path = strfmt("%s/%s", dir, de->d_name);
        if (!path) {
            rc = BG_ENOMEM;
            break;
        }
        char msg[1024];
        bg_run_meta meta;
        size_t nbench = 0;
        char *damage = NULL;
        int lrc = index_entry(lc, path, commit_dir, machine_dir, de->d_name, &meta, &nbench, &damage, msg,
                              sizeof msg);
        if (lrc == BG_ENOMEM) {
            free(damage);
            free(path);
            rc = BG_ENOMEM;
            break;
        }
        if (lrc == BG_OK) {
            const char *want_commit = strcmp(commit_dir, BG_STORE_NO_COMMIT) == 0 ? "" : commit_dir;
            if (strcmp(meta.commit, want_commit) != 0 || strcmp(meta.machine, machine_dir) != 0) {
                snprintf(msg, sizeof msg, "%s: misfiled: its record says commit %s, machine %s", path,
                         meta.commit[0] ? meta.commit : BG_STORE_NO_COMMIT, meta.machine);
                lrc = BG_EPARSE;
            }
        }
        if (lrc < 0) {
            report_skip(lc, path, lrc, msg);
            free(damage);
            free(path);
            continue;
        }
        if (lc->out->n == lc->cap) {
            size_t cap = lc->cap ? lc->cap * 2 : 32;
            bg_run_entry *v = realloc(lc->out->runs, cap * sizeof *v);
            if (!v) {
                free(damage);
                free(path);
                rc = BG_ENOMEM;
                break;
            }
            lc->out->runs = v;
            lc->cap = cap;
        }
        bg_run_entry *e = &lc->out->runs[lc->out->n++];
        e->meta = meta;
        e->path = path;
        e->nbench = nbench;
        e->damage = damage;
    }
    closedir(d);
    if (rc == BG_ENOMEM)
        set_err(err, errlen, "out of memory listing %s", dir);
    return rc;
}

/* The names in dir, except those starting with '.' (ENOENT: none). A dir
 * that cannot be read is an error when lc is NULL (the store's own runs/
 * directory), else reported through lc and treated as empty. */
static int list_subdirs(const char *dir, char ***names, size_t *n, list_ctx *lc, char *err, size_t errlen)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR)
            return BG_OK;
        if (lc) {
            skip_dir(lc, dir, errno);
            return BG_OK;
        }
        set_err(err, errlen, "cannot read directory %s: %s", dir, strerror(errno));
        return BG_EIO;
    }
    size_t cap = 0;
    int rc = BG_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **v = realloc(*names, ncap * sizeof *v);
            if (!v) {
                rc = BG_ENOMEM;
                break;
            }
            *names = v;
            cap = ncap;
        }
        if (!((*names)[*n] = strdup(de->d_name))) {
            rc = BG_ENOMEM;
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (rc < 0) {
        for (size_t i = 0; i < *n; i++)
            free((*names)[i]);
        free(*names);
        *names = NULL;
        *n = 0;
        set_err(err, errlen, "out of memory listing %s", dir);
    }
    return rc;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static int cmp_entry(const void *a, const void *b)
{
    const bg_run_entry *x = a, *y = b;
    if (x->meta.created_unix != y->meta.created_unix)
        return x->meta.created_unix < y->meta.created_unix ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* Lists the machines of one commit directory. */
static int list_commit_dir(list_ctx *lc, const char *runs, const char *commit_dir, const char *machine,
                           char *err, size_t errlen)
{
    char *cdir = strfmt("%s/%s", runs, commit_dir);
    if (!cdir) {
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    char **machines = NULL;
    size_t nm = 0;
    int rc = list_subdirs(cdir, &machines, &nm, lc, err, errlen);
    for (size_t i = 0; rc == BG_OK && i < nm; i++) {
        if (machine && strcmp(machine, machines[i]) != 0)
            continue;
        char *mdir = strfmt("%s/%s", cdir, machines[i]);
        if (!mdir) {
            set_err(err, errlen, "out of memory");
            rc = BG_ENOMEM;
            break;
        }
        rc = list_machine_dir(lc, mdir, commit_dir, machines[i], err, errlen);
        free(mdir);
    }
    free_names(machines, nm);
    free(cdir);
    return rc;
}

int bg_store_list(bg_store *s, const char *commit, const char *machine, bg_run_list *out, bg_store_skip_fn skip,
                  void *ud, char *err, size_t errlen)
{
    return bg_store_list_ex(s, commit, machine, 0, out, skip, ud, err, errlen);
}

int bg_store_list_ex(bg_store *s, const char *commit, const char *machine, unsigned flags, bg_run_list *out,
                     bg_store_skip_fn skip, void *ud, char *err, size_t errlen)
{
    if (!s || !out)
        return BG_EINVAL;
    memset(out, 0, sizeof *out);
    if (commit && commit[0] && !is_hex40(commit)) {
        set_err(err, errlen, "'%s' is not a 40-digit lowercase commit id", commit);
        return BG_EINVAL;
    }
    list_ctx lc = {out, 0, skip, ud, flags, NULL};
    char *runs = strfmt("%s/runs", s->dir);
    /* The index pays off over many commits; one commit's few files are
     * read directly (loading a 10,000-run index costs more than they do). */
    if (!runs || (!commit && bg__index_open(s->dir, &lc.ix, NULL))) {
        free(runs);
        set_err(err, errlen, "out of memory");
        return BG_ENOMEM;
    }
    int rc;
    if (commit) {
        rc = list_commit_dir(&lc, runs, commit[0] ? commit : BG_STORE_NO_COMMIT, machine, err, errlen);
    } else {
        char **commits = NULL;
        size_t nc = 0;
        rc = list_subdirs(runs, &commits, &nc, NULL, err, errlen);
        for (size_t i = 0; rc == BG_OK && i < nc; i++)
            rc = list_commit_dir(&lc, runs, commits[i], machine, err, errlen);
        free_names(commits, nc);
    }
    free(runs);
    /* The index is a cache: a failed write costs only time on the next list. */
    bg__index_close(&lc.ix, rc == BG_OK && !commit && !machine, NULL, 0);
    if (rc < 0) {
        bg_run_list_free(out);
        return rc;
    }
    if (out->n > 1)
        qsort(out->runs, out->n, sizeof *out->runs, cmp_entry);
    return BG_OK;
}

void bg_run_list_free(bg_run_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->runs[i].path);
        free(l->runs[i].damage);
    }
    free(l->runs);
    memset(l, 0, sizeof *l);
}

/* ---- sets of run records (the content of one note) ---- */

typedef struct run_item {
    uint64_t key;    /* FNV-1a of the compact JSON: equal records, equal keys */
    int64_t created; /* for a stable order; 0 when unknown */
    cJSON *json;     /* owned by the set */
} run_item;

typedef struct run_set {
    run_item *v;
    size_t n, cap;
} run_set;

static void set_free(run_set *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        cJSON_Delete(rs->v[i].json);
    free(rs->v);
    memset(rs, 0, sizeof *rs);
}

/* The identity of a record: a hash of its compact form. */
static int record_key(const cJSON *item, uint64_t *key)
{
    char *compact = cJSON_PrintUnformatted(item);
    if (!compact)
        return BG_ENOMEM;
    *key = bg_fnv1a64(compact, strlen(compact), BG_FNV1A64_INIT);
    cJSON_free(compact);
    return BG_OK;
}

static int set_has(const run_set *rs, uint64_t key)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->v[i].key == key)
            return 1;
    return 0;
}

/* Adds item to the set, taking ownership. *added says whether it was new
 * (a duplicate is freed). */
static int set_add(run_set *rs, cJSON *item, int *added)
{
    if (added)
        *added = 0;
    uint64_t key;
    if (record_key(item, &key) < 0) {
        cJSON_Delete(item);
        return BG_ENOMEM;
    }
    if (set_has(rs, key)) {
        cJSON_Delete(item);
        return BG_OK;
    }
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        run_item *v = realloc(rs->v, cap * sizeof *v);
        if (!v) {
            cJSON_Delete(item);
            return BG_ENOMEM;
        }
        rs->v = v;
        rs->cap = cap;
    }
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(item, "created_unix");
    rs->v[rs->n].key = key;
    rs->v[rs->n].created = cJSON_IsNumber(c) ? (int64_t)c->valuedouble : 0;
    rs->v[rs->n].json = item;
    rs->n++;
    if (added)
        *added = 1;
    return BG_OK;
}

/* Adds every element of a note's JSON array. A note that is not a JSON
 * array is reported and contributes nothing. */
static int set_add_note(run_set *rs, const char *text, const char *commit, list_ctx *lc)
{
    cJSON *arr = cJSON_Parse(text);
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        char name[128], msg[512];
        snprintf(name, sizeof name, "note on %s", commit);
        snprintf(msg, sizeof msg,
                 "the note on commit %s in %s is not a JSON array of runs; it is left out of the "
                 "merge and the runs in the other note are kept (see it with: git notes --ref=%s show %s)",
                 commit, BG_STORE_NOTES_REF, &BG_STORE_NOTES_REF[sizeof "refs/notes/" - 1], commit);
        report_skip(lc, name, BG_EPARSE, msg);
        return BG_OK;
    }
    int rc = BG_OK;
    cJSON *item;
    while (rc == BG_OK && (item = cJSON_DetachItemFromArray(arr, 0)) != NULL)
        rc = set_add(rs, item, NULL);
    cJSON_Delete(arr);
    return rc;
}

static int cmp_item(const void *a, const void *b)
{
    const run_item *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* The note text for a set: a compact JSON array ordered by time then key,
 * so two machines that merge the same runs write the same note. The set is
 * emptied. Returns NULL when out of memory. */
static char *set_to_note(run_set *rs)
{
    if (rs->n > 1)
        qsort(rs->v, rs->n, sizeof *rs->v, cmp_item);
    cJSON *arr = cJSON_CreateArray();
    if (!arr) {
        set_free(rs);
        return NULL;
    }
    for (size_t i = 0; i < rs->n; i++) {
        cJSON_AddItemToArray(arr, rs->v[i].json);
        rs->v[i].json = NULL;
    }
    set_free(rs);
    char *text = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    return text;
}

/* bg_git_note_merge_fn: the union of two notes. */
static int union_notes(const char *commit, const char *ours, const char *theirs, char **merged, void *ud)
{
    list_ctx *lc = ud;
    run_set rs = {0};
    int rc = set_add_note(&rs, ours, commit, lc);
    if (rc == BG_OK)
        rc = set_add_note(&rs, theirs, commit, lc);
    if (rc < 0) {
        set_free(&rs);
        return rc;
    }
    char *text = set_to_note(&rs);
    if (!text)
        return BG_ENOMEM;
    *merged = strdup(text);
    cJSON_free(text);
    return *merged ? BG_OK : BG_ENOMEM;
}

/* ---- export / import ---- */

static void stats_skipped(bg_sync_stats *st, const bg_run_list *l)
{
    if (st)
        st->skipped += l->skipped;
}

/* The tag of a note's text (bg_index.h): its git blob id's first 8 bytes,
 * which the notes tree gives without reading the note. */
static uint64_t text_hash(const char *s, size_t len)
{
    return bg_git_blob_tag(s, len);
}

/* The index key of a run file ("<commit>/<machine>/<name>", its last three
 * path components) and its stat; false when there is none. */
static bool run_key(const char *path, char *key, size_t n, struct stat *st)
{
    const char *p = path + strlen(path);
    for (int slashes = 0; p > path; p--)
        if (p[-1] == '/' && ++slashes == 3)
            break;
    return p > path && stat(path, st) == 0 && (size_t)snprintf(key, n, "%s", p) < n;
}

/* Whether every run of [from, to) is tagged in the index with the note text
 * hash h: the note already holds them all, as of the last push. */
static bool all_tagged(bg_index *ix, const bg_run_entry *runs, size_t from, size_t to, uint64_t h)
{
    for (size_t i = from; ix && i < to; i++) {
        char key[512];
        struct stat sb;
        if (!run_key(runs[i].path, key, sizeof key, &sb) || !bg__index_tag(ix, key, &sb, h))
            return false;
    }
    return ix != NULL;
}

static void tag_all(bg_index *ix, const bg_run_entry *runs, size_t from, size_t to, uint64_t h)
{
    for (size_t i = from; ix && i < to; i++) {
        char key[512];
        struct stat sb;
        if (run_key(runs[i].path, key, sizeof key, &sb))
            bg__index_set_tag(ix, key, &sb, h);
    }
}

/* Exports the runs[from, to) of one commit into its note. With the index
 * (may be NULL), a commit whose note is unchanged since it was last found
 * to hold every one of these runs is skipped without parsing anything. */
static int export_commit(bg_git_notes_batch *nb, const bg_run_entry *runs, size_t from, size_t to, list_ctx *lc,
                         bg_sync_stats *st, bg_index *ix, char *err, size_t errlen)
{
    const char *commit = runs[from].meta.commit;
    run_set rs = {0};
    char *note = NULL;
    uint64_t h = 0;
    /* The note's tag comes from the notes tree: an unchanged note holding
     * every run is skipped unread (reading each note was most of a push
     * after one new run over thousands of commits). */
    int rc = bg_git_notes_batch_tag(nb, commit, &h, err, errlen);
    if (rc == BG_OK && all_tagged(ix, runs, from, to, h))
        return BG_OK;
    if (rc == BG_OK)
        rc = bg_git_notes_batch_read(nb, commit, &note, err, errlen);
    if (rc == BG_ENOTFOUND) {
        h = 0;
        rc = BG_OK;
    } else if (rc == BG_OK) {
        rc = set_add_note(&rs, note, commit, lc);
    }
    free(note);
    size_t added = 0;
    for (size_t i = from; rc == BG_OK && i < to; i++) {
        char *text = NULL;
        char msg[1024];
        int lrc = bg_store_load(runs[i].path, &text, NULL, NULL, msg, sizeof msg);
        cJSON *item = lrc == BG_OK ? cJSON_Parse(text) : NULL;
        free(text);
        if (lrc == BG_ENOMEM || (lrc == BG_OK && !item)) {
            rc = BG_ENOMEM;
            break;
        }
        if (lrc < 0) { /* changed since it was listed */
            report_skip(lc, runs[i].path, lrc, msg);
            continue;
        }
        int was_new = 0;
        rc = set_add(&rs, item, &was_new);
        added += (size_t)was_new;
    }
    if (rc == BG_OK && added == 0 && h)
        tag_all(ix, runs, from, to, h);
    if (rc == BG_OK && added > 0) {
        char *text = set_to_note(&rs);
        if (!text) {
            rc = BG_ENOMEM;
        } else {
            rc = bg_git_notes_batch_put(nb, commit, text, err, errlen);
            if (rc == BG_OK)
                tag_all(ix, runs, from, to, text_hash(text, strlen(text)));
            cJSON_free(text);
        }
        if (rc == BG_OK && st) {
            st->notes_written++;
            st->runs_exported += added;
        }
    }
    if (rc == BG_ENOMEM)
        set_err(err, errlen, "out of memory exporting the runs of %s", commit);
    set_free(&rs);
    return rc;
}

static int cmp_by_commit(const void *a, const void *b)
{
    const bg_run_entry *x = a, *y = b;
    int c = strcmp(x->meta.commit, y->meta.commit);
    return c ? c : cmp_entry(a, b);
}

int bg_store_export_notes(bg_store *s, bg_git *g, bg_sync_stats *stats, bg_store_skip_fn skip, void *ud,
                          char *err, size_t errlen)
{
    if (!s || !g)
        return BG_EINVAL;
    bg_run_list l;
    int rc = bg_store_list(s, NULL, NULL, &l, skip, ud, err, errlen);
    if (rc < 0)
        return rc;
    stats_skipped(stats, &l);
    size_t skipped_before = l.skipped;
    list_ctx lc = {&l, 0, skip, ud, 0, NULL};
    if (l.n > 1) /* runs is NULL when the store is empty */
        qsort(l.runs, l.n, sizeof *l.runs, cmp_by_commit);
    bg_index *ix = NULL; /* without it (out of memory) every note is read and merged */
    if (bg__index_open(s->dir, &ix, NULL) != BG_OK)
        ix = NULL;
    /* One notes commit for the whole export (a commit per note copies the
     * whole notes tree each time: quadratic in the number of notes). A tag
     * set for a note whose commit then fails is harmless: it names a text
     * the ref does not hold, so the next push merges that commit again. */
    bg_git_notes_batch *nb = NULL;
    rc = bg_git_notes_batch_begin(g, BG_STORE_NOTES_REF, &nb, err, errlen);
    for (size_t i = 0; rc == BG_OK && i < l.n;) {
        size_t j = i;
        while (j < l.n && strcmp(l.runs[j].meta.commit, l.runs[i].meta.commit) == 0)
            j++;
        if (l.runs[i].meta.commit[0]) /* runs made outside a commit stay local */
            rc = export_commit(nb, l.runs, i, j, &lc, stats, ix, err, errlen);
        i = j;
    }
    int erc = bg_git_notes_batch_end(&nb, rc == BG_OK, err, errlen);
    if (rc == BG_OK)
        rc = erc;
    bg__index_close(&ix, false, NULL, 0);
    if (stats)
        stats->skipped += l.skipped - skipped_before;
    bg_run_list_free(&l);
    return rc;
}

/* Notes a fetch found wholly in the store: for each commit, the tag of the
 * note's text (its blob id, bg_git_blob_tag), a fingerprint of the commit's run files just after (names,
 * sizes, times, inodes) and the note's run count. A later fetch that finds
 * the same note and the same files skips the note unread: every run in it
 * is still there. Any change (a new note text, a run file added, removed,
 * rewritten) reads the note again. Kept in <store>/notes-imported, a cache:
 * missing or damaged, every note is read, as without it. */
#define SEEN_FILE "notes-imported"
#define SEEN_MAGIC "benchgate notes-imported 1"

typedef struct seen_note {
    char commit[BG_GIT_OID_BUF];
    uint64_t text, files;
    size_t nruns;
} seen_note;

typedef struct seen_set {
    seen_note *v; /* sorted by commit after load; new entries appended then resorted */
    size_t n, cap;
    bool changed;
} seen_set;

static int cmp_seen(const void *a, const void *b)
{
    return strcmp(((const seen_note *)a)->commit, ((const seen_note *)b)->commit);
}

static seen_note *seen_find(seen_set *ss, const char *commit)
{
    seen_note key;
    snprintf(key.commit, sizeof key.commit, "%s", commit);
    return ss->n ? bsearch(&key, ss->v, ss->n, sizeof *ss->v, cmp_seen) : NULL;
}

static void seen_load(const bg_store *s, seen_set *ss)
{
    char *path = strfmt("%s/%s", s->dir, SEEN_FILE);
    char *text = NULL;
    size_t len = 0;
    if (!path || read_file(path, &text, &len, NULL, 0) != BG_OK || strncmp(text, SEEN_MAGIC "\n", strlen(SEEN_MAGIC) + 1)) {
        free(path);
        free(text);
        return;
    }
    free(path);
    char *save = NULL;
    for (char *line = strtok_r(text + strlen(SEEN_MAGIC) + 1, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        seen_note e;
        char c[64];
        unsigned long long t, f, n;
        if (sscanf(line, "%63s %16llx %16llx %llu", c, &t, &f, &n) != 4 || !is_hex40(c))
            continue;
        if (ss->n == ss->cap) {
            size_t nc = ss->cap ? 2 * ss->cap : 256;
            seen_note *nv = realloc(ss->v, nc * sizeof *nv);
            if (!nv)
                break;
            ss->v = nv;
            ss->cap = nc;
        }
        memcpy(e.commit, c, BG_GIT_OID_BUF); /* 40 hex and the NUL (is_hex40) */
        e.text = t;
        e.files = f;
        e.nruns = (size_t)n;
        ss->v[ss->n++] = e;
    }
    free(text);
    if (ss->n > 1)
        qsort(ss->v, ss->n, sizeof *ss->v, cmp_seen);
    for (size_t i = 1; i < ss->n; i++) /* a repeated commit: trust neither */
        if (!strcmp(ss->v[i].commit, ss->v[i - 1].commit))
            ss->v[i].text = ss->v[i - 1].text = 0;
}

static void seen_save(const bg_store *s, seen_set *ss)
{
    if (!ss->changed)
        return;
    if (ss->n > 1)
        qsort(ss->v, ss->n, sizeof *ss->v, cmp_seen);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    fprintf(f, "%s\n", SEEN_MAGIC);
    for (size_t i = 0; i < ss->n; i++)
        fprintf(f, "%s %016llx %016llx %zu\n", ss->v[i].commit, (unsigned long long)ss->v[i].text,
                (unsigned long long)ss->v[i].files, ss->v[i].nruns);
    if (fclose(f) == 0)
        write_atomic(s->dir, SEEN_FILE, buf, len, NULL, 0); /* a cache: a failed write costs time only */
    free(buf);
}

/* Records (or replaces) the note of `commit` as wholly in the store. */
static void seen_put(seen_set *ss, const char *commit, uint64_t text, uint64_t files, size_t nruns)
{
    seen_note *e = seen_find(ss, commit);
    if (!e) {
        if (ss->n == ss->cap) {
            size_t nc = ss->cap ? 2 * ss->cap : 256;
            seen_note *nv = realloc(ss->v, nc * sizeof *nv);
            if (!nv)
                return; /* a cache: the next fetch reads this note again */
            ss->v = nv;
            ss->cap = nc;
        }
        e = &ss->v[ss->n++];
        snprintf(e->commit, sizeof e->commit, "%s", commit);
        /* Kept sorted for seen_find: insertion from the end. */
        seen_note tmp = *e;
        size_t i = ss->n - 1;
        while (i > 0 && strcmp(ss->v[i - 1].commit, tmp.commit) > 0) {
            ss->v[i] = ss->v[i - 1];
            i--;
        }
        ss->v[i] = tmp;
        e = &ss->v[i];
    }
    e->text = text;
    e->files = files;
    e->nruns = nruns;
    ss->changed = true;
}

typedef struct file_fp {
    char *name;
    struct stat st;
} file_fp;

static int cmp_fp(const void *a, const void *b)
{
    return strcmp(((const file_fp *)a)->name, ((const file_fp *)b)->name);
}

/* A fingerprint of the files under runs/<commit>/ (two levels: machine
 * directories, run files): their names, sizes, modification times and
 * inodes. 0 when it cannot be taken (then nothing is skipped). */
static uint64_t commit_files(const bg_store *s, const char *commit)
{
    char *dir = strfmt("%s/runs/%s", s->dir, commit);
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) {
        bool none = dir && errno == ENOENT;
        free(dir);
        return none ? UINT64_C(1) : 0; /* no runs of the commit yet */
    }
    file_fp *v = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *sub = strfmt("%s/%s", dir, e->d_name);
        DIR *d2 = sub ? opendir(sub) : NULL;
        struct dirent *e2;
        while (ok && d2 && (e2 = readdir(d2))) {
            if (e2->d_name[0] == '.')
                continue;
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 16;
                file_fp *nv = realloc(v, nc * sizeof *nv);
                if (!nv) {
                    ok = false;
                    break;
                }
                v = nv;
                cap = nc;
            }
            v[n].name = strfmt("%s/%s", e->d_name, e2->d_name);
            char *full = v[n].name ? strfmt("%s/%s", dir, v[n].name) : NULL;
            if (!full || lstat(full, &v[n].st) != 0) {
                free(v[n].name);
                ok = false;
            } else {
                n++;
            }
            free(full);
        }
        if (!d2)
            ok = false;
        else
            closedir(d2);
        free(sub);
    }
    closedir(d);
    free(dir);
    uint64_t h = BG_FNV1A64_INIT;
    if (ok && n > 1)
        qsort(v, n, sizeof *v, cmp_fp);
    for (size_t i = 0; i < n; i++) {
        if (ok) {
            uint64_t f[5] = {(uint64_t)v[i].st.st_size, (uint64_t)v[i].st.st_mtim.tv_sec,
                             (uint64_t)v[i].st.st_mtim.tv_nsec, (uint64_t)v[i].st.st_ino,
                             (uint64_t)v[i].st.st_mode};
            h = bg_fnv1a64(v[i].name, strlen(v[i].name) + 1, h);
            h = bg_fnv1a64(f, sizeof f, h);
        }
        free(v[i].name);
    }
    free(v);
    return ok ? (h ? h : 2) : 0;
}

typedef struct import_ctx {
    bg_store *s;
    seen_set seen;
    bg_index *ix; /* runs written are tagged with their note (may be NULL) */
    bg_sync_stats *st;
    bg_run_list skips; /* only .skipped is used, through list_ctx */
    list_ctx lc;
    char *err;
    size_t errlen;
} import_ctx;

/* Keys of the runs of one commit already in the store. */
static int store_keys(bg_store *s, const char *commit, run_set *keys, list_ctx *lc, char *err, size_t errlen)
{
    bg_run_list l;
    int rc = bg_store_list(s, commit, NULL, &l, lc->skip, lc->ud, err, errlen);
    if (rc < 0)
        return rc;
    lc->out->skipped += l.skipped;
    for (size_t i = 0; rc == BG_OK && i < l.n; i++) {
        char *text = NULL;
        if (bg_store_load(l.runs[i].path, &text, NULL, NULL, NULL, 0) != BG_OK)
            continue; /* vanished or changed since listing: treat as absent */
        cJSON *item = cJSON_Parse(text);
        free(text);
        if (!item) {
            rc = BG_ENOMEM;
            break;
        }
        rc = set_add(keys, item, NULL);
    }
    bg_run_list_free(&l);
    if (rc == BG_ENOMEM)
        set_err(err, errlen, "out of memory reading the runs of %s", commit);
    return rc;
}

/* bg_git_note_want_fn: a note found wholly in the store last time, with
 * the commit's run files unchanged, is not read (its runs count as present). */
static bool want_note(const char *commit, uint64_t tag, void *ud)
{
    import_ctx *ic = ud;
    const seen_note *seen = seen_find(&ic->seen, commit);
    if (!seen || seen->text != tag)
        return true;
    uint64_t files = commit_files(ic->s, commit);
    if (!files || seen->files != files)
        return true;
    if (ic->st)
        ic->st->runs_present += seen->nruns;
    return false;
}

/* bg_git_note_fn: writes the runs of one note into the store. */
static int import_note(const char *commit, const char *text, size_t len, void *ud)
{
    import_ctx *ic = ud;
    uint64_t th = text_hash(text, len), files = 0;
    size_t skipped_before = ic->skips.skipped, nruns = 0;
    run_set have = {0};
    int rc = store_keys(ic->s, commit, &have, &ic->lc, ic->err, ic->errlen);
    cJSON *arr = rc == BG_OK ? cJSON_ParseWithLength(text, len) : NULL;
    if (rc == BG_OK && !cJSON_IsArray(arr)) {
        char name[128], msg[256];
        snprintf(name, sizeof name, "note on %s", commit);
        snprintf(msg, sizeof msg, "the note on %s in %s is not a JSON array of runs; nothing imported from it",
                 commit, BG_STORE_NOTES_REF);
        report_skip(&ic->lc, name, BG_EPARSE, msg);
    }
    size_t idx = 0;
    const cJSON *item;
    const cJSON *items = cJSON_IsArray(arr) ? arr : NULL;
    cJSON_ArrayForEach(item, items)
    {
        if (rc < 0)
            break;
        idx++;
        char name[160], msg[1024];
        snprintf(name, sizeof name, "run %zu in the note on %s", idx, commit);
        char *compact = cJSON_PrintUnformatted(item);
        if (!compact) {
            rc = BG_ENOMEM;
            break;
        }
        uint64_t key = bg_fnv1a64(compact, strlen(compact), BG_FNV1A64_INIT);
        bg_run_meta meta;
        int vrc = bg_run_check(compact, strlen(compact), name, &meta, msg, sizeof msg);
        cJSON_free(compact);
        if (vrc == BG_OK && strcmp(meta.commit, commit) != 0) {
            snprintf(msg, sizeof msg, "%s: its record says commit %s", name,
                     meta.commit[0] ? meta.commit : BG_STORE_NO_COMMIT);
            vrc = BG_EPARSE;
        }
        if (vrc == BG_OK) { /* the body too: a run compare would skip is not imported */
            bg_run run;
            char why[768];
            int frc = bg__record_from_json(item, &run, why, sizeof why);
            if (frc == BG_ENOMEM) {
                rc = BG_ENOMEM;
                break;
            }
            if (frc == 0)
                bg__run_free(&run);
            else {
                snprintf(msg, sizeof msg, "%s: damaged, not imported: %s", name, why);
                vrc = frc;
            }
        }
        if (vrc < 0) {
            report_skip(&ic->lc, name, vrc, msg);
            continue;
        }
        nruns++;
        if (set_has(&have, key)) {
            if (ic->st)
                ic->st->runs_present++;
            continue;
        }
        char *pretty = cJSON_Print(item);
        if (!pretty) {
            rc = BG_ENOMEM;
            break;
        }
        char *path = NULL;
        rc = bg_store_save(ic->s, pretty, commit, meta.machine, &path, ic->err, ic->errlen);
        cJSON_free(pretty);
        char rkey[512];
        struct stat sb;
        /* The note holds this run: a push that finds the note unchanged
         * need not read it (export_commit). */
        if (rc == BG_OK && ic->ix && run_key(path, rkey, sizeof rkey, &sb)
            && bg__index_put(ic->ix, rkey, &sb, &meta, false, 0, NULL) == BG_OK)
            bg__index_set_tag(ic->ix, rkey, &sb, text_hash(text, len));
        free(path);
        if (rc == BG_OK) {
            cJSON *copy = cJSON_Duplicate(item, 1);
            rc = copy ? set_add(&have, copy, NULL) : BG_ENOMEM; /* a duplicate later in the note is present */
            if (ic->st)
                ic->st->runs_imported++;
        }
    }
    /* Wholly in the store now, nothing in it refused: the next fetch may
     * skip this note while it and the commit's run files stay as they are. */
    if (rc == BG_OK && cJSON_IsArray(arr) && ic->skips.skipped == skipped_before &&
        (files = commit_files(ic->s, commit)) != 0)
        seen_put(&ic->seen, commit, th, files, nruns);
    cJSON_Delete(arr);
    set_free(&have);
    if (rc == BG_ENOMEM)
        set_err(ic->err, ic->errlen, "out of memory importing the note on %s", commit);
    return rc;
}

int bg_store_import_notes(bg_store *s, bg_git *g, bg_sync_stats *stats, bg_store_skip_fn skip, void *ud,
                          char *err, size_t errlen)
{
    if (!s || !g)
        return BG_EINVAL;
    import_ctx ic = {s, {0}, NULL, stats, {0}, {0}, err, errlen};
    seen_load(s, &ic.seen);
    ic.lc.out = &ic.skips;
    ic.lc.skip = skip;
    ic.lc.ud = ud;
    if (bg__index_open(s->dir, &ic.ix, NULL) != BG_OK)
        ic.ix = NULL; /* out of memory: the next push reads every note */
    int rc = bg_git_notes_foreach_want(g, BG_STORE_NOTES_REF, want_note, import_note, &ic, err, errlen);
    bg__index_close(&ic.ix, false, NULL, 0);
    seen_save(s, &ic.seen);
    free(ic.seen.v);
    if (stats)
        stats->skipped += ic.skips.skipped;
    return rc;
}

/* ---- push / fetch ---- */

/* Fetches the remote's notes into a temporary ref and merges them into ours.
 * Sets *had to whether the remote has notes at all. */
static int sync_incoming(bg_git *g, const char *remote, int *had, bg_sync_stats *st, bg_store_skip_fn skip,
                         void *ud, char *err, size_t errlen)
{
    *had = 0;
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s-incoming-%ld", BG_STORE_NOTES_REF, (long)getpid());
    int rc = bg_git_fetch_ref(g, remote, BG_STORE_NOTES_REF, tmp, err, errlen);
    if (rc == BG_ENOTFOUND)
        return BG_OK; /* the remote has no benchgate notes yet */
    if (rc < 0)
        return rc;
    *had = 1;
    bg_run_list skips = {0};
    list_ctx lc = {&skips, 0, skip, ud, 0, NULL};
    rc = bg_git_notes_merge(g, BG_STORE_NOTES_REF, tmp, union_notes, &lc, err, errlen);
    if (st)
        st->skipped += skips.skipped;
    char derr[256];
    int drc = bg_git_ref_delete(g, tmp, derr, sizeof derr);
    if (rc == BG_OK && drc < 0) {
        set_err(err, errlen, "%s", derr);
        rc = drc;
    }
    return rc;
}

int bg_store_push(bg_store *s, bg_git *g, const char *remote, bg_sync_stats *stats, bg_store_skip_fn skip,
                  void *ud, char *err, size_t errlen)
{
    if (!s || !g)
        return BG_EINVAL;
    if (!remote)
        remote = "origin";
    bg_sync_stats local = {0};
    if (!stats)
        stats = &local;
    int rc = BG_OK;
    /* Three tries: each lost race means someone else pushed in the moment
     * between our fetch and our push. */
    for (int attempt = 0; attempt < 3; attempt++) {
        int had = 0;
        rc = sync_incoming(g, remote, &had, stats, skip, ud, err, errlen);
        if (rc < 0)
            return rc;
        stats->remote_had_notes = had;
        rc = bg_store_export_notes(s, g, stats, skip, ud, err, errlen);
        if (rc < 0)
            return rc;
        char tip[BG_GIT_OID_BUF];
        if (bg_git_resolve(g, BG_STORE_NOTES_REF, tip, NULL, 0) != BG_OK)
            return BG_OK; /* no runs with a commit: nothing to share */
        int nonff = 0;
        rc = bg_git_push_ref(g, remote, BG_STORE_NOTES_REF, BG_STORE_NOTES_REF, &nonff, err, errlen);
        if (rc == BG_OK) {
            stats->pushed = 1;
            return BG_OK;
        }
        if (!nonff)
            return rc;
    }
    return rc;
}

int bg_store_fetch(bg_store *s, bg_git *g, const char *remote, bg_sync_stats *stats, bg_store_skip_fn skip,
                   void *ud, char *err, size_t errlen)
{
    if (!s || !g)
        return BG_EINVAL;
    bg_sync_stats local = {0};
    if (!stats)
        stats = &local;
    int had = 0;
    int rc = sync_incoming(g, remote ? remote : "origin", &had, stats, skip, ud, err, errlen);
    if (rc < 0)
        return rc;
    stats->remote_had_notes = had;
    return bg_store_import_notes(s, g, stats, skip, ud, err, errlen);
}
