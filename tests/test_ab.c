/* `benchgate ab` end to end: real git repositories, worktrees, builds and
 * the real bench binary tests/faulty_bench. The tiny project's "build" is a
 * shell script that puts a bench binary at out/bench: a wrapper that runs
 * faulty_bench as it is, makes fine_slowable 20 % slower or hides a
 * benchmark, or a script that fails. Every test checks that no worktree, temporary branch or
 * temporary directory is left behind. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "git_fixture.h"

#ifndef BENCHGATE_EXE
#error "BENCHGATE_EXE must name the benchgate binary"
#endif
#ifndef FAULTY_BENCH
#error "FAULTY_BENCH must name the faulty_bench binary"
#endif

#define GIT "git -c user.name=t -c user.email=t@example.com -c commit.gpgsign=false"
/* Short runs: quick bench runs, six blocks. The threshold of 5 % keeps the
 * noise of such short runs from failing an A/A comparison; 20 % is far
 * above it. */
#define AB_ARGS                                                                                    \
    "--build-cmd 'sh build.sh' --bench-bin out/bench --bench-arg --quick --min-blocks 6 "         \
    "--max-blocks 6 --threshold 5"
/* Detecting the 20 % slowdown: six blocks of quick runs on a loaded 2-core
 * machine (ASan, other tests) can leave an interval of +-17 %, so these runs
 * go on, up to 24 blocks, until the interval is within +-4 %. */
#define AB_DETECT                                                                                  \
    "--build-cmd 'sh build.sh' --bench-bin out/bench --bench-arg --quick --min-blocks 6 "         \
    "--max-blocks 24 --target 4 --threshold 5"
/* And a statistical outcome is tried up to this many times before the test
 * fails. Errors, exit codes of refusals and cleanup are checked once. */
#define ATTEMPTS 3

static char tmp[256];     /* everything of the test */
static char repo[320];    /* the project */
static char tmpdir[320];  /* TMPDIR of benchgate: its temporary directories */
static char c_base[41], c_same[41], c_slow[41], c_broken[41], c_hidden[41];
static char out[1 << 17];

/* faulty_bench finds its library through a relative run path, so the
 * "built" binary is a wrapper that runs it rather than a copy. */
static const char BUILD_COPY[] =
    "mkdir -p out && printf '#!/bin/sh\\nexec \"%s\" \"$@\"\\n' '" FAULTY_BENCH
    "' > out/bench && chmod +x out/bench\n";
static const char BUILD_SLOW[] =
    "mkdir -p out && printf '#!/bin/sh\\nFAULTY_SLOWDOWN_PCT=20 exec \"%s\" \"$@\"\\n' '" FAULTY_BENCH
    "' > out/bench && chmod +x out/bench\n";
static const char BUILD_BROKEN[] = "echo 'error: kaputt.c:1: expected ;' >&2; exit 1\n";
/* A revision without fine_fast: its --list leaves it out. */
static const char BUILD_HIDDEN[] =
    "mkdir -p out && printf '#!/bin/sh\\nif [ \"$1\" = --list ]; then \"%s\" \"$@\" | grep -v "
    "fine_fast || true; else exec \"%s\" \"$@\"; fi\\n' '" FAULTY_BENCH "' '" FAULTY_BENCH
    "' > out/bench && chmod +x out/bench\n";

/* Runs benchgate in the repository; returns its exit code, output in out. */
static int bg(const char *fmt, ...)
{
    char args[4096], cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && TMPDIR='%s' '%s' %s 2>&1", repo, tmpdir, BENCHGATE_EXE,
             args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = '\0';
    int st = pclose(p);
    fprintf(stderr, "--- benchgate %s\n%s", args, out);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static int line_has(const char *s, const char *a, const char *b)
{
    while (s && *s) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        char line[2048];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line - 1 ? len : sizeof line - 1), s);
        if (strstr(line, a) && strstr(line, b))
            return 1;
        s = eol ? eol + 1 : NULL;
    }
    return 0;
}

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", repo, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void commit(const char *build, const char *msg, char id[41])
{
    write_file("build.sh", build);
    sh("cd '%s' && git add build.sh && " GIT " commit -q -m '%s'", repo, msg);
    sh_line(id, 41, "cd '%s' && git rev-parse HEAD", repo);
}

