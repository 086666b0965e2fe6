/* Tests for pruning the store: the keep rules, dry runs, stale temp files, and what is never removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <utime.h>

#include <cmocka.h>

#include "helpers.h"

#include "bg_baseline.h"
#include "bg_prune.h"
#include "bg_store.h"

static char base[256];
static char dir[512];
static const char C1[] = "1111111111111111111111111111111111111111";
static const char C2[] = "2222222222222222222222222222222222222222";

static int setup(void **state)
{
    snprintf(base, sizeof base, "/tmp/bg-test-prune-XXXXXX");
    if (!mkdtemp(base))
        return -1;
    snprintf(dir, sizeof dir, "%s/.benchgate", base);
    return 0;
}

static int teardown(void **state)
{
    return remove_tree(base);
}

static void run_text(char *out, size_t n, const char *commit, const char *machine, long long created)
{
    snprintf(out, n,
             "{\"schema\": \"benchgate.run\", \"schema_version\": 1, \"created_unix\": %lld,\n"
             " \"git\": {\"commit\": \"%s\"}, \"machine\": {\"id\": \"%s\"}, \"benchmarks\": []}\n",
             created, commit, machine);
}

static void save(bg_store *s, const char *commit, const char *machine, long long created, char *path, size_t n)
{
    char run[1024], err[512] = "", *p = NULL;
    run_text(run, sizeof run, commit, machine, created);
    assert_int_equal(bg_store_save(s, run, commit, machine, &p, err, sizeof err), 0);
    if (path)
        snprintf(path, n, "%s", p);
    free(p);
}

typedef struct seen {
    int runs, temps;
} seen;

static void on_prune(const char *path, const char *why, void *ud)
{
    seen *s = ud;
    if (!strcmp(why, "run"))
        s->runs++;
    else
        s->temps++;
}

static size_t count(bg_store *s)
{
    bg_run_list l;
    char err[512];
    assert_int_equal(bg_store_list(s, NULL, NULL, &l, NULL, NULL, err, sizeof err), 0);
    size_t n = l.n;
    bg_run_list_free(&l);
    return n;
}

static void test_prune(void **state)
{
    char err[1024] = "";
    bg_store *s = NULL;
    assert_int_equal(bg_store_open(&s, dir, NULL, err, sizeof err), 0);
    char p100[600], p103[600];
    save(s, C1, "m1", 100, p100, sizeof p100);
    save(s, C1, "m1", 101, NULL, 0);
    save(s, C1, "m1", 102, NULL, 0);
    save(s, C1, "m1", 103, p103, sizeof p103);
    save(s, C1, "m2", 100, NULL, 0);
    save(s, C2, "m1", 1000, NULL, 0);
    save(s, C2, "m1", 2000, NULL, 0);
    /* a named baseline made from the oldest run */
    char run[1024];
    run_text(run, sizeof run, C1, "m1", 100);
    assert_int_equal(bg__baseline_save(s, "release-1", run, err, sizeof err), 0);
    /* a damaged run file, and two temp files: one a killed writer left an
     * hour ago, one being written now */
    char damaged[700], stale[700], fresh[700];
    snprintf(damaged, sizeof damaged, "%s/runs/%s/m1/50-1-bad.json", dir, C1);
    snprintf(stale, sizeof stale, "%s/runs/%s/m1/.60-1-x.json.tmp", dir, C1);
    snprintf(fresh, sizeof fresh, "%s/runs/%s/m1/.61-1-y.json.tmp", dir, C1);
    sh("printf '{\"schema\": \"benchgate.run\"' > '%s' && echo partial > '%s' && echo partial > '%s'", damaged,
       stale, fresh);
    struct utimbuf old = {time(NULL) - 7200, time(NULL) - 7200};
    assert_int_equal(utime(stale, &old), 0);

    bg_prune_opts o;
    memset(&o, 0, sizeof o);
    o.tmp_age_s = 3600;
    seen sn = {0, 0};
    size_t removed = 9, nstale = 9;
    /* no rule: refused */
    assert_int_equal(bg_store_prune(s, &o, on_prune, &sn, NULL, NULL, &removed, &nstale, err, sizeof err),
                     BG_EINVAL);
    assert_non_null(strstr(err, "--keep"));

    /* dry run, keep 1: lists 3 + 1 runs and the stale temp file, removes nothing */
    o.keep_last = 1;
    o.dry_run = true;
    assert_int_equal(bg_store_prune(s, &o, on_prune, &sn, NULL, NULL, &removed, &nstale, err, sizeof err), 0);
    assert_int_equal(removed, 4);
    assert_int_equal(nstale, 1);
    assert_int_equal(sn.runs, 4);
    assert_int_equal(sn.temps, 1);
    assert_int_equal(count(s), 7);
    assert_int_equal(access(stale, F_OK), 0);

    /* keep 2 of each commit and machine */
    o.dry_run = false;
    o.keep_last = 2;
    assert_int_equal(bg_store_prune(s, &o, NULL, NULL, NULL, NULL, &removed, &nstale, err, sizeof err), 0);
    assert_int_equal(removed, 2);
    assert_int_equal(nstale, 1);
    assert_int_equal(count(s), 5);
    assert_int_equal(access(p100, F_OK), -1);
    assert_int_equal(access(p103, F_OK), 0);
    assert_int_equal(access(stale, F_OK), -1);
    assert_int_equal(access(fresh, F_OK), 0);   /* a writer may still be at it */
    assert_int_equal(access(damaged, F_OK), 0); /* left for a person to look at */

    /* keep 1 or newer than 1500: of C1/m1 (102, 103) 102 goes; C1/m2's one
     * run stays (newest); C2/m1's 1000 goes, 2000 stays */
    o.keep_last = 1;
    o.have_newer = true;
    o.newer_than = 1500;
    assert_int_equal(bg_store_prune(s, &o, NULL, NULL, NULL, NULL, &removed, &nstale, err, sizeof err), 0);
    assert_int_equal(removed, 2);
    assert_int_equal(count(s), 3);

    /* only newer than: every run before 3000 goes, the baseline stays */
    o.keep_last = 0;
    o.newer_than = 3000;
    assert_int_equal(bg_store_prune(s, &o, NULL, NULL, NULL, NULL, &removed, &nstale, err, sizeof err), 0);
    assert_int_equal(removed, 3);
    assert_int_equal(count(s), 0);
    char bl[700];
    assert_int_equal(bg__baseline_path(s, "release-1", bl, sizeof bl), 0);
    assert_int_equal(access(bl, F_OK), 0);
    bg_store_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
