/* `benchgate ab` end to end: real git repositories, worktrees, builds and
 * the real bench binary tests/faulty_bench. The tiny project's "build" is a
 * shell script that puts a bench binary at out/bench: a wrapper that runs
 * faulty_bench as it is, makes fine_slowable 20 % slower or hides a
 * benchmark, or a script that fails. Every test checks that no worktree, temporary branch or
 * temporary directory is left behind. */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include <cjson/cJSON.h>

#include "helpers.h"

#ifndef BENCHGATE_EXE
#error "BENCHGATE_EXE must name the benchgate binary"
#endif
#ifndef FAULTY_BENCH
#error "FAULTY_BENCH must name the faulty_bench binary"
#endif
#ifndef TURNS_BENCH
#error "TURNS_BENCH must name the turns_bench binary"
#endif

/* Short runs: quick bench runs, six blocks. The threshold of 5 % keeps the
 * noise of such short runs from failing an A/A comparison; 20 % is far
 * above it. */
#define AB_ARGS                                                                                    \
    "--build-cmd 'sh build.sh' --bench-bin out/bench --bench-arg --quick --min-blocks 6 "         \
    "--max-blocks 6 --threshold 5"
/* The same for gate --ab, which takes no block counts (it stops at half the
 * threshold, within the default budget). */
#define GATE_AB_ARGS                                                                               \
    "--build-cmd 'sh build.sh' --bench-bin out/bench --bench-arg --quick --threshold 5"
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
static char c_base[41], c_same[41], c_slow[41], c_broken[41], c_hidden[41], c_hang[41];
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

/* A revision whose bench binary, measuring, writes its pid (and the signals
 * it ignores, from /proc) to $AB_HANG_MARKER and sleeps: an interrupt
 * arrives while a bench process runs. Its --list is faulty_bench's. */
static const char BUILD_HANG[] =
    "mkdir -p out && printf '#!/bin/sh\\nif [ \"$1\" = --list ]; then exec \"%s\" \"$@\"; fi\\n"
    "grep SigIgn /proc/$$/status > \"$AB_HANG_MARKER.tmp\"; echo $$ >> \"$AB_HANG_MARKER.tmp\"; "
    "mv \"$AB_HANG_MARKER.tmp\" \"$AB_HANG_MARKER\"; exec sleep 300\\n' '" FAULTY_BENCH
    "' > out/bench && chmod +x out/bench\n";

static char errout[1 << 16];
static char tmpenv[400]; /* TMPDIR=... for benchgate */

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
    if (make_tmp_repo(tmp, sizeof tmp, repo, sizeof repo, "bg_ab_test") != 0)
        return -1;
    snprintf(tmpdir, sizeof tmpdir, "%s/tmpdir", tmp);
    snprintf(tmpenv, sizeof tmpenv, "TMPDIR='%s'", tmpdir);
    bg_use(&(bg_tool){.exe = BENCHGATE_EXE, .dir = repo, .env = tmpenv, .out = out,
                      .outsz = sizeof out, .err = errout, .errsz = sizeof errout, .log = 1});
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
    commit(BUILD_HANG, "hang", c_hang);
    sh("cd '%s' && git checkout -q %s", repo, c_same);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return remove_tree(tmp);
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

/* --duet: each block's A and B run at the same time, pinned to two
 * different CPUs (asserted on every run); on one CPU a note and the runs
 * one after the other. Wrappers log each run's allowed CPUs and its start
 * and end. Under load two runs started together may still not overlap, so
 * overlap is asserted for most blocks only. */
static void test_duet(void **state)
{
    (void)state;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) < 2)
        skip();
    char log[400], wa[400], wb[400];
    snprintf(log, sizeof log, "%s/duet.log", tmp);
    for (int k = 0; k < 2; k++) {
        char *w = k ? wb : wa;
        snprintf(w, 400, "%s/duet-%c.sh", tmp, k ? 'B' : 'A');
        write_script(w, "if [ \"$1\" = --list ]; then exec '%s' \"$@\"; fi\n"
                        "t0=$(date +%%s.%%N)\n'%s' \"$@\"; rc=$?\n"
                        "echo \"%c $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status) $t0 "
                        "$(date +%%s.%%N)\" >> '%s'\nexit $rc\n",
                     FAULTY_BENCH, FAULTY_BENCH, k ? 'B' : 'A', log);
    }
    int rc = bg("ab --bin-a '%s' --bin-b '%s' --duet --bench-arg --quick --min-blocks 6 --max-blocks 6 "
                "--filter '^fine_fast$' --threshold 50", wa, wb);
    assert_true(rc == 0 || rc == 1);
    assert_non_null(strstr(out, "duet: each block runs A and B at once, pinned to CPUs"));
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char side[2][4];
    char cpus[2][64];
    double t0[2], t1[2];
    size_t blocks = 0, overlapped = 0;
    while (fscanf(f, "%3s %63s %lf %lf", side[0], cpus[0], &t0[0], &t1[0]) == 4 &&
           fscanf(f, "%3s %63s %lf %lf", side[1], cpus[1], &t0[1], &t1[1]) == 4) {
        blocks++;
        assert_string_not_equal(side[0], side[1]);
        /* one CPU each, not the same */
        assert_null(strpbrk(cpus[0], ",-"));
        assert_null(strpbrk(cpus[1], ",-"));
        assert_string_not_equal(cpus[0], cpus[1]);
        overlapped += t0[0] < t1[1] && t0[1] < t1[0];
    }
    fclose(f);
    assert_int_equal(blocks, 6);
    assert_true(overlapped >= 4);
    unlink(log);

    /* One CPU: said, and sequential. */
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && %s taskset -c 0 '%s' ab --bin-a '%s' --bin-b '%s' --duet --bench-arg --quick "
             "--min-blocks 6 --max-blocks 6 --filter '^fine_fast$' --threshold 50 2>&1",
             repo, tmpenv, BENCHGATE_EXE, wa, wb);
    char buf[1 << 14];
    int rc2 = run_shell_into(buf, sizeof buf, cmd);
    assert_true(rc2 == 0 || rc2 == 1);
    assert_non_null(strstr(buf, "--duet needs two CPUs to run both sides at once, and this process may use 1"));
    f = fopen(log, "r");
    assert_non_null(f);
    blocks = 0;
    while (fscanf(f, "%3s %63s %lf %lf", side[0], cpus[0], &t0[0], &t1[0]) == 4 &&
           fscanf(f, "%3s %63s %lf %lf", side[1], cpus[1], &t0[1], &t1[1]) == 4) {
        blocks++;
        assert_true(t1[0] <= t0[1] || t1[1] <= t0[0]); /* one after the other */
    }
    fclose(f);
    assert_int_equal(blocks, 6);
    unlink(log);
    assert_clean();
}

