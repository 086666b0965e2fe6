/* The report's cache of commit pages (bg_report_cache.h): a text file of hashes, values and file names. */
#include "bg_report_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_fingerprint.h"
#include "bg_model.h"
#include "benchgate.h"

#define MAGIC "benchgate report cache 1\n"

typedef struct rc_page {
    char *name;
    bg_hash128 run, page;
    bool dirty;
    char *created;
    double *vals;
} rc_page;

struct bg_rcache {
    char *dir;
    bg_hash128 site;
    size_t nvals;
    rc_page *old; /* sorted by name */
    size_t nold;
    char **old_files;
    size_t nold_files;
    rc_page *pages; /* this report's, in the order given */
    size_t npages, cap_pages;
    char **files;
    size_t nfiles, cap_files;
};

bg_hash128 bg__hash128(const void *data, size_t len)
{
    /* Two FNV-1a streams from different starts, the length folded into the
     * second: 128 bits, so two different files do not meet by chance. */
    bg_hash128 h;
    h.a = bg_fnv1a64(data, len, BG_FNV1A64_INIT);
    h.b = bg_fnv1a64(data, len, UINT64_C(0x84222325cbf29ce4) ^ (uint64_t)len);
    return h;
}

static bool hash_eq(bg_hash128 x, bg_hash128 y)
{
    return x.a == y.a && x.b == y.b;
}

bool bg__hash_file(const char *path, bg_hash128 *h)
{
    char err[256];
    size_t len = 0;
    char *text = bg__read_file_ex(path, 0, &len, NULL, err, sizeof err);
    if (!text)
        return false;
    *h = bg__hash128(text, len);
    free(text);
    return true;
}

bool bg__rcache_site_key(const char *text, size_t len, bg_hash128 *key)
{
    bg_hash128 exe;
    if (!bg__hash_file("/proc/self/exe", &exe))
        return false;
    bg_hash128 t = bg__hash128(text, len);
    uint64_t both[4] = {exe.a, exe.b, t.a, t.b};
    *key = bg__hash128(both, sizeof both);
    return true;
}

/* A name the report writes: "x.html" or "plots/x.svg", from [A-Za-z0-9._-],
 * never hidden: the only names the cache may ever remove. */
