/* End-to-end test of `benchgate gate --bench`: real git, the real bench
 * binary tests/faulty_bench. A run of fine_fast/fine_slowable is saved at
 * commit A of a temporary repository; at C (A <- B <- C) gate measures head
 * with faulty_bench, with and without FAULTY_SLOWDOWN_PCT=20. Also checks the
 * nearest-ancestor fallback of gate and compare (B has no run). The gate runs
 * use --threshold 5 so that run-to-run noise of the quick runs (6 processes)
 * cannot fail the no-slowdown case; the 20 % slowdown is far above it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#ifndef BENCHGATE_EXE
#error "BENCHGATE_EXE must name the benchgate binary"
#endif
#ifndef FAULTY_BENCH
#error "FAULTY_BENCH must name the faulty_bench binary"
#endif
#ifndef GATE_SH
#error "GATE_SH must name ci/gate.sh"
#endif

#define BENCH_ARGS "--filter '^fine_' --quick --procs 6 --max-procs 6"
#define GATE_BENCH                                                                                 \
    "--bench '" FAULTY_BENCH "' --bench-arg --filter --bench-arg '^fine_' --bench-arg --quick "    \
    "--bench-arg --procs --bench-arg 6 --bench-arg --max-procs --bench-arg 6 --threshold 5"

static char tmp[256];
static char repo[320];
static char base_bin[400]; /* faulty_bench without FAULTY_SLOWDOWN_PCT: stage 2's base */
static char ca[41], cb[41], cc[41];
static char out[1 << 17];

/* The number of stored runs of `commit` (from benchgate ls, in `store` or
 * the repository's store when NULL); *all_n is set to whether every one of
 * them holds exactly nbench benchmarks. */
static int runs_of(const char *commit, long nbench, int *all_n, const char *store)
{
    static char ls[1 << 16];
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' ls%s%s%s 2>/dev/null", repo, BENCHGATE_EXE,
             store ? " --store '" : "", store ? store : "", store ? "'" : "");
    assert_int_equal(run_shell_into(ls, sizeof ls, cmd), 0);
    int n = 0;
    *all_n = 1;
    for (const char *l = ls; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, commit, 12) != 0)
            continue;
        char c[64], machine[64], when[64];
        long benches = -1;
        if (sscanf(l, "%63s %63s %63s %ld", c, machine, when, &benches) != 4 || benches != nbench)
            *all_n = 0;
        n++;
    }
    return n;
}

/* (Re)records the base run at A: the bench binary records the repository of
 * its cwd. The newest run of A is the base. */
static void save_base(void)
{
    sh("cd '%s' && git checkout -q '%s' && '%s' " BENCH_ARGS " --save > /dev/null 2>&1 && "
       "git checkout -q main",
       repo, ca, FAULTY_BENCH);
}

/* The machines this runs on are noisy (quick runs, 3 processes): a gate
 * attempt is repeated, with a fresh base run, up to this many times before
 * the test fails. */
#define ATTEMPTS 3

static int setup(void **state)
{
    (void)state;
    unsetenv("BENCHGATE_DIR");
    unsetenv("GITHUB_STEP_SUMMARY");
    unsetenv("FAULTY_SLOWDOWN_PCT");
    if (make_tmp_repo(tmp, sizeof tmp, repo, sizeof repo, "bg_gate_e2e") != 0)
        return -1;
    bg_use(&(bg_tool){.exe = BENCHGATE_EXE, .dir = repo, .out = out, .outsz = sizeof out});
    sh("git init -q -b main '%s' && cd '%s' && echo a > f && git add f && " GIT " commit -q -m A && "
       "echo b > f && " GIT " commit -q -am B && echo c > f && " GIT " commit -q -am C",
       repo, repo);
    sh_line(ca, sizeof ca, "cd '%s' && git rev-parse HEAD~2", repo);
    sh_line(cb, sizeof cb, "cd '%s' && git rev-parse HEAD~1", repo);
    sh_line(cc, sizeof cc, "cd '%s' && git rev-parse HEAD", repo);
    save_base();
    snprintf(base_bin, sizeof base_bin, "%s/base-bin.sh", tmp);
    write_script(base_bin, "unset FAULTY_SLOWDOWN_PCT\nexec '%s' \"$@\"\n", FAULTY_BENCH);
    return 0;
}