/* Reads the iterations tests/turns_bench logged ("SIDE START END"), sorted
 * by start. Returns how many, at most cap. */
typedef struct turn {
    char side;
    unsigned long long t0, t1;
} turn;

static int turn_cmp(const void *a, const void *b)
{
    const turn *x = a, *y = b;
    return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

static size_t read_turns(const char *path, turn *t, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = 0;
    char side[4];
    while (n < cap && fscanf(f, "%3s %llu %llu", side, &t[n].t0, &t[n].t1) == 3) {
        t[n].side = side[0];
        n++;
    }
    fclose(f);
    qsort(t, n, sizeof *t, turn_cmp);
    return n;
}

/* --lockstep: both sides run at once and take turns sample by sample. The
 * protocol guarantees, whatever the load, that no iteration of A overlaps
 * one of B (each side measures only while it holds the turn), and the turn
 * goes back and forth many times per block. Refused with --duet; a side
 * whose bench binary does not take turns (the variable removed, as a
 * binary built before lockstep ignores it) runs freely with a note. */
static void test_lockstep(void **state)
{
    (void)state;
    char log[400];
    snprintf(log, sizeof log, "%s/turns.log", tmp);
    unlink(log);
    /* lockstep is the default: no flag */
    int rc = bg("ab --bin-a '%s' --bin-b '%s' --env-a TURNS_LOG='%s' --env-a TURNS_SIDE=A "
                "--env-b TURNS_LOG='%s' --env-b TURNS_SIDE=B --bench-arg --quick --min-blocks 6 "
                "--max-blocks 6 --threshold 50 --format json",
                TURNS_BENCH, TURNS_BENCH, log, log);
    assert_int_equal(rc, 0); /* the same spin on both sides, compared sample by adjacent sample */
    assert_non_null(strstr(out, "lockstep: each block runs A and B at once, taking turns sample by sample"));
    assert_null(strstr(out, "did not take turns"));
    assert_non_null(strstr(out, "\"blocks\":\t6"));
    assert_non_null(strstr(out, "\"blocks_run\":\t\"lockstep\""));
    static turn t[400000];
    size_t n = read_turns(log, t, sizeof t / sizeof *t);
    size_t na = 0, switches = 0;
    for (size_t i = 0; i < n; i++) {
        na += t[i].side == 'A';
        if (i > 0 && t[i].side != t[i - 1].side) {
            switches++;
            /* strictly after the other side's iteration ended */
            assert_true(t[i].t0 >= t[i - 1].t1);
        }
    }
    assert_true(na > 0 && na < n);
    /* 6 blocks of 2 processes a side, each a warm-up and its samples as
     * turns: hundreds of hand-overs (at least 10 per process pair). */
    assert_true(switches >= 6 * 2 * 10);
    unlink(log);

    rc = bg("ab --bin-a '%s' --bin-b '%s' --lockstep --duet --bench-arg --quick", TURNS_BENCH, TURNS_BENCH);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "--lockstep and --duet are two ways of running a block's sides; choose one"));
    rc = bg("ab --bin-a '%s' --bin-b '%s' --duet --sequential", TURNS_BENCH, TURNS_BENCH);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "--duet and --sequential are two ways of running a block's sides; choose one"));

    char old[400];
    snprintf(old, sizeof old, "%s/old-bench.sh", tmp);
    write_script(old, "exec env -u BENCHGATE_LOCKSTEP '%s' \"$@\"\n", TURNS_BENCH);
    rc = bg("ab --bin-a '%s' --bin-b '%s' --lockstep --bench-arg --quick --min-blocks 6 --max-blocks 6 "
            "--threshold 50 --format json", TURNS_BENCH, old);
    assert_true(rc == 0 || rc == 1);
    assert_non_null(strstr(out, "\"blocks_run\":\t\"sequential after a side did not take turns\""));
    assert_non_null(strstr(out, "lockstep: B's bench binary did not take turns"));
    assert_non_null(strstr(out, "the blocks after it run one after the other"));
    unlink(old);
    assert_clean();
}

