/* Tests for shards: the plan (--shard K/N), merging shard runs, and a gate over merged runs that decides as over one run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "bg_baseline.h"
#include "bg_compare.h"
#include "bg_merge.h"
#include "bg_model.h"
#include "bg_store.h"

static char base[256];
static char dir[512];

static const char C1[] = "1111111111111111111111111111111111111111";
static const char C2[] = "2222222222222222222222222222222222222222";

#define NB 20

static int setup(void **state)
{
    snprintf(base, sizeof base, "/tmp/bg-test-shard-XXXXXX");
    if (!mkdtemp(base))
        return -1;
    snprintf(dir, sizeof dir, "%s/.benchgate", base);
    return 0;
}

static int teardown(void **state)
{
    return remove_tree(base);
}

/* ---- the plan ---- */

static void test_parse(void **state)
{
    int k, n;
    assert_int_equal(bg__shard_parse("1/1", &k, &n), 0);
    assert_int_equal(bg__shard_parse("3/4", &k, &n), 0);
    assert_int_equal(k, 3);
    assert_int_equal(n, 4);
    const char *bad[] = {"0/2", "3/2", "1/0", "1/", "/2", "a/b", "1/2x", "-1/2", "1/-2", "1/257", "", "2", "+1/2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(bg__shard_parse(bad[i], &k, &n), BG_EINVAL);
}

static void names_of(char buf[][32], const char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(buf[i], 32, "bench_%02zu_%s", i, i % 3 ? "hash" : "sort");
        names[i] = buf[i];
    }
}

static void test_plan_by_name(void **state)
{
    char buf[101][32];
    const char *names[101];
    names_of(buf, names, 101);
    for (int nshards = 1; nshards <= 9; nshards++) {
        int assign[101];
        assert_int_equal(bg__shard_plan(names, NULL, 101, nshards, assign), 0);
        size_t count[9] = {0};
        for (size_t i = 0; i < 101; i++) {
            assert_true(assign[i] >= 0 && assign[i] < nshards); /* exactly one shard each */
            count[assign[i]]++;
        }
        size_t lo = 101, hi = 0;
        for (int s = 0; s < nshards; s++) {
            lo = count[s] < lo ? count[s] : lo;
            hi = count[s] > hi ? count[s] : hi;
        }
        assert_true(hi - lo <= 1); /* balanced */
        /* the same names in another order: each keeps its shard */
        const char *rev[101];
        int assign2[101];
        for (size_t i = 0; i < 101; i++)
            rev[i] = names[100 - i];
        assert_int_equal(bg__shard_plan(rev, NULL, 101, nshards, assign2), 0);
        for (size_t i = 0; i < 101; i++)
            assert_int_equal(assign2[100 - i], assign[i]);
    }
    int one[1];
    assert_int_equal(bg__shard_plan(names, NULL, 1, 4, one), 0);
    assert_true(one[0] >= 0 && one[0] < 4);
    assert_int_equal(bg__shard_plan(names, NULL, 3, 0, one), BG_EINVAL);
    assert_int_equal(bg__shard_plan(NULL, NULL, 0, 2, NULL), 0);
}

static void test_plan_by_cost(void **state)
{
    char buf[12][32];
    const char *names[12];
    names_of(buf, names, 12);
    /* one long benchmark and many short ones: by name the long one's shard
     * would take far longer; by cost the totals come within the longest
     * short benchmark of each other */
    double cost[12] = {10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2};
    int assign[12];
    assert_int_equal(bg__shard_plan(names, cost, 12, 2, assign), 0);
    double load[2] = {0, 0};
    for (int i = 0; i < 12; i++)
        load[assign[i]] += cost[i];
    assert_true(fabs(load[0] - load[1]) <= 2.0);
    assert_int_not_equal(assign[0], assign[11]); /* the two longest apart */
    /* unknown costs count as the median of the known ones (1 here) */
    double some[12] = {10, NAN, 0, -1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(bg__shard_plan(names, some, 12, 2, assign), 0);
    load[0] = load[1] = 0;
    for (int i = 0; i < 12; i++)
        load[assign[i]] += i == 0 ? 10 : 1;
    assert_true(fabs(load[0] - load[1]) <= 1.0 + 1e-9 || fabs(load[0] - load[1]) == 0);
    /* deterministic */
    int again[12];
    assert_int_equal(bg__shard_plan(names, cost, 12, 2, again), 0);
    assert_int_equal(bg__shard_plan(names, cost, 12, 2, assign), 0);
    assert_memory_equal(again, assign, sizeof again);
}

/* ---- synthetic runs ---- */

static uint64_t lcg = 1;
static double unif(void)
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(lcg >> 11) / 9007199254740992.0;
}