/* A copy of the store for a test that saves slowed-down runs of C: those
 * would otherwise teach the other tests' stage 1 a "noise" that is a real
 * change (the code of C is the same; only the environment slows it). */
static const char *store_copy(const char *name)
{
    static char dir[400];
    snprintf(dir, sizeof dir, "%s/store-%s", tmp, name);
    sh("rm -rf '%s' && cp -r '%s/.benchgate' '%s'", dir, repo, dir);
    return dir;
}

static int teardown(void **state)
{
    (void)state;
    return remove_tree(tmp);
}

/* Head 3x slower in fine_slowable (far above the noise of quick runs on a
 * busy machine): stage 1 suspects it, stage 2 (base binary without the
 * slowdown, head binary with it, interleaved) confirms it, the gate fails
 * and says stage 2 decided. Stage 2 saves nothing: every stored run of C is
 * a full one. */
static void test_gate_slowdown_fails(void **state)
{
    (void)state;
    char junit[400];
    snprintf(junit, sizeof junit, "%s/junit.xml", tmp);
    const char *store = store_copy("slow");
    int rc = -1;
    for (int i = 0; i < ATTEMPTS && rc != 1; i++) {
        if (i)
            save_base();
        setenv("FAULTY_SLOWDOWN_PCT", "200", 1);
        rc = bg("gate --base %s " GATE_BENCH " --base-bin '%s' --store '%s' --junit '%s'", ca, base_bin,
                store, junit);
        unsetenv("FAULTY_SLOWDOWN_PCT");
        fprintf(stderr, "--- attempt %d: exit %d\n%s", i + 1, rc, out);
    }
    if (rc != 1)
        fail_msg("gate exited %d, want 1", rc);
    assert_true(line_has(out, "fine_slowable", "regressed"));
    assert_true(line_has(out, "stage 2 decided fine_slowable: regressed", "+"));
    assert_true(line_has(out, "fine_slowable", "(stage 2: "));
    assert_non_null(strstr(out, "went on to stage 2"));
    assert_non_null(strstr(out, "gate: FAILED: regression"));
    int full = 0;
    assert_true(runs_of(cc, 2, &full, store) >= 1);
    if (!full)
        fail_msg("a stored run of C lacks benchmarks (a stage-2 run was saved)");
}

static void test_gate_no_slowdown_passes(void **state)
{
    (void)state;
    int rc = -1;
    for (int i = 0; i < ATTEMPTS && rc != 0; i++) {
        if (i)
            save_base();
        rc = bg("gate --base %s " GATE_BENCH " --base-bin '%s'", ca, base_bin);
        fprintf(stderr, "--- attempt %d: exit %d\n%s", i + 1, rc, out);
    }
    if (rc != 0)
        fail_msg("gate exited %d, want 0", rc);
    assert_non_null(strstr(out, "gate: passed"));
    assert_non_null(strstr(out, "stage 1 cleared"));
}

/* A settings rule's metric carries into stage 2: fine_slowable compared on
 * its rounds per iteration (an exact +50 %, whatever the machine's load) is
 * measured again by stage 2 on rounds, and fine_fast on a maximum
 * (most_rounds, +50 %), which stage 2 cannot measure, is judged by stage 1
 * with a note saying so. Counts, not times: no retries needed. */
