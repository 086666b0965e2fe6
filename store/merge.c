/* Merging shard runs (bg_merge.h): the runs of one commit and machine that each measured part of a suite, made one run. */
#include "bg_merge.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_model.h"

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* One run file of the commit and machine, parsed. */
typedef struct loaded {
    cJSON *root;
    const cJSON *shard; /* NULL: not a shard run */
    const char *path;   /* the list's */
    int k;
} loaded;

static int shard_k(const cJSON *shard, int *k, int *n)
{
    const cJSON *jk = cJSON_GetObjectItemCaseSensitive(shard, "k");
    const cJSON *jn = cJSON_GetObjectItemCaseSensitive(shard, "n");
    if (!cJSON_IsNumber(jk) || !cJSON_IsNumber(jn))
        return BG_EPARSE;
    double a = jk->valuedouble, b = jn->valuedouble;
    if (!(a >= 1 && b >= a && b <= BG_SHARDS_MAX) || a != (int)a || b != (int)b)
        return BG_EPARSE;
    *k = (int)a;
    *n = (int)b;
    return BG_OK;
}

/* Two shards belong to one plan: same N, method, cost run and suite. */
static bool same_plan(const cJSON *a, const cJSON *b)
{
    static const char *const keys[] = {"n", "method", "cost_from", "suite"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, keys[i]);
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, keys[i]);
        if (!x || !y || !cJSON_Compare(x, y, true))
            return false;
    }
    return true;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int cmp_bench(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    const cJSON *nx = cJSON_GetObjectItemCaseSensitive(x, "name");
    const cJSON *ny = cJSON_GetObjectItemCaseSensitive(y, "name");
    return strcmp(cJSON_IsString(nx) ? nx->valuestring : "", cJSON_IsString(ny) ? ny->valuestring : "");
}

/* Appends s to a message buffer, ending in "..." when it does not fit. */
static void add_name(char *buf, size_t n, size_t *count, const char *s)
{
    size_t len = strlen(buf);
    if (*count < 12 && len + strlen(s) + 3 < n)
        snprintf(buf + len, n - len, "%s%s", *count ? ", " : "", s);
    else if (*count == 12 && len + 6 < n)
        snprintf(buf + len, n - len, ", ...");
    (*count)++;
}