static bool our_name(const char *name)
{
    if (!strncmp(name, "plots/", 6))
        name += 6;
    if (!name[0] || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-'))
            return false;
    return true;
}

static void page_free(rc_page *p)
{
    free(p->name);
    free(p->created);
    free(p->vals);
}

static int cmp_page(const void *a, const void *b)
{
    return strcmp(((const rc_page *)a)->name, ((const rc_page *)b)->name);
}

static bool parse_hash(const char *s, bg_hash128 *h)
{
    char a[17], b[17];
    if (strlen(s) != 32 || strspn(s, "0123456789abcdef") != 32)
        return false;
    memcpy(a, s, 16);
    memcpy(b, s + 16, 16);
    a[16] = b[16] = '\0';
    h->a = strtoull(a, NULL, 16);
    h->b = strtoull(b, NULL, 16);
    return true;
}

/* One "page" line (without the keyword): name, run hash, page hash, dirty,
 * nvals values, a tab, created. False when damaged. */
static bool parse_page(char *line, size_t nvals, rc_page *p)
{
    char *tab = strchr(line, '\t');
    if (!tab)
        return false;
    *tab = '\0';
    char *save = NULL, *tok[4];
    for (int i = 0; i < 4; i++)
        if (!(tok[i] = strtok_r(i ? NULL : line, " ", &save)))
            return false;
    if (!our_name(tok[0]) || !parse_hash(tok[1], &p->run) || !parse_hash(tok[2], &p->page) ||
        (strcmp(tok[3], "0") != 0 && strcmp(tok[3], "1") != 0))
        return false;
    p->dirty = tok[3][0] == '1';
    p->vals = malloc((nvals ? nvals : 1) * sizeof *p->vals);
    p->name = strdup(tok[0]);
    p->created = strdup(tab + 1);
    if (!p->vals || !p->name || !p->created)
        return false;
    for (size_t i = 0; i < nvals; i++) {
        char *v = strtok_r(NULL, " ", &save), *end = NULL;
        if (!v)
            return false;
        errno = 0;
        p->vals[i] = strtod(v, &end);
        if (*end)
            return false;
    }
    return strtok_r(NULL, " ", &save) == NULL;
}

/* Reads the last report's cache; on any damage, or another site key, keeps
 * nothing of it but the names of the files it wrote (when they parse). */
static void load_old(bg_rcache *c, const char *dir, bool reuse)
{
    char path[4200], err[256];
    snprintf(path, sizeof path, "%s/%s", dir, BG_RCACHE_FILE);
    char *text = bg__read_file_ex(path, 0, NULL, NULL, err, sizeof err);
    if (!text)
        return;
    bool pages_ok = reuse && !strncmp(text, MAGIC, strlen(MAGIC));
    size_t cap = 0, capf = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!strncmp(line, "site ", 5)) {
            bg_hash128 h;
            pages_ok = pages_ok && parse_hash(line + 5, &h) && hash_eq(h, c->site);
        } else if (!strncmp(line, "nvals ", 6)) {
            pages_ok = pages_ok && strtoull(line + 6, NULL, 10) == c->nvals;
        } else if (!strncmp(line, "file ", 5) && our_name(line + 5)) {
            if (c->nold_files == capf) {
                size_t nc = capf ? 2 * capf : 64;
                char **nf = realloc(c->old_files, nc * sizeof *nf);
                if (!nf)
                    break;
                c->old_files = nf;
                capf = nc;
            }
            if (!(c->old_files[c->nold_files] = strdup(line + 5)))
                break;
            c->nold_files++;
        } else if (!strncmp(line, "page ", 5) && pages_ok) {
            if (c->nold == cap) {
                size_t nc = cap ? 2 * cap : 64;
                rc_page *np = realloc(c->old, nc * sizeof *np);
                if (!np) {
                    pages_ok = false;
                    continue;
                }
                c->old = np;
                cap = nc;
            }
            rc_page p = {0};
            if (parse_page(line + 5, c->nvals, &p))
                c->old[c->nold++] = p;
            else {
                page_free(&p);
                pages_ok = false;
            }
        }
    }
    free(text);
    if (!pages_ok) { /* reuse nothing from a damaged or foreign cache */
        for (size_t i = 0; i < c->nold; i++)
            page_free(&c->old[i]);
        c->nold = 0;
    }
    if (c->nold > 1)
        qsort(c->old, c->nold, sizeof *c->old, cmp_page);
}

int bg__rcache_open(const char *dir, bool reuse, bg_hash128 site, size_t nvals, bg_rcache **out)
{
    bg_rcache *c = calloc(1, sizeof *c);
    if (!c)
        return BG_ENOMEM;
    c->site = site;
    c->nvals = nvals;
    if (!(c->dir = strdup(dir))) {
        free(c);
        return BG_ENOMEM;
    }
    load_old(c, dir, reuse);
    *out = c;
    return BG_OK;
}

bool bg__rcache_find(bg_rcache *c, const char *page, bg_hash128 run, double *vals, char *created, size_t n,
                     bool *dirty)
{
    if (!c || !c->nold)
        return false;
    rc_page key = {.name = (char *)page};
    const rc_page *p = bsearch(&key, c->old, c->nold, sizeof *c->old, cmp_page);
    if (!p || !hash_eq(p->run, run))
        return false;
    /* The page must still hold the bytes written: one edited or damaged
     * since is made again. */
    char path[4400];
    bg_hash128 now;
    snprintf(path, sizeof path, "%s/%s", c->dir, page);
    if (!bg__hash_file(path, &now) || !hash_eq(now, p->page))
        return false;
    memcpy(vals, p->vals, c->nvals * sizeof *vals);
    snprintf(created, n, "%s", p->created);
    *dirty = p->dirty;
    return true;
}