/* --lockstep finds a real slowdown: fine_slowable 20 % slower on B, its
 * blocks' paired ratios put the change near +20 %. */
static void test_lockstep_detects(void **state)
{
    (void)state;
    int rc = -1;
    for (int i = 0; i < ATTEMPTS && rc != 1; i++)
        rc = bg("ab --bin-a '%s' --bin-b '%s' --lockstep --env-b FAULTY_SLOWDOWN_PCT=20 "
                "--bench-arg --quick --min-blocks 6 --max-blocks 24 --target 4 --threshold 5 "
                "--filter '^fine_slowable$' --format json", FAULTY_BENCH, FAULTY_BENCH);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "\"regressed\""));
    assert_clean();
}

/* .benchgate.json applies to ab as to compare: fine_slowable's rule
 * compares it on its exact counter "rounds" (20 % more on B, so exactly
 * +20 %, in that metric's row), an "ignore" rule leaves fine_fast out, and
 * a rule naming a metric ab cannot compare run by run (a maximum) leaves
 * that benchmark not measured, saying so. Runs last: it writes the
 * settings file into the repository (and removes it). */
static void test_settings_rules(void **state)
{
    (void)state;
    char settings[400];
    snprintf(settings, sizeof settings, "%s/.benchgate.json", repo);
    FILE *f = fopen(settings, "w");
    assert_non_null(f);
    fputs("{\n  \"benchmarks\": [\n    {\"match\": \"fine_slowable\", \"metric\": \"rounds\"},\n"
          "    {\"match\": \"fine_fast\", \"ignore\": true}\n  ]\n}\n", f);
    assert_int_equal(fclose(f), 0);
    int rc = bg_stdout("ab --bin-a '%s' --bin-b '%s' --env-a FAULTY_COUNT_ROUNDS=1 --env-b FAULTY_COUNT_ROUNDS=1 "
                "--env-b FAULTY_SLOWDOWN_PCT=20 --bench-arg --quick --min-blocks 6 --max-blocks 6 "
                "--filter '^fine_' --format json", FAULTY_BENCH, FAULTY_BENCH);
    assert_int_equal(rc, 1);
    cJSON *root = cJSON_Parse(out);
    assert_non_null(root);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "benchmarks");
    assert_int_equal(cJSON_GetArraySize(arr), 1); /* fine_fast ignored */
    const cJSON *row = cJSON_GetArrayItem(arr, 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(row, "name")->valuestring, "fine_slowable");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(row, "metric")->valuestring, "rounds");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(row, "verdict")->valuestring, "regressed");
    double change = cJSON_GetObjectItemCaseSensitive(row, "change")->valuedouble;
    assert_true(fabs(change - 0.20) < 0.005); /* 2400 / 2000 rounds, exactly */
    cJSON_Delete(root);

    f = fopen(settings, "w");
    assert_non_null(f);
    fputs("{\"benchmarks\": [{\"match\": \"fine_fast\", \"metric\": \"most_rounds\"}]}\n", f);
    assert_int_equal(fclose(f), 0);
    rc = bg("ab --bin-a '%s' --bin-b '%s' --env-a FAULTY_COUNT_ROUNDS=1 --env-b FAULTY_COUNT_ROUNDS=1 "
            "--bench-arg --quick --min-blocks 6 --max-blocks 6 --filter '^fine_' --threshold 50",
            FAULTY_BENCH, FAULTY_BENCH);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, ".benchgate.json:1: metric most_rounds is not a total per sample"));

    f = fopen(settings, "w");
    assert_non_null(f);
    fputs("{\"threshold\": }\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(bg("ab --bin-a '%s' --bin-b '%s'", FAULTY_BENCH, FAULTY_BENCH), 2);
    assert_non_null(strstr(out, ".benchgate.json:1"));
    unlink(settings);
    assert_clean();
}

/* --metric: the statistic of each run is taken of another metric (here the
 * CPU time, which the slowed-down side spends too); one not summed per
 * sample is refused, and one the runs do not record fails the benchmark
 * (not compared) saying so. */
static void test_metric(void **state)
{
    (void)state;
    const char *args = "--bench-arg --quick --min-blocks 6 --max-blocks 24 --target 4 --threshold 5 "
                       "--filter '^fine_slowable$'";
    int rc = -1;
    for (int i = 0; i < ATTEMPTS && rc != 1; i++)
        rc = bg("ab --bin-a '%s' --bin-b '%s' --env-b FAULTY_SLOWDOWN_PCT=20 %s --metric cpu "
                "--format json", FAULTY_BENCH, FAULTY_BENCH, args);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "\"regressed\""));
    assert_non_null(strstr(out, "\"metric\":\t\"min cpu\""));
    assert_non_null(strstr(out, "min cpu per run"));
    rc = bg("ab --bin-a '%s' --bin-b '%s' %s --metric peak_live_bytes", FAULTY_BENCH, FAULTY_BENCH,
            args);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "--metric peak_live_bytes: not a total per sample"));
    rc = bg("ab --bin-a '%s' --bin-b '%s' %s --max-blocks 6 --metric gpu_timer_ns", FAULTY_BENCH,
            FAULTY_BENCH, args);
    assert_int_equal(rc, 0); /* not compared, as for any benchmark without usable samples */
    /* The side that ran first says so (the run order is drawn per run). */
    assert_non_null(strstr(out, "not compared ("));
    assert_non_null(strstr(out, ": no usable samples of gpu_timer_ns (is it recorded?))"));
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