/* Builds the merged record from the chosen shard runs (by[k-1], all set). */
static int build(loaded *const *by, int n, char **json, size_t *nbench, char *err, size_t errlen,
                 const char *where)
{
    loaded *newest = by[0];
    for (int k = 1; k < n; k++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(by[k]->root, "created_unix");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(newest->root, "created_unix");
        if (cJSON_IsNumber(a) && cJSON_IsNumber(b) && a->valuedouble > b->valuedouble)
            newest = by[k];
    }
    cJSON *root = cJSON_Duplicate(newest->root, true);
    if (!root) {
        set_err(err, errlen, "out of memory merging the shards of %s", where);
        return BG_ENOMEM;
    }
    /* One second after the newest shard: the merge is the commit's newest
     * run, so lookups take it as it is and pruning the older runs of the
     * commit keeps it rather than a shard. */
    cJSON *created = cJSON_GetObjectItemCaseSensitive(root, "created_unix");
    if (cJSON_IsNumber(created))
        cJSON_SetNumberValue(created, created->valuedouble + 1);
    cJSON *plan = cJSON_DetachItemFromObjectCaseSensitive(root, "shard");
    const cJSON *suite = cJSON_GetObjectItemCaseSensitive(plan, "suite");
    size_t nsuite = (size_t)cJSON_GetArraySize(suite);
    cJSON_DeleteItemFromObjectCaseSensitive(root, "benchmarks");
    cJSON *benches = cJSON_AddArrayToObject(root, "benchmarks");
    cJSON *merged = cJSON_AddObjectToObject(root, "merged");
    cJSON *from = merged ? cJSON_AddArrayToObject(merged, "from") : NULL;
    int rc = benches && from && cJSON_AddNumberToObject(merged, "n", n) ? BG_OK : BG_ENOMEM;
    size_t total = 0;
    for (int k = 0; rc == BG_OK && k < n; k++) {
        total += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(by[k]->root, "benchmarks"));
        cJSON *f = cJSON_CreateObject();
        const cJSON *cu = cJSON_GetObjectItemCaseSensitive(by[k]->root, "created_unix");
        if (!f || !cJSON_AddItemToArray(from, f) || !cJSON_AddNumberToObject(f, "k", k + 1)
            || !cJSON_AddNumberToObject(f, "created_unix", cJSON_IsNumber(cu) ? cu->valuedouble : 0)
            || !cJSON_AddStringToObject(f, "file", base_name(by[k]->path)))
            rc = BG_ENOMEM;
    }
    cJSON **v = rc == BG_OK ? calloc(total ? total : 1, sizeof *v) : NULL;
    if (rc == BG_OK && !v)
        rc = BG_ENOMEM;
    size_t nv = 0;
    for (int k = 0; rc == BG_OK && k < n; k++) {
        const cJSON *b;
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(by[k]->root, "benchmarks"))
        {
            if (!(v[nv] = cJSON_Duplicate(b, true))) {
                rc = BG_ENOMEM;
                break;
            }
            nv++;
        }
    }
    if (rc == BG_OK)
        qsort(v, nv, sizeof *v, cmp_bench);
    /* Each benchmark of the suite exactly once, and nothing else. */
    char dup[160] = "";
    for (size_t i = 1; rc == BG_OK && i < nv; i++)
        if (cmp_bench(&v[i - 1], &v[i]) == 0) {
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(v[i], "name");
            snprintf(dup, sizeof dup, "%s", cJSON_IsString(nm) ? nm->valuestring : "?");
            rc = BG_EINVAL;
        }
    if (rc == BG_EINVAL)
        set_err(err, errlen,
                "the shards of %s both hold benchmark '%s': they were not made by one plan; rerun them with the "
                "same --shard N, --filter and --shard-cost",
                where, dup);
    for (size_t i = 0; rc == BG_OK && i < nv; i++) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(v[i], "name");
        bool in = false;
        const cJSON *s;
        cJSON_ArrayForEach(s, suite)
        {
            if (cJSON_IsString(s) && cJSON_IsString(nm) && !strcmp(s->valuestring, nm->valuestring)) {
                in = true;
                break;
            }
        }
        if (!in) {
            set_err(err, errlen, "a shard of %s holds benchmark '%s', which its suite does not list", where,
                    cJSON_IsString(nm) ? nm->valuestring : "?");
            rc = BG_EINVAL;
        }
    }
    if (rc == BG_OK && nv != nsuite) {
        set_err(err, errlen, "the shards of %s hold %zu of the %zu benchmarks of their suite", where, nv, nsuite);
        rc = BG_EINVAL;
    }
    for (size_t i = 0; i < nv; i++) {
        if (rc == BG_OK)
            cJSON_AddItemToArray(benches, v[i]);
        else
            cJSON_Delete(v[i]);
    }
    free(v);
    cJSON_Delete(plan);
    if (rc == BG_OK && !(*json = cJSON_Print(root)))
        rc = BG_ENOMEM;
    if (rc == BG_ENOMEM)
        set_err(err, errlen, "out of memory merging the shards of %s", where);
    *nbench = nv;
    cJSON_Delete(root);
    return rc;
}

/* Whether run r is a merge of exactly the files by[0..n-1]. */
static bool is_merge_of(const cJSON *r, loaded *const *by, int n)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "merged");
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(m, "from");
    if (!cJSON_IsArray(from) || cJSON_GetArraySize(from) != n)
        return false;
    int k = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, from)
    {
        const cJSON *file = cJSON_GetObjectItemCaseSensitive(f, "file");
        if (!cJSON_IsString(file) || strcmp(file->valuestring, base_name(by[k]->path)) != 0)
            return false;
        k++;
    }
    return true;
}

