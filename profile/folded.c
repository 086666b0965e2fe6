/* Folded stacks: perf script's per-sample call chains turned into "a;b;c N"
 * lines (root first), read back, written sorted, and the top functions by
 * self samples (see bg_profile.h). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchgate.h"
#include "bg_profile.h"

void bg__folded_free(bg_folded *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->stack[i]);
    free(f->stack);
    free(f->count);
    free(f->slots);
    memset(f, 0, sizeof *f);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Grows the lookup table to twice the stacks (at least 64 slots). */
static int rehash(bg_folded *f)
{
    size_t ns = f->nslots ? f->nslots * 2 : 64;
    size_t *slots = calloc(ns, sizeof *slots);
    if (!slots)
        return BG_ENOMEM;
    for (size_t i = 0; i < f->n; i++) {
        size_t h = (size_t)(hash_str(f->stack[i]) & (ns - 1));
        while (slots[h])
            h = (h + 1) & (ns - 1);
        slots[h] = i + 1;
    }
    free(f->slots);
    f->slots = slots;
    f->nslots = ns;
    return 0;
}

int bg__folded_add(bg_folded *f, const char *stack, size_t count)
{
    if ((f->n + 1) * 2 > f->nslots && rehash(f) != 0)
        return BG_ENOMEM;
    size_t h = (size_t)(hash_str(stack) & (f->nslots - 1));
    while (f->slots[h]) {
        size_t i = f->slots[h] - 1;
        if (!strcmp(f->stack[i], stack)) {
            f->count[i] += count;
            f->total += count;
            return 0;
        }
        h = (h + 1) & (f->nslots - 1);
    }
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 64;
        char **s = realloc(f->stack, nc * sizeof *s);
        if (!s)
            return BG_ENOMEM;
        f->stack = s;
        size_t *c = realloc(f->count, nc * sizeof *c);
        if (!c)
            return BG_ENOMEM;
        f->count = c;
        f->cap = nc;
    }
    char *copy = strdup(stack);
    if (!copy)
        return BG_ENOMEM;
    f->stack[f->n] = copy;
    f->count[f->n] = count;
    f->slots[h] = ++f->n;
    f->total += count;
    return 0;
}

/* One frame's name from a perf script frame line (leading blanks, ADDR,
 * SYMBOL, " (DSO)"), into out; false when the line is not a frame. ';' is
 * the folded format's separator and a control character would break a
 * line: both become '_'. */
static bool frame_name(const char *line, char *out, size_t n)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *addr = p;
    while (isxdigit((unsigned char)*p))
        p++;
    if (p == addr || *p != ' ')
        return false;
    while (*p == ' ')
        p++;
    const char *sym = p;
    const char *dso = strrchr(sym, '(');
    const char *sym_end = dso && dso > sym ? dso : sym + strlen(sym);
    while (sym_end > sym && (sym_end[-1] == ' ' || sym_end[-1] == '\n'))
        sym_end--;
    char dso_name[256] = "";
    if (dso) {
        const char *d = dso + 1;
        const char *e = strrchr(d, ')');
        size_t len = e ? (size_t)(e - d) : strlen(d);
        const char *slash = memrchr(d, '/', len);
        if (slash) {
            len -= (size_t)(slash + 1 - d);
            d = slash + 1;
        }
        snprintf(dso_name, sizeof dso_name, "%.*s", (int)len, d);
    }
    bool kernel = strstr(dso_name, "kernel.kallsyms") != NULL;
    size_t len = (size_t)(sym_end - sym);
    if (len == 0 || (len == 9 && !memcmp(sym, "[unknown]", 9)))
        snprintf(out, n, "[%s]", dso_name[0] && strcmp(dso_name, "[unknown]") ? dso_name : "unknown");
    else
        snprintf(out, n, "%.*s%s", (int)len, sym, kernel ? "_[k]" : "");
    for (char *q = out; *q; q++)
        if (*q == ';' || (unsigned char)*q < 0x20 || *q == 0x7f)
            *q = '_';
    return true;
}

/* Appends the frames of one sample (collected leaf first) to f as one
 * root-first stack. */