int bg__rcache_page(bg_rcache *c, const char *page, bg_hash128 run, const double *vals, const char *created,
                    bool dirty)
{
    if (bg__rcache_file(c, page) != BG_OK)
        return BG_ENOMEM;
    if (strpbrk(created, "\r\n") || !our_name(page))
        return BG_OK; /* not cached: regenerated next time */
    if (c->npages == c->cap_pages) {
        size_t nc = c->cap_pages ? 2 * c->cap_pages : 64;
        rc_page *np = realloc(c->pages, nc * sizeof *np);
        if (!np)
            return BG_ENOMEM;
        c->pages = np;
        c->cap_pages = nc;
    }
    rc_page q = {0};
    q.name = strdup(page);
    q.created = strdup(created);
    q.vals = malloc((c->nvals ? c->nvals : 1) * sizeof *q.vals);
    if (!q.name || !q.created || !q.vals) {
        page_free(&q);
        return BG_ENOMEM;
    }
    memcpy(q.vals, vals, c->nvals * sizeof *vals);
    q.run = run;
    q.dirty = dirty;
    c->pages[c->npages++] = q;
    return BG_OK;
}

int bg__rcache_file(bg_rcache *c, const char *name)
{
    if (c->nfiles == c->cap_files) {
        size_t nc = c->cap_files ? 2 * c->cap_files : 64;
        char **nf = realloc(c->files, nc * sizeof *nf);
        if (!nf)
            return BG_ENOMEM;
        c->files = nf;
        c->cap_files = nc;
    }
    if (!(c->files[c->nfiles] = strdup(name)))
        return BG_ENOMEM;
    c->nfiles++;
    return BG_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void put_hash(FILE *f, bg_hash128 h)
{
    fprintf(f, "%016llx%016llx", (unsigned long long)h.a, (unsigned long long)h.b);
}

/* The cache's text: the pages in the report's order, the files sorted. */
static char *cache_text(bg_rcache *c, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    fputs(MAGIC, f);
    fputs("site ", f);
    put_hash(f, c->site);
    fprintf(f, "\nnvals %zu\n", c->nvals);
    for (size_t i = 0; i < c->npages; i++) {
        const rc_page *p = &c->pages[i];
        char path[4400];
        bg_hash128 ph;
        snprintf(path, sizeof path, "%s/%s", c->dir, p->name);
        if (!bg__hash_file(path, &ph))
            continue; /* not there: nothing to keep */
        fprintf(f, "page %s ", p->name);
        put_hash(f, p->run);
        fputc(' ', f);
        put_hash(f, ph);
        fprintf(f, " %d", p->dirty ? 1 : 0);
        for (size_t k = 0; k < c->nvals; k++)
            fprintf(f, " %a", p->vals[k]);
        fprintf(f, "\t%s\n", p->created);
    }
    for (size_t i = 0; i < c->nfiles; i++)
        if (our_name(c->files[i]) && (i == 0 || strcmp(c->files[i], c->files[i - 1]) != 0))
            fprintf(f, "file %s\n", c->files[i]);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int bg__rcache_close(bg_rcache **cp, const char *dir, bool commit, char *err, size_t errlen)
{
    bg_rcache *c = *cp;
    if (!c)
        return BG_OK;
    *cp = NULL;
    int rc = BG_OK;
    if (commit) {
        if (c->nfiles > 1)
            qsort(c->files, c->nfiles, sizeof *c->files, cmp_str);
        for (size_t i = 0; i < c->nold_files; i++) {
            const char *name = c->old_files[i];
            if (c->nfiles && bsearch(&name, c->files, c->nfiles, sizeof *c->files, cmp_str))
                continue;
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            unlink(path); /* written by the last report, not by this one */
        }
        size_t len = 0;
        char *text = cache_text(c, &len);
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, BG_RCACHE_FILE);
        if (!text) {
            snprintf(err, errlen, "out of memory writing %s", path);
            rc = BG_ENOMEM;
        } else {
            rc = bg__write_file_atomic(path, text, len, err, errlen);
        }
        free(text);
    }
    for (size_t i = 0; i < c->nold; i++)
        page_free(&c->old[i]);
    for (size_t i = 0; i < c->npages; i++)
        page_free(&c->pages[i]);
    for (size_t i = 0; i < c->nold_files; i++)
        free(c->old_files[i]);
    for (size_t i = 0; i < c->nfiles; i++)
        free(c->files[i]);
    free(c->old);
    free(c->pages);
    free(c->old_files);
    free(c->files);
    free(c->dir);
    free(c);
    return rc;
}
