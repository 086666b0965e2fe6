/* Tests for the run store: save/list/load, concurrent writers, bad files, and sharing through git notes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "bg_baseline.h"
#include "bg_config.h"
#include "bg_fingerprint.h"
#include "bg_store.h"

static char base[256]; /* per-run temp dir, removed at the end */

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", base, name);
}

/* A run record with the envelope the store reads and a body that loads in
 * full (fetch imports only runs whose body loads). */
static void make_run(char *out, size_t n, const char *commit, const char *machine, long long created)
{
    char c[128];
    if (commit)
        snprintf(c, sizeof c, "\"%s\"", commit);
    else
        snprintf(c, sizeof c, "null");
    snprintf(out, n,
             "{\n  \"schema\": \"benchgate.run\",\n  \"schema_version\": 1,\n  \"created_unix\": %lld,\n"
             "  \"git\": {\"commit\": %s, \"branch\": \"main\", \"dirty\": false},\n"
             "  \"machine\": {\"id\": \"%s\", \"cpu_model\": \"Test CPU\"},\n"
             "  \"config\": {\"warmup_s\": 0.1, \"measure_s\": 0.3, \"budget_s\": 3, \"target\": 0.01,"
             " \"timeout_s\": 10, \"samples\": 10, \"min_procs\": 1, \"max_procs\": 1, \"seed\": \"1\","
             " \"resamples\": 1000, \"confidence\": 0.95, \"statistic\": \"mean\"},\n"
             "  \"benchmarks\": [{\"name\": \"sort_1k\", \"status\": \"ok\", \"seed\": \"7\","
             " \"processes\": [{\"iters\": [100], \"wall_ns\": [%lld.5], \"cpu_ns\": [1]}]}]\n}\n",
             created, c, machine, created);
}

static const char C1[] = "1111111111111111111111111111111111111111";
static const char C2[] = "2222222222222222222222222222222222222222";

/* Collects skipped files for assertions. */
typedef struct skips {
    int n;
    char names[16][512];
    int codes[16];
    char msgs[16][1024];
} skips;

static void on_skip(const char *name, int code, const char *msg, void *ud)
{
    skips *s = ud;
    if (s->n < 16) {
        snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
        snprintf(s->msgs[s->n], sizeof s->msgs[0], "%s", msg);
        s->codes[s->n] = code;
    }
    s->n++;
}

static int setup(void **state)
{
    snprintf(base, sizeof base, "/tmp/bg-test-store-XXXXXX");
    if (git_sandbox(base) != 0)
        return -1;
    unsetenv("BENCHGATE_DIR");
    return 0;
}

static int teardown(void **state)
{
    return remove_tree(base);
}