static int flush_sample(bg_folded *f, char **frames, size_t nframes, bool keep)
{
    if (!keep) {
        f->skipped++;
        return 0;
    }
    if (nframes == 0)
        return bg__folded_add(f, "[no stack]", 1);
    size_t len = 1;
    for (size_t i = 0; i < nframes; i++)
        len += strlen(frames[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return BG_ENOMEM;
    s[0] = '\0';
    char *w = s;
    for (size_t i = nframes; i-- > 0;) {
        size_t l = strlen(frames[i]);
        memcpy(w, frames[i], l);
        w += l;
        *w++ = i ? ';' : '\0';
    }
    int rc = bg__folded_add(f, s, 1);
    free(s);
    return rc;
}

#define MAX_FRAMES 256

int bg__fold_perf_script(FILE *in, pid_t exclude_pid, bg_folded *f, char *err, size_t errlen)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    static char names[MAX_FRAMES][256];
    char *frames[MAX_FRAMES];
    size_t nframes = 0, lineno = 0, headers = 0;
    bool in_sample = false, keep = true;
    int rc = 0;
    while ((got = getline(&line, &cap, in)) > 0) {
        lineno++;
        if (line[0] == '\n' || (line[0] == '\r' && line[1] == '\n')) {
            if (in_sample && (rc = flush_sample(f, frames, nframes, keep)) != 0)
                break;
            in_sample = false;
            nframes = 0;
            continue;
        }
        if (line[0] != ' ' && line[0] != '\t') {
            /* "PID/TID PERIOD": a new sample (a missing blank line ends
             * the one before). */
            if (in_sample && (rc = flush_sample(f, frames, nframes, keep)) != 0)
                break;
            long pid, tid;
            if (sscanf(line, " %ld/%ld", &pid, &tid) != 2) {
                snprintf(err, errlen, "line %zu is not a perf script sample header (PID/TID PERIOD): %.80s",
                         lineno, line);
                rc = BG_EPARSE;
                break;
            }
            headers++;
            in_sample = true;
            keep = !(exclude_pid > 0 && pid == (long)exclude_pid);
            nframes = 0;
            continue;
        }
        if (!in_sample)
            continue;
        if (nframes < MAX_FRAMES && frame_name(line, names[nframes], sizeof names[nframes])) {
            frames[nframes] = names[nframes];
            nframes++;
        }
    }
    if (!rc && in_sample)
        rc = flush_sample(f, frames, nframes, keep);
    free(line);
    if (!rc && headers == 0 && lineno > 0) {
        snprintf(err, errlen, "no samples in perf script output (%zu lines)", lineno);
        rc = BG_EPARSE;
    }
    return rc;
}

int bg__folded_read(FILE *in, bg_folded *f, char *err, size_t errlen)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    int rc = 0;
    while ((got = getline(&line, &cap, in)) > 0) {
        lineno++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (got == 0)
            continue;
        char *sp = strrchr(line, ' ');
        char *end = NULL;
        unsigned long long n = sp ? strtoull(sp + 1, &end, 10) : 0;
        if (!sp || sp == line || !end || *end || end == sp + 1) {
            snprintf(err, errlen, "line %zu is not 'frame;frame;... COUNT': %.80s", lineno, line);
            rc = BG_EPARSE;
            break;
        }
        *sp = '\0';
        if ((rc = bg__folded_add(f, line, (size_t)n)) != 0)
            break;
    }
    free(line);
    return rc;
}

static int cmp_index(const void *a, const void *b, void *ctx)
{
    const bg_folded *f = ctx;
    return strcmp(f->stack[*(const size_t *)a], f->stack[*(const size_t *)b]);
}

size_t *bg__folded_sorted(const bg_folded *f)
{
    size_t *ix = malloc((f->n ? f->n : 1) * sizeof *ix);
    if (!ix)
        return NULL;
    for (size_t i = 0; i < f->n; i++)
        ix[i] = i;
    qsort_r(ix, f->n, sizeof *ix, cmp_index, (void *)f);
    return ix;
}

int bg__folded_write(const bg_folded *f, FILE *out)
{
    size_t *ix = bg__folded_sorted(f);
    if (!ix)
        return BG_ENOMEM;
    for (size_t i = 0; i < f->n; i++)
        fprintf(out, "%s %zu\n", f->stack[ix[i]], f->count[ix[i]]);
    free(ix);
    return ferror(out) ? BG_EIO : 0;
}

static int by_samples(const void *a, const void *b)
{
    const bg_profile_fn *x = a, *y = b;
    if (x->samples != y->samples)
        return x->samples < y->samples ? 1 : -1;
    return strcmp(x->name, y->name);
}

size_t bg__folded_top(const bg_folded *f, bg_profile_fn *top, size_t max)
{
    /* Leaf frames and their samples, merged by name. */
    bg_folded leaves;
    memset(&leaves, 0, sizeof leaves);
    for (size_t i = 0; i < f->n; i++) {
        const char *leaf = strrchr(f->stack[i], ';');
        leaf = leaf ? leaf + 1 : f->stack[i];
        if (bg__folded_add(&leaves, leaf, f->count[i]) != 0) {
            bg__folded_free(&leaves);
            return 0;
        }
    }
    bg_profile_fn *all = calloc(leaves.n ? leaves.n : 1, sizeof *all);
    if (!all) {
        bg__folded_free(&leaves);
        return 0;
    }
    for (size_t i = 0; i < leaves.n; i++) {
        snprintf(all[i].name, sizeof all[i].name, "%s", leaves.stack[i]);
        all[i].samples = leaves.count[i];
        all[i].self = f->total ? (double)leaves.count[i] / (double)f->total : 0;
    }
    qsort(all, leaves.n, sizeof *all, by_samples);
    size_t k = leaves.n < max ? leaves.n : max;
    memcpy(top, all, k * sizeof *top);
    free(all);
    bg__folded_free(&leaves);
    return k;
}