/* Nothing of ours is left: one worktree (the main one), no temporary
 * branch, an empty TMPDIR. */
static void assert_clean(void)
{
    char n[64];
    sh_line(n, sizeof n, "cd '%s' && git worktree list --porcelain | grep -c '^worktree '", repo);
    if (strcmp(n, "1") != 0) {
        sh("cd '%s' && git worktree list >&2", repo);
        fail_msg("%s worktrees are registered, want 1", n);
    }
    sh_line(n, sizeof n, "cd '%s' && git branch --list 'benchgate-tmp/*' | wc -l", repo);
    assert_string_equal(n, "0");
    sh_line(n, sizeof n, "ls -A '%s' | wc -l", tmpdir);
    if (strcmp(n, "0") != 0) {
        sh("ls -la '%s' >&2", tmpdir);
        fail_msg("%s entries left in TMPDIR %s", n, tmpdir);
    }
}

static int setup(void **state)
{
    (void)state;
    unsetenv("BENCHGATE_DIR");
    unsetenv("BENCHGATE_BENCH_BIN");
    unsetenv("FAULTY_SLOWDOWN_PCT");
    snprintf(tmp, sizeof tmp, "/tmp/bg_ab_test.XXXXXX");
    if (!mkdtemp(tmp))
        return -1;
    snprintf(repo, sizeof repo, "%s/repo", tmp);
    snprintf(tmpdir, sizeof tmpdir, "%s/tmpdir", tmp);
    sh("mkdir -p '%s' && git init -q -b main '%s'", tmpdir, repo);
    write_file(".gitignore", "out/\n");
    sh("cd '%s' && git add .gitignore", repo);
    commit(BUILD_COPY, "base", c_base);
    write_file("README", "same code, another commit\n");
    sh("cd '%s' && git add README", repo);
    commit(BUILD_COPY, "same", c_same);
    commit(BUILD_SLOW, "slow", c_slow);
    commit(BUILD_BROKEN, "broken", c_broken);
    commit(BUILD_HIDDEN, "hidden", c_hidden);
    sh("cd '%s' && git checkout -q %s", repo, c_same);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (tmp[0])
        sh("rm -rf '%s'", tmp);
    return 0;
}

static void test_same_code_passes_and_saves(void **state)
{
    (void)state;
    int rc = -1;
    for (int i = 0; i < ATTEMPTS && rc != 0; i++) {
        if (i)
            sh("rm -rf '%s/store'", tmp);
        rc = bg("ab %s %s " AB_ARGS " --filter '^fine_slowable$' --store '%s/store'", c_base, c_same,
                tmp);
    }
    assert_int_equal(rc, 0);
    assert_true(line_has(out, "fine_slowable", "unchanged") || line_has(out, "fine_slowable", "inconclusive"));
    assert_true(line_has(out, "fine_slowable", "6 blocks"));
    assert_non_null(strstr(out, "ab: passed"));
    /* Both runs are in the store under their commits. */
    char n[64];
    sh_line(n, sizeof n, "ls '%s/store/runs/%s'/*/*.json | wc -l", tmp, c_base);
    assert_string_equal(n, "1");
    sh_line(n, sizeof n, "ls '%s/store/runs/%s'/*/*.json | wc -l", tmp, c_same);
    assert_string_equal(n, "1");
    /* ... and they compare like any stored runs. */
    rc = bg("compare %s %s --store '%s/store' --threshold 5", c_base, c_same, tmp);
    assert_true(rc == 0 || rc == 1);
    assert_true(line_has(out, "fine_slowable", "%"));
    assert_clean();
}