static void test_open_resolution(void **state)
{
    char repo[512], plain[512], want[700], err[512] = "";
    path_of(repo, sizeof repo, "resolve-repo");
    path_of(plain, sizeof plain, "resolve-plain");
    sh("git init -q -b main %s && mkdir -p %s/src/deep %s", repo, repo, plain);

    bg_store *s = NULL;
    char sub[600];
    snprintf(sub, sizeof sub, "%s/src/deep", repo);
    assert_int_equal(bg_store_open(&s, NULL, sub, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/.benchgate", repo);
    assert_string_equal(bg_store_dir(s), want);
    assert_string_equal(bg_store_dir_source(s), "repository");
    bg_store_close(&s);
    assert_null(s);

    assert_int_equal(bg_store_open(&s, NULL, plain, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/.benchgate", plain);
    assert_string_equal(bg_store_dir(s), want);
    assert_string_equal(bg_store_dir_source(s), "current directory");
    bg_store_close(&s);

    setenv("BENCHGATE_DIR", "/somewhere/env/", 1);
    assert_int_equal(bg_store_open(&s, NULL, sub, err, sizeof err), 0);
    assert_string_equal(bg_store_dir(s), "/somewhere/env");
    assert_string_equal(bg_store_dir_source(s), "BENCHGATE_DIR");
    bg_store_close(&s);

    assert_int_equal(bg_store_open(&s, "/explicit/dir", sub, err, sizeof err), 0);
    assert_string_equal(bg_store_dir(s), "/explicit/dir");
    assert_string_equal(bg_store_dir_source(s), "flag");
    bg_store_close(&s);
    unsetenv("BENCHGATE_DIR");
    bg_store_close(NULL);
}

static void test_save_list_load(void **state)
{
    char dir[512], err[512] = "", run[2048];
    path_of(dir, sizeof dir, "roundtrip/.benchgate");
    bg_store *s = NULL;
    assert_int_equal(bg_store_open(&s, dir, NULL, err, sizeof err), 0);

    bg_run_list l;
    assert_int_equal(bg_store_list(s, NULL, NULL, &l, NULL, NULL, err, sizeof err), 0); /* not created yet */
    assert_int_equal(l.n, 0);
    bg_run_list_free(&l);

    struct {
        const char *commit, *machine;
        long long created;
    } runs[] = {
        {C1, "aaaaaaaaaaaa", 300}, {C2, "aaaaaaaaaaaa", 100}, {C1, "bbbbbbbbbbbb", 200}, {NULL, "aaaaaaaaaaaa", 50},
    };
    char *paths[4];
    for (int i = 0; i < 4; i++) {
        make_run(run, sizeof run, runs[i].commit, runs[i].machine, runs[i].created);
        assert_int_equal(bg_store_save(s, run, runs[i].commit, runs[i].machine, &paths[i], err, sizeof err), 0);
        assert_non_null(strstr(paths[i], runs[i].commit ? runs[i].commit : "/no-commit/"));
        assert_non_null(strstr(paths[i], runs[i].machine));
    }

    assert_int_equal(bg_store_list(s, NULL, NULL, &l, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(l.n, 4);
    assert_int_equal(l.skipped, 0);
    long long order[] = {50, 100, 200, 300};
    for (int i = 0; i < 4; i++)
        assert_int_equal(l.runs[i].meta.created_unix, order[i]);
    assert_string_equal(l.runs[0].meta.commit, "");
    assert_string_equal(l.runs[0].path, paths[3]);
    bg_run_list_free(&l);

    assert_int_equal(bg_store_list(s, C1, NULL, &l, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.runs[0].meta.created_unix, 200);
    assert_string_equal(l.runs[0].meta.machine, "bbbbbbbbbbbb");
    bg_run_list_free(&l);
    assert_int_equal(bg_store_list(s, C1, "aaaaaaaaaaaa", &l, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.runs[0].path, paths[0]);
    bg_run_list_free(&l);
    assert_int_equal(bg_store_list(s, "", NULL, &l, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(l.n, 1);
    bg_run_list_free(&l);
    assert_int_equal(bg_store_list(s, "main", NULL, &l, NULL, NULL, err, sizeof err), BG_EINVAL);

    char *text = NULL;
    size_t len = 0;
    bg_run_meta meta;
    assert_int_equal(bg_store_load(paths[0], &text, &len, &meta, err, sizeof err), 0);
    make_run(run, sizeof run, C1, "aaaaaaaaaaaa", 300);
    assert_string_equal(text, run);
    assert_int_equal(len, strlen(run));
    assert_string_equal(meta.commit, C1);
    assert_string_equal(meta.machine, "aaaaaaaaaaaa");
    assert_int_equal(meta.created_unix, 300);
    assert_int_equal(meta.schema_version, 1);
    free(text);
    for (int i = 0; i < 4; i++)
        free(paths[i]);

    /* the caller's commit and machine must match the record */
    assert_int_equal(bg_store_save(s, run, C2, "aaaaaaaaaaaa", NULL, err, sizeof err), BG_EINVAL);
    assert_non_null(strstr(err, C2));
    assert_int_equal(bg_store_save(s, run, C1, "cccccccccccc", NULL, err, sizeof err), BG_EINVAL);
    assert_int_equal(bg_store_save(s, run, NULL, "aaaaaaaaaaaa", NULL, err, sizeof err), BG_EINVAL);
    /* a machine id cannot escape the store */
    make_run(run, sizeof run, C1, "../../etc", 1);
    assert_int_equal(bg_store_save(s, run, C1, "../../etc", NULL, err, sizeof err), BG_EPARSE);
    assert_int_equal(bg_store_load("/nonexistent/run.json", &text, NULL, NULL, err, sizeof err), BG_ENOTFOUND);
    assert_non_null(strstr(err, "/nonexistent/run.json"));
    bg_store_close(&s);
}

/* Every truncation of a record is refused with a message, and random byte
 * damage never crashes the checker (run under the sanitizers). */
static void test_check_damage(void **state)
{
    char run[2048], buf[2048], err[512];
    make_run(run, sizeof run, C1, "aaaaaaaaaaaa", 42);
    size_t len = strlen(run);
    size_t last = (size_t)(strrchr(run, '}') - run);
    for (size_t i = 0; i <= last; i++) {
        err[0] = '\0';
        int rc = bg_run_check(run, i, "cut", NULL, err, sizeof err);
        if (rc != BG_EPARSE)
            fail_msg("prefix of %zu bytes gave %d", i, rc);
        assert_non_null(strstr(err, "cut"));
    }
    assert_int_equal(bg_run_check(run, len, "whole", NULL, err, sizeof err), 0);

    uint64_t x = 88172645463325252u; /* xorshift64, fixed seed: reproducible */
    for (int iter = 0; iter < 5000; iter++) {
        memcpy(buf, run, len + 1);
        int flips = 1 + iter % 4;
        for (int f = 0; f < flips; f++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[x % len] = (char)(x >> 32);
        }
        bg_run_meta meta;
        int rc = bg_run_check(buf, len, "fuzz", &meta, err, sizeof err);
        assert_true(rc == 0 || rc == BG_EPARSE || rc == BG_ESCHEMA);
    }
}

static void test_concurrent_writers(void **state)
{
    char dir[512], err[512] = "";
    path_of(dir, sizeof dir, "concurrent");
    enum { PER_CHILD = 25 };
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            bg_store *s = NULL;
            if (bg_store_open(&s, dir, NULL, NULL, 0) != 0)
                _exit(1);
            char run[2048];
            int bad = 0;
            for (int i = 0; i < PER_CHILD; i++) {
                /* same commit, machine and second: only pid and random differ */
                make_run(run, sizeof run, C1, "aaaaaaaaaaaa", 1000);
                bad |= bg_store_save(s, run, C1, "aaaaaaaaaaaa", NULL, NULL, 0) != 0;
            }
            bg_store_close(&s);
            _exit(bad);
        }
    }
    for (int k = 0; k < 2; k++) {
        int st = 0;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    bg_store *s = NULL;
    assert_int_equal(bg_store_open(&s, dir, NULL, err, sizeof err), 0);
    bg_run_list l;
    assert_int_equal(bg_store_list(s, NULL, NULL, &l, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(l.n, 2 * PER_CHILD);
    assert_int_equal(l.skipped, 0);
    bg_run_list_free(&l);
    char count[32];
    sh_line(count, sizeof count, "find %s -name '.*tmp' | wc -l", dir);
    assert_string_equal(count, "0");
    bg_store_close(&s);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_bad_files(void **state)
{
    char dir[512], err[1024] = "", run[2048], mdir[700], p[800];
    path_of(dir, sizeof dir, "badfiles");
    bg_store *s = NULL;
    assert_int_equal(bg_store_open(&s, dir, NULL, err, sizeof err), 0);
    make_run(run, sizeof run, C1, "aaaaaaaaaaaa", 10);
    assert_int_equal(bg_store_save(s, run, C1, "aaaaaaaaaaaa", NULL, err, sizeof err), 0);
    make_run(run, sizeof run, C1, "aaaaaaaaaaaa", 20);
    assert_int_equal(bg_store_save(s, run, C1, "aaaaaaaaaaaa", NULL, err, sizeof err), 0);
    snprintf(mdir, sizeof mdir, "%s/runs/%s/aaaaaaaaaaaa", dir, C1);

    struct {
        const char *name;
        const char *text;
        int code;
        const char *says;
    } bad[] = {
        {"1-corrupt.json", "{\"schema\": \"benchgate.run\", oops}", BG_EPARSE, "corrupt JSON"},
        {"2-truncated.json", "{\"schema\": \"benchgate.run\", \"schema_version\": 1, \"created_u", BG_EPARSE,
         "truncated"},
        {"3-empty.json", "", BG_EPARSE, "empty"},
        {"4-newer.json",
         "{\"schema\":\"benchgate.run\",\"schema_version\":2,\"created_unix\":5,\"git\":{\"commit\":null},"
         "\"machine\":{\"id\":\"aaaaaaaaaaaa\"}}",
         BG_ESCHEMA, "newer benchgate; upgrade"},
        {"5-schema.json", "{\"schema\":\"other.thing\",\"schema_version\":1}", BG_ESCHEMA, "other.thing"},
        {"6-missing.json", "{\"schema\":\"benchgate.run\",\"schema_version\":1,\"created_unix\":5}", BG_EPARSE,
         "git.commit"},
        {"7-array.json", "[1,2,3]", BG_EPARSE, "not a JSON object"},
    };
    size_t nbad = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < nbad; i++) {
        snprintf(p, sizeof p, "%s/%s", mdir, bad[i].name);
        write_file(p, bad[i].text);
        char *text = NULL;
        err[0] = '\0';
        assert_int_equal(bg_store_load(p, &text, NULL, NULL, err, sizeof err), bad[i].code);
        assert_null(text);
        assert_non_null(strstr(err, p));
        if (!strstr(err, bad[i].says))
            fail_msg("%s: message '%s' lacks '%s'", bad[i].name, err, bad[i].says);
    }
    /* a good record filed under the wrong machine is skipped too */
    sh("mkdir -p %s/runs/%s/bbbbbbbbbbbb", dir, C1);
    make_run(run, sizeof run, C1, "aaaaaaaaaaaa", 30);
    snprintf(p, sizeof p, "%s/runs/%s/bbbbbbbbbbbb/8-misfiled.json", dir, C1);
    write_file(p, run);
    /* temp files and other names are not runs at all */
    snprintf(p, sizeof p, "%s/.half-written.json.tmp", mdir);
    write_file(p, "{");
    snprintf(p, sizeof p, "%s/notes.txt", mdir);
    write_file(p, "hello");

    skips sk = {0};
    bg_run_list l;
    assert_int_equal(bg_store_list(s, NULL, NULL, &l, on_skip, &sk, err, sizeof err), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.runs[0].meta.created_unix, 10);
    assert_int_equal(l.runs[1].meta.created_unix, 20);
    assert_int_equal(l.skipped, nbad + 1);
    assert_int_equal(sk.n, (int)nbad + 1);
    for (size_t i = 0; i < nbad; i++) {
        int found = 0;
        for (int j = 0; j < sk.n; j++) {
            if (strstr(sk.names[j], bad[i].name)) {
                found = 1;
                assert_int_equal(sk.codes[j], bad[i].code);
                assert_non_null(strstr(sk.msgs[j], bad[i].name));
            }
        }
        if (!found)
            fail_msg("%s was not reported", bad[i].name);
    }
    bg_run_list_free(&l);
    /* without a callback they are still counted */
    assert_int_equal(bg_store_list(s, C1, "aaaaaaaaaaaa", &l, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.skipped, nbad);
    bg_run_list_free(&l);
    bg_store_close(&s);
}


/* A complete run record (one benchmark, one process of two samples) that
 * the record module reads in full. */
static void full_run(char *out, size_t n, const char *commit, const char *machine, long long created)
{
    snprintf(out, n,
             "{\"schema\": \"benchgate.run\", \"schema_version\": 1, \"created_unix\": %lld,\n"
             " \"git\": {\"commit\": \"%s\", \"branch\": \"main\", \"dirty\": false},\n"
             " \"machine\": {\"id\": \"%s\", \"cpu_model\": \"Test CPU\"},\n"
             " \"config\": {\"warmup_s\": 0.1, \"measure_s\": 0.3, \"budget_s\": 3, \"target\": 0.01,"
             " \"timeout_s\": 10, \"samples\": 2, \"min_procs\": 1, \"max_procs\": 1, \"seed\": \"1\","
             " \"resamples\": 100, \"confidence\": 0.95, \"statistic\": \"mean\"},\n"
             " \"benchmarks\": [{\"name\": \"sort_1k\", \"status\": \"ok\", \"seed\": \"7\",\n"
             "   \"processes\": [{\"iters\": [10, 20], \"wall_ns\": [1000, 2000], \"cpu_ns\": [1000, 2000]}]}]}\n",
             created, commit, machine);
}

/* Replaces the first `from` in text (capacity n) with `to`; fails the test
 * when from is not there. */
static void replace_in(char *text, size_t n, const char *from, const char *to)
{
    char *at = strstr(text, from);
    if (!at)
        fail_msg("'%s' not in the record", from);
    size_t fl = strlen(from), tl = strlen(to), rest = strlen(at + fl);
    assert_true((size_t)(at - text) + tl + rest < n);
    memmove(at + tl, at + fl, rest + 1);
    memcpy(at, to, tl);
}

/* Saves record text as a file of the store (no validation: it may be
 * damaged on purpose); returns its path in out. */
static void put_run(const char *store, const char *commit, const char *machine, const char *file, const char *text,
                    char *out, size_t n)
{
    sh("mkdir -p '%s/runs/%s/%s'", store, commit, machine);
    snprintf(out, n, "%s/runs/%s/%s/%s", store, commit, machine, file);
    write_file(out, text);
}

/* stderr into a file while a lookup runs, to check what it printed. */
static int saved_stderr = -1;
static char captured[16384];

static void capture_begin(void)
{
    char path[600];
    path_of(path, sizeof path, "stderr.txt");
    fflush(stderr);
    saved_stderr = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0 && saved_stderr >= 0);
    dup2(fd, 2);
    close(fd);
}

static const char *capture_end(void)
{
    char path[600];
    path_of(path, sizeof path, "stderr.txt");
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t len = fread(captured, 1, sizeof captured - 1, f);
    captured[len] = '\0';
    fclose(f);
    return captured;
}

/* Damaged newer runs of a commit (wrong types, numbers out of range, a newer
 * schema) are each skipped with an error naming the file, and the lookup
 * uses the good older run; listing skips those with a bad envelope. */
static void test_damaged_runs_fall_back(void **state)
{
    char dir[512], err[1024] = "", good[4096], text[4096], gpath[800];
    path_of(dir, sizeof dir, "damaged");
    full_run(good, sizeof good, C1, "aaaaaaaaaaaa", 100);
    put_run(dir, C1, "aaaaaaaaaaaa", "100-good.json", good, gpath, sizeof gpath);
    struct {
        const char *file, *from, *to, *says;
        bool listed; /* the envelope is fine, so only a full load finds it */
    } bad[] = {
        {"201-created.json", "\"created_unix\": 201", "\"created_unix\": \"x\"", "created_unix", false},
        {"202-machine.json", "\"machine\": {\"id\": \"aaaaaaaaaaaa\", \"cpu_model\": \"Test CPU\"}",
         "\"machine\": [1]", "machine.id", false},
        {"203-string-sample.json", "\"wall_ns\": [1000, 2000]", "\"wall_ns\": [1000, \"x\"]",
         "benchmark 'sort_1k': array 'wall_ns' holds a value that is not a finite number", true},
        {"204-inf-sample.json", "\"cpu_ns\": [1000, 2000]", "\"cpu_ns\": [1e999, 2000]",
         "array 'cpu_ns' holds a value that is not a finite number", true},
        {"205-huge-iters.json", "\"iters\": [10, 20]", "\"iters\": [1e308, 20]",
         "iters that are not a whole number from 1 to 2^53", true},
        {"206-negative-count.json", "\"samples\": 2", "\"samples\": -3",
         "field 'samples' is -3, not a whole number", true},
        {"207-huge-offset.json", "\"cpu_ns\": [1000, 2000]}",
         "\"cpu_ns\": [1000, 2000], \"stack_offset\": 1e308}", "field 'stack_offset' is 1e+308", true},
        {"208-schema-3e9.json", "\"schema_version\": 1", "\"schema_version\": 3e9",
         "schema_version 3000000000 was written by a newer benchgate", false},
        {"209-schema-1e20.json", "\"schema_version\": 1", "\"schema_version\": 1e20",
         "schema_version 1e+20 was written by a newer benchgate", false},
        {"210-schema-inf.json", "\"schema_version\": 1", "\"schema_version\": 1e999",
         "not a positive integer", false},
    };
    size_t nbad = sizeof bad / sizeof bad[0];
    size_t nlisted = 1;
    for (size_t i = 0; i < nbad; i++) {
        char created[64];
        full_run(text, sizeof text, C1, "aaaaaaaaaaaa", 201 + (long long)i);
        snprintf(created, sizeof created, "\"created_unix\": %lld", 201 + (long long)i);
        if (strcmp(bad[i].from, "\"created_unix\": 201") == 0)
            replace_in(text, sizeof text, created, bad[i].to);
        else
            replace_in(text, sizeof text, bad[i].from, bad[i].to);
        char p[800];
        put_run(dir, C1, "aaaaaaaaaaaa", bad[i].file, text, p, sizeof p);
        /* the full check names the file and says what is wrong */
        err[0] = '\0';
        assert_int_not_equal(bg__run_file_check(p, NULL, err, sizeof err), 0);
        assert_non_null(strstr(err, p));
        if (!strstr(err, bad[i].says))
            fail_msg("%s: message '%s' lacks '%s'", bad[i].file, err, bad[i].says);
        nlisted += bad[i].listed;
    }
    size_t nb = 0;
    assert_int_equal(bg__run_file_check(gpath, &nb, err, sizeof err), 0);
    assert_int_equal(nb, 1);

    bg_store *s = NULL;
    assert_int_equal(bg_store_open(&s, dir, NULL, err, sizeof err), 0);
    skips sk = {0};
    bg_run_list l;
    assert_int_equal(bg_store_list(s, C1, NULL, &l, on_skip, &sk, err, sizeof err), 0);
    assert_int_equal(l.n, nlisted);
    assert_int_equal(l.skipped, nbad - (nlisted - 1));
    for (size_t i = 0; i < l.n; i++)
        assert_null(l.runs[i].damage); /* not loaded in full without the flag */
    bg_run_list_free(&l);

    /* loaded in full: the same runs listed, the damaged ones with the message
     * the full check gives, the good one with its benchmark count */
    sk.n = 0;
    assert_int_equal(bg_store_list_ex(s, C1, NULL, BG_STORE_LIST_FULL, &l, on_skip, &sk, err, sizeof err), 0);
    assert_int_equal(l.n, nlisted);
    size_t ndamaged = 0;
    for (size_t i = 0; i < l.n; i++) {
        const bg_run_entry *e = &l.runs[i];
        char why[1024] = "";
        size_t nfull = 0;
        int frc = bg__run_file_check(e->path, &nfull, why, sizeof why);
        if (e->damage) {
            ndamaged++;
            assert_int_not_equal(frc, 0);
            assert_string_equal(e->damage, why);
            assert_int_equal(e->nbench, 0);
        } else {
            assert_int_equal(frc, 0);
            assert_int_equal(e->nbench, nfull);
            assert_int_equal(nfull, 1);
        }
    }
    assert_int_equal(ndamaged, nlisted - 1);
    bg_run_list_free(&l);

    /* the lookup skips every damaged run, newest first, and uses the good one */
    bg_side side;
    memset(&side, 0, sizeof side);
    side.spec = "HEAD";
    snprintf(side.commit, sizeof side.commit, "%s", C1);
    capture_begin();
    int rc = bg__side_load_store(s, NULL, &side, "base", "base", "aaaaaaaaaaaa");
    const char *out = capture_end();
    assert_int_equal(rc, 0);
    assert_string_equal(side.path, gpath);
    assert_int_equal(side.run.created_unix, 100);
    for (size_t i = 0; i < nbad; i++)
        if (!strstr(out, bad[i].file))
            fail_msg("%s was not named in:\n%s", bad[i].file, out);
    assert_non_null(strstr(out, "next-newest run"));
    bg__side_free(&side);

    /* with only damaged runs left: not found, and it says files failed */
    assert_int_equal(unlink(gpath), 0);
    memset(&side, 0, sizeof side);
    side.spec = "HEAD";
    snprintf(side.commit, sizeof side.commit, "%s", C1);
    capture_begin();
    rc = bg__side_load_store(s, NULL, &side, "base", "base", NULL);
    out = capture_end();
    assert_int_equal(rc, BG_ENOTFOUND);
    assert_false(side.loaded);
    assert_non_null(strstr(out, "failed to load"));
    bg_store_close(&s);
}

/* The store's envelope check and the record parser share one validator of
 * schema, schema_version and created_unix: each bad value is refused by
 * both with the same code and message (schema_version 1.5 included). */
static void test_one_header_check(void **state)
{
    (void)state;
    struct {
        const char *from, *to, *says;
        int code;
    } bad[] = {
        {"\"schema_version\": 1", "\"schema_version\": 1.5", "\"schema_version\" is missing or not a positive integer",
         BG_EPARSE},
        {"\"schema_version\": 1", "\"schema_version\": 0", "not a positive integer", BG_EPARSE},
        {"\"schema_version\": 1", "\"schema_version\": \"1\"", "not a positive integer", BG_EPARSE},
        {"\"schema_version\": 1", "\"schema_version\": 2", "schema_version 2 was written by a newer benchgate",
         BG_ESCHEMA},
        {"\"created_unix\": 7", "\"created_unix\": 7.5", "\"created_unix\" is missing or not a non-negative integer",
         BG_EPARSE},
        {"\"created_unix\": 7", "\"created_unix\": -7", "not a non-negative integer", BG_EPARSE},
        {"\"created_unix\": 7", "\"created_unix\": 1e19", "not a non-negative integer", BG_EPARSE},
        {"\"benchgate.run\"", "\"benchgate.other\"", "schema is 'benchgate.other'", BG_ESCHEMA},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[4096], e1[1024] = "", e2[1024] = "";
        make_run(text, sizeof text, C1, "aaaaaaaaaaaa", 7);
        replace_in(text, sizeof text, bad[i].from, bad[i].to);
        int rc1 = bg_run_check(text, strlen(text), "f.json", NULL, e1, sizeof e1);
        bg_run run;
        int rc2 = bg__record_parse(text, &run, e2, sizeof e2);
        if (rc1 != bad[i].code || rc2 != bad[i].code)
            fail_msg("%s: store %d, record %d, want %d", bad[i].to, rc1, rc2, bad[i].code);
        if (strncmp(e1, "f.json: ", 8) != 0 || strcmp(e1 + 8, e2) != 0)
            fail_msg("%s: store says '%s', record says '%s'", bad[i].to, e1, e2);
        if (!strstr(e2, bad[i].says))
            fail_msg("%s: '%s' lacks '%s'", bad[i].to, e2, bad[i].says);
    }
}

/* A directory inside the store that cannot be read is skipped, named, and
 * the other runs still list. */
static void test_unreadable_dir(void **state)
{
    char dir[512], err[1024] = "", text[4096], p[800];
    path_of(dir, sizeof dir, "unreadable");
    full_run(text, sizeof text, C1, "aaaaaaaaaaaa", 100);
    put_run(dir, C1, "aaaaaaaaaaaa", "100-a.json", text, p, sizeof p);
    full_run(text, sizeof text, C2, "aaaaaaaaaaaa", 200);
    put_run(dir, C2, "aaaaaaaaaaaa", "200-a.json", text, p, sizeof p);
    /* a symbolic link that points at itself cannot be opened even by root */
    sh("ln -s loop '%s/runs/%s/loop' && ln -s self '%s/runs/self'", dir, C1, dir);
    bg_store *s = NULL;
    assert_int_equal(bg_store_open(&s, dir, NULL, err, sizeof err), 0);
    skips sk = {0};
    bg_run_list l;
    assert_int_equal(bg_store_list(s, NULL, NULL, &l, on_skip, &sk, err, sizeof err), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(sk.n, 2);
    assert_int_equal(l.skipped, 2);
    for (int i = 0; i < sk.n; i++) {
        assert_int_equal(sk.codes[i], BG_EIO);
        assert_non_null(strstr(sk.msgs[i], sk.names[i]));
        assert_non_null(strstr(sk.msgs[i], "cannot read directory"));
    }
    bg_run_list_free(&l);

    /* a directory without read permission (not for root, who reads anyway) */
    if (geteuid() == 0) {
        fprintf(stderr, "note: running as root, so chmod 000 cannot block reads; the permission case "
                        "is skipped (the self-linked directories above cover the same path)\n");
    } else {
        char cdir[700];
        snprintf(cdir, sizeof cdir, "%s/runs/%s", dir, C2);
        assert_int_equal(chmod(cdir, 0), 0);
        memset(&sk, 0, sizeof sk);
        assert_int_equal(bg_store_list(s, NULL, NULL, &l, on_skip, &sk, err, sizeof err), 0);
        assert_int_equal(chmod(cdir, 0755), 0);
        assert_int_equal(l.n, 1);
        assert_int_equal(sk.n, 3);
        int named = 0;
        for (int i = 0; i < sk.n; i++)
            named += strstr(sk.msgs[i], cdir) != NULL;
        assert_int_equal(named, 1);
        bg_run_list_free(&l);
    }
    bg_store_close(&s);
}

/* A --store path that does not exist, or is a file, is refused by readers;
 * the default store before its first run is not. */
static void test_require_dir(void **state)
{
    char dir[512], file[512], repo[512], err[1024] = "";
    path_of(dir, sizeof dir, "require/missing");
    path_of(file, sizeof file, "require-file");
    path_of(repo, sizeof repo, "require-repo");
    write_file(file, "not a directory\n");
    sh("git init -q -b main %s", repo);
    bg_store *s = NULL;
    assert_int_equal(bg_store_open(&s, dir, NULL, err, sizeof err), 0);
    assert_int_equal(bg_store_require_dir(s, err, sizeof err), BG_ENOTFOUND);
    assert_non_null(strstr(err, dir));
    assert_non_null(strstr(err, "--store"));
    assert_non_null(strstr(err, "does not exist"));
    bg_store_close(&s);
    assert_int_equal(bg_store_open(&s, file, NULL, err, sizeof err), 0);
    assert_int_equal(bg_store_require_dir(s, err, sizeof err), BG_EINVAL);
    assert_non_null(strstr(err, file));
    assert_non_null(strstr(err, "not a directory"));
    bg_store_close(&s);
    setenv("BENCHGATE_DIR", dir, 1);
    assert_int_equal(bg_store_open(&s, NULL, repo, err, sizeof err), 0);
    assert_int_equal(bg_store_require_dir(s, err, sizeof err), BG_ENOTFOUND);
    assert_non_null(strstr(err, "BENCHGATE_DIR"));
    bg_store_close(&s);
    unsetenv("BENCHGATE_DIR");
    err[0] = '\0';
    assert_int_equal(bg_store_open(&s, NULL, repo, err, sizeof err), 0);
    assert_int_equal(bg_store_require_dir(s, err, sizeof err), 0); /* default, not made yet */
    bg_store_close(&s);
}

/* A linked worktree uses the main checkout's store, so runs made in one are
 * seen from the other. */
static void test_worktree_shares_store(void **state)
{
    char repo[512], wt[512], want[700], err[512] = "";
    path_of(repo, sizeof repo, "wt-main");
    path_of(wt, sizeof wt, "wt-linked");
    sh("git init -q -b main %s && cd %s && git commit -q --allow-empty -m one && git worktree add -q %s",
       repo, repo, wt);
    bg_store *s = NULL;
    assert_int_equal(bg_store_open(&s, NULL, wt, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/.benchgate", repo);
    assert_string_equal(bg_store_dir(s), want);
    assert_string_equal(bg_store_dir_source(s), "repository");
    bg_store_close(&s);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/sub", wt);
    sh("mkdir -p %s", sub);
    assert_int_equal(bg_store_open(&s, NULL, sub, err, sizeof err), 0);
    assert_string_equal(bg_store_dir(s), want);
    bg_store_close(&s);
    assert_int_equal(bg_store_open(&s, NULL, repo, err, sizeof err), 0);
    assert_string_equal(bg_store_dir(s), want);
    bg_store_close(&s);
}

/* The base commit has only another machine's run, its parent has one on
 * ours: the parent's run is used, with a note; with no run on our machine
 * anywhere in reach, the newest of any machine is used (and the caller then
 * refuses it as from another machine). */
static void test_prefers_same_machine_ancestor(void **state)
{
    char repo[512], err[512] = "", c0[64], c1[64], c2[64], text[4096], p[800], ours[800], theirs[800];
    path_of(repo, sizeof repo, "machines");
    sh("git init -q -b main %s && cd %s && git commit -q --allow-empty -m zero && "
       "git commit -q --allow-empty -m one && git commit -q --allow-empty -m two",
       repo, repo);
    sh_line(c0, sizeof c0, "git -C %s rev-parse HEAD~2", repo);
    sh_line(c1, sizeof c1, "git -C %s rev-parse HEAD~1", repo);
    sh_line(c2, sizeof c2, "git -C %s rev-parse HEAD", repo);
    char store[600];
    snprintf(store, sizeof store, "%s/.benchgate", repo);
    full_run(text, sizeof text, c0, "aaaaaaaaaaaa", 50);
    put_run(store, c0, "aaaaaaaaaaaa", "50-a.json", text, p, sizeof p);
    full_run(text, sizeof text, c1, "aaaaaaaaaaaa", 100);
    put_run(store, c1, "aaaaaaaaaaaa", "100-a.json", text, ours, sizeof ours);
    full_run(text, sizeof text, c2, "bbbbbbbbbbbb", 200);
    put_run(store, c2, "bbbbbbbbbbbb", "200-b.json", text, theirs, sizeof theirs);

    bg_git *g = NULL;
    bg_store *s = NULL;
    assert_int_equal(bg_git_open(&g, repo, err, sizeof err), 0);
    assert_int_equal(bg_store_open(&s, NULL, repo, err, sizeof err), 0);
    bg_side side;
    memset(&side, 0, sizeof side);
    side.spec = "main";
    snprintf(side.commit, sizeof side.commit, "%.40s", c2);
    capture_begin();
    int rc = bg__side_load_store(s, g, &side, "base", "base", "aaaaaaaaaaaa");
    const char *out = capture_end();
    assert_int_equal(rc, 0);
    assert_string_equal(side.path, ours);
    assert_string_equal(side.commit, c1);
    char note[256];
    snprintf(note, sizeof note, "base %.12s has no run on machine aaaaaaaaaaaa; using nearest ancestor %.12s (1 commit back)",
             c2, c1);
    if (!strstr(out, note))
        fail_msg("note '%s' not in:\n%s", note, out);
    bg__side_free(&side);

    /* no preference: the commit's own run, whatever its machine */
    memset(&side, 0, sizeof side);
    side.spec = "main";
    snprintf(side.commit, sizeof side.commit, "%.40s", c2);
    assert_int_equal(bg__side_load_store(s, g, &side, "base", "base", NULL), 0);
    assert_string_equal(side.path, theirs);
    bg__side_free(&side);

    /* a machine with no run in reach: the nearest run of any machine */
    memset(&side, 0, sizeof side);
    side.spec = "main";
    snprintf(side.commit, sizeof side.commit, "%.40s", c2);
    assert_int_equal(bg__side_load_store(s, g, &side, "base", "base", "cccccccccccc"), 0);
    assert_string_equal(side.path, theirs);
    bg__side_free(&side);

    /* the other machine's newest run is damaged: ours one commit back still wins,
     * and without preference the damaged one is skipped for the next-nearest */
    write_file(theirs, "{\"schema\": \"benchgate.run\", \"schema_version\": 1, trunc");
    memset(&side, 0, sizeof side);
    side.spec = "main";
    snprintf(side.commit, sizeof side.commit, "%.40s", c2);
    capture_begin();
    rc = bg__side_load_store(s, g, &side, "base", "base", NULL);
    out = capture_end();
    assert_int_equal(rc, 0);
    assert_string_equal(side.path, ours);
    assert_non_null(strstr(out, theirs));
    bg__side_free(&side);
    bg_store_close(&s);
    bg_git_close(&g);
}

/* A lookup that finds nothing says which ancestors it searched: none, and
 * why, in a shallow clone cut at the commit or for a commit git does not
 * know; the few there are in a short history; never "its 50 nearest". */
static void test_ancestor_note_says_what_was_searched(void **state)
{
    (void)state;
    char src[512], dir[512], err[512] = "", head[64], text[4096], p[800], store[600];
    path_of(src, sizeof src, "note-src");
    path_of(dir, sizeof dir, "note-shallow");
    sh("git init -q -b main %s && cd %s && git commit -q --allow-empty -m zero && "
       "git commit -q --allow-empty -m one && git commit -q --allow-empty -m two",
       src, src);
    sh("git clone -q --depth 1 file://%s %s", src, dir);
    sh_line(head, sizeof head, "git -C %s rev-parse HEAD", dir);
    snprintf(store, sizeof store, "%s/.benchgate", dir);
    make_run(text, sizeof text, C2, "aaaaaaaaaaaa", 10); /* a run elsewhere: the store exists */
    put_run(store, C2, "aaaaaaaaaaaa", "10-a.json", text, p, sizeof p);

    bg_git *g = NULL;
    bg_store *s = NULL;
    assert_int_equal(bg_git_open(&g, dir, err, sizeof err), 0);
    assert_int_equal(bg_store_open(&s, NULL, dir, err, sizeof err), 0);
    struct {
        const char *commit, *says;
    } cases[] = {
        {head, "(ancestors not searched: shallow clone whose history ends at this commit"},
        {"3333333333333333333333333333333333333333", "(ancestors not searched: "},
    };
    for (size_t i = 0; i < 2; i++) {
        bg_side side;
        memset(&side, 0, sizeof side);
        side.spec = "HEAD";
        snprintf(side.commit, sizeof side.commit, "%.40s", cases[i].commit);
        capture_begin();
        int rc = bg__side_load_store(s, g, &side, "base", "base", NULL);
        const char *out = capture_end();
        assert_int_equal(rc, BG_ENOTFOUND);
        if (!strstr(out, cases[i].says) || strstr(out, "nearest first-parent"))
            fail_msg("case %zu: '%s' not in (or 'nearest' in):\n%s", i, cases[i].says, out);
        bg__side_free(&side);
    }
    bg_store_close(&s);
    bg_git_close(&g);

    /* the full three-commit history: its two ancestors, all it has */
    sh_line(head, sizeof head, "git -C %s rev-parse HEAD", src);
    snprintf(store, sizeof store, "%s/.benchgate", src);
    put_run(store, C2, "aaaaaaaaaaaa", "10-a.json", text, p, sizeof p);
    assert_int_equal(bg_git_open(&g, src, err, sizeof err), 0);
    assert_int_equal(bg_store_open(&s, NULL, src, err, sizeof err), 0);
    bg_side side;
    memset(&side, 0, sizeof side);
    side.spec = "HEAD";
    snprintf(side.commit, sizeof side.commit, "%.40s", head);
    capture_begin();
    int rc = bg__side_load_store(s, g, &side, "base", "base", NULL);
    const char *out = capture_end();
    assert_int_equal(rc, BG_ENOTFOUND);
    if (!strstr(out, "(nor any of its 2 first-parent ancestors, all it has)"))
        fail_msg("no 'its 2 ... all it has' in:\n%s", out);
    bg__side_free(&side);
    bg_store_close(&s);
    bg_git_close(&g);
}

/* Two records of one machine that differ only in the benchgate version
 * (so in the machine id) are refused, naming both versions. */
static void test_machines_differ_names_version(void **state)
{
    (void)state;
    char text[4096], err[512] = "";
    bg_run a, b;
    const char *ver[2] = {"0.0.9", BG_VERSION};
    bg_run *runs[2] = {&a, &b};
    for (int i = 0; i < 2; i++) {
        bg_fingerprint fp;
        memset(&fp, 0, sizeof fp);
        snprintf(fp.cpu_model, sizeof fp.cpu_model, "Test CPU");
        fp.cores = 4;
        snprintf(fp.kernel, sizeof fp.kernel, "6.1");
        snprintf(fp.compiler, sizeof fp.compiler, "gcc 12.2.0");
        snprintf(fp.flags, sizeof fp.flags, "-O2");
        snprintf(fp.version, sizeof fp.version, "%s", ver[i]);
        bg_fingerprint_update_id(&fp);
        char m[512];
        snprintf(m, sizeof m,
                 "\"machine\": {\"id\": \"%s\", \"cpu_model\": \"Test CPU\", \"cores\": \"4\", \"kernel\": "
                 "\"6.1\", \"compiler\": \"gcc 12.2.0\", \"flags\": \"-O2\", \"version\": \"%s\"}",
                 fp.id, ver[i]);
        full_run(text, sizeof text, C1, fp.id, 100);
        char from[128];
        snprintf(from, sizeof from, "\"machine\": {\"id\": \"%s\", \"cpu_model\": \"Test CPU\"}", fp.id);
        replace_in(text, sizeof text, from, m);
        assert_int_equal(bg__record_parse(text, runs[i], err, sizeof err), 0);
    }
    char msg[1024] = "";
    assert_int_not_equal(bg__machines_differ(&a, &b, msg, sizeof msg), 0);
    if (!strstr(msg, "made by benchgate 0.0.9, this is " BG_VERSION
                     ": a new version starts a new history; --force compares anyway"))
        fail_msg("message: %s", msg);
    assert_int_equal(bg__machines_differ(&b, &b, msg, sizeof msg), 0);
    bg__run_free(&a);
    bg__run_free(&b);
}

/* One clone of the shared repository, with its store. */
typedef struct clone {
    char dir[512];
    bg_git *g;
    bg_store *s;
} clone;

static void open_clone(clone *c, const char *name, const char *remote)
{
    char err[512] = "";
    path_of(c->dir, sizeof c->dir, name);
    sh("git clone -q %s %s", remote, c->dir);
    assert_int_equal(bg_git_open(&c->g, c->dir, err, sizeof err), 0);
    assert_int_equal(bg_store_open(&c->s, NULL, c->dir, err, sizeof err), 0);
}

static void close_clone(clone *c)
{
    bg_store_close(&c->s);
    bg_git_close(&c->g);
}

static size_t count_runs(clone *c, const char *commit, const char *machine)
{
    bg_run_list l;
    char err[512];
    assert_int_equal(bg_store_list(c->s, commit, machine, &l, NULL, NULL, err, sizeof err), 0);
    size_t n = l.n;
    bg_run_list_free(&l);
    return n;
}


/* Merging a note that is not a JSON array with ours: a warning naming the
 * commit, and our runs survive in the merged note. */
static void test_bad_note_merge(void **state)
{
    char seed[512], bare[512], err[1024] = "", head[64], run[2048];
    path_of(seed, sizeof seed, "badnote-seed");
    path_of(bare, sizeof bare, "badnote.git");
    sh("git init -q -b main %s && cd %s && echo 1 > a && git add a && git commit -q -m one", seed, seed);
    sh("git clone -q --bare %s %s", seed, bare);
    sh_line(head, sizeof head, "git -C %s rev-parse HEAD", seed);
    clone a, b;
    open_clone(&a, "badnote-a", bare);
    open_clone(&b, "badnote-b", bare);
    /* a pushes a note that is not an array of runs */
    assert_int_equal(bg_git_note_write(a.g, BG_STORE_NOTES_REF, head, "{\"not\": \"an array\"}", err, sizeof err),
                     0);
    bg_sync_stats st = {0};
    if (bg_store_push(a.s, a.g, NULL, &st, NULL, NULL, err, sizeof err) != 0)
        fail_msg("push a: %s", err);
    assert_true(st.pushed);
    /* b has its own note on the same commit, so the two are merged */
    make_run(run, sizeof run, head, "bbbbbbbbbbbb", 200);
    assert_int_equal(bg_store_save(b.s, run, head, "bbbbbbbbbbbb", NULL, err, sizeof err), 0);
    assert_int_equal(bg_store_export_notes(b.s, b.g, NULL, NULL, NULL, err, sizeof err), 0);
    skips sk = {0};
    memset(&st, 0, sizeof st);
    if (bg_store_push(b.s, b.g, NULL, &st, on_skip, &sk, err, sizeof err) != 0)
        fail_msg("push b: %s", err);
    assert_true(st.pushed);
    assert_true(sk.n >= 1);
    assert_non_null(strstr(sk.names[0], head));
    assert_non_null(strstr(sk.msgs[0], head));
    assert_non_null(strstr(sk.msgs[0], "not a JSON array"));
    char *note = NULL;
    assert_int_equal(bg_git_note_read(b.g, BG_STORE_NOTES_REF, head, &note, err, sizeof err), 0);
    assert_non_null(strstr(note, "bbbbbbbbbbbb"));
    free(note);
    close_clone(&a);
    close_clone(&b);
}

static void test_push_fetch(void **state)
{
    char seed[512], bare[512], err[1024] = "", head[64], run[2048];
    path_of(seed, sizeof seed, "seed");
    path_of(bare, sizeof bare, "remote.git");
    sh("git init -q -b main %s && cd %s && echo 1 > a && git add a && git commit -q -m one", seed, seed);
    sh("git clone -q --bare %s %s", seed, bare);
    sh_line(head, sizeof head, "git -C %s rev-parse HEAD", seed);

    clone a, b;
    open_clone(&a, "clone-a", bare);
    open_clone(&b, "clone-b", bare);

    /* a fetch before anyone pushed is not an error */
    bg_sync_stats st = {0};
    assert_int_equal(bg_store_fetch(a.s, a.g, NULL, &st, NULL, NULL, err, sizeof err), 0);
    assert_false(st.remote_had_notes);

    make_run(run, sizeof run, head, "aaaaaaaaaaaa", 100);
    assert_int_equal(bg_store_save(a.s, run, head, "aaaaaaaaaaaa", NULL, err, sizeof err), 0);
    make_run(run, sizeof run, NULL, "aaaaaaaaaaaa", 101); /* stays local */
    assert_int_equal(bg_store_save(a.s, run, NULL, "aaaaaaaaaaaa", NULL, err, sizeof err), 0);
    make_run(run, sizeof run, head, "bbbbbbbbbbbb", 200);
    assert_int_equal(bg_store_save(b.s, run, head, "bbbbbbbbbbbb", NULL, err, sizeof err), 0);

    /* the store under the clone does not make it dirty */
    int dirty = 1;
    assert_int_equal(bg_git_dirty(a.g, NULL, &dirty, NULL, 0, err, sizeof err), 0);
    assert_false(dirty);

    memset(&st, 0, sizeof st);
    if (bg_store_push(a.s, a.g, NULL, &st, NULL, NULL, err, sizeof err) != 0)
        fail_msg("push a: %s", err);
    assert_true(st.pushed);
    assert_int_equal(st.runs_exported, 1);
    assert_false(st.remote_had_notes);
    memset(&st, 0, sizeof st);
    if (bg_store_push(b.s, b.g, "origin", &st, NULL, NULL, err, sizeof err) != 0)
        fail_msg("push b: %s", err);
    assert_true(st.pushed);
    assert_true(st.remote_had_notes);

    memset(&st, 0, sizeof st);
    if (bg_store_fetch(a.s, a.g, NULL, &st, NULL, NULL, err, sizeof err) != 0)
        fail_msg("fetch a: %s", err);
    assert_int_equal(st.runs_imported, 1);
    assert_int_equal(st.runs_present, 1);
    memset(&st, 0, sizeof st);
    if (bg_store_fetch(b.s, b.g, bare, &st, NULL, NULL, err, sizeof err) != 0) /* a path works too */
        fail_msg("fetch b: %s", err);
    assert_int_equal(st.runs_imported, 1);

    assert_int_equal(count_runs(&a, head, NULL), 2);
    assert_int_equal(count_runs(&b, head, NULL), 2);
    assert_int_equal(count_runs(&a, head, "bbbbbbbbbbbb"), 1);
    assert_int_equal(count_runs(&b, head, "aaaaaaaaaaaa"), 1);
    assert_int_equal(count_runs(&b, "", NULL), 0);

    /* fetching again adds nothing */
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_fetch(a.s, a.g, NULL, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(st.runs_imported, 0);
    assert_int_equal(st.runs_present, 2);
    assert_int_equal(count_runs(&a, head, NULL), 2);

    /* diverged notes: b writes a local note by hand (a third machine and a
     * record from a newer benchgate) while a pushes another run; b's push
     * must merge, and nothing may be lost */
    char note[4096], third[2048];
    make_run(third, sizeof third, head, "cccccccccccc", 300);
    snprintf(note, sizeof note,
             "[%s,{\"schema\":\"benchgate.run\",\"schema_version\":2,\"created_unix\":400,"
             "\"git\":{\"commit\":\"%s\"},\"machine\":{\"id\":\"dddddddddddd\"}}]",
             third, head);
    assert_int_equal(bg_git_note_write(b.g, BG_STORE_NOTES_REF, head, note, err, sizeof err), 0);
    make_run(run, sizeof run, head, "aaaaaaaaaaaa", 500);
    assert_int_equal(bg_store_save(a.s, run, head, "aaaaaaaaaaaa", NULL, err, sizeof err), 0);
    memset(&st, 0, sizeof st);
    if (bg_store_push(a.s, a.g, NULL, &st, NULL, NULL, err, sizeof err) != 0)
        fail_msg("push a again: %s", err);
    memset(&st, 0, sizeof st);
    if (bg_store_push(b.s, b.g, NULL, &st, NULL, NULL, err, sizeof err) != 0)
        fail_msg("push b diverged: %s", err);
    assert_true(st.pushed);

    skips sk = {0};
    memset(&st, 0, sizeof st);
    if (bg_store_fetch(a.s, a.g, NULL, &st, on_skip, &sk, err, sizeof err) != 0)
        fail_msg("fetch a after merge: %s", err);
    assert_int_equal(st.runs_imported, 1); /* cccc; the v2 record is reported, not imported */
    assert_int_equal(st.skipped, 1);
    assert_int_equal(sk.n, 1);
    assert_int_equal(sk.codes[0], BG_ESCHEMA);
    assert_non_null(strstr(sk.msgs[0], "newer benchgate"));
    assert_non_null(strstr(sk.names[0], head));
    assert_int_equal(count_runs(&a, head, NULL), 4);
    memset(&st, 0, sizeof st);
    assert_int_equal(bg_store_fetch(b.s, b.g, NULL, &st, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(count_runs(&b, head, NULL), 4);

    /* the remote's note holds all five records, the v2 one included, and git reads it */
    char count[64];
    sh_line(count, sizeof count,
           "git --git-dir=%s notes --ref=benchgate show %s | grep -o '\"created_unix\":' | wc -l", bare, head);
    assert_string_equal(count, "5");
    sh_line(count, sizeof count, "git --git-dir=%s notes --ref=benchgate show %s | grep -c '\"schema_version\":2'",
           bare, head);
    assert_string_equal(count, "1");
    /* b's push had to merge diverged notes histories */
    sh_line(count, sizeof count, "git --git-dir=%s rev-list --merges --count refs/notes/benchgate", bare);
    assert_string_equal(count, "1");
    /* no temporary refs are left behind */
    sh_line(count, sizeof count, "git -C %s for-each-ref refs/notes | wc -l", a.dir);
    assert_string_equal(count, "1");

    /* an unknown remote is a usage error that names it */
    assert_int_equal(bg_store_push(a.s, a.g, "upstream", NULL, NULL, NULL, err, sizeof err), BG_EINVAL);
    assert_non_null(strstr(err, "upstream"));
    close_clone(&a);
    close_clone(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_resolution), cmocka_unit_test(test_save_list_load),
        cmocka_unit_test(test_check_damage),
        cmocka_unit_test(test_concurrent_writers), cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_push_fetch), cmocka_unit_test(test_damaged_runs_fall_back),
        cmocka_unit_test(test_unreadable_dir), cmocka_unit_test(test_require_dir),
        cmocka_unit_test(test_worktree_shares_store), cmocka_unit_test(test_prefers_same_machine_ancestor),
        cmocka_unit_test(test_bad_note_merge), cmocka_unit_test(test_one_header_check),
        cmocka_unit_test(test_ancestor_note_says_what_was_searched), cmocka_unit_test(test_machines_differ_names_version),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