static void test_gate_rule_metric(void **state)
{
    (void)state;
    const char *store = store_copy("metric");
    char path[400];
    snprintf(path, sizeof path, "%s/.benchgate.json", repo);
    setenv("FAULTY_COUNT_ROUNDS", "1", 1);
    sh("cd '%s' && git checkout -q '%s' && '%s' " BENCH_ARGS " --save --store '%s' > /dev/null 2>&1 && "
       "git checkout -q main",
       repo, ca, FAULTY_BENCH, store);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"benchmarks\": [\n  {\"match\": \"fine_slowable\", \"metric\": \"rounds\"},\n"
          "  {\"match\": \"fine_fast\", \"metric\": \"most_rounds\"}\n]}\n",
          f);
    fclose(f);
    setenv("FAULTY_SLOWDOWN_PCT", "50", 1);
    int rc = bg("gate --base %s " GATE_BENCH " --base-bin '%s' --store '%s'", ca, base_bin, store);
    unsetenv("FAULTY_SLOWDOWN_PCT");
    unsetenv("FAULTY_COUNT_ROUNDS");
    unlink(path);
    fprintf(stderr, "%s", out);
    if (rc != 1)
        fail_msg("gate exited %d, want 1", rc);
    assert_non_null(strstr(out, "stage 2: 1 benchmark compared on rounds"));
    assert_true(line_has(out, "stage 2 decided fine_slowable: regressed", "+50.00%"));
    assert_true(line_has(out, "fine_slowable", "(metric rounds)"));
    assert_true(line_has(out, "fine_fast", "(metric most_rounds)"));
    assert_true(line_has(out, "fine_fast", "stage 2 cannot measure most_rounds"));
    assert_non_null(strstr(out, "gate: FAILED: regression"));
}

/* calibrate: runs the bench binary at HEAD three times, saving each, then
 * prints the noise learned (two repeated pairs of fine_fast); a tree with
 * uncommitted changes is refused, as its runs would teach nothing. The
 * figures are timings: only their presence is checked. */
static void test_calibrate_and_noise(void **state)
{
    (void)state;
    char store[400];
    snprintf(store, sizeof store, "%s/store-calibrate", tmp); /* new: made by the first run */
    int rc = bg("calibrate --bench '%s' --runs 3 --store '%s' --bench-arg --filter --bench-arg '^fine_fast$' "
                "--bench-arg --quick",
                FAULTY_BENCH, store);
    if (rc != 0)
        fail_msg("calibrate exited %d:\n%s", rc, out);
    assert_non_null(strstr(out, "between-run noise of machine"));
    if (!line_has(out, "fine_fast", "+-"))
        fail_msg("no noise row for fine_fast:\n%s", out);
    rc = bg("noise --store '%s' --format json", store);
    if (rc != 0 || !strstr(out, "\"repeat_pairs\":\t2"))
        fail_msg("noise --format json exited %d without fine_fast's 2 repeated pairs:\n%s", rc, out);
    assert_int_equal(bg("noise --store '%s' no-such-ref", store), 2);
    assert_non_null(strstr(out, "cannot resolve 'no-such-ref'"));
    sh("cd '%s' && echo dirty > f", repo);
    rc = bg("calibrate --bench '%s' --runs 2 --store '%s'", FAULTY_BENCH, store);
    sh("cd '%s' && git checkout -q f", repo);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "uncommitted changes"));
    assert_int_equal(bg("calibrate --runs 2"), 2);
    assert_non_null(strstr(out, "needs --bench"));
}

static void test_gate_nearest_ancestor(void **state)
{
    (void)state;
    /* B has no run; A, one commit back, has. The verdict is noise-bound
     * (tested above); only a usage error or crash would be wrong here. */
    int rc = bg("gate --base %s " GATE_BENCH, cb);
    if (rc != 0 && rc != 1)
        fail_msg("gate exited %d, want 0 or 1:\n%s", rc, out);
    char note[200];
    snprintf(note, sizeof note, "base %.12s has no run; using nearest ancestor %.12s (1 commit back)",
             cb, ca);
    if (!strstr(out, note))
        fail_msg("no note '%s' in:\n%s", note, out);
    /* compare: the same fallback for a commit-ish (C has runs from the gates). */
    rc = bg("compare %s %s --threshold 5", cb, cc);
    snprintf(note, sizeof note, "A %.12s has no run; using nearest ancestor %.12s (1 commit back)", cb,
             ca);
    if ((rc != 0 && rc != 1) || !strstr(out, note))
        fail_msg("compare exited %d, want 0 and '%s':\n%s", rc, note, out);
    /* Nothing within reach (an empty store): exit 2 with the usual message. */
    sh("mkdir -p '%s/empty'", tmp);
    rc = bg("compare %s %s --store '%s/empty'", cb, cc, tmp);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "no stored run"));
}