int bg_store_merge_shards(bg_store *s, const char *commit, const char *machine, char **json,
                          bg_merge_info *info, bg_store_skip_fn skip, void *ud, char *err, size_t errlen)
{
    bg_merge_info dummy;
    if (!info)
        info = &dummy;
    memset(info, 0, sizeof *info);
    *json = NULL;
    char where[160];
    snprintf(where, sizeof where, "commit %.12s on machine %s", commit[0] ? commit : BG_STORE_NO_COMMIT, machine);
    bg_run_list l;
    int rc = bg_store_list(s, commit, machine, &l, skip, ud, err, errlen);
    if (rc)
        return rc;
    loaded *runs = calloc(l.n ? l.n : 1, sizeof *runs);
    if (!runs) {
        bg_run_list_free(&l);
        set_err(err, errlen, "out of memory merging the shards of %s", where);
        return BG_ENOMEM;
    }
    /* Newest first; the newest shard run sets the plan. */
    const cJSON *plan = NULL;
    size_t nr = 0;
    for (size_t i = l.n; rc == BG_OK && i-- > 0;) {
        char *text = NULL;
        char why[1024] = "";
        size_t len = 0;
        int lrc = bg_store_load(l.runs[i].path, &text, &len, NULL, why, sizeof why);
        if (lrc == BG_ENOMEM)
            rc = lrc;
        if (lrc) {
            if (lrc != BG_ENOMEM && skip)
                skip(l.runs[i].path, lrc, why, ud);
            free(text);
            continue;
        }
        loaded *r = &runs[nr];
        r->root = cJSON_ParseWithLength(text, len);
        free(text);
        if (!r->root)
            continue;
        nr++;
        r->path = l.runs[i].path;
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(r->root, "shard");
        int k, n;
        if (cJSON_IsObject(sh) && shard_k(sh, &k, &n) == BG_OK) {
            r->shard = sh;
            r->k = k;
            if (!plan) {
                plan = sh;
                info->n = n;
                snprintf(info->newest, sizeof info->newest, "%s", r->path);
            }
        }
    }
    loaded **by = NULL;
    if (rc == BG_OK && !plan) {
        set_err(err, errlen, "no shard runs of %s (runs made with --shard K/N)", where);
        rc = BG_ENOTFOUND;
    }
    if (rc == BG_OK && !(by = calloc((size_t)info->n, sizeof *by))) {
        set_err(err, errlen, "out of memory merging the shards of %s", where);
        rc = BG_ENOMEM;
    }
    for (size_t i = 0; rc == BG_OK && i < nr; i++)
        if (runs[i].shard && runs[i].k <= info->n && same_plan(runs[i].shard, plan) && !by[runs[i].k - 1])
            by[runs[i].k - 1] = &runs[i];
    if (rc == BG_OK) {
        char missing[256] = "", names[1024] = "";
        size_t nmiss = 0, nnames = 0;
        for (int k = 0; k < info->n; k++) {
            if (by[k]) {
                info->have++;
                continue;
            }
            char one[32];
            snprintf(one, sizeof one, "%d/%d", k + 1, info->n);
            add_name(missing, sizeof missing, &nmiss, one);
        }
        if (nmiss) {
            /* The suite's benchmarks that no shard run found holds. */
            const cJSON *nm;
            cJSON_ArrayForEach(nm, cJSON_GetObjectItemCaseSensitive(plan, "suite"))
            {
                bool held = false;
                for (int k = 0; !held && k < info->n; k++) {
                    if (!by[k])
                        continue;
                    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(by[k]->root, "benchmarks");
                    const cJSON *b;
                    cJSON_ArrayForEach(b, arr)
                    {
                        const cJSON *bn = cJSON_GetObjectItemCaseSensitive(b, "name");
                        if (cJSON_IsString(nm) && cJSON_IsString(bn) && !strcmp(nm->valuestring, bn->valuestring)) {
                            held = true;
                            break;
                        }
                    }
                }
                if (!held && cJSON_IsString(nm))
                    add_name(names, sizeof names, &nnames, nm->valuestring);
            }
            set_err(err, errlen,
                    "%s: shard%s %s missing (no stored run; its job failed or its run was not fetched), "
                    "so %zu benchmark%s no result: %s; rerun the shard (and 'benchgate fetch'), then merge",
                    where, nmiss == 1 ? "" : "s", missing, nnames, nnames == 1 ? " has" : "s have",
                    nnames ? names : "(none listed)");
            rc = BG_EINVAL;
        }
    }
    if (rc == BG_OK)
        rc = build(by, info->n, json, &info->nbench, err, errlen, where);
    for (size_t i = 0; rc == BG_OK && i < nr; i++)
        if (!runs[i].shard && is_merge_of(runs[i].root, by, info->n))
            info->already = true;
    free(by);
    for (size_t i = 0; i < nr; i++)
        cJSON_Delete(runs[i].root);
    free(runs);
    bg_run_list_free(&l);
    return rc;
}

size_t bg_store_shard_machines(bg_store *s, const char *commit, char (*ids)[BG_MACHINE_ID_MAX + 1], size_t max)
{
    bg_run_list l;
    if (bg_store_list(s, commit, NULL, &l, NULL, NULL, NULL, 0))
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < l.n && n < max; i++) {
        bool seen = false;
        for (size_t j = 0; j < n; j++)
            seen = seen || !strcmp(ids[j], l.runs[i].meta.machine);
        if (seen)
            continue;
        char *text = NULL;
        size_t len = 0;
        if (bg_store_load(l.runs[i].path, &text, &len, NULL, NULL, 0))
            continue;
        cJSON *root = cJSON_ParseWithLength(text, len);
        free(text);
        if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "shard")))
            snprintf(ids[n++], BG_MACHINE_ID_MAX + 1, "%s", l.runs[i].meta.machine);
        cJSON_Delete(root);
    }
    bg_run_list_free(&l);
    return n;
}