/* A run record of the benchmarks names[i] for which pick[i] (all when pick
 * is NULL), each 3 processes x 8 samples around base_ns[i] * factor[i];
 * with a shard object when k > 0. Caller frees. */
static char *record(const char *commit, long long created, const char *const *names, const double *ns,
                    const double *factor, const int *pick, int k, int n, const char *status_of_0)
{
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
#define PUT(...) (len += (size_t)snprintf(out + len, cap - len, __VA_ARGS__), assert_true(len < cap))
    PUT("{\"schema\": \"benchgate.run\", \"schema_version\": 1, \"created_unix\": %lld,\n"
        " \"git\": {\"commit\": \"%s\", \"branch\": \"main\", \"dirty\": false},\n"
        " \"machine\": {\"id\": \"m1\", \"cpu_model\": \"Test CPU\"},\n"
        " \"config\": {\"warmup_s\": 0.1, \"measure_s\": 0.3, \"budget_s\": 3, \"target\": 0.01,"
        " \"timeout_s\": 10, \"samples\": 8, \"min_procs\": 3, \"max_procs\": 3, \"seed\": \"1\","
        " \"resamples\": 200, \"confidence\": 0.95, \"statistic\": \"mean\"},\n",
        created, commit);
    if (k > 0) {
        PUT(" \"shard\": {\"k\": %d, \"n\": %d, \"method\": \"name\", \"cost_from\": null, \"suite\": [", k, n);
        for (int i = 0; i < NB; i++)
            PUT("%s\"%s\"", i ? ", " : "", names[i]);
        PUT("]},\n");
    }
    PUT(" \"benchmarks\": [");
    bool first = true;
    for (int i = 0; i < NB; i++) {
        if (pick && !pick[i])
            continue;
        bool crashed = i == 0 && status_of_0;
        PUT("%s{\"name\": \"%s\", \"status\": \"%s\", \"seed\": \"7\", \"elapsed_s\": %g, \"processes\": [",
            first ? "" : ",\n  ", names[i], crashed ? status_of_0 : "ok", 0.1 * (i + 1));
        first = false;
        for (int p = 0; p < (crashed ? 0 : 3); p++) {
            PUT("%s{\"iters\": [", p ? ", " : "");
            for (int s = 1; s <= 8; s++)
                PUT("%s%d", s > 1 ? ", " : "", 100 * s);
            PUT("], \"wall_ns\": [");
            for (int s = 1; s <= 8; s++)
                PUT("%s%.1f", s > 1 ? ", " : "", 100.0 * s * ns[i] * factor[i] * (1 + 0.004 * (unif() - 0.5)));
            PUT("], \"cpu_ns\": [");
            for (int s = 1; s <= 8; s++)
                PUT("%s%.1f", s > 1 ? ", " : "", 100.0 * s * ns[i] * factor[i]);
            PUT("]}");
        }
        PUT("]}");
    }
    PUT("]}\n");
#undef PUT
    return out;
}

typedef struct suite {
    char buf[NB][32];
    const char *names[NB];
    double ns[NB], one[NB], head[NB];
    int assign[NB];
} suite;

static void make_suite(suite *s, int nshards)
{
    names_of(s->buf, s->names, NB);
    for (int i = 0; i < NB; i++) {
        s->ns[i] = 50.0 * (i + 1);
        s->one[i] = 1.0;
        /* three regressions, two improvements, one change inside the threshold */
        s->head[i] = i == 3 || i == 11 || i == 17 ? 1.10 : i == 5 || i == 8 ? 0.9 : i == 13 ? 1.003 : 1.0;
    }
    assert_int_equal(bg__shard_plan(s->names, NULL, NB, nshards, s->assign), 0);
}

static void save(bg_store *st, const char *commit, char *json)
{
    char err[512] = "";
    assert_int_equal(bg_store_save(st, json, commit, "m1", NULL, err, sizeof err), 0);
    free(json);
}