static void test_gate_bench_usage(void **state)
{
    (void)state;
    assert_int_equal(bg("gate --base %s --bench '%s/no-such-bench'", ca, tmp), 2);
    assert_int_equal(bg("gate --base %s --bench '%s' --head HEAD", ca, FAULTY_BENCH), 2);
    assert_int_equal(bg("gate --base %s --bench '%s' --bench-arg --no-such-flag", ca, FAULTY_BENCH), 2);
}

/* Stage 2 does not confirm what stage 1 saw: a wrapper slows down only the
 * first run of the bench binary (3x: far above the noise of quick runs on a
 * busy machine), which is stage 1's head; stage 2 runs the same wrapper,
 * now at full speed, interleaved with the base. The gate passes, saying
 * stage 2 decided, and the stored run of HEAD is stage 1's full run. */
static void test_gate_stage2_clears(void **state)
{
    (void)state;
    char wrapper[400], marker[400];
    snprintf(wrapper, sizeof wrapper, "%s/slow-once.sh", tmp);
    snprintf(marker, sizeof marker, "%s/slow-once.done", tmp);
    char body[2048];
    snprintf(body, sizeof body,
             "if [ -e '%s' ]; then exec '%s' \"$@\"; fi\n"
             "touch '%s'\nFAULTY_SLOWDOWN_PCT=200 exec '%s' \"$@\"\n",
             marker, FAULTY_BENCH, marker, FAULTY_BENCH);
    write_script(wrapper, "%s", body);
    const char *store = store_copy("clears");
    int rc = -1;
    bool seen = false; /* a passing gate after stage 2 cleared fine_slowable */
    for (int i = 0; i < ATTEMPTS && !seen; i++) {
        if (i)
            save_base();
        unlink(marker);
        rc = bg("gate --base %s --bench '%s' --bench-arg --filter --bench-arg '^fine_' --bench-arg "
                "--quick --bench-arg --procs --bench-arg 6 --bench-arg --max-procs --bench-arg 6 "
                "--threshold 5 --base-bin '%s' --store '%s'",
                ca, wrapper, FAULTY_BENCH, store);
        fprintf(stderr, "--- attempt %d: exit %d\n%s", i + 1, rc, out);
        seen = rc == 0 && line_has(out, "stage 2 decided fine_slowable: ", "%") &&
               !line_has(out, "stage 2 decided fine_slowable: ", "regressed");
    }
    if (!seen)
        fail_msg("gate exited %d, want 0 with stage 2 clearing fine_slowable", rc);
}

/* On main, the merge-base with main is HEAD itself: gate --bench compares
 * with HEAD's parent (B, which falls back to A), never with the run it has
 * just saved. A 3x slowdown (far above the noise) fails the gate. */
static void test_gate_bench_on_main(void **state)
{
    (void)state;
    char note[200], note2[200];
    snprintf(note, sizeof note, "HEAD is the merge-base with main; comparing with its parent %.12s",
             cb);
    snprintf(note2, sizeof note2, "has no run; using nearest ancestor %.12s", ca);
    int rc = -1;
    for (int i = 0; i < ATTEMPTS && rc != 1; i++) {
        if (i)
            save_base();
        setenv("FAULTY_SLOWDOWN_PCT", "200", 1);
        rc = bg("gate " GATE_BENCH " --base-bin '%s' --store '%s'", base_bin, store_copy("main"));
        unsetenv("FAULTY_SLOWDOWN_PCT");
        fprintf(stderr, "--- attempt %d: exit %d\n%s", i + 1, rc, out);
    }
    if (rc != 1)
        fail_msg("gate on main exited %d, want 1", rc);
    if (!strstr(out, note) || !strstr(out, note2))
        fail_msg("no notes '%s' and '%s' in:\n%s", note, note2, out);
    assert_true(line_has(out, "fine_slowable", "regressed"));
    char base_line[200];
    snprintf(base_line, sizeof base_line, "(%s)", ca);
    assert_true(line_has(out, "base: ", base_line));
}

/* A benchmark that crashes (signal) or exits (code 7) in head: exit 3, and
 * the JUnit file has an <error> for each, naming the signal and the code,
 * though both are new in head. */