/* ---- the working tree against HEAD, gate --ab's refusals ---- */

/* `ab HEAD` with uncommitted changes compares them with their commit: the
 * main use, not a dirty tree to refuse. gate --ab on main does the same. */
static void test_head_against_working_tree(void **state)
{
    (void)state;
    write_file("build.sh", BUILD_SLOW);
    int rc = bg("ab HEAD " AB_ARGS " --filter '^fine_slowable$' --no-save");
    char want[128];
    snprintf(want, sizeof want, "A = HEAD (%.12s)", c_same);
    int has_a = strstr(out, want) != NULL, has_b = strstr(out, "B = the working tree") != NULL;
    /* gate --ab: base defaults to the merge-base with main, here HEAD. */
    sh("cd '%s' && git branch -f main %s", repo, c_same);
    int grc = bg("gate --ab --build-cmd 'sh build.sh' --bench-bin out/bench --bench-arg --quick "
                 "--filter '^fine_slowable$' --threshold 5 --store '%s/gate-store'", tmp);
    int g_head = strstr(out, "head: the working tree") != NULL;
    /* ... and the base stays HEAD: the uncommitted changes are what is compared */
    char base_head[64];
    snprintf(base_head, sizeof base_head, "base: %.12s", c_same);
    int g_base = strstr(out, base_head) && strstr(out, "comparing them with HEAD") &&
                 !strstr(out, "comparing with its parent");
    /* --head HEAD is the commit without the changes: refused, with gate's words. */
    int refused = bg("gate --ab --head HEAD --build-cmd 'sh build.sh' --bench-bin out/bench");
    int words = strstr(out, "Leave out --head") && strstr(out, "--allow-dirty");
    /* ... unless --allow-dirty: then head is the commit. */
    int allowed = bg("gate --ab --head HEAD --allow-dirty --build-cmd 'sh build.sh' --bench-bin "
                     "out/bench --bench-arg --quick --filter '^fine_fast$' --threshold 5 "
                     "--store '%s/gate-store'", tmp);
    snprintf(want, sizeof want, "head: HEAD (%.12s)", c_same);
    int head_commit = strstr(out, want) != NULL;
    sh("cd '%s' && git checkout -q -- build.sh && git branch -f main %s", repo, c_hang);
    assert_true(rc == 0 || rc == 1);
    assert_true(has_a);
    assert_true(has_b);
    assert_true(grc == 0 || grc == 1);
    assert_true(g_head);
    assert_true(g_base);
    assert_int_equal(refused, 2);
    assert_true(words);
    assert_true(allowed == 0 || allowed == 1);
    assert_true(head_commit);
    assert_clean();
}

static void test_gate_ab_refuses_metric(void **state)
{
    (void)state;
    int rc = bg("gate --ab --metric instructions --build-cmd 'sh build.sh' --bench-bin out/bench");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "--metric/--gate-on instructions cannot be combined with --ab"));
    rc = bg("gate --ab --gate-on cpu --build-cmd 'sh build.sh' --bench-bin out/bench");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "cannot be combined with --ab"));
    rc = bg("gate --allow-dirty --base HEAD");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "--allow-dirty goes with --ab only"));
    assert_clean();
}

/* gate --ab with the default base on a clean main (HEAD is the merge-base
 * with main): as without --ab, the base is HEAD's parent, named in a note,
 * and the A run is saved under the parent (with uncommitted changes the
 * base stays HEAD: test_head_against_working_tree). */
static void test_gate_ab_default_base_on_main(void **state)
{
    (void)state;
    char note[200], n[64];
    snprintf(note, sizeof note, "HEAD is the merge-base with main; comparing with its parent %.12s",
             c_base);
    int rc = bg("gate --ab " GATE_AB_ARGS " --filter '^fine_fast$' --store '%s/gate-main'", tmp);
    assert_true(rc == 0 || rc == 1); /* the same code on both sides: no error, no crash */
    if (!strstr(out, note))
        fail_msg("no note '%s'", note);
    sh_line(n, sizeof n, "ls '%s/gate-main/runs/%s'/*/*.json | wc -l", tmp, c_base);
    assert_string_equal(n, "1");
    sh_line(n, sizeof n, "ls '%s/gate-main/runs/%s'/*/*.json | wc -l", tmp, c_same);
    assert_string_equal(n, "1");
    assert_clean();
}

/* gate --ab where a build fails: exit 2, and the JUnit file has one <error>
 * test case named gate with ab's message, the Markdown summary says why. */