static void test_slower_revision_fails(void **state)
{
    (void)state;
    char junit[400];
    snprintf(junit, sizeof junit, "%s/junit.xml", tmp);
    int rc = -1;
    for (int i = 0; i < ATTEMPTS; i++) {
        rc = bg("ab %s %s " AB_DETECT " --filter '^fine_' --no-save --junit '%s'", c_base, c_slow,
                junit);
        if (rc == 1 && line_has(out, "fine_slowable", "regressed") &&
            !line_has(out, "fine_fast", "regressed"))
            break;
    }
    assert_int_equal(rc, 1);
    assert_true(line_has(out, "fine_slowable", "regressed"));
    assert_false(line_has(out, "fine_fast", "regressed"));
    assert_non_null(strstr(out, "ab: FAILED: regression"));
    char n[64];
    sh_line(n, sizeof n, "grep -c '<failure' '%s'", junit);
    assert_string_equal(n, "1");
    assert_clean();
}

static void test_prebuilt_binaries_and_env(void **state)
{
    (void)state;
    const char *args = "--bench-arg --quick --min-blocks 6 --max-blocks 24 --target 4 --threshold 5 "
                       "--filter '^fine_slowable$'";
    int rc = -1;
    for (int i = 0; i < ATTEMPTS && rc != 1; i++)
        rc = bg("ab --bin-a '%s' --bin-b '%s' --env-b FAULTY_SLOWDOWN_PCT=20 %s --format json",
                FAULTY_BENCH, FAULTY_BENCH, args);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "\"regressed\""));
    rc = -1;
    for (int i = 0; i < ATTEMPTS && rc != 0; i++)
        rc = bg("ab --bin-a '%s' --bin-b '%s' %s --max-blocks 6", FAULTY_BENCH, FAULTY_BENCH, args);
    assert_int_equal(rc, 0);
    /* Prebuilt binaries are not saved by default: they have no commit of their own. */
    assert_null(strstr(out, "saved"));
    assert_clean();
}

static void test_build_failure_names_the_revision(void **state)
{
    (void)state;
    int rc = bg("ab %s broken-rev " AB_ARGS, c_base);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "unknown revision 'broken-rev'"));
    sh("cd '%s' && git tag broken %s", repo, c_broken);
    rc = bg("ab %s broken " AB_ARGS, c_base);
    assert_int_equal(rc, 2);
    char want[128];
    snprintf(want, sizeof want, "building B = broken (%.12s) failed (exit 1)", c_broken);
    if (!strstr(out, want))
        fail_msg("no '%s' in the output", want);
    assert_non_null(strstr(out, "error: kaputt.c:1: expected ;"));
    assert_clean();
}

static void test_benchmark_missing_in_a_revision(void **state)
{
    (void)state;
    int rc = bg("ab %s %s " AB_ARGS " --filter '^fine_' --no-save", c_hidden, c_base);
    assert_int_equal(rc, 0);
    assert_true(line_has(out, "fine_fast", "only in B"));
    assert_true(line_has(out, "fine_fast", "not in A = "));
    assert_true(line_has(out, "fine_slowable", "blocks"));
    /* Nothing in common: a usage error that says so. */
    rc = bg("ab %s %s " AB_ARGS " --filter '^fine_fast$'", c_hidden, c_base);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "no benchmark in common"));
    assert_clean();
}

static void test_build_command_and_binary_missing(void **state)
{
    (void)state;
    int rc = bg("ab %s %s --filter '^fine_slowable$'", c_base, c_same);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "has no meson.build, and no build command was given"));
    rc = bg("ab %s %s --build-cmd 'sh build.sh' --bench-bin out/nothing", c_base, c_same);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "there is no bench binary at out/nothing"));
    rc = bg("ab %s %s --build-cmd 'no-such-build-tool --all'", c_base, c_same);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "a command was not found"));
    assert_int_equal(bg("ab"), 2);
    assert_int_equal(bg("ab %s --procs 1", c_base), 2);
    assert_int_equal(bg("ab %s --no-such-flag", c_base), 2);
    assert_clean();
}

