/* Scopes as results: each scope a benchmark timed becomes a benchmark of its own.
 *
 * The runner gathers, per process and per sample, each scope's time and
 * entries (bg_proc.scopes). Here they become results named
 * "bench/parse/tokenize", sampled like their benchmark (the same
 * iterations per sample, so the same statistics apply), with the user
 * counter `calls` (entries per iteration), their share of what encloses
 * them, and a note when a scope is near the cost of its clock.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bg_harness.h"

/* The scopes of r, unique by path, in order of first appearance. */
typedef struct scope_list {
    size_t n;
    const char *path[BG_SCOPES_MAX * 4];
} scope_list;

static void collect_paths(const bg_result *r, scope_list *l)
{
    l->n = 0;
    for (size_t i = 0; i < r->nprocs; i++)
        for (size_t k = 0; k < r->procs[i].nscopes; k++) {
            const char *p = r->procs[i].scopes[k].path;
            size_t j = 0;
            while (j < l->n && strcmp(l->path[j], p) != 0)
                j++;
            if (j == l->n && l->n < sizeof l->path / sizeof l->path[0])
                l->path[l->n++] = p;
        }
}

/* Whether `path` is directly inside `parent` ("" : the body). */
static bool child_of(const char *path, const char *parent)
{
    size_t pl = strlen(parent);
    if (pl && (strncmp(path, parent, pl) != 0 || path[pl] != '/'))
        return false;
    return strchr(path + (pl ? pl + 1 : 0), '/') == NULL;
}

/* Depth first: each scope, then the scopes inside it. */
static void tree_order(const scope_list *in, const char *parent, scope_list *out, int depth)
{
    for (size_t j = 0; j < in->n && depth <= BG_SCOPE_DEPTH_MAX; j++)
        if (child_of(in->path[j], parent)) {
            out->path[out->n++] = in->path[j];
            tree_order(in, in->path[j], out, depth + 1);
        }
}

static const bg_scope_series *find_series(const bg_proc *p, const char *path)
{
    for (size_t k = 0; k < p->nscopes; k++)
        if (!strcmp(p->scopes[k].path, path))
            return &p->scopes[k];
    return NULL;
}

/* Total time of `path` over every sample, or of the body for "". */
static double total_ns(const bg_result *r, const char *path)
{
    double t = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        const bg_proc *p = &r->procs[i];
        const bg_scope_series *s = path[0] ? find_series(p, path) : NULL;
        for (size_t j = 0; j < p->n; j++)
            t += path[0] ? (s ? s->ns[j] : 0) : p->wall_ns[j];
    }
    return t;
}

static double *dup_or_zero(const double *v, size_t n)
{
    double *d = calloc(n ? n : 1, sizeof *d);
    if (d && v)
        memcpy(d, v, n * sizeof *d);
    return d;
}

/* One process of the scope's result: the benchmark's samples, with the
 * scope's time, a CPU time prorated from the sample's, and its entries. */
static int scope_proc(const bg_proc *p, const bg_scope_series *s, bg_proc *q)
{
    memset(q, 0, sizeof *q);
    q->n = p->n;
    q->stack_offset = p->stack_offset;
    q->heap_offset = p->heap_offset;
    q->iters = dup_or_zero(p->iters, p->n);
    q->wall_ns = dup_or_zero(s ? s->ns : NULL, p->n);
    q->cpu_ns = dup_or_zero(NULL, p->n);
    q->start_ns = p->start_ns ? dup_or_zero(p->start_ns, p->n) : NULL;
    q->counters = calloc(1, sizeof *q->counters);
    if (!q->iters || !q->wall_ns || !q->cpu_ns || (p->start_ns && !q->start_ns) || !q->counters)
        return BG_ENOMEM;
    q->ncounters = 1;
    q->counter_kind[0] = BG_COUNT_ITER;
    snprintf(q->counters[0].name, sizeof q->counters[0].name, "calls");
    if (!(q->counters[0].v = dup_or_zero(s ? s->calls : NULL, p->n)))
        return BG_ENOMEM;
    for (size_t j = 0; j < p->n; j++)
        q->cpu_ns[j] = p->wall_ns[j] > 0 ? q->wall_ns[j] * p->cpu_ns[j] / p->wall_ns[j] : 0;
    return 0;
}