static void test_gate_ab_build_failure_reported(void **state)
{
    (void)state;
    char junit[400], md[400], want[200];
    snprintf(junit, sizeof junit, "%s/gate-build-junit.xml", tmp);
    snprintf(md, sizeof md, "%s/gate-build.md", tmp);
    int rc = bg("gate --ab --base %s --head %s " GATE_AB_ARGS " --junit '%s' --markdown '%s'", c_base,
                c_broken, junit, md);
    assert_int_equal(rc, 2);
    snprintf(want, sizeof want, "building B = %.12s", c_broken);
    assert_non_null(strstr(out, want));
    char n[64];
    sh_line(n, sizeof n, "grep -c '<testcase classname=\"benchgate\" name=\"gate\" time=' '%s'", junit);
    assert_string_equal(n, "1");
    sh_line(n, sizeof n, "grep -c '<error message=\"gate --ab: .*building B = %.12s.*failed (exit 1)' '%s'",
            c_broken, junit);
    assert_string_equal(n, "1");
    sh_line(n, sizeof n, "grep -c '<testsuite .*errors=\"1\"' '%s'", junit);
    assert_string_equal(n, "1");
    sh_line(n, sizeof n, "grep -c '^## benchgate gate: error' '%s'", md);
    assert_string_equal(n, "1");
    sh_line(n, sizeof n, "grep -c 'could not decide: gate --ab: .*building B = %.12s' '%s'", c_broken,
            md);
    assert_string_equal(n, "1");
    /* the build's output, several lines, in a code block */
    sh_line(n, sizeof n, "grep -A3 '^```$' '%s' | grep -c '^error: kaputt.c:1: expected ;$'", md);
    assert_string_equal(n, "1");
    assert_clean();
}

/* gate --ab where a benchmark crashes and the reports cannot be written:
 * the unwritable files are errors on stderr, but exit 3 stands. */
static void test_gate_ab_crash_unwritable_reports(void **state)
{
    (void)state;
    int rc = bg("gate --ab --base %s --head %s " GATE_AB_ARGS " --filter '^crash_segv$' --store "
                "'%s/gate-crash' --junit '%s/no-such-dir/junit.xml' --markdown "
                "'%s/no-such-dir/summary.md'",
                c_base, c_same, tmp, tmp, tmp);
    assert_int_equal(rc, 3);
    assert_true(line_has(out, "crash_segv", "killed by signal 11"));
    assert_non_null(strstr(out, "cannot write JUnit XML"));
    assert_true(line_has(out, "cannot write", "no-such-dir/summary.md"));
    assert_non_null(strstr(out, "gate: FAILED: a benchmark crashed or timed out"));
    assert_clean();
}

/* ---- crashes ---- */

/* A bench binary that dies by a signal before it writes a record: the
 * benchmark crashed on that side, exit 3. */
static void test_side_process_crashes(void **state)
{
    (void)state;
    char wrap[400];
    snprintf(wrap, sizeof wrap, "%s/segv-bench", tmp);
    sh("printf '#!/bin/sh\\nif [ \"$1\" = --list ]; then exec \"%s\" \"$@\"; fi\\nkill -SEGV $$\\n' "
       "> '%s' && chmod +x '%s'", FAULTY_BENCH, wrap, wrap);
    int rc = bg("ab --bin-a '%s' --bin-b '%s' --bench-arg --quick --min-blocks 6 --max-blocks 6 "
                "--filter '^fine_slowable$'", FAULTY_BENCH, wrap);
    assert_int_equal(rc, 3);
    assert_true(line_has(out, "fine_slowable", "crashed in B"));
    assert_true(line_has(out, "fine_slowable", "killed by signal 11"));
    assert_non_null(strstr(out, "ab: FAILED: a benchmark crashed or timed out"));
    /* A record without the benchmark: the same. */
    snprintf(wrap, sizeof wrap, "%s/other-bench", tmp);
    sh("printf '#!/bin/sh\\nif [ \"$1\" = --list ]; then exec \"%s\" \"$@\"; fi\\n"
       "exec \"%s\" \"$@\" --filter \"^fine_fast$\"\\n' > '%s' && chmod +x '%s'",
       FAULTY_BENCH, FAULTY_BENCH, wrap, wrap);
    rc = bg("ab --bin-a '%s' --bin-b '%s' --bench-arg --quick --min-blocks 6 --max-blocks 6 "
            "--filter '^fine_slowable$'", FAULTY_BENCH, wrap);
    assert_int_equal(rc, 3);
    assert_true(line_has(out, "fine_slowable", "crashed in B: its run record does not hold"));
    assert_clean();
}

/* Benchmarks of the bench binary that crash or exit: exit 3. */
static void test_crashing_benchmarks(void **state)
{
    (void)state;
    int rc = bg("ab --bin-a '%s' --bin-b '%s' --bench-arg --quick --min-blocks 6 --max-blocks 6 "
                "--threshold 5 --filter '^(crash_segv|exit_seven)$'", FAULTY_BENCH, FAULTY_BENCH);
    assert_int_equal(rc, 3);
    assert_true(line_has(out, "crash_segv", "killed by signal 11"));
    assert_true(line_has(out, "exit_seven", "exited with code 7"));
    assert_non_null(strstr(out, "ab: FAILED: a benchmark crashed or timed out"));
    assert_clean();
}

/* ---- outputs ---- */

/* Splits text into lines (in place); returns how many. */
static size_t split_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    for (char *p = text; *p && n < max;) {
        lines[n++] = p;
        char *eol = strchr(p, '\n');
        if (!eol)
            break;
        *eol = '\0';
        p = eol + 1;
    }
    return n;
}

static void assert_matches(const char *line, const char *ere)
{
    regex_t re;
    assert_int_equal(regcomp(&re, ere, REG_EXTENDED | REG_NOSUB), 0);
    int m = regexec(&re, line, 0, NULL, 0);
    regfree(&re);
    if (m != 0)
        fail_msg("line '%s' does not match /%s/", line, ere);
}

