/* The benchmark registry: BENCH() constructors add to it before main(). */
#include <stdlib.h>
#include <string.h>

#include "bg_harness.h"

static bg_bench *g_benches;
static size_t g_count, g_cap;
static int g_sorted;

int bg_register(const char *name, bg_bench_fn fn, const char *file, int line)
{
    char why[96];
    /* A name the run record's reader would refuse (control characters,
     * invalid UTF-8) would make the whole run unreadable once saved. */
    if (!name || !fn || bg__name_check(name, why, sizeof why) != 0)
        return BG_EINVAL;
    if (g_count == g_cap) {
        size_t cap = g_cap ? g_cap * 2 : 64;
        bg_bench *p = realloc(g_benches, cap * sizeof *p);
        if (!p)
            return BG_ENOMEM;
        g_benches = p;
        g_cap = cap;
    }
    g_benches[g_count++] = (bg_bench){name, fn, file ? file : "?", line};
    g_sorted = 0;
    return 0;
}

static int cmp_bench(const void *a, const void *b)
{
    const bg_bench *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    /* Equal names (a duplicate, reported by the caller): keep a stable order. */
    c = strcmp(x->file, y->file);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

const bg_bench *bg__registry_sorted(size_t *n)
{
    if (!g_sorted && g_count > 1)
        qsort(g_benches, g_count, sizeof *g_benches, cmp_bench);
    g_sorted = 1;
    *n = g_count;
    return g_benches;
}

int bg__registry_duplicate(const char **name)
{
    size_t n;
    const bg_bench *b = bg__registry_sorted(&n);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(b[i - 1].name, b[i].name) == 0) {
            *name = b[i].name;
            return 1;
        }
    }
    return 0;
}

void bg__registry_reset(void)
{
    free(g_benches);
    g_benches = NULL;
    g_count = g_cap = 0;
    g_sorted = 0;
}