static void test_gate_bench_crash(void **state)
{
    (void)state;
    char junit[400];
    snprintf(junit, sizeof junit, "%s/crash-junit.xml", tmp);
    int rc = bg("gate --base %s --bench '%s' --bench-arg --filter --bench-arg "
                "'^(fine_fast|crash_segv|exit_seven)$' --bench-arg --quick --threshold 5 --junit '%s'",
                ca, FAULTY_BENCH, junit);
    if (rc != 3)
        fail_msg("gate exited %d, want 3:\n%s", rc, out);
    assert_true(line_has(out, "crash_segv", "killed by signal 11"));
    assert_true(line_has(out, "exit_seven", "exited with code 7"));
    assert_non_null(strstr(out, "gate: FAILED: a benchmark crashed"));
    char check[2048];
    snprintf(check, sizeof check,
             "grep -q '<error message=\"new in B: killed by signal 11' '%s' && "
             "grep -q '<error message=\"new in B: the benchmark exited with code 7' '%s' && "
             "grep -q 'errors=\"2\"' '%s'",
             junit, junit, junit);
    if (system(check) != 0) {
        sh("cat '%s' >&2", junit);
        fail_msg("JUnit file without the two errors");
    }
}

/* The bench binary itself dies: exit 3 and still a JUnit file (one <error>
 * naming the signal) and a Markdown summary saying why. */
static void test_gate_bench_binary_dies(void **state)
{
    (void)state;
    char script[400], junit[400], md[400];
    snprintf(script, sizeof script, "%s/dies.sh", tmp);
    snprintf(junit, sizeof junit, "%s/dies-junit.xml", tmp);
    snprintf(md, sizeof md, "%s/dies.md", tmp);
    write_script(script, "kill -SEGV $$\n");
    int rc = bg("gate --base %s --bench '%s' --junit '%s' --markdown '%s'", ca, script, junit, md);
    if (rc != 3)
        fail_msg("gate exited %d, want 3:\n%s", rc, out);
    char check[2048];
    snprintf(check, sizeof check,
             "grep -q '<error message=\"the bench binary .*dies.sh was killed by signal 11' '%s' && "
             "grep -q 'could not decide: the bench binary .*killed by signal 11' '%s'",
             junit, md);
    if (system(check) != 0) {
        sh("cat '%s' '%s' >&2", junit, md);
        fail_msg("no report of the dead bench binary");
    }
}

/* Runs ci/gate.sh in dir with a no-op build, faulty_bench as the bench
 * binary and this build's benchgate, CI variables cleared; exit code,
 * output in out. */
static int ci_gate(const char *dir)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && env -u CI_COMMIT_BRANCH -u CI_DEFAULT_BRANCH -u GITHUB_REF_NAME "
             "-u GITHUB_EVENT_NAME -u BENCH_BASE -u BENCH_PUSH -u BENCH_AB -u BENCH_REMOTE "
             "-u BENCH_BRANCH -u BENCH_MAIN_BRANCH -u BUILD -u BENCH "
             "BENCH_BUILD_CMD=true BENCH_BIN='%s' BENCHGATE='%s' "
             "BENCH_ARGS='--filter ^fine_ --quick --procs 6 --max-procs 6' GATE_ARGS='--threshold 5' "
             "sh '%s' 2>&1",
             dir, FAULTY_BENCH, BENCHGATE_EXE, GATE_SH);
    return bg_shell(cmd);
}

/* Does the bare repository `remote` hold a benchgate note for commit? */
static bool remote_has_note(const char *remote, const char *commit)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "git --git-dir='%s' notes --ref=benchgate show %s >/dev/null 2>&1", remote,
             commit);
    return system(cmd) == 0;
}

/* ci/gate.sh for real, in a tiny project with a bare repository as origin.
 * On main, the first job has no base (a root commit: exit 2) but records
 * HEAD's run and pushes it; the next, on unchanged code, passes and pushes
 * its run; a clone on a feature branch fetches both, passes, and pushes
 * nothing. */