#define MD_HEAD "| benchmark | A (min time) | B (min time) | change [CI] | p (adj) | verdict |"
#define MD_RULE "|---|---:|---:|---|---:|---|"
#define MD_CRASH "^\\| crash\\\\_segv \\| - \\| - \\| - \\| - \\| failed \\(crashed in [AB]: .*killed by signal 11 \\(Segmentation fault\\)\\) \\|$"
#define NUM "[0-9]+(\\.[0-9]+)?"
#define PCT "[+-]" NUM "%"
/* fine_fast takes about a microsecond: printed in ns or µs by the machine's speed.
 * Identical binaries, but six quick blocks can still land on any verdict. */
#define UNIT "(ns|µs)"
#define VERDICT "(unchanged|inconclusive|regressed|improved)"
#define MD_FINE "^\\| fine\\\\_fast \\| " NUM " " UNIT " \\| " NUM " " UNIT " \\| " PCT " \\[" PCT ", " PCT "\\] \\| " NUM " \\| " VERDICT " \\(6 blocks\\) \\|$"
#define MD_FOOT "Metric min time, noise threshold 5.00%, alpha 0.05."

static void check_md_table(char **l, size_t n, size_t at)
{
    assert_true(n >= at + 6);
    assert_string_equal(l[at], MD_HEAD);
    assert_string_equal(l[at + 1], MD_RULE);
    assert_matches(l[at + 2], MD_CRASH);
    assert_matches(l[at + 3], MD_FINE);
    assert_string_equal(l[at + 4], "");
    assert_string_equal(l[at + 5], MD_FOOT);
}

static void test_output_formats(void **state)
{
    (void)state;
    const char *args = "--bench-arg --quick --min-blocks 6 --max-blocks 6 --threshold 5 "
                       "--filter '^(crash_segv|fine_fast)$'";
    char md[400];
    snprintf(md, sizeof md, "%s/summary.md", tmp);
    char *l[64];

    int rc = bg_stdout("ab --bin-a '%s' --bin-b '%s' %s --format markdown", FAULTY_BENCH,
                       FAULTY_BENCH, args);
    assert_int_equal(rc, 3);
    size_t n = split_lines(out, l, 64);
    assert_int_equal(n, 7);
    check_md_table(l, n, 0);
    assert_string_equal(l[6], "");

    rc = bg_stdout("ab --bin-a '%s' --bin-b '%s' %s --format csv --markdown '%s'", FAULTY_BENCH,
                   FAULTY_BENCH, args, md);
    assert_int_equal(rc, 3);
    n = split_lines(out, l, 64);
    assert_int_equal(n, 3);
    assert_string_equal(l[0], "benchmark,metric,a_mean,b_mean,unit,change,change_lo,change_hi,p,"
                              "p_adj,verdict");
    assert_string_equal(l[1], "\"crash_segv\",\"min time\",,,\"ns\",,,,,,\"failed\"");
    assert_matches(l[2], "^\"fine_fast\",\"min time\",[0-9.]+,[0-9.]+,\"ns\",-?[0-9.e-]+,-?[0-9.e-]+,"
                         "-?[0-9.e-]+,[0-9.e-]+,[0-9.e-]+,\"" VERDICT "\"$");
    FILE *f = fopen(md, "r");
    assert_non_null(f);
    char text[8192];
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    n = split_lines(text, l, 64);
    char title[1024];
    snprintf(title, sizeof title, "### benchgate ab: A = %s, B = %s", FAULTY_BENCH, FAULTY_BENCH);
    assert_string_equal(l[0], title);
    assert_string_equal(l[1], "");
    check_md_table(l, n, 2);
    assert_int_equal(n, 9);
    assert_string_equal(l[8], "");
    assert_clean();
}

static const cJSON *json_bench(const cJSON *root, const char *name)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(root, "benchmarks"))
    {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(b, "name");
        if (cJSON_IsString(nm) && !strcmp(nm->valuestring, name))
            return b;
    }
    fail_msg("no benchmark %s in the JSON output", name);
    return NULL;
}

static const char *json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        fail_msg("'%s' is not a string in the JSON output", key);
    return v->valuestring;
}

/* A clean working tree is saved as clean; the JSON names both sides with
 * their commits, and per benchmark its blocks, why it stopped and which
 * side ran first in each block. */
static void test_clean_tree_json_and_saved(void **state)
{
    (void)state;
    int rc = bg_stdout("ab %s " AB_ARGS " --filter '^fine_fast$' --store '%s/clean-store' "
                       "--format json", c_base, tmp);
    assert_true(rc == 0 || rc == 1);
    assert_non_null(strstr(errout, "HEAD plus 0 changed files"));
    cJSON *root = cJSON_Parse(out);
    assert_non_null(root);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "a");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(root, "b");
    assert_string_equal(json_str(a, "commit"), c_base);
    assert_string_equal(json_str(b, "commit"), c_same);
    char want[128];
    snprintf(want, sizeof want, "the working tree (%.12s + changes)", c_same);
    assert_string_equal(json_str(b, "label"), want);
    const cJSON *fb = json_bench(root, "fine_fast");
    assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(fb, "blocks")->valuedouble, 6);
    const char *stop = json_str(fb, "stop");
    assert_true(!strcmp(stop, "target reached") || !strcmp(stop, "max blocks"));
    const char *order = json_str(fb, "first_in_block");
    assert_int_equal(strlen(order), 6);
    assert_int_equal(strspn(order, "AB"), 6);
    assert_true(strchr(order, 'A') || strchr(order, 'B'));
    /* The log says the same. */
    char logline[128];
    snprintf(logline, sizeof logline, "first in each block: %s", order);
    assert_true(line_has(errout, "fine_fast", logline));
    /* B's saved run: the commit HEAD, not dirty. */
    char saved[4096];
    snprintf(saved, sizeof saved, "%s", json_str(b, "saved"));
    cJSON_Delete(root);
    char n[64];
    sh_line(n, sizeof n, "grep -c '\"dirty\":[[:space:]]*false' '%s'", saved);
    assert_string_equal(n, "1");
    assert_clean();
}