/* The result of scope `path` of r. */
static int scope_result(const bg_config *c, const bg_overhead *o, const bg_result *r,
                        const char *path, bg_result *sr)
{
    memset(sr, 0, sizeof *sr);
    size_t len = strlen(r->name) + 1 + strlen(path) + 1;
    char *name = malloc(len);
    if (!name)
        return BG_ENOMEM;
    snprintf(name, len, "%s/%s", r->name, path);
    sr->name = name;
    sr->owns_name = true;
    sr->complexity_arg = -1;
    snprintf(sr->scope_of, sizeof sr->scope_of, "%s", r->name);
    sr->scope_depth = 1;
    for (const char *q = path; *q; q++)
        sr->scope_depth += *q == '/';
    sr->seed = bg__hash_name(r->seed, path);
    sr->elapsed_s = 0;
    sr->procs = calloc(r->nprocs, sizeof *sr->procs);
    if (!sr->procs)
        return BG_ENOMEM;
    double calls = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        const bg_scope_series *s = find_series(&r->procs[i], path);
        sr->nprocs++;
        if (scope_proc(&r->procs[i], s, &sr->procs[i]) != 0)
            return BG_ENOMEM;
        for (size_t j = 0; s && j < r->procs[i].n; j++)
            calls += s->calls[j];
    }
    /* What encloses it: the scope one level up, or the body. */
    char parent[256];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';
    else
        parent[0] = '\0';
    double mine = total_ns(r, path), around = total_ns(r, parent);
    sr->scope_share = around > 0 ? mine / around : 0;
    sr->status = BG_STATUS_OK;
    int rc = bg__summarize_result(c, sr);
    if (rc == BG_ENOMEM)
        return rc;
    if (rc != 0) {
        sr->status = BG_STATUS_ERROR;
        snprintf(sr->message, sizeof sr->message, "statistics failed on this scope's samples");
        return 0;
    }
    double per_call = calls > 0 ? mine / calls : 0;
    if (o && o->scope_entry_ns > 0 && per_call < 10 * o->scope_entry_ns)
        snprintf(sr->note, sizeof sr->note,
                 "%.3g ns per entry is near the scope's own cost (%.3g ns per entry): the figure "
                 "is rough; time a larger region", per_call, o->scope_entry_ns);
    return 0;
}

static void free_all(bg_result *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bg__result_free(&a[i]);
    free(a);
}

int bg__scope_results(const bg_config *c, const bg_overhead *overhead, bg_result *r,
                      bg_result **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (r->status != BG_STATUS_OK || !r->has_summary)
        return 0;
    scope_list seen, order = {0};
    collect_paths(r, &seen);
    tree_order(&seen, "", &order, 1);
    int rc = 0;
    bg_result *a = order.n ? calloc(order.n, sizeof *a) : NULL;
    if (order.n && !a)
        rc = BG_ENOMEM;
    size_t made = 0;
    for (size_t j = 0; rc == 0 && j < order.n; j++) {
        /* A scope entered in no measured sample was not timed. */
        double calls = 0;
        for (size_t i = 0; i < r->nprocs; i++) {
            const bg_scope_series *s = find_series(&r->procs[i], order.path[j]);
            for (size_t k = 0; s && k < r->procs[i].n; k++)
                calls += s->calls[k];
        }
        if (calls == 0)
            continue;
        rc = scope_result(c, overhead, r, order.path[j], &a[made]);
        made++;
    }
    if (rc != 0) {
        free_all(a, made);
        return rc;
    }
    for (size_t i = 0; i < r->nprocs; i++) {
        bg_proc *p = &r->procs[i];
        for (size_t k = 0; k < p->nscopes; k++) {
            free(p->scopes[k].ns);
            free(p->scopes[k].calls);
        }
        free(p->scopes);
        p->scopes = NULL;
        p->nscopes = 0;
    }
    if (made == 0) {
        free(a);
        return 0;
    }
    *out = a;
    *n = made;
    return 0;
}