/* Saves head as nshards shard runs of C2 (shard `skip`, 1-based, left out). */
static void save_shards(bg_store *st, suite *s, int nshards, int skip, const char *crash0)
{
    for (int k = 1; k <= nshards; k++) {
        if (k == skip)
            continue;
        int pick[NB];
        for (int i = 0; i < NB; i++)
            pick[i] = s->assign[i] == k - 1;
        save(st, C2, record(C2, 200 + k, s->names, s->ns, s->head, pick, k, nshards, crash0));
    }
}

static void test_merge(void **state)
{
    suite s;
    make_suite(&s, 3);
    char err[2048] = "";
    bg_store *st = NULL;
    assert_int_equal(bg_store_open(&st, dir, NULL, err, sizeof err), 0);
    char *json = NULL;
    bg_merge_info info;

    /* no shard runs: nothing to merge */
    save(st, C2, record(C2, 100, s.names, s.ns, s.one, NULL, 0, 0, NULL));
    assert_int_equal(bg_store_merge_shards(st, C2, "m1", &json, &info, NULL, NULL, err, sizeof err), BG_ENOTFOUND);
    assert_non_null(strstr(err, "no shard runs of commit 222222222222"));

    /* shard 2 of 3 missing: named, with the benchmarks left without a result */
    save_shards(st, &s, 3, 2, NULL);
    assert_int_equal(bg_store_merge_shards(st, C2, "m1", &json, &info, NULL, NULL, err, sizeof err), BG_EINVAL);
    assert_null(json);
    assert_non_null(strstr(err, "shard 2/3 missing"));
    for (int i = 0; i < NB; i++)
        if (s.assign[i] == 1)
            assert_non_null(strstr(err, s.names[i]));
        else
            assert_null(strstr(err, s.names[i]));
    assert_int_equal(info.n, 3);
    assert_int_equal(info.have, 2);

    /* the lookup a gate makes fails as well, never passes on part of the suite */
    bg_side side;
    memset(&side, 0, sizeof side);
    side.spec = "head";
    snprintf(side.commit, sizeof side.commit, "%s", C2);
    assert_int_equal(bg__side_load_store(st, NULL, &side, "head", "head", "m1"), BG_EINVAL);
    bg__side_free(&side);

    /* with every shard: one run of the suite, sorted, without "shard" */
    int pick[NB];
    for (int i = 0; i < NB; i++)
        pick[i] = s.assign[i] == 1;
    save(st, C2, record(C2, 250, s.names, s.ns, s.head, pick, 2, 3, NULL));
    assert_int_equal(bg_store_merge_shards(st, C2, "m1", &json, &info, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(info.nbench, NB);
    assert_false(info.already);
    bg_run run;
    assert_int_equal(bg__record_parse(json, &run, err, sizeof err), 0);
    assert_int_equal(run.nresults, NB);
    for (int i = 0; i < NB; i++)
        assert_string_equal(run.results[i].name, s.names[i]); /* names_of sorts as bench_00.. */
    assert_int_equal(run.shard.n, 0);
    assert_int_equal(run.shard.merged, 3);
    assert_int_equal(run.created_unix, 251);
    bg__run_free(&run);

    /* saved, the next merge says it is already there */
    assert_int_equal(bg_store_save(st, json, C2, "m1", NULL, err, sizeof err), 0);
    free(json);
    assert_int_equal(bg_store_merge_shards(st, C2, "m1", &json, &info, NULL, NULL, err, sizeof err), 0);
    assert_true(info.already);
    free(json);

    /* a newer plan (2 shards) replaces the old one: its shard 2 is missing */
    suite s2;
    make_suite(&s2, 2);
    for (int i = 0; i < NB; i++)
        pick[i] = s2.assign[i] == 0;
    save(st, C2, record(C2, 300, s2.names, s2.ns, s2.head, pick, 1, 2, NULL));
    assert_int_equal(bg_store_merge_shards(st, C2, "m1", &json, &info, NULL, NULL, err, sizeof err), BG_EINVAL);
    assert_non_null(strstr(err, "shard 2/2 missing"));
    bg_store_close(&st);
}

static void test_merge_overlap(void **state)
{
    suite s;
    make_suite(&s, 2);
    char err[2048] = "";
    bg_store *st = NULL;
    assert_int_equal(bg_store_open(&st, dir, NULL, err, sizeof err), 0);
    /* both shards claim the whole suite (a filter that differed between jobs) */
    save(st, C2, record(C2, 201, s.names, s.ns, s.head, NULL, 1, 2, NULL));
    save(st, C2, record(C2, 202, s.names, s.ns, s.head, NULL, 2, 2, NULL));
    char *json = NULL;
    assert_int_equal(bg_store_merge_shards(st, C2, "m1", &json, NULL, NULL, NULL, err, sizeof err), BG_EINVAL);
    assert_non_null(strstr(err, "both hold benchmark"));
    assert_null(json);
    bg_store_close(&st);
}

/* The gate over merged shard runs decides as over one run of the suite:
 * the same verdicts and the same suite-wide adjusted p-values. */
static void test_gate_over_merged(void **state)
{
    for (int nshards = 2; nshards <= 4; nshards++) {
        suite s;
        make_suite(&s, nshards);
        char err[2048] = "";
        bg_store *st = NULL;
        char d[600];
        snprintf(d, sizeof d, "%s/%d", dir, nshards);
        assert_int_equal(bg_store_open(&st, d, NULL, err, sizeof err), 0);
        lcg = 42;
        char *whole = record(C2, 200, s.names, s.ns, s.head, NULL, 0, 0, NULL);
        lcg = 7;
        save(st, C1, record(C1, 100, s.names, s.ns, s.one, NULL, 0, 0, NULL));
        /* the shards carry the same samples as `whole`: made from the same
         * generator state, benchmark by benchmark */
        bg_run w;
        assert_int_equal(bg__record_parse(whole, &w, err, sizeof err), 0);
        free(whole);
        for (int k = 1; k <= nshards; k++) {
            bg_run part = w;
            part.results = calloc(NB, sizeof *part.results);
            part.nresults = 0;
            for (int i = 0; i < NB; i++)
                if (s.assign[i] == k - 1)
                    part.results[part.nresults++] = w.results[i];
            part.shard.k = k;
            part.shard.n = nshards;
            snprintf(part.shard.method, sizeof part.shard.method, "name");
            part.shard.nsuite = NB;
            part.shard.suite = s.names;
            part.created_unix = 200 + k;
            char *json = bg__record_to_json(&part);
            free(part.results);
            assert_non_null(json);
            save(st, C2, json);
        }
        bg_side a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        snprintf(a.commit, sizeof a.commit, "%s", C1);
        snprintf(b.commit, sizeof b.commit, "%s", C2);
        assert_int_equal(bg__side_load_store(st, NULL, &a, "base", "base", "m1"), 0);
        assert_int_equal(bg__side_load_store(st, NULL, &b, "head", "head", "m1"), 0);
        assert_int_equal(b.run.nresults, NB);
        assert_non_null(strstr(b.path, "merged"));

        bg_cmp_opts o;
        bg__cmp_opts_default(&o);
        o.resamples = 500;
        bg_comparison merged, single;
        assert_int_equal(bg__compare_runs(&a.run, &b.run, &o, &merged, err, sizeof err), 0);
        assert_int_equal(bg__compare_runs(&a.run, &w, &o, &single, err, sizeof err), 0);
        assert_int_equal(merged.n, single.n);
        size_t regressed = 0;
        for (size_t i = 0; i < merged.n; i++) {
            assert_string_equal(merged.rows[i].name, single.rows[i].name);
            assert_int_equal(merged.rows[i].verdict, single.rows[i].verdict);
            assert_true(merged.rows[i].p_adj == single.rows[i].p_adj);
            regressed += bg__cmp_row_is_regression(&merged.rows[i]);
        }
        assert_int_equal(regressed, 3);
        bg__comparison_free(&merged);
        bg__comparison_free(&single);
        bg__side_free(&a);
        bg__side_free(&b);
        bg__run_free(&w);
        bg_store_close(&st);
    }
}

/* A shard whose benchmark crashed: the merged run carries the crash. */
static void test_failed_shard(void **state)
{
    suite s;
    make_suite(&s, 2);
    char err[2048] = "";
    bg_store *st = NULL;
    assert_int_equal(bg_store_open(&st, dir, NULL, err, sizeof err), 0);
    save_shards(st, &s, 2, 0, "crashed");
    bg_side b;
    memset(&b, 0, sizeof b);
    snprintf(b.commit, sizeof b.commit, "%s", C2);
    assert_int_equal(bg__side_load_store(st, NULL, &b, "head", "head", "m1"), 0);
    assert_int_equal(b.run.nresults, NB);
    assert_int_equal(b.run.results[0].status, BG_STATUS_CRASHED);
    bg__side_free(&b);
    bg_store_close(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_plan_by_name),
        cmocka_unit_test(test_plan_by_cost),
        cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_overlap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gate_over_merged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_shard, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