/* A's build fails: the message names A and its revision; exit 2. */
static void test_build_failure_of_a(void **state)
{
    (void)state;
    int rc = bg("ab %s %s " AB_ARGS, c_broken, c_base);
    assert_int_equal(rc, 2);
    char want[128];
    snprintf(want, sizeof want, "building A = %.12s failed (exit 1)", c_broken);
    if (!strstr(out, want))
        fail_msg("no '%s' in the output", want);
    assert_non_null(strstr(out, "error: kaputt.c:1: expected ;"));
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


/* Starts `benchgate ab c_base c_hang` with TMPDIR and $AB_HANG_MARKER set;
 * with ignore_hup SIGHUP ignored, as under nohup. Returns its pid once B's
 * bench process runs, its pid in *bench_pid and its ignored signals (the
 * SigIgn mask) in *sigign. Waits a bounded count of polls, not a time. */
static pid_t start_hanging(bool ignore_hup, long *bench_pid, unsigned long long *sigign)
{
    char marker[400];
    snprintf(marker, sizeof marker, "%s/hanging", tmp);
    unlink(marker);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (chdir(repo) != 0)
            _exit(99);
        setenv("TMPDIR", tmpdir, 1);
        setenv("AB_HANG_MARKER", marker, 1);
        /* Explicitly either way: a test run under nohup inherits SIGHUP
         * ignored. */
        signal(SIGHUP, ignore_hup ? SIG_IGN : SIG_DFL);
        execl(BENCHGATE_EXE, BENCHGATE_EXE, "ab", c_base, c_hang, "--build-cmd", "sh build.sh",
              "--bench-bin", "out/bench", "--filter", "^fine_fast$", "--bench-arg", "--quick",
              "--no-save", (char *)NULL);
        _exit(98);
    }
    for (int i = 0; i < 30000 && access(marker, F_OK) != 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(access(marker, F_OK), 0);
    FILE *f = fopen(marker, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "SigIgn: %llx %ld", sigign, bench_pid), 2);
    fclose(f);
    return pid;
}

/* Ctrl-C while a bench process measures: it is stopped with its process
 * group, the worktrees and the temporary directory go, and benchgate exits
 * by the signal. */
static void test_interrupt_while_measuring(void **state)
{
    (void)state;
    long bench = 0;
    unsigned long long ign = 0;
    pid_t pid = start_hanging(false, &bench, &ign);
    assert_int_equal(kill((pid_t)bench, 0), 0);
    kill(pid, SIGINT);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGINT);
    /* The bench process was benchgate's child, reaped before it exited. */
    assert_int_equal(kill((pid_t)bench, 0), -1);
    assert_int_equal(errno, ESRCH);
    assert_clean();
}

/* Under nohup SIGHUP stays ignored, by benchgate and by the bench binaries
 * it runs: a SIGHUP followed by SIGINT ends it by SIGINT (a caught SIGHUP
 * would come first, being the lower number). */
static void test_nohup_keeps_sighup_ignored(void **state)
{
    (void)state;
    long bench = 0;
    unsigned long long ign = 0;
    pid_t pid = start_hanging(true, &bench, &ign);
    assert_true(ign & 1ull); /* bit 0: SIGHUP */
    kill(pid, SIGHUP);
    kill(pid, SIGINT);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGINT);
    assert_int_equal(kill((pid_t)bench, 0), -1);
    assert_clean();
    /* Not ignored, SIGHUP is caught and passed on as SIG_DFL. */
    pid = start_hanging(false, &bench, &ign);
    assert_false(ign & 1ull);
    kill(pid, SIGHUP);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGHUP);
    assert_clean();
}

/* ---- benchgate doctor, and the bench binary's pointer to it ---- */

static const char *const DOCTOR_CHECKS[] = {"governor", "boost", "smt", "aslr", "perf", "load",
                                            "busy", "virtualization", "steal", "isolation",
                                            "clocksource", "timer", "gpu"};
#define NCHECKS (sizeof DOCTOR_CHECKS / sizeof DOCTOR_CHECKS[0])

/* The report: a count line, then per check its level, name and finding,
 * each fix on its own line under it; the counts match the levels. */
