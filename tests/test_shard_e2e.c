/* End-to-end test of shards: the bench binary's --shard K/N, `benchgate merge`, and the gate over shard runs (missing shard exit 2, crashed shard exit 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#ifndef BENCHGATE_EXE
#error "BENCHGATE_EXE must name the benchgate binary"
#endif
#ifndef FAULTY_BENCH
#error "FAULTY_BENCH must name the faulty_bench binary"
#endif

/* Verdicts are not asserted here (they are in test_shard, on stored runs):
 * these runs are quick and the machine is shared. */
#define QUICK "--quick --procs 2 --max-procs 2 --timeout 5"

static char tmp[256];
static char repo[320];
static char out[1 << 17];

static int setup(void **state)
{
    unsetenv("BENCHGATE_DIR");
    unsetenv("GITHUB_STEP_SUMMARY");
    if (make_tmp_repo(tmp, sizeof tmp, repo, sizeof repo, "bg_shard_e2e") != 0)
        return -1;
    bg_use(&(bg_tool){.exe = BENCHGATE_EXE, .dir = repo, .out = out, .outsz = sizeof out});
    sh("git init -q -b main '%s' && cd '%s' && echo a > f && git add f && " GIT " commit -q -m A && "
       "echo b > f && " GIT " commit -q -am B",
       repo, repo);
    return 0;
}

static int teardown(void **state)
{
    return remove_tree(tmp);
}

/* Every benchmark is listed by exactly one shard, whatever N. */
static void test_list_partition(void **state)
{
    static char all[1 << 17], part[1 << 17];
    assert_int_equal(bg_prog(FAULTY_BENCH, "--list"), 0);
    snprintf(all, sizeof all, "%s", out);
    size_t nall = 0;
    for (const char *p = all; *p; p++)
        nall += *p == '\n';
    assert_true(nall >= 5);
    for (int n = 1; n <= 4; n++) {
        size_t seen = 0;
        for (int k = 1; k <= n; k++) {
            assert_int_equal(bg_prog(FAULTY_BENCH, "--list --shard %d/%d", k, n), 0);
            snprintf(part, sizeof part, "%s", out);
            for (char *l = part; *l;) {
                char *e = strchr(l, '\n');
                assert_non_null(e);
                *e = '\0';
                char line[1 << 12 | 8];
                snprintf(line, sizeof line, "\n%.4000s\n", l);
                static char wrapped[(1 << 17) + 8];
                snprintf(wrapped, sizeof wrapped, "\n%s", all);
                assert_non_null(strstr(wrapped, line)); /* a benchmark of the suite */
                seen++;
                l = e + 1;
            }
        }
        assert_int_equal(seen, nall); /* none twice, none left out (with the check above) */
    }
    assert_int_equal(bg_prog(FAULTY_BENCH, "--list --shard 3/2"), 2);
    assert_non_null(strstr(out, "--shard"));
    assert_int_equal(bg_prog(FAULTY_BENCH, "--list --shard 1/2 --shard-cost nosuchrev"), 2);
    assert_non_null(strstr(out, "--shard-cost nosuchrev"));
}

