/* Splitting a suite into shards (--shard K/N): a stable plan by name, or balanced by measured cost. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_model.h"

int bg__shard_parse(const char *s, int *k, int *n)
{
    if (!s)
        return BG_EINVAL;
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/' || s[0] == '-' || s[0] == '+')
        return BG_EINVAL;
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end != '\0' || t[0] == '-' || t[0] == '+' || a < 1 || b < 1 || a > b || b > BG_SHARDS_MAX)
        return BG_EINVAL;
    *k = (int)a;
    *n = (int)b;
    return BG_OK;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

typedef struct item {
    const char *name;
    uint64_t hash;
    double cost;
    size_t index;
} item;

static int by_hash(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int by_cost_desc(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost > y->cost ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int bg__shard_plan(const char *const *names, const double *cost, size_t n, int nshards, int *assign)
{
    if (nshards < 1 || (n && (!names || !assign)))
        return BG_EINVAL;
    if (n == 0)
        return BG_OK;
    item *v = calloc(n, sizeof *v);
    double *known = calloc(n, sizeof *known);
    double *load = calloc((size_t)nshards, sizeof *load);
    if (!v || !known || !load) {
        free(v);
        free(known);
        free(load);
        return BG_ENOMEM;
    }
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        v[i].name = names[i];
        v[i].hash = fnv1a(names[i]);
        v[i].index = i;
        if (cost && isfinite(cost[i]) && cost[i] > 0)
            known[nk++] = cost[i];
    }
    if (nk == 0) {
        qsort(v, n, sizeof *v, by_hash);
        for (size_t i = 0; i < n; i++)
            assign[v[i].index] = (int)(i % (size_t)nshards);
    } else {
        qsort(known, nk, sizeof *known, cmp_double);
        double median = nk % 2 ? known[nk / 2] : (known[nk / 2 - 1] + known[nk / 2]) / 2;
        for (size_t i = 0; i < n; i++)
            v[i].cost = isfinite(cost[v[i].index]) && cost[v[i].index] > 0 ? cost[v[i].index] : median;
        qsort(v, n, sizeof *v, by_cost_desc);
        for (size_t i = 0; i < n; i++) {
            int best = 0;
            for (int s = 1; s < nshards; s++)
                if (load[s] < load[best])
                    best = s;
            assign[v[i].index] = best;
            load[best] += v[i].cost;
        }
    }
    free(v);
    free(known);
    free(load);
    return BG_OK;
}