static void test_ci_gate_sh(void **state)
{
    (void)state;
    char proj[400], remote[400], clone[400], one[41], two[41], three[41];
    snprintf(proj, sizeof proj, "%s/ci-proj", tmp);
    snprintf(remote, sizeof remote, "%s/ci-remote.git", tmp);
    snprintf(clone, sizeof clone, "%s/ci-clone", tmp);
    sh("git init -q --bare -b main '%s'", remote);
    sh("git init -q -b main '%s' && cd '%s' && echo 1 > f && git add f && " GIT " commit -q -m one && "
       "git remote add origin '%s' && git push -q origin main",
       proj, proj, remote);
    sh_line(one, sizeof one, "cd '%s' && git rev-parse HEAD", proj);
    int rc = ci_gate(proj);
    fprintf(stderr, "--- first job on main: exit %d\n%s", rc, out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "has no parent"));
    assert_non_null(strstr(out, "recording a run of"));
    assert_true(remote_has_note(remote, one));
    sh("grep -q '<error message=' '%s/bench-junit.xml'", proj);

    sh("cd '%s' && echo 2 > g && git add g && " GIT " commit -q -m two && git push -q origin main", proj);
    sh_line(two, sizeof two, "cd '%s' && git rev-parse HEAD", proj);
    rc = -1;
    for (int i = 0; i < ATTEMPTS && rc != 0; i++) {
        rc = ci_gate(proj);
        fprintf(stderr, "--- job on main, attempt %d: exit %d\n%s", i + 1, rc, out);
    }
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "gate: passed"));
    assert_true(remote_has_note(remote, two));

    sh("git clone -q '%s' '%s' && cd '%s' && git checkout -q -b feature && echo 3 > h && git add h && "
       GIT " commit -q -m three",
       remote, clone, clone);
    sh_line(three, sizeof three, "cd '%s' && git rev-parse HEAD", clone);
    rc = -1;
    for (int i = 0; i < ATTEMPTS && rc != 0; i++) {
        rc = ci_gate(clone);
        fprintf(stderr, "--- job on a feature branch, attempt %d: exit %d\n%s", i + 1, rc, out);
    }
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "fetched from origin"));
    char base_line[200];
    snprintf(base_line, sizeof base_line, "(%s)", two);
    assert_true(line_has(out, "base: ", base_line));
    assert_false(remote_has_note(remote, three));
}

/* Runs faulty_bench in the repository; exit code, output in out. */
#define fb(...) bg_prog(FAULTY_BENCH, BENCH_ARGS " " __VA_ARGS__)

/* The bench binary compares itself with a baseline: auto, a revision (with
 * the nearest-ancestor fallback), a named baseline it saved, and refuses an
 * unknown one before measuring anything. */
static void test_bench_binary_baseline(void **state)
{
    (void)state;
    char store[400];
    snprintf(store, sizeof store, "%s/own-store", tmp);
    /* an empty store: auto has nothing yet and says so; the run is saved */
    int rc = fb("--store '%s' --baseline auto --save-baseline first", store);
    if (rc != 0)
        fail_msg("bench exited %d:\n%s", rc, out);
    assert_non_null(strstr(out, "no baseline yet"));
    assert_non_null(strstr(out, "saved as baseline 'first'"));
    /* the second run compares with the first */
    rc = fb("--store '%s' --baseline auto", store);
    if (rc != 0)
        fail_msg("bench exited %d:\n%s", rc, out);
    assert_non_null(strstr(out, "change against baseline auto"));
    assert_true(line_has(out, "fine_slowable", "%"));
    /* by name, with a slowdown far above the noise of quick runs on a busy
     * machine and the default drift band: the table shows it */
    bool shown = false; /* quick runs beside a CPU hog reach +-100 %: a few tries */
    for (int i = 0; i < ATTEMPTS && !shown; i++) {
        setenv("FAULTY_SLOWDOWN_PCT", "200", 1);
        rc = fb("--store '%s' --baseline first --no-save", store);
        unsetenv("FAULTY_SLOWDOWN_PCT");
        if (rc != 0)
            fail_msg("bench exited %d:\n%s", rc, out);
        assert_non_null(strstr(out, "change against baseline first"));
        shown = line_has(out, "fine_slowable", "regressed");
        fprintf(stderr, "--- attempt %d:\n%s", i + 1, out);
    }
    if (!shown)
        fail_msg("no regression of fine_slowable shown");
    /* a revision: HEAD~1 (B) has no run in the main store; A has */
    rc = fb("--baseline HEAD~1 --no-save");
    if (rc != 0)
        fail_msg("bench exited %d:\n%s", rc, out);
    char note[200];
    snprintf(note, sizeof note, "has no run; using nearest ancestor %.12s", ca);
    assert_non_null(strstr(out, note));
    /* unknown: exit 2 before measuring, naming it */
    rc = fb("--baseline no-such-thing");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "no-such-thing"));
    assert_null(strstr(out, "fine_fast "));
    assert_int_equal(fb("--save-baseline 'a/b'"), 2);
    assert_non_null(strstr(out, "a/b"));
}