static void test_dirty_tree(void **state)
{
    (void)state;
    /* The working tree makes fine_slowable slower, uncommitted. */
    write_file("build.sh", BUILD_SLOW);
    int rc = bg("ab %s HEAD " AB_ARGS, c_base);
    if (rc != 2)
        sh("cd '%s' && git checkout -q -- build.sh", repo);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "uncommitted changes (build.sh"));
    assert_non_null(strstr(out, "Leave out the second revision"));
    /* Without HEAD, B is the working tree as it is: the change is measured. */
    for (int i = 0; i < ATTEMPTS; i++) {
        write_file("build.sh", BUILD_SLOW);
        rc = bg("ab %s " AB_DETECT " --filter '^fine_slowable$' --no-save", c_base);
        sh("cd '%s' && git checkout -q -- build.sh", repo);
        if (rc == 1)
            break;
    }
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "B = the working tree"));
    assert_true(line_has(out, "fine_slowable", "regressed"));
    assert_clean();
}

/* Ctrl-C while a side builds: the worktrees go, and benchgate exits by the
 * signal. */
static void test_interrupt_cleans_up(void **state)
{
    (void)state;
    char marker[400];
    snprintf(marker, sizeof marker, "%s/building", tmp);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (chdir(repo) != 0)
            _exit(99);
        setenv("TMPDIR", tmpdir, 1);
        char cmd[600];
        snprintf(cmd, sizeof cmd, "touch '%s'; sleep 60", marker);
        execl(BENCHGATE_EXE, BENCHGATE_EXE, "ab", c_base, c_same, "--build-cmd", cmd, (char *)NULL);
        _exit(98);
    }
    /* Wait until the build runs (a worktree exists then); bounded by a
     * count of polls, not by time. */
    for (int i = 0; i < 6000 && access(marker, F_OK) != 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(access(marker, F_OK), 0);
    char n[64];
    sh_line(n, sizeof n, "cd '%s' && git worktree list --porcelain | grep -c '^worktree '", repo);
    assert_string_equal(n, "2");
    kill(pid, SIGINT);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGINT);
    assert_clean();
}

/* A worktree left by a run that was killed outright is removed by the next. */
static void test_stale_worktree_removed(void **state)
{
    (void)state;
    char host[128] = "";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    /* git names the worktree after its directory; it is locked as a run
     * that was killed would have left it. */
    sh("mkdir -p '%s/benchgate-ab-stale' && cd '%s' && git worktree add -q --detach "
       "'%s/benchgate-ab-stale/bgab-999999-a' %s",
       tmpdir, repo, tmpdir, c_base);
    sh("cd '%s' && git worktree lock --reason 'benchgate ab pid 999999 on %s' "
       "'%s/benchgate-ab-stale/bgab-999999-a'",
       repo, host, tmpdir);
    char n[64];
    sh_line(n, sizeof n, "cd '%s' && git worktree list --porcelain | grep -c '^worktree '", repo);
    assert_string_equal(n, "2");
    int rc = bg("ab %s nonexistent-rev", c_base);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "removed the worktree"));
    assert_clean();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_code_passes_and_saves),
        cmocka_unit_test(test_slower_revision_fails),
        cmocka_unit_test(test_prebuilt_binaries_and_env),
        cmocka_unit_test(test_build_failure_names_the_revision),
        cmocka_unit_test(test_benchmark_missing_in_a_revision),
        cmocka_unit_test(test_build_command_and_binary_missing),
        cmocka_unit_test(test_dirty_tree),
        cmocka_unit_test(test_interrupt_cleans_up),
        cmocka_unit_test(test_stale_worktree_removed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
