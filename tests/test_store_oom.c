/* The store under an allocator that fails at the Nth allocation (as
 * SQLite's tests do): for every N until an operation runs without a
 * failure, save a run, list the store loading each run in full, and load
 * one back. Each must succeed or fail cleanly (BG_ENOMEM, a message); the
 * runs saved before are never lost or damaged; nothing leaks (LeakSanitizer
 * in the sanitizer build) and nothing crashes. Allocations are counted
 * through the linker's --wrap of malloc, calloc, realloc and strdup (our
 * own code) and cJSON's hooks (cJSON's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "bg_model.h"
#include "bg_store.h"

/* ---- the failing allocator ---- */

static long g_fail_at;   /* fail the allocation with this number (1-based); 0: never */
static long g_count;     /* allocations since the counter was armed */
static int g_failed;     /* an allocation was made to fail */

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static int should_fail(void)
{
    if (g_fail_at <= 0)
        return 0;
    if (++g_count == g_fail_at) {
        g_failed = 1;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n)
{
    return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    return should_fail() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return should_fail() ? NULL : __real_strdup(s);
}

static void *json_malloc(size_t n)
{
    return __wrap_malloc(n);
}

static void arm(long n)
{
    g_fail_at = n;
    g_count = 0;
    g_failed = 0;
}

/* ---- the store ---- */

static char dir[] = "/tmp/bg_store_oomXXXXXX";
static const char C1[] = "1111111111111111111111111111111111111111";
#define MACHINE "aaaaaaaaaaaa"

static char *record(long long created, const char *bench)
{
    char *s = NULL;
    int n = asprintf(&s,
        "{\"schema\": \"benchgate.run\", \"schema_version\": 1, \"created_unix\": %lld,"
        " \"git\": {\"commit\": \"%s\"}, \"machine\": {\"id\": \"" MACHINE "\"},"
        " \"config\": {\"warmup_s\": 0.1, \"measure_s\": 0.3, \"budget_s\": 3, \"target\": 0.01,"
        " \"timeout_s\": 10, \"samples\": 10, \"min_procs\": 1, \"max_procs\": 1, \"seed\": \"1\","
        " \"resamples\": 1000, \"confidence\": 0.95, \"statistic\": \"mean\"},"
        " \"benchmarks\": [{\"name\": \"%s\", \"status\": \"ok\", \"seed\": \"7\", \"processes\":"
        " [{\"iters\": [1, 2, 3], \"wall_ns\": [10, 20, 30], \"cpu_ns\": [10, 20, 30]}]}]}\n",
        created, C1, bench);
    assert_true(n > 0);
    return s;
}

/* The runs in the store, with no failures: each must load in full. */
static size_t count_good_runs(const char *must_have_a, const char *must_have_b)
{
    arm(0);
    bg_store *st = NULL;
    char err[1024];
    assert_int_equal(bg_store_open(&st, dir, NULL, err, sizeof err), 0);
    bg_run_list l;
    memset(&l, 0, sizeof l);
    assert_int_equal(bg_store_list_ex(st, NULL, NULL, BG_STORE_LIST_FULL, &l, NULL, NULL, err, sizeof err),
                     0);
    assert_int_equal(l.skipped, 0);
    int seen_a = 0, seen_b = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (l.runs[i].damage)
            fail_msg("a saved run is damaged: %s", l.runs[i].damage);
        seen_a |= !strcmp(l.runs[i].path, must_have_a);
        seen_b |= !strcmp(l.runs[i].path, must_have_b);
    }
    assert_true(seen_a && seen_b);
    size_t n = l.n;
    bg_run_list_free(&l);
    bg_store_close(&st);
    return n;
}

/* Nothing but runs (and their directories, and the store's own
 * .gitignore) in the store: no temporary file left behind by a failed
 * save. */
static void no_temporaries(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test -z \"$(find '%s' -name '.*' -type f ! -name .gitignore)\"", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_every_failure_point(void **state)
{
    (void)state;
    cJSON_Hooks hooks = {json_malloc, free};
    cJSON_InitHooks(&hooks);
    assert_non_null(mkdtemp(dir));
    bg_store *st = NULL;
    char err[1024];
    assert_int_equal(bg_store_open(&st, dir, NULL, err, sizeof err), 0);
    char *a = record(100, "first"), *b = record(200, "second");
    char *pa = NULL, *pb = NULL;
    assert_int_equal(bg_store_save(st, a, C1, MACHINE, &pa, err, sizeof err), 0);
    assert_int_equal(bg_store_save(st, b, C1, MACHINE, &pb, err, sizeof err), 0);
    bg_store_close(&st);
    free(a);
    free(b);
    size_t before = count_good_runs(pa, pb);
    assert_int_equal(before, 2);

    long points = 0;
    size_t saved = 0;
    for (long n = 1;; n++) {
        char *text = record(300 + n, "third");
        arm(n);
        int done = 0;
        bg_store *s = NULL;
        int rc = bg_store_open(&s, dir, NULL, err, sizeof err);
        char *path = NULL;
        if (rc == 0)
            rc = bg_store_save(s, text, C1, MACHINE, &path, err, sizeof err);
        if (rc == 0) {
            bg_run_list l;
            memset(&l, 0, sizeof l);
            rc = bg_store_list_ex(s, C1, MACHINE, BG_STORE_LIST_FULL, &l, NULL, NULL, err, sizeof err);
            bg_run_list_free(&l);
        }
        if (rc == 0) {
            char *body = NULL;
            size_t len = 0;
            rc = bg_store_load(path, &body, &len, NULL, err, sizeof err);
            if (rc == 0) {
                bg_run run;
                rc = bg__record_parse(body, &run, err, sizeof err);
                if (rc == 0)
                    bg__run_free(&run);
            }
            free(body);
        }
        bg_store_close(&s);
        done = !g_failed;
        arm(0);
        /* cJSON cannot tell an allocation that failed from a parse error:
         * the store then says the text is corrupt (BG_EPARSE). */
        if (rc != 0 && rc != BG_ENOMEM && rc != BG_EIO && rc != BG_EPARSE)
            fail_msg("failure point %ld: code %d (%s)", n, rc, err);
        if (rc != 0 && !err[0])
            fail_msg("failure point %ld: no message", n);
        free(path);
        free(text);
        /* Nothing saved before is lost; whatever this try saved loads. */
        /* (a save that failed after its rename, allocating the path it
         * returns, is there too: counted from the store) */
        size_t now = count_good_runs(pa, pb);
        assert_true(now == before || now == before + 1);
        saved += now - before;
        /* Back to the two runs, so each try sees the same store. */
        char cmd[600];
        snprintf(cmd, sizeof cmd, "find '%s' -name '*.json' ! -path '%s' ! -path '%s' -delete", dir, pa, pb);
        assert_int_equal(system(cmd), 0);
        no_temporaries();
        if (done)
            break;
        points++;
        err[0] = '\0';
    }
    print_message("failure points tried: %ld (saves that succeeded: %zu)\n", points, saved);
    assert_true(points > 20);
    free(pa);
    free(pb);
    cJSON_InitHooks(NULL);
    remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_failure_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