static void test_merge_and_gate(void **state)
{
    /* base: a whole run of A */
    sh("cd '%s' && git checkout -q HEAD~1", repo);
    assert_int_equal(bg_prog(FAULTY_BENCH, "--filter '^fine_' " QUICK " --save"), 0);
    sh("cd '%s' && git checkout -q main", repo);

    /* head: shard 1 of 2 only; the gate names shard 2 and fails as an error */
    assert_int_equal(bg_prog(FAULTY_BENCH, "--filter '^fine_' " QUICK " --shard 1/2 --save"), 0);
    assert_int_equal(bg("merge"), 2);
    assert_non_null(strstr(out, "shard 2/2 missing"));
    assert_int_equal(bg("gate --base HEAD~1 --threshold 50"), 2);
    assert_non_null(strstr(out, "shard 2/2 missing"));

    /* shard 2 too: merge saves one run of both benchmarks; the gate compares both */
    assert_int_equal(bg_prog(FAULTY_BENCH, "--filter '^fine_' " QUICK " --shard 2/2 --save"), 0);
    assert_int_equal(bg("merge --dry-run"), 0);
    assert_non_null(strstr(out, "would merge 2 shards, 2 benchmarks"));
    int grc = bg("gate --base HEAD~1 --threshold 50 --stages 1");
    assert_true(grc == 0 || grc == 1); /* quick timings on a shared machine: the verdict is not asserted */
    assert_non_null(strstr(out, "fine_fast"));
    assert_non_null(strstr(out, "fine_slowable"));
    assert_non_null(strstr(out, "merged"));
    assert_int_equal(bg("merge"), 0);
    assert_non_null(strstr(out, "merged 2 shards, 2 benchmarks"));
    assert_int_equal(bg("merge"), 0);
    assert_non_null(strstr(out, "already merged"));

    /* gate --shard: measures that shard with --bench, and is refused without it */
    assert_int_equal(bg("gate --base HEAD~1 --shard 1/2"), 2);
    assert_non_null(strstr(out, "--shard needs --bench"));
    int rc = bg("gate --base HEAD~1 --bench '%s' --bench-arg --filter --bench-arg '^fine_' --bench-arg "
                "--quick --shard 1/2 --threshold 50 --stages 1",
                FAULTY_BENCH);
    assert_true(rc == 0 || rc == 1); /* a verdict of quick timings: which one is not asserted */
    assert_non_null(strstr(out, "--shard 1/2 --save"));
    assert_non_null(strstr(out, "only in A")); /* the other shard's benchmark */
    assert_int_equal(bg("gate --base HEAD~1 --shard 0/2 --bench '%s'", FAULTY_BENCH), 2);

    /* a shard whose benchmark crashed: the gate over the merge exits 3. The
     * saved merge is dated a second after its newest shard (so that it is
     * the commit's newest run): shards made in that second would sort
     * before it, so these start two seconds later. */
    sleep(2);
    for (int k = 1; k <= 2; k++) {
        assert_int_equal(bg_prog(FAULTY_BENCH, "--filter '^(fine_fast|crash_segv)$' --list --shard %d/2", k), 0);
        int want = strstr(out, "crash_segv") ? 3 : 0;
        assert_int_equal(
            bg_prog(FAULTY_BENCH, "--filter '^(fine_fast|crash_segv)$' " QUICK " --shard %d/2 --save", k), want);
    }
    assert_int_equal(bg("gate --base HEAD~1 --threshold 50"), 3);
    assert_non_null(strstr(out, "crash_segv"));

    /* export --history: a CSV row per commit and benchmark, with the subject */
    assert_int_equal(bg("export --history --format csv"), 0);
    assert_non_null(strstr(out, "commit,subject,created,machine,benchmark,status,mean_ns,"));
    assert_non_null(strstr(out, ",\"A\","));
    assert_non_null(strstr(out, ",\"B\","));
    assert_non_null(strstr(out, "\"fine_fast\",ok,"));
    assert_int_equal(bg("export --history --format gbench"), 2);
    assert_non_null(strstr(out, "give --format csv"));

    /* prune: a rule is required; a dry run lists and keeps everything */
    assert_int_equal(bg("prune"), 2);
    assert_non_null(strstr(out, "--keep"));
    assert_int_equal(bg("prune --keep 0"), 2);
    assert_int_equal(bg("prune --newer-than yesterday"), 2);
    static char before[1 << 17];
    assert_int_equal(bg("ls"), 0);
    snprintf(before, sizeof before, "%s", out);
    assert_int_equal(bg("prune --keep 1 --dry-run"), 0);
    assert_non_null(strstr(out, "would remove run: "));
    assert_int_equal(bg("ls"), 0);
    assert_string_equal(out, before);
    assert_int_equal(bg("prune --keep 1"), 0);
    assert_non_null(strstr(out, "removed run: "));
    assert_int_equal(bg("prune --keep 1 --newer-than 2000-01-01"), 0);
    assert_non_null(strstr(out, "removed 0 runs"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_partition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_and_gate, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