static void test_doctor_command(void **state)
{
    (void)state;
    int rc = bg_stdout("doctor");
    assert_int_equal(rc, 0);
    char *l[256];
    size_t n = split_lines(out, l, 256);
    unsigned nfix = 99, nnote = 99, checks = 99;
    assert_int_equal(sscanf(l[0], "benchgate doctor: %u checks, %u to fix, %u notes", &checks, &nfix,
                            &nnote), 3);
    if (checks > NCHECKS && strstr(out, "gpu_persistence"))
        skip(); /* NVML is here: two lines per GPU (test_gpu checks them with a fake NVML) */
    assert_int_equal(checks, NCHECKS);
    assert_string_equal(l[1], "");
    size_t k = 2, warns = 0, notes = 0;
    for (size_t c = 0; c < NCHECKS; c++) {
        assert_true(k < n);
        char ere[128];
        snprintf(ere, sizeof ere, "^(ok|note|warn|unknown) +%s +[^ ]", DOCTOR_CHECKS[c]);
        assert_matches(l[k], ere);
        warns += !strncmp(l[k], "warn ", 5);
        notes += !strncmp(l[k], "note ", 5);
        bool ok = !strncmp(l[k], "ok ", 3);
        k++;
        /* A fix, or for a check that is fine a way to use it. */
        while (k < n && l[k][0] == ' ') {
            assert_matches(l[k], ok ? "^ {23}use: [^ ]" : "^ {23}fix( \\(needs root\\))?: [^ ]");
            k++;
        }
    }
    assert_int_equal(warns, nfix);
    assert_int_equal(notes, nnote);
    if (warns == 0) {
        assert_true(k + 2 == n);
        assert_string_equal(l[k], "");
        assert_string_equal(l[k + 1], "nothing to fix.");
    } else {
        assert_int_equal(k, n);
    }

    rc = bg_stdout("doctor --json");
    assert_int_equal(rc, 0);
    cJSON *root = cJSON_Parse(out);
    assert_non_null(root);
    assert_string_equal(json_str(root, "schema"), "benchgate.doctor");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "findings");
    assert_int_equal(cJSON_GetArraySize(arr), (int)NCHECKS);
    size_t c = 0, w = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, arr)
    {
        assert_string_equal(json_str(f, "check"), DOCTOR_CHECKS[c++]);
        const char *st = json_str(f, "status");
        assert_true(!strcmp(st, "ok") || !strcmp(st, "note") || !strcmp(st, "warn") ||
                    !strcmp(st, "unknown"));
        w += !strcmp(st, "warn");
        assert_true(strlen(json_str(f, "found")) > 0);
        assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(f, "needs_root")));
    }
    assert_int_equal((size_t)cJSON_GetObjectItemCaseSensitive(root, "warnings")->valuedouble, w);
    cJSON_Delete(root);

    assert_int_equal(bg("doctor --bogus"), 2);
    assert_non_null(strstr(out, "benchgate doctor: unknown option '--bogus'; see benchgate doctor --help"));
    assert_int_equal(bg("doctor --root"), 2);
    assert_int_equal(bg("doctor --help"), 0);
    assert_non_null(strstr(out, "usage: benchgate doctor"));
}

/* Processes that disagree (every other one 50 % slower): the bench binary
 * says the measurements look noisy and points to benchgate doctor. */
static void test_noisy_warning(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && FAULTY_ALTERNATE_FILE='%s/alternate' '%s' --filter "
             "'^fine_slowable$' --quick --procs 4 --max-procs 4 --no-save --color never 2>&1",
             tmp, tmp, FAULTY_BENCH);
    assert_int_equal(bg_shell(cmd), 0);
    fprintf(stderr, "--- %s\n%s", cmd, out);
    assert_true(line_has(out, "measurements look noisy (fine_slowable varies", "between processes"));
    assert_true(line_has(out, "measurements look noisy", "run `benchgate doctor` for what to fix"));
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
        cmocka_unit_test(test_duet),
        cmocka_unit_test(test_lockstep),
        cmocka_unit_test(test_lockstep_detects),
        cmocka_unit_test(test_metric),
        cmocka_unit_test(test_build_failure_names_the_revision),
        cmocka_unit_test(test_benchmark_missing_in_a_revision),
        cmocka_unit_test(test_build_command_and_binary_missing),
        cmocka_unit_test(test_dirty_tree),
        cmocka_unit_test(test_head_against_working_tree),
        cmocka_unit_test(test_gate_ab_refuses_metric),
        cmocka_unit_test(test_gate_ab_default_base_on_main),
        cmocka_unit_test(test_gate_ab_build_failure_reported),
        cmocka_unit_test(test_gate_ab_crash_unwritable_reports),
        cmocka_unit_test(test_side_process_crashes),
        cmocka_unit_test(test_crashing_benchmarks),
        cmocka_unit_test(test_output_formats),
        cmocka_unit_test(test_clean_tree_json_and_saved),
        cmocka_unit_test(test_build_failure_of_a),
        cmocka_unit_test(test_interrupt_cleans_up),
        cmocka_unit_test(test_interrupt_while_measuring),
        cmocka_unit_test(test_nohup_keeps_sighup_ignored),
        cmocka_unit_test(test_doctor_command),
        cmocka_unit_test(test_noisy_warning),
        cmocka_unit_test(test_stale_worktree_removed),
        cmocka_unit_test(test_settings_rules), /* last: it writes .benchgate.json */
    };
    /* BG_TEST_FILTER=PATTERN runs the matching tests alone (a repeat loop). */
    if (getenv("BG_TEST_FILTER"))
        cmocka_set_test_filter(getenv("BG_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