/* gate --ab: base and head are checked out and "built" (a build.sh that
 * writes a wrapper around faulty_bench, 30 % slower at head) and run
 * interleaved; the regression fails the gate and both runs are saved. */
static void test_gate_ab(void **state)
{
    (void)state;
    char ab[400];
    snprintf(ab, sizeof ab, "%s/abrepo", tmp);
    char path[512];
    sh("git init -q -b main '%s'", ab);
    snprintf(path, sizeof path, "%s/build.sh", ab);
    for (int slow = 0; slow <= 1; slow++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "mkdir -p out\n"
                   "printf '#!/bin/sh\\n%sexec \"%%s\" \"$@\"\\n' '%s' > out/bench\n"
                   "chmod +x out/bench\n",
                slow ? "FAULTY_SLOWDOWN_PCT=30 " : "", FAULTY_BENCH);
        assert_int_equal(fclose(f), 0);
        sh("cd '%s' && git add build.sh && " GIT " commit -q -m %s", ab, slow ? "slower" : "base");
    }
    char junit[400], cmd[4096];
    snprintf(junit, sizeof junit, "%s/ab-junit.xml", tmp);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' gate --ab --base HEAD~1 --head HEAD --build-cmd 'sh build.sh' "
             "--bench-bin out/bench --bench-arg --quick --filter '^fine_slowable$' --threshold 5 "
             "--junit '%s' --store '%s/ab-store' 2>&1",
             ab, BENCHGATE_EXE, junit, tmp);
    int rc = bg_shell(cmd);
    fprintf(stderr, "%s", out);
    assert_int_equal(rc, 1);
    assert_true(line_has(out, "fine_slowable", "regressed"));
    assert_non_null(strstr(out, "gate: FAILED: regression"));
    char check[1024];
    snprintf(check, sizeof check, "grep -q '<failure' '%s'", junit);
    assert_int_equal(system(check), 0);
    /* both runs saved under their commits; no worktree left behind */
    snprintf(check, sizeof check, "test $(ls '%s/ab-store/runs' | wc -l) -eq 2", tmp);
    assert_int_equal(system(check), 0);
    snprintf(check, sizeof check, "cd '%s' && test $(git worktree list | wc -l) -eq 1", ab);
    assert_int_equal(system(check), 0);
    /* --ab measures by building; --bench would be a second way */
    assert_int_equal(bg("gate --ab --bench '%s'", FAULTY_BENCH), 2);
    assert_non_null(strstr(out, "--ab and --bench"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gate_slowdown_fails),
        cmocka_unit_test(test_gate_no_slowdown_passes),
        cmocka_unit_test(test_gate_rule_metric),
        cmocka_unit_test(test_calibrate_and_noise),
        cmocka_unit_test(test_gate_nearest_ancestor),
        cmocka_unit_test(test_gate_bench_usage),
        cmocka_unit_test(test_gate_stage2_clears),
        cmocka_unit_test(test_gate_bench_on_main),
        cmocka_unit_test(test_gate_bench_crash),
        cmocka_unit_test(test_gate_bench_binary_dies),
        cmocka_unit_test(test_ci_gate_sh),
        cmocka_unit_test(test_bench_binary_baseline),
        cmocka_unit_test(test_gate_ab),
    };
    /* BG_TEST_FILTER=PATTERN runs the matching tests alone (a repeat loop). */
    if (getenv("BG_TEST_FILTER"))
        cmocka_set_test_filter(getenv("BG_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
